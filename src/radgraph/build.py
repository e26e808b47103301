"""Building the graph: resources into the store, cases through the pipeline, derived links.

* the ontology goes into graph ``{BASE}ontology`` and the curated knowledge into
  ``{BASE}knowledge`` (replaced on every build);
* each case's two named graphs are replaced one case at a time, in one transaction each, so a
  reader or an interrupted build sees every case either fully old or fully new;
* derived ``rg:presentsWith`` links (curated and case-supported) are materialized into
  ``{BASE}inferred`` so that plain SPARQL can use them.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import URIRef
from spacy.language import Language

from radgraph.knowledge import CaseFinding, Knowledge, case_knowledge, knowledge_sources, load_curated
from radgraph.model import Evidence, Laterality, Report
from radgraph.nlp import build_nlp, extract
from radgraph.ontology import Ontology, load_ontology, ontology_sources
from radgraph.parallel import ingest_parallel
from radgraph.queries import load as load_query
from radgraph.reports import ImportFailure, iter_reports
from radgraph.store.base import Store, nt_term
from radgraph.triples import to_triples
from radgraph.vocab import (
    CLOSURE_GRAPH,
    INFERRED_GRAPH,
    KNOWLEDGE_GRAPH,
    ONTOLOGY_GRAPH,
    RG,
    Curie,
    compress,
    sparql_prefixes,
    uri,
)

log = logging.getLogger(__name__)

_LAT = {str(RG.Left): Laterality.LEFT, str(RG.Right): Laterality.RIGHT, str(RG.Bilateral): Laterality.BILATERAL}


@dataclass(slots=True)
class BuildSummary:
    """What a build did."""

    imported: list[str] = field(default_factory=list)
    failed: list[ImportFailure] = field(default_factory=list)
    triples: int = 0
    seconds: float = 0.0
    store_size: int = 0

    def line(self) -> str:
        """One-line summary for people."""
        return (
            f"imported {len(self.imported)} case(s), failed {len(self.failed)}; "
            f"{self.triples:,} case triples; store holds {self.store_size:,} triples; {self.seconds:.1f} s"
        )


def load_resources(store: Store) -> None:
    """Load the ontology and the curated knowledge into their graphs (replacing them)."""
    for graph, sources in ((ONTOLOGY_GRAPH, ontology_sources()), (KNOWLEDGE_GRAPH, knowledge_sources())):
        store.remove_graph(graph)
        for _, text in sources:
            store.load(text, format="turtle", graph=graph, replace=False)
    closure = "".join(f"{nt_term(s)} {nt_term(p)} {nt_term(o)} .\n" for s, p, o in closure_triples(load_ontology()))
    store.load(closure, format="nt", graph=CLOSURE_GRAPH)


def closure_triples(onto: Ontology) -> list[tuple[URIRef, URIRef, URIRef]]:
    """``c rg:isA a`` for every concept and each of its ancestors, itself included."""
    out: list[tuple[URIRef, URIRef, URIRef]] = []
    for c in sorted(onto.concepts):
        s = uri(c)
        for a in sorted(onto.ancestors(c, include_self=True)):
            out.append((s, RG.isA, uri(a)))
    return out


def ingest_report(store: Store, nlp: Language, report: Report) -> int:
    """Extract one report and replace its graphs; return the number of triples written."""
    graphs = to_triples(extract(nlp, report))
    store.replace_graphs([(g.graph, g.triples) for g in graphs])
    return sum(len(g.triples) for g in graphs)


def derive(store: Store) -> int:
    """Materialize ``rg:presentsWith`` from curated associations and case evidence."""
    q = sparql_prefixes() + """
        SELECT DISTINCT ?dx ?finding WHERE {
          { ?a a rg:FindingAssociation ; rg:diagnosis ?dx ; rg:finding ?finding .
            FILTER NOT EXISTS { ?a rg:frequency rg:Rare } }
          UNION
          { ?case rg:hasFinalDiagnosis ?d . ?d a ?dx .
            ?case rg:hasFinding ?f . ?f a ?finding ; rg:hasAssertion rg:Present ; rg:temporality rg:Current . }
        }"""
    triples = []
    for row in store.select(q):
        dx, finding = row["dx"], row["finding"]
        if isinstance(dx, URIRef) and isinstance(finding, URIRef):
            triples.append((dx, RG.presentsWith, finding))
    store.replace_graph(INFERRED_GRAPH, triples)
    return len(triples)


#: Cases written per store transaction during a build (each case is still all-old or all-new).
BATCH = 32
#: Cases per bulk-loader call when a store is rebuilt aside (larger batches load faster).
BULK_BATCH = 256


def build(
    paths: Iterable[str | Path],
    store: Store,
    *,
    nlp: Language | None = None,
    progress: Callable[[str], None] | None = None,
    batch: int = BATCH,
    workers: int = 0,
) -> BuildSummary:
    """Import every case under *paths* into *store*; a bad file is reported and skipped.

    Cases are extracted in this process (``workers=0``, with *nlp* if given) or in *workers*
    processes (:mod:`radgraph.parallel`), and written *batch* at a time, each batch in one
    transaction, so an interrupted build leaves every case either as it was or fully replaced.
    *progress* is called with each case id once it is written ("" for a file that failed).
    """
    t0 = time.perf_counter()
    summary = BuildSummary()
    load_resources(store)

    def reports() -> Iterator[Report]:
        for item in iter_reports(paths):
            if item.failure is not None:
                summary.failed.append(item.failure)
                log.warning("%s: %s", item.failure.source, item.failure.reason)
                if progress is not None:
                    progress("")
            elif item.report is not None:
                yield item.report

    def written(report: Report, triples: int) -> None:
        summary.imported.append(report.id)
        summary.triples += triples
        if progress is not None:
            progress(report.id)

    if workers <= 0 and nlp is None:
        nlp = build_nlp()
    ingest_parallel(
        store, reports(), workers=workers, batch=batch, failures=summary.failed, progress=written, nlp=nlp
    )
    derive(store)
    summary.store_size = len(store)
    summary.seconds = time.perf_counter() - t0
    return summary


def rebuild(
    paths: Iterable[str | Path],
    folder: Path,
    *,
    workers: int = 0,
    progress: Callable[[str], None] | None = None,
    batch: int = BULK_BATCH,
) -> BuildSummary:
    """Build a fresh on-disk Oxigraph store beside *folder*, then swap it in.

    The new store is written with Oxigraph's bulk loader (no per-batch transactions) in
    ``FOLDER.rebuilding``; only when the build has finished is the old store moved aside and
    deleted. A failed or interrupted rebuild therefore leaves the old store as it was. The old
    store stays open (and locked against other writers) until the swap.

    Raises:
        StoreUnavailable: when another process is writing to *folder*.
    """
    from radgraph.store.oxigraph import OxigraphStore

    folder = Path(folder)
    aside = folder.with_name(folder.name + ".rebuilding")
    old = folder.with_name(folder.name + ".old")
    guard = OxigraphStore(folder) if folder.exists() else None  # takes the writer lock
    try:
        shutil.rmtree(aside, ignore_errors=True)
        try:
            with OxigraphStore(aside, bulk=True) as store:
                summary = build(paths, store, workers=workers, progress=progress, batch=batch)
        except BaseException:
            shutil.rmtree(aside, ignore_errors=True)
            raise
    finally:
        if guard is not None:
            guard.close()
    shutil.rmtree(old, ignore_errors=True)
    if folder.exists():
        folder.rename(old)
    aside.rename(folder)
    shutil.rmtree(old, ignore_errors=True)
    return summary


# ---- reading knowledge back from a store ---------------------------------------------------


def case_diagnoses(store: Store) -> dict[str, list[Curie]]:
    """Return every case id with its final diagnosis concepts."""
    out: dict[str, list[Curie]] = defaultdict(list)
    q = load_query("case-diagnoses")
    for row in store.select(sparql_prefixes() + q.text):
        case = row.text("case").rsplit("/", 1)[-1]
        out.setdefault(case, [])
        dx = row.get("diagnosis")
        if isinstance(dx, URIRef):
            out[case].append(compress(str(dx)))
    return dict(out)


def store_knowledge(store: Store, *, exclude_cases: Sequence[str] = ()) -> Knowledge:
    """Return the case and generic layers of knowledge held in a store."""
    skip = set(exclude_cases)
    diagnoses = {k: v for k, v in case_diagnoses(store).items() if k not in skip}
    rows: list[CaseFinding] = []
    for row in store.select(sparql_prefixes() + load_query("case-findings").text):
        case = row.text("case").rsplit("/", 1)[-1]
        if case in skip:
            continue
        rows.append(
            CaseFinding(
                case_id=case,
                diagnosis=compress(row.text("diagnosis")),
                finding=compress(row.text("finding")),
                laterality=_LAT.get(row.text("side")),
                text=row.text("evidence"),
                start=int(row.text("start")),
                end=int(row.text("end")),
            )
        )
    knowledge = case_knowledge(rows, diagnoses)
    return knowledge.merged(generic_knowledge(store, exclude_cases=exclude_cases))


def generic_knowledge(store: Store, *, exclude_cases: Sequence[str] = ()) -> Knowledge:
    """Return associations stated in case discussions (present statements only)."""
    from radgraph.knowledge import Association

    skip = set(exclude_cases)
    seen: dict[tuple[Curie, Curie], list[Evidence]] = defaultdict(list)
    absent: set[tuple[Curie, Curie]] = set()
    for row in store.select(sparql_prefixes() + load_query("generic-statements").text):
        case = row.text("case").rsplit("/", 1)[-1]
        if case in skip:
            continue
        key = (compress(row.text("diagnosis")), compress(row.text("finding")))
        if row.get("assertion") == uri("rg:Absent"):
            absent.add(key)
            continue
        seen[key].append(
            Evidence("generic", f"case {case} discussion", text=row.text("evidence"), case_id=case,
                     start=int(row.text("start")), end=int(row.text("end")))
        )
    assocs = [Association(d, f, 0.5, "generic", None, tuple(ev[:3])) for (d, f), ev in sorted(seen.items())]
    assocs += [Association(d, f, 0.05, "generic") for (d, f) in sorted(absent - set(seen))]
    return Knowledge(tuple(assocs), (), {})


def full_knowledge(store: Store | None, *, exclude_cases: Sequence[str] = ()) -> Knowledge:
    """Curated knowledge plus, when a store is given, its case and generic layers."""
    k = load_curated()
    return k.merged(store_knowledge(store, exclude_cases=exclude_cases)) if store is not None else k


__all__ = [
    "BuildSummary",
    "build",
    "case_diagnoses",
    "derive",
    "full_knowledge",
    "ingest_report",
    "load_resources",
    "store_knowledge",
]
