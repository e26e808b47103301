"""Ingest on several cores: extraction in worker processes, writes in the calling process.

Extraction (spaCy, assembly, triples) is CPU-bound Python, so it runs in a ``multiprocessing``
pool; the store is single-writer, so every write happens in the calling process, in input
order. Workers start with the ``spawn`` method (safe with RocksDB handles and threads in the
parent, and the only method on macOS and Windows); each builds one pipeline with
:func:`radgraph.nlp.build_nlp` in its initializer. ``workers=0`` extracts in the calling
process with the same code path (what ``radgraph build`` does by default on one core).

Workers send each case back as one N-Quads string (both of its named graphs). The writer
collects ``batch`` cases and hands them to :meth:`radgraph.store.Store.replace_quads`, which
Oxigraph parses natively in one transaction: the writing process does no per-term work, and an
interrupted build leaves every case of a batch all old or all new. Rebuilding rdflib terms in
the writer instead cost ~10 ms a case (``Literal.__new__`` dominates), which made the single
writer the bottleneck of a two-core build (see ``bench/README.md``).
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.pool
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice

from rdflib import URIRef
from spacy.language import Language

from radgraph.errors import RadgraphError, StoreError
from radgraph.model import Report
from radgraph.nlp import PipelineConfig, build_nlp, extract
from radgraph.reports import ImportFailure
from radgraph.store.base import Store, nquads
from radgraph.triples import GraphTriples, to_triples

log = logging.getLogger(__name__)

DEFAULT_CHUNKSIZE = 8
#: Cases written per store transaction.
DEFAULT_BATCH = 32
_PREFETCH = 4  # chunks in flight per worker: keeps workers busy, bounds memory

_NLP: Language | None = None


@dataclass(frozen=True, slots=True)
class _Failed:
    """A report the worker could not extract (sent back instead of raising)."""

    report_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class _Quads:
    """One case's named graphs as N-Quads text."""

    graphs: tuple[str, ...]
    nquads: str
    triples: int


_Result = list[GraphTriples] | _Quads | _Failed


# ---- workers ---------------------------------------------------------------------------------


def _init_worker(config: PipelineConfig) -> None:
    global _NLP
    _NLP = build_nlp(config=config)


def _pipeline() -> Language:
    global _NLP
    if _NLP is None:  # the in-process path (workers=0) and a worker without initializer
        _NLP = build_nlp()
    return _NLP


def _extract_one(report: Report, as_quads: bool, nlp: Language | None = None) -> _Result:
    try:
        graphs = to_triples(extract(nlp or _pipeline(), report))
    except RadgraphError as exc:
        return _Failed(report.id, str(exc))
    if as_quads:
        try:
            text = nquads((g.graph, g.triples) for g in graphs)
        except StoreError as exc:
            return _Failed(report.id, str(exc))
        return _Quads(tuple(str(g.graph) for g in graphs), text, sum(len(g.triples) for g in graphs))
    return graphs


def _extract_chunk(reports: list[Report], as_quads: bool) -> list[_Result]:
    return [_extract_one(r, as_quads) for r in reports]


def _chunks(reports: Iterable[Report], size: int) -> Iterator[list[Report]]:
    it = iter(reports)
    while chunk := list(islice(it, size)):
        yield chunk


def _results(
    reports: Iterable[Report],
    *,
    workers: int,
    chunksize: int,
    as_quads: bool,
    config: PipelineConfig,
    nlp: Language | None = None,
) -> Iterator[tuple[Report, _Result]]:
    """Yield each report with its result, in input order, with a bounded number in flight."""
    if workers <= 0:
        if nlp is None and config != PipelineConfig():
            nlp = build_nlp(config=config)
        for report in reports:
            yield report, _extract_one(report, as_quads, nlp)
        return
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(workers, initializer=_init_worker, initargs=(config,)) as pool:
        chunks = _chunks(reports, max(1, chunksize))
        pending: deque[tuple[list[Report], multiprocessing.pool.AsyncResult[list[_Result]]]] = deque()
        for chunk in islice(chunks, workers * _PREFETCH):
            pending.append((chunk, pool.apply_async(_extract_chunk, (chunk, as_quads))))
        while pending:
            chunk, job = pending.popleft()
            done = job.get()
            nxt = next(chunks, None)
            if nxt is not None:
                pending.append((nxt, pool.apply_async(_extract_chunk, (nxt, as_quads))))
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
    for _, result in _results(reports, workers=workers, chunksize=chunksize, as_quads=False, config=cfg):
        if isinstance(result, _Failed):
            raise RadgraphError(f"{result.report_id}: {result.reason}")
        yield result  # type: ignore[misc]


def ingest_parallel(
    store: Store,
    reports: Iterable[Report],
    *,
    workers: int = 2,
    chunksize: int = DEFAULT_CHUNKSIZE,
    batch: int = DEFAULT_BATCH,
    failures: list[ImportFailure] | None = None,
    progress: Callable[[Report, int], None] | None = None,
    config: PipelineConfig | None = None,
    nlp: Language | None = None,
    before_write: Callable[[list[Report]], None] | None = None,
) -> int:
    """Extract reports on *workers* processes and write their graphs here, *batch* cases a transaction.

    Args:
        store: the store to write to (only this process writes).
        reports: the reports to ingest (consumed lazily).
        workers: worker processes; ``0`` extracts in this process.
        chunksize: reports sent to a worker at a time.
        batch: cases per store transaction (:meth:`~radgraph.store.Store.replace_quads`); each
            case is all old or all new after an interruption, and re-ingesting replaces it.
        failures: collects the reports that could not be extracted (else they are logged).
        progress: called with each report and its triple count once its batch is committed.
        config: the pipeline configuration each worker builds (default: the packaged one).
        nlp: an already built pipeline for ``workers=0`` (default: build one).
        before_write: called with the reports of each batch just before it is written (the
            build reads what the cases being replaced held).

    Returns:
        The number of cases written.

    Raises:
        StoreError: when a batch cannot be written (earlier batches stay committed).
    """
    if batch < 1:
        raise ValueError(f"batch must be at least 1, not {batch}")
    written = 0
    cfg = config or PipelineConfig()
    pending: list[tuple[Report, _Quads]] = []

    def flush() -> None:
        nonlocal written
        if not pending:
            return
        graphs = [URIRef(g) for _, q in pending for g in q.graphs]
        if before_write is not None:
            before_write([r for r, _ in pending])
        store.replace_quads("".join(q.nquads for _, q in pending), graphs)
        written += len(pending)
        if progress is not None:
            for report, q in pending:
                progress(report, q.triples)
        pending.clear()

    results = _results(reports, workers=workers, chunksize=chunksize, as_quads=True, config=cfg, nlp=nlp)
    for report, result in results:
        if isinstance(result, _Failed):
            failure = ImportFailure(report.meta.source or report.id, result.reason)
            if failures is None:
                log.warning("%s: %s", failure.source, failure.reason)
            else:
                failures.append(failure)
            continue
        assert isinstance(result, _Quads)
        pending.append((report, result))
        if len(pending) >= batch:
            flush()
    flush()
    return written


__all__ = [
    "DEFAULT_CHUNKSIZE",
    "DEFAULT_BATCH",
    "extract_triples_parallel",
    "ingest_parallel",
]
