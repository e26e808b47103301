"""Ingest on several cores: extraction in worker processes, writes in the calling process.

Extraction (spaCy, assembly, triples) is CPU-bound Python, so it runs in a ``multiprocessing``
pool; the store is single-writer, so every write happens in the calling process, in input
order. Workers start with the ``spawn`` method (safe with RocksDB handles and threads in the
parent, and the only method on macOS and Windows); each builds one pipeline with
:func:`radgraph.nlp.build_nlp` in its initializer.

How results travel back (measured on 200 generated cases, ~340 triples each, see
``bench/README.md``):

* :func:`extract_triples_parallel` returns :class:`~radgraph.triples.GraphTriples` with rdflib
  terms. They pickle and compare equal after the round trip, but rebuilding the terms in the
  parent costs ~10 ms a case (``Literal.__new__`` dominates), paid in the one process that
  also writes;
* :func:`ingest_parallel` with ``write="load"`` has workers serialize each graph to N-Triples
  (a plain string, ~0.5 ms to pickle both ways); the parent hands it to ``Store.load``, which
  Oxigraph parses natively. With ``write="replace"`` (the default) the parent rebuilds the
  terms and calls ``Store.replace_graph``, exactly as :func:`radgraph.build.ingest_report`
  does.

The trade-off between the two write paths:

* ``replace`` — each graph is swapped in one transaction (a reader sees the old or the new
  graph, never none), and re-ingesting is idempotent; it costs the term rebuild plus a SPARQL
  ``DROP``/``INSERT DATA`` update that Oxigraph must parse, and it is the slowest path;
* ``load`` — a graph that does not exist yet is written in one transaction, so for new cases it
  is just as atomic, at a fraction of the cost; a graph that exists is removed and then loaded
  (two transactions: a reader may briefly see the case without that graph). Use it for a fresh
  build or a batch of new cases, and ``replace`` to update a store that is being read.

Neither path makes the two graphs of one case a single transaction (nor does the serial
build): the case graph and the generic graph are written one after the other.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.pool
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Literal as TypingLiteral

from rdflib import Literal, URIRef
from rdflib.term import Node
from spacy.language import Language

from radgraph.errors import RadgraphError
from radgraph.model import Report
from radgraph.nlp import PipelineConfig, build_nlp, extract
from radgraph.reports import ImportFailure
from radgraph.store.base import Store
from radgraph.triples import GraphTriples, to_triples

log = logging.getLogger(__name__)

WriteMode = TypingLiteral["replace", "load"]
DEFAULT_CHUNKSIZE = 8
_PREFETCH = 4  # chunks in flight per worker: keeps workers busy, bounds memory

_NLP: Language | None = None


@dataclass(frozen=True, slots=True)
class _Failed:
    """A report the worker could not extract (sent back instead of raising)."""

    report_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class _NTGraph:
    """One named graph as N-Triples text."""

    graph: str
    ntriples: str
    triples: int


_Result = list[GraphTriples] | list[_NTGraph] | _Failed


# ---- N-Triples, written by hand (rdflib's ``term.n3()`` keeps line breaks in literals) ------

_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})


def nt_term(term: Node) -> str:
    r"""Serialize an IRI or a literal in N-Triples syntax.

    >>> nt_term(Literal("two\\nlines"))
    '"two\\\\nlines"'
    >>> nt_term(Literal(3))
    '"3"^^<http://www.w3.org/2001/XMLSchema#integer>'
    """
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, Literal):
        text = f'"{str(term).translate(_ESCAPES)}"'
        if term.language:
            return f"{text}@{term.language}"
        if term.datatype is not None and str(term.datatype) != "http://www.w3.org/2001/XMLSchema#string":
            return f"{text}^^<{term.datatype}>"
        return text
    raise RadgraphError(f"cannot write {term!r} as N-Triples (blank nodes are not allowed in instance data)")


def to_ntriples(graph: GraphTriples) -> str:
    """Serialize one named graph's triples as an N-Triples document."""
    return "".join(f"{nt_term(s)} {nt_term(p)} {nt_term(o)} .\n" for s, p, o in graph.triples)


# ---- workers ---------------------------------------------------------------------------------


def _init_worker(config: PipelineConfig) -> None:
    global _NLP
    _NLP = build_nlp(config=config)


def _pipeline() -> Language:
    global _NLP
    if _NLP is None:  # the in-process path (workers=0) and a worker without initializer
        _NLP = build_nlp()
    return _NLP


def _extract_one(report: Report, as_ntriples: bool) -> _Result:
    try:
        graphs = to_triples(extract(_pipeline(), report))
    except RadgraphError as exc:
        return _Failed(report.id, str(exc))
    if as_ntriples:
        return [_NTGraph(str(g.graph), to_ntriples(g), len(g.triples)) for g in graphs]
    return graphs


def _extract_chunk(reports: list[Report], as_ntriples: bool) -> list[_Result]:
    return [_extract_one(r, as_ntriples) for r in reports]


def _chunks(reports: Iterable[Report], size: int) -> Iterator[list[Report]]:
    it = iter(reports)
    while chunk := list(islice(it, size)):
        yield chunk


def _results(
    reports: Iterable[Report], *, workers: int, chunksize: int, as_ntriples: bool, config: PipelineConfig
) -> Iterator[tuple[Report, _Result]]:
    """Yield each report with its result, in input order, with a bounded number in flight."""
    if workers <= 0:
        if config != PipelineConfig():
            _init_worker(config)
        for report in reports:
            yield report, _extract_one(report, as_ntriples)
        return
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(workers, initializer=_init_worker, initargs=(config,)) as pool:
        chunks = _chunks(reports, max(1, chunksize))
        pending: deque[tuple[list[Report], multiprocessing.pool.AsyncResult[list[_Result]]]] = deque()
        for chunk in islice(chunks, workers * _PREFETCH):
            pending.append((chunk, pool.apply_async(_extract_chunk, (chunk, as_ntriples))))
        while pending:
            chunk, job = pending.popleft()
            done = job.get()
            nxt = next(chunks, None)
            if nxt is not None:
                pending.append((nxt, pool.apply_async(_extract_chunk, (nxt, as_ntriples))))
            yield from zip(chunk, done, strict=True)


# ---- public API ------------------------------------------------------------------------------


def extract_triples_parallel(
    reports: Iterable[Report],
    *,
    workers: int = 2,
    chunksize: int = DEFAULT_CHUNKSIZE,
    config: PipelineConfig | None = None,
) -> Iterator[list[GraphTriples]]:
    """Extract reports in *workers* processes and yield each one's named graphs, in input order.

    Args:
        reports: the reports; consumed lazily (at most ``workers * 4`` chunks are in flight).
        workers: worker processes; ``0`` extracts in this process (no pool).
        chunksize: reports sent to a worker at a time.
        config: the pipeline configuration each worker builds (default: the packaged one).

    Yields:
        The graphs of each report, as :func:`radgraph.triples.to_triples` returns them.

    Raises:
        RadgraphError: when a report cannot be extracted (at that report's position).
    """
    cfg = config or PipelineConfig()
    for _, result in _results(reports, workers=workers, chunksize=chunksize, as_ntriples=False, config=cfg):
        if isinstance(result, _Failed):
            raise RadgraphError(f"{result.report_id}: {result.reason}")
        yield result  # type: ignore[misc]


def ingest_parallel(
    store: Store,
    reports: Iterable[Report],
    *,
    workers: int = 2,
    chunksize: int = DEFAULT_CHUNKSIZE,
    write: WriteMode = "replace",
    failures: list[ImportFailure] | None = None,
    progress: Callable[[Report], None] | None = None,
    config: PipelineConfig | None = None,
) -> int:
    """Extract reports on *workers* processes and write each case's graphs here, in input order.

    Args:
        store: the store to write to (only this process writes).
        reports: the reports to ingest.
        workers: worker processes; ``0`` extracts in this process.
        chunksize: reports sent to a worker at a time.
        write: ``"replace"`` (``Store.replace_graph``: atomic per graph, for stores being read)
            or ``"load"`` (``Store.load`` of N-Triples: cheaper; see the module notes).
        failures: collects the reports that could not be extracted (else they are logged).
        progress: called with each report once its graphs are written (``build`` records the ids).
        config: the pipeline configuration each worker builds (default: the packaged one).

    Returns:
        The number of cases written.
    """
    if write not in ("replace", "load"):
        raise ValueError(f"write must be 'replace' or 'load', not {write!r}")
    as_nt = write == "load"
    written = 0
    cfg = config or PipelineConfig()
    results = _results(reports, workers=workers, chunksize=chunksize, as_ntriples=as_nt, config=cfg)
    for report, result in results:
        if isinstance(result, _Failed):
            failure = ImportFailure(report.meta.source or report.id, result.reason)
            if failures is None:
                log.warning("%s: %s", failure.source, failure.reason)
            else:
                failures.append(failure)
            continue
        for g in result:
            if isinstance(g, _NTGraph):
                store.load(g.ntriples, format="nt", graph=URIRef(g.graph))
            else:
                store.replace_graph(g.graph, g.triples)
        written += 1
        if progress is not None:
            progress(report)
    return written


__all__ = [
    "DEFAULT_CHUNKSIZE",
    "WriteMode",
    "extract_triples_parallel",
    "ingest_parallel",
    "nt_term",
    "to_ntriples",
]
