"""The :class:`Store` protocol, result rows, and the descriptor-based factory."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, Self, runtime_checkable

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from radgraph.errors import StoreError, StoreUnavailable
from radgraph.vocab import INVALID_IRI_CHARS

Triple = tuple[URIRef, URIRef, Node]
Binding = Mapping[str, Node]

ENV_VAR = "RADGRAPH_STORE"


@dataclass(frozen=True, slots=True)
class Row:
    """One solution of a SELECT query: values by variable name (``None`` when unbound)."""

    variables: tuple[str, ...]
    values: tuple[Node | None, ...]

    def __getitem__(self, key: str | int) -> Node | None:
        if isinstance(key, int):
            return self.values[key]
        try:
            return self.values[self.variables.index(key)]
        except ValueError:
            raise KeyError(f"no variable {key!r} in row; variables: {self.variables}") from None

    def get(self, key: str, default: Node | None = None) -> Node | None:
        """Return a value by variable name, or *default*."""
        try:
            value = self[key]
        except KeyError:
            return default
        return default if value is None else value

    def text(self, key: str) -> str:
        """Return a value as text ("" when unbound)."""
        value = self.get(key)
        return "" if value is None else str(value)

    def __iter__(self) -> Iterator[Node | None]:
        return iter(self.values)


@runtime_checkable
class Store(Protocol):
    """What every radgraph store backend offers (see ``tests/contract/``)."""

    descriptor: str

    def add(self, triples: Iterable[Triple], *, graph: URIRef) -> None:
        """Add triples to a named graph (blank nodes are rejected)."""
        ...

    def replace_graph(self, graph: URIRef, triples: Iterable[Triple]) -> None:
        """Replace a named graph's content atomically."""
        ...

    def replace_graphs(self, graphs: Sequence[tuple[URIRef, Sequence[Triple]]]) -> None:
        """Replace several named graphs in one transaction (all old or all new)."""
        ...

    def replace_quads(self, data: str, graphs: Sequence[URIRef]) -> None:
        """Replace the named *graphs* with the N-Quads *data* in one transaction (all old or all new).

        Every quad of *data* must be in one of *graphs*; a graph of *graphs* with no quad in
        *data* ends up empty. This is the bulk write path of a build: the N-Quads are written by
        the extraction workers, so the writing process does no per-term work.
        """
        ...

    def remove_graph(self, graph: URIRef) -> None:
        """Remove a named graph and its triples."""
        ...

    def load(self, data: str, *, format: str, graph: URIRef, replace: bool = True) -> None:
        """Parse an RDF document (Turtle, N-Triples) into a named graph (replacing it by default)."""
        ...

    def graphs(self) -> list[URIRef]:
        """Return the named graphs."""
        ...

    def select(self, query: str, bindings: Binding | None = None) -> list[Row]:
        """Run a SELECT query over the union of all graphs, with typed variable bindings."""
        ...

    def ask(self, query: str, bindings: Binding | None = None) -> bool:
        """Run an ASK query."""
        ...

    def construct(self, query: str, bindings: Binding | None = None) -> Graph:
        """Run a CONSTRUCT (or DESCRIBE) query and return an rdflib graph."""
        ...

    def __len__(self) -> int: ...

    def close(self) -> None:
        """Release the store (flush to disk, drop locks)."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc: object) -> None: ...


def reject_bnodes(triples: Iterable[Triple]) -> Iterator[Triple]:
    """Yield triples, raising :class:`StoreError` on a blank node (instance data has none)."""
    for t in triples:
        for term in t:
            if isinstance(term, BNode):
                raise StoreError(f"blank nodes are not accepted in instance data: {t!r}")
        yield t


_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})


def nt_term(term: Node) -> str:
    """Serialize an rdflib IRI or literal in N-Triples syntax (escaped; blank nodes rejected).

    >>> from rdflib import Literal
    >>> nt_term(Literal('a "b"\\nc'))
    '"a \\\\"b\\\\"\\\\nc"'
    """
    if isinstance(term, URIRef):
        if INVALID_IRI_CHARS.search(term):
            raise StoreError(f"invalid IRI {str(term)!r}")
        return f"<{term}>"
    if isinstance(term, Literal):
        lexical = str(term).translate(_ESCAPES)
        if term.language:
            return f'"{lexical}"@{term.language}'
        if term.datatype is not None and str(term.datatype) != _XSD_STRING:
            return f'"{lexical}"^^<{term.datatype}>'
        return f'"{lexical}"'
    if isinstance(term, BNode):
        raise StoreError(f"blank nodes are not accepted in instance data: {term!r}")
    raise StoreError(f"unsupported RDF term {term!r}")


_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def nquads(graphs: Iterable[tuple[URIRef, Iterable[Triple]]]) -> str:
    """Serialize graphs as N-Quads text."""
    lines: list[str] = []
    for graph, triples in graphs:
        g = nt_term(graph)
        for s, p, o in triples:
            lines.append(f"{nt_term(s)} {nt_term(p)} {nt_term(o)} {g} .\n")
    return "".join(lines)


def split_nquads(data: str, graphs: Sequence[URIRef]) -> list[tuple[URIRef, list[Triple]]]:
    """Parse N-Quads into the triples of each of *graphs*; a quad in another graph is a :class:`StoreError`."""
    import pyoxigraph as ox

    from radgraph.store.oxigraph import from_ox

    wanted: dict[str, list[Triple]] = {str(g): [] for g in graphs}
    try:
        for q in ox.parse(data.encode("utf-8"), ox.RdfFormat.N_QUADS):
            name = q.graph_name.value if isinstance(q.graph_name, ox.NamedNode) else "the default graph"
            if name not in wanted:
                raise StoreError(f"quad outside the graphs being replaced: {name}")
            wanted[name].append((from_ox(q.subject), from_ox(q.predicate), from_ox(q.object)))  # type: ignore[arg-type]
    except SyntaxError as exc:
        raise StoreError(f"cannot parse N-Quads: {exc}") from None
    return [(URIRef(g), triples) for g, triples in wanted.items()]


def insert_data(graph: URIRef, triples: Iterable[Triple]) -> str:
    """An ``INSERT DATA`` for one graph ("" when there is nothing to insert); terms escaped by :func:`nt_term`."""
    body = " .\n".join(f"{nt_term(s)} {nt_term(p)} {nt_term(o)}" for s, p, o in reject_bnodes(triples))
    return f"INSERT DATA {{ GRAPH {nt_term(graph)} {{\n{body} .\n}} }}" if body else ""


def replace_update(graphs: Sequence[tuple[URIRef, Sequence[Triple]]]) -> str:
    """One SPARQL update that clears graphs and inserts their new data.

    Terms are serialized by :func:`nt_term`, which escapes literals and validates IRIs, so no
    value is ever pasted into the update as raw text.
    """
    parts: list[str] = []
    for graph, triples in graphs:
        parts.append(f"DROP SILENT GRAPH {nt_term(graph)}")
        if insert := insert_data(graph, triples):
            parts.append(insert)
    return " ;\n".join(parts)


def default_descriptor() -> str:
    """Return the store descriptor from ``$RADGRAPH_STORE``, or the per-user default on disk."""
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return env
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return f"oxigraph:{base / 'radgraph' / 'store'}"


def _oxigraph(arg: str, read_only: bool) -> Store:
    from radgraph.store.oxigraph import OxigraphStore

    if not arg:
        raise StoreUnavailable("oxigraph: needs a folder, e.g. 'oxigraph:var/store' (or use 'memory:')")
    return OxigraphStore(Path(arg), read_only=read_only)


def _memory(arg: str, read_only: bool) -> Store:
    from radgraph.store.oxigraph import OxigraphStore

    return OxigraphStore(None)


def _sparql(arg: str, read_only: bool) -> Store:
    from radgraph.store.sparql import SparqlStore

    return SparqlStore(arg, read_only=read_only)


BACKENDS: dict[str, Callable[[str, bool], Store]] = {
    "memory": _memory,
    "oxigraph": _oxigraph,
    "sparql": _sparql,
}


def open_store(descriptor: str | None = None, *, read_only: bool = False) -> Store:
    """Open a store by descriptor: ``memory:``, ``oxigraph:PATH`` or ``sparql:URL``.

    Without a descriptor, ``$RADGRAPH_STORE`` or the per-user default is used.
    """
    desc = descriptor if descriptor is not None else default_descriptor()
    kind, sep, arg = desc.partition(":")
    if not sep or kind not in BACKENDS:
        raise StoreUnavailable(f"unknown store descriptor {desc!r}; use one of: memory:, oxigraph:PATH, sparql:URL")
    return BACKENDS[kind](arg, read_only)
