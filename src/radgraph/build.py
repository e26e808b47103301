"""Building the graph: resources into the store, cases through the pipeline, derived links.

* the ontology goes into graph ``{BASE}ontology``, the curated knowledge into
  ``{BASE}knowledge`` and the subclass closure (``rg:isA``) into ``{BASE}closure``; they are
  replaced when the packaged files change (a digest in the closure graph tells);
* each case's two named graphs are written in batches, one transaction a batch, so a reader or
  an interrupted build sees every case either fully old or fully new (:mod:`radgraph.parallel`);
* derived ``rg:presentsWith`` links are materialized so that plain SPARQL can use them: the
  curated ones in ``{BASE}inferred``, the case-supported ones in one graph per diagnosis
  (``{BASE}inferred/cases/…``), recomputed only for the diagnoses a build touched;
* ``rebuild`` builds a fresh on-disk store aside with the bulk loader and swaps it in.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS
from spacy.language import Language

from radgraph.knowledge import CaseFinding, Knowledge, case_knowledge, knowledge_sources, load_curated
from radgraph.model import Evidence, Laterality, Report
from radgraph.nlp import build_nlp
from radgraph.ontology import Ontology, load_ontology, ontology_sources
from radgraph.parallel import ingest_parallel
from radgraph.queries import load as load_query
from radgraph.reports import ImportFailure, iter_reports
from radgraph.store.base import Store, nt_term
from radgraph.vocab import (
    CLOSURE_GRAPH,
    INFERRED_CASES,
    INFERRED_GRAPH,
    KNOWLEDGE_GRAPH,
    ONTOLOGY_GRAPH,
    RG,
    Curie,
    case_iri,
    compress,
    inferred_case_graph,
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
    store_size: int | None = None  # counted only after a full build (counting reads the whole store)

    def line(self) -> str:
        """One-line summary for people."""
        return (
            f"imported {len(self.imported)} case(s), failed {len(self.failed)}; "
            f"{self.triples:,} case triples; "
            + (f"store holds {self.store_size:,} triples; " if self.store_size is not None else "")
            + f"{self.seconds:.1f} s"
        )


def resources_digest() -> str:
    """SHA-256 of the packaged ontology modules and curated knowledge (names and text)."""
    h = hashlib.sha256()
    for name, text in (*ontology_sources(), *knowledge_sources()):
        h.update(name.encode("utf-8") + b"\0" + text.encode("utf-8") + b"\0")
    return h.hexdigest()


def load_resources(store: Store, *, force: bool = False) -> bool:
    """Load the ontology, the curated knowledge and the subclass closure into their graphs.

    The closure graph, written last, records the digest of what was loaded
    (``<closure> dcterms:identifier "sha256:…"``); when the store already holds these exact
    resources nothing is written. Returns whether the resources were (re)loaded.
    """
    digest = Literal(f"sha256:{resources_digest()}")
    marker = (CLOSURE_GRAPH, DCTERMS.identifier, digest)
    if not force and store.ask(f"ASK {{ GRAPH {nt_term(CLOSURE_GRAPH)} {{ {' '.join(map(nt_term, marker))} }} }}"):
        return False
    for graph, sources in ((ONTOLOGY_GRAPH, ontology_sources()), (KNOWLEDGE_GRAPH, knowledge_sources())):
        store.remove_graph(graph)
        for _, text in sources:
            store.load(text, format="turtle", graph=graph, replace=False)
    closure = [*closure_triples(load_ontology()), marker]
    store.load("".join(f"{nt_term(s)} {nt_term(p)} {nt_term(o)} .\n" for s, p, o in closure), format="nt",
               graph=CLOSURE_GRAPH)  # fmt: skip
    return True


def closure_triples(onto: Ontology) -> list[tuple[URIRef, URIRef, URIRef]]:
    """``c rg:isA a`` for every concept and each of its ancestors, itself included."""
    out: list[tuple[URIRef, URIRef, URIRef]] = []
    for c in sorted(onto.concepts):
        s = uri(c)
        for a in sorted(onto.ancestors(c, include_self=True)):
            out.append((s, RG.isA, uri(a)))
    return out


def derive(store: Store, diagnoses: Iterable[Curie] | None = None) -> int:
    """Materialize ``rg:presentsWith``: curated links, and links supported by cases.

    Curated links (associations not marked rare) go to ``{BASE}inferred``; the other links
    supported by the present, current findings of each diagnosis's cases go to that diagnosis's graph
    (:func:`~radgraph.vocab.inferred_case_graph`). With *diagnoses*, only those diagnoses'
    case-supported links are recomputed (the cost of their cases, not of the store); without,
    everything is. Returns the number of links written.
    """
    links: dict[URIRef, list[tuple[URIRef, URIRef, URIRef]]] = defaultdict(list)
    if diagnoses is None:
        curated = sparql_prefixes() + """
            SELECT DISTINCT ?dx ?finding WHERE {
              ?a a rg:FindingAssociation ; rg:diagnosis ?dx ; rg:finding ?finding .
              FILTER NOT EXISTS { ?a rg:frequency rg:Rare } }"""
        triples = [(r["dx"], RG.presentsWith, r["finding"]) for r in store.select(curated)]
        store.replace_graph(INFERRED_GRAPH, triples)  # type: ignore[arg-type]
        count = len(triples)
        values = ""
    else:
        wanted = sorted(set(diagnoses))
        if not wanted:
            return 0
        count = 0
        values = "VALUES ?dx { " + " ".join(nt_term(uri(d)) for d in wanted) + " }"
        for d in wanted:
            links[inferred_case_graph(d)] = []
    cases = sparql_prefixes() + f"""
        SELECT DISTINCT ?dx ?finding WHERE {{
          {values}
          ?d a ?dx .
          ?case rg:hasFinalDiagnosis ?d .
          ?case rg:hasFinding ?f . ?f a ?finding ; rg:hasAssertion rg:Present ; rg:temporality rg:Current .
          FILTER NOT EXISTS {{ GRAPH {nt_term(INFERRED_GRAPH)} {{ ?dx rg:presentsWith ?finding }} }} }}"""
    for row in store.select(cases):
        dx, finding = row["dx"], row["finding"]
        if isinstance(dx, URIRef) and isinstance(finding, URIRef):
            links[inferred_case_graph(compress(str(dx)))].append((dx, RG.presentsWith, finding))
    if diagnoses is None:  # drop the graphs of diagnoses that no case has any more
        for g in store.graphs():
            if str(g).startswith(INFERRED_CASES) and g not in links:
                links[g] = []
    store.replace_graphs(sorted(links.items()))
    return count + sum(len(t) for t in links.values())


def case_final_diagnoses(store: Store, case_ids: Sequence[str]) -> set[Curie]:
    """The final diagnosis concepts of the given cases (those in the store)."""
    if not case_ids:
        return set()
    values = " ".join(nt_term(case_iri(c)) for c in case_ids)
    q = sparql_prefixes() + (
        f"SELECT DISTINCT ?dx WHERE {{ VALUES ?case {{ {values} }} ?case rg:hasFinalDiagnosis ?d . ?d a ?dx }}"
    )
    return {compress(str(r["dx"])) for r in store.select(q) if isinstance(r["dx"], URIRef)}


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
    The ontology and curated knowledge are reloaded only when they changed; then, or into a
    store without cases, every derived link is recomputed, and otherwise only those of the
    diagnoses of the cases written, so adding one case costs that case, not the store.
    *progress* is called with each case id once it is written ("" for a file that failed).
    """
    t0 = time.perf_counter()
    summary = BuildSummary()
    touched: set[Curie] = set()
    incremental = False  # set once the resources are loaded: the store had cases and the same resources

    def before_write(batch: list[Report]) -> None:
        if incremental:  # the diagnoses of cases about to be replaced lose their support
            touched.update(case_final_diagnoses(store, [r.id for r in batch]))

    def reports() -> Iterator[Report]:
        # runs when the first report is wanted: worker processes start up meanwhile
        nonlocal incremental
        reloaded = load_resources(store)
        incremental = not reloaded and store.ask(sparql_prefixes() + "ASK { ?case a rg:Case }")
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
    ingest_parallel(store, reports(), workers=workers, batch=batch, failures=summary.failed, progress=written,
                    nlp=nlp, before_write=before_write)  # fmt: skip
    if incremental:  # only the diagnoses of the cases written (before and after) need new links
        touched.update(case_final_diagnoses(store, summary.imported))
        derive(store, touched)
    else:
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
    nlp: Language | None = None,
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
                summary = build(paths, store, workers=workers, progress=progress, batch=batch, nlp=nlp)
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
    "load_resources",
    "store_knowledge",
]
