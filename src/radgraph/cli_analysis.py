"""Command-line edges of :mod:`radgraph.analysis`: ``radgraph export`` and ``radgraph stats``.

The commands are plain :mod:`click` commands; ``radgraph.cli`` registers them on its group
(``main.add_command(export)``, ``main.add_command(stats)``). Each opens the store read-only,
calls one library function and formats the result. Errors go through ``radgraph.cli``'s error
handler (imported when a command runs, so that ``radgraph.cli`` may import this module at load).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import click

from radgraph.errors import InputError

if TYPE_CHECKING:
    from radgraph.analysis import Stats

_STORE_HELP = (
    "Store descriptor: memory:, oxigraph:PATH or sparql:URL (default: $RADGRAPH_STORE or the per-user store)."
)
_GRAPHS = ("bipartite", "similarity", "cooccurrence")


def _guarded(fn: Callable[..., None], **kwargs: Any) -> None:
    """Run *fn* under ``radgraph.cli``'s error handler (one-line message, documented exit code)."""
    from radgraph.cli import handle_errors

    handle_errors(fn)(**kwargs)


def _export(fmt: Literal["graphml", "gexf"], out: Path, store_desc: str | None, graph: str) -> None:
    from radgraph import analysis
    from radgraph.store import open_store

    with open_store(store_desc, read_only=True) as store:
        if graph == "cooccurrence":
            G = analysis.finding_cooccurrence(store)
        else:
            G = analysis.bipartite_graph(store)
            if graph == "similarity":
                G = analysis.diagnosis_similarity(G)
    try:
        analysis.export_graph(G, out, fmt)
    except OSError as exc:
        raise InputError(f"cannot write {str(out)!r}: {exc.strerror or exc}") from None
    size = f"{G.number_of_nodes()} nodes, {G.number_of_edges()} edges"
    click.echo(f"wrote {graph} graph ({size}) to {out}", err=True)


@click.command("export")
@click.argument("fmt", metavar="graphml|gexf", type=click.Choice(["graphml", "gexf"]))
@click.argument("out", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option("--store", "store_desc", default=None, help=_STORE_HELP)
@click.option("--graph", "graph", type=click.Choice(_GRAPHS), default="bipartite", show_default=True,
              help="bipartite: diagnoses and findings; similarity: diagnoses by shared findings; "
                   "cooccurrence: findings seen in the same case.")
def export(fmt: Literal["graphml", "gexf"], out: Path, store_desc: str | None, graph: str) -> None:
    """Write a network of the store to OUT as GraphML or GEXF (for Gephi, Cytoscape, networkx)."""
    _guarded(_export, fmt=fmt, out=out, store_desc=store_desc, graph=graph)


def _stats_table(s: Stats) -> str:
    rows = [
        ("cases", s.cases),
        ("finding nodes", s.findings),
        ("finding concepts", s.finding_concepts),
        ("diagnosis concepts", s.diagnosis_concepts),
        ("triples", s.triples),
    ]
    lines = [f"{name:<20}{value:>10,}" for name, value in rows]
    if s.top_findings:
        lines += ["", "most frequent findings (cases):"]
        lines += [f"  {f.cases:>5}  {f.label}  [{f.curie}]" for f in s.top_findings]
    return "\n".join(lines)


def _stats(store_desc: str | None, fmt: str, top: int) -> None:
    from radgraph import analysis
    from radgraph.store import open_store

    with open_store(store_desc, read_only=True) as store:
        result = analysis.stats(store, top=top)
    if fmt == "json":
        click.echo(json.dumps(dataclasses.asdict(result), ensure_ascii=False, indent=2))
    else:
        click.echo(_stats_table(result))


@click.command("stats")
@click.option("--store", "store_desc", default=None, help=_STORE_HELP)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--top", "top", type=click.IntRange(0, 500), default=10, show_default=True,
              help="How many of the most frequent findings to list.")
def stats(store_desc: str | None, fmt: str, top: int) -> None:
    """Count cases, findings, concepts and triples in the store, with the most frequent findings."""
    _guarded(_stats, store_desc=store_desc, fmt=fmt, top=top)


__all__ = ["export", "stats"]
