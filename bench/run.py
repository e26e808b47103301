#!/usr/bin/env python
"""radgraph at scale: ingest, store size, memory, query and DDx latency, and an rdflib baseline.

Run from the checkout (see bench/README.md)::

    .venv/bin/python bench/run.py --sizes 1000 10000 [100000] [--workers 2] [--out bench/results/RESULTS.json]

For each size the script generates synthetic teaching cases (radgraph.synth) as .txt files,
builds a fresh on-disk Oxigraph store from them the way `radgraph build` does (resources,
cases through the pipeline on `--workers` processes with radgraph.parallel, derived links),
then measures every named query and the differential ranker, the cost of replacing one case
in the full store, and the same queries on a plain rdflib Dataset loaded from the store's
N-Quads dump (in a subprocess, so that its memory is measured apart). It prints a table and
writes JSON and a Markdown summary.

This is a script, not a test: tests/test_bench.py only checks that it runs at a tiny size.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

HEADLINE = "diagnoses-presenting-with"
HEADLINE_PARAMS = {"finding": "paravertebral mass", "laterality": "bilateral"}
TARGETS = {
    "ingest_cases_per_s": 150.0,
    "headline_p50_ms_10k": 50.0,
    "headline_p50_ms_100k": 250.0,
    "ddx_p50_ms_100k": 100.0,
    "peak_memory_bytes_100k": 2 * 1024**3,
    "rdflib_speedup": 20.0,
}
ROOT = Path(__file__).resolve().parent.parent

Json = dict[str, Any]


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---- small measurement helpers ---------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """Linear-interpolated percentile (q in [0, 100]) of a non-empty list."""
    xs = sorted(values)
    if len(xs) == 1:
        return xs[0]
    pos = (len(xs) - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def summary_ms(seconds: list[float]) -> Json:
    ms = [s * 1000.0 for s in seconds]
    return {
        "runs": len(ms),
        "p50_ms": round(percentile(ms, 50), 3),
        "p95_ms": round(percentile(ms, 95), 3),
        "min_ms": round(min(ms), 3),
        "max_ms": round(max(ms), 3),
    }


def time_runs(
    fn: Callable[[], object], runs: int, cap_s: float, budget_s: float = math.inf, min_runs: int = 5
) -> tuple[Json, object]:
    """Run *fn* once to warm up, then *runs* times.

    A run slower than *cap_s* is not repeated; after *budget_s* seconds of timed runs the
    measurement stops once *min_runs* runs are in (the number of runs is recorded).
    """
    t = time.perf_counter()
    result = fn()
    first = time.perf_counter() - t
    if first > cap_s:
        out = summary_ms([first])
        out["note"] = f"a single run took {first:.1f} s (> {cap_s:.0f} s cap): not repeated"
        return out, result
    times: list[float] = []
    stop = time.perf_counter() + budget_s
    while len(times) < runs and (len(times) < min_runs or time.perf_counter() < stop):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    out = summary_ms(times)
    if len(times) < runs:
        out["note"] = f"{len(times)} runs (time budget {budget_s:.0f} s)"
    return out, result


def dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


class MemorySampler:
    """Peak resident memory of this process and its children (sampled with psutil if present)."""

    def __init__(self, interval: float = 0.1) -> None:
        self.interval = interval
        self.peak = 0
        self.method = "ru_maxrss"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        try:
            import psutil  # bench-only dependency, optional

            self._proc: Any = psutil.Process()
            self.method = "psutil: sum of RSS over the process tree, sampled every 0.1 s"
        except ImportError:
            self._proc = None

    def _tree_rss(self) -> int:
        total = 0
        procs = [self._proc]
        try:
            procs += self._proc.children(recursive=True)
        except Exception:  # a child may vanish while we look
            pass
        for p in procs:
            try:
                total += p.memory_info().rss
            except Exception:
                continue
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._tree_rss())
            self._stop.wait(self.interval)

    def __enter__(self) -> MemorySampler:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> MemorySampler:
        if self._proc is not None:
            self.peak = self._tree_rss()
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self.peak = max(self.peak, self._tree_rss())
        else:  # fallback: the largest of this process and its largest finished child (KiB on Linux)
            me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
            kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
            self.peak = max(self.peak, me + kids)


# ---- corpus and build --------------------------------------------------------------------------


def write_corpus(n: int, folder: Path, seed: int, samples: int) -> tuple[float, dict[str, str]]:
    """Write *n* generated cases; return the seconds it took and the diagnosis of sample cases."""
    from radgraph.synth import CaseGenerator, generate_cases

    folder.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    gen = CaseGenerator()
    step = max(1, n // max(1, samples))
    picks = {1 + i * step for i in range(samples) if 1 + i * step <= n}
    truth: dict[str, str] = {}
    for i, case in enumerate(generate_cases(n, seed=seed, generator=gen), start=1):
        (folder / f"{case.report.id}.txt").write_text(case.report.text, encoding="utf-8")
        if i in picks:
            truth[case.report.id] = case.diagnosis
    return time.perf_counter() - t, truth


def iter_corpus(folder: Path) -> Iterator[Any]:
    from radgraph.reports import iter_reports

    for item in iter_reports([folder]):
        if item.report is not None:
            yield item.report


def build_store(path: Path, corpus: Path, n: int, args: argparse.Namespace) -> Json:
    """Build a store from the corpus folder the way users do: `radgraph rebuild` (default) or `build`."""
    from radgraph.build import build, rebuild
    from radgraph.store import open_store

    stamps: dict[str, float] = {}
    every = max(1, n // 10)
    count = [0]

    def progress(case_id: str) -> None:
        count[0] += 1
        k = count[0]
        now = time.perf_counter()
        stamps.setdefault("first", now)
        stamps["last"] = now
        if k % every == 0 or k == n:
            rate = (k - 1) / (now - stamps["first"]) if k > 1 and now > stamps["first"] else 0.0
            log(f"  {k:,}/{n:,} cases written ({rate:.1f} cases/s since the first)")

    t0 = time.perf_counter()
    if args.mode == "rebuild":
        summary = rebuild([corpus], path, workers=args.workers, progress=progress)
    else:
        with open_store(f"oxigraph:{path}") as store:
            summary = build([corpus], store, workers=args.workers, progress=progress)
    wall = time.perf_counter() - t0
    first, last = stamps.get("first", t0), stamps.get("last", t0)
    cases = len(summary.imported)
    steady = (cases - 1) / (last - first) if cases > 1 and last > first else 0.0
    return {
        "cases": cases,
        "failed": len(summary.failed),
        "mode": args.mode,
        "workers": args.workers,
        "case_triples": summary.triples,
        "until_first_case_s": round(first - t0, 3),
        "after_last_case_s": round(t0 + wall - last, 3),
        "wall_s": round(wall, 3),
        "cases_per_s": round(cases / wall, 2),
        "cases_per_s_steady": round(steady, 2),
    }


# ---- queries -------------------------------------------------------------------------------------

_TOP = {
    "finding": "?case rg:hasFinding ?f . ?f a ?t ; rg:hasAssertion rg:Present .",
    "diagnosis": "?case rg:hasFinalDiagnosis ?d . ?d a ?t .",
    "condition": "?case rg:hasPatient ?p . ?p rg:hasHistoryOf ?h . ?h a ?t .",
    "site": "?case rg:hasFinding ?f . ?f rg:locatedIn ?t .",
    "technique": "?case rg:hasFinding ?f . ?f rg:observedOn ?t .",
}


def top_concepts(store: Any, what: str, k: int = 3) -> list[str]:
    """The *k* concepts most cases have, for one kind of fact (bench-owned SPARQL, no parameters)."""
    from radgraph.vocab import compress, sparql_prefixes

    q = f"SELECT ?t (COUNT(DISTINCT ?case) AS ?n) WHERE {{ {_TOP[what]} }} GROUP BY ?t ORDER BY DESC(?n) ?t LIMIT {k}"
    return [compress(row.text("t")) for row in store.select(sparql_prefixes() + q)]


def pick_parameters(store: Any, sample_case: str) -> Json:
    """Representative parameter values, taken from the data (most frequent concepts)."""
    tops = {w: top_concepts(store, w) for w in _TOP}
    finding, diagnosis = tops["finding"], tops["diagnosis"]
    by_name = {
        "finding": finding[0] if finding else "rg:Mass",
        "with": finding[0] if finding else "rg:Mass",
        "without": finding[1] if len(finding) > 1 else "rg:Calcification",
        "diagnosis": diagnosis[0] if diagnosis else "rg:Metastasis",
        "a": diagnosis[0] if diagnosis else "rg:Metastasis",
        "b": diagnosis[1] if len(diagnosis) > 1 else "rg:Lymphoma",
        "condition": tops["condition"][0] if tops["condition"] else "rg:Anemia",
        "site": tops["site"][0] if tops["site"] else "rg:Spine",
        "technique": tops["technique"][0] if tops["technique"] else "rg:T2Weighted",
        "case": sample_case,
        "concept": diagnosis[0] if diagnosis else "rg:Finding",
    }
    by_type = {
        "concept": by_name["finding"],
        "case": sample_case,
        "laterality": "bilateral",
        "int": "2",
        "sex": "female",
    }
    return {"by_name": by_name, "by_type": by_type, "top": tops}


def bound_queries(params: Json) -> tuple[dict[str, Json], dict[str, str]]:
    """Every named query with its parameters bound; and the queries that could not be bound."""
    from radgraph.ontology import load_ontology
    from radgraph.queries import bind, load, names

    onto = load_ontology()
    out: dict[str, Json] = {}
    skipped: dict[str, str] = {}
    for name in names():
        q = load(name)
        if name == HEADLINE:
            values = dict(HEADLINE_PARAMS)
        else:
            values = {}
            for p in q.params:
                value = params["by_name"].get(p.name) or params["by_type"].get(p.type)
                if value is not None and (p.required or p.type == "laterality"):
                    values[p.name] = value
            missing = [p.name for p in q.params if p.required and p.name not in values]
            if missing:
                skipped[name] = f"no representative value for required parameter(s) {missing}"
                continue
        text, _ = bind(q, values, onto)
        out[name] = {"form": q.form, "params": values, "text": text}
    return out, skipped


def run_oxigraph_queries(
    store: Any,
    queries: dict[str, Json],
    runs: int,
    cap_s: float,
    budget_s: float,
    previous: Json | None = None,
    cases: int = 0,
) -> dict[str, Json]:
    """Time every query; skip one whose time at the previous size, scaled, would exceed *cap_s*.

    A query cannot be interrupted inside Oxigraph, so a run projected (linearly from the
    previous size) to take longer than the cap is not started.
    """
    results: dict[str, Json] = {}
    native = getattr(store, "_store", None)  # the raw pyoxigraph handle, to split engine from row conversion
    for name, q in queries.items():
        form, text = q["form"], q["text"]
        before = (previous or {}).get("queries", {}).get(name, {})
        seen_ms = before.get("p50_ms") or before.get("projected_ms")
        if seen_ms and previous and cases:
            projected = seen_ms * cases / previous["cases"]
            if projected > cap_s * 1000.0:
                results[name] = {
                    "skipped": f"projected {projected / 1000:.0f} s from {seen_ms / 1000:.1f} s at "
                    f"{previous['cases']:,} cases (> {cap_s:.0f} s cap)",
                    "projected_ms": round(projected, 1),
                }
                log(f"  {name}: skipped ({results[name]['skipped']})")
                continue
        if form == "ASK":
            fn: Callable[[], object] = lambda text=text: store.ask(text)  # noqa: E731
        elif form in ("CONSTRUCT", "DESCRIBE"):
            fn = lambda text=text: store.construct(text)  # noqa: E731
        else:
            fn = lambda text=text: store.select(text)  # noqa: E731
        stats, res = time_runs(fn, runs, cap_s, budget_s)
        stats["rows"] = len(res) if hasattr(res, "__len__") else 1
        if native is not None and stats["p50_ms"] < 10_000:

            def raw(text: str = text, form: str = form) -> int:
                r = native.query(text, use_default_graph_as_union=True)
                return sum(1 for _ in r) if form != "ASK" else 1

            nstats, _ = time_runs(raw, min(runs, 5), cap_s, budget_s / 4)
            stats["engine_p50_ms"] = nstats["p50_ms"]
        results[name] = stats
        log(f"  {name}: p50 {stats['p50_ms']:.1f} ms, p95 {stats['p95_ms']:.1f} ms, {stats['rows']} rows")
    return results


# ---- differential diagnosis ------------------------------------------------------------------------

_CASE_FINDINGS = """
SELECT ?type ?assertion ?side WHERE {
  #@bind
  ?case rg:hasFinding ?f .
  ?f a ?type ; rg:hasAssertion ?assertion ; rg:temporality rg:Current .
  OPTIONAL { ?f rg:laterality ?side }
}"""
_CASE_HISTORY = """
SELECT ?type WHERE {
  #@bind
  ?case rg:hasPatient ?p . ?p rg:hasHistoryOf ?h . ?h a ?type ; rg:hasAssertion rg:Present .
}"""


def case_query(store: Any, case_id: str) -> tuple[list[Any], list[str]]:
    """The findings (present or absent, current) and history of one stored case, as DDx input."""
    from radgraph.model import Assertion, FindingQuery, Laterality
    from radgraph.queries import with_values
    from radgraph.vocab import case_iri, compress, sparql_prefixes

    terms = {"case": case_iri(case_id)}
    assertions = {"rg:Present": Assertion.PRESENT, "rg:Absent": Assertion.ABSENT}
    sides = {"rg:Left": Laterality.LEFT, "rg:Right": Laterality.RIGHT, "rg:Bilateral": Laterality.BILATERAL}
    findings = []
    for row in store.select(sparql_prefixes() + with_values(_CASE_FINDINGS, terms)):
        assertion = assertions.get(compress(row.text("assertion")))
        if assertion is None:
            continue
        side = sides.get(compress(row.text("side"))) if row.get("side") is not None else None
        q = FindingQuery(compress(row.text("type")), assertion, side)
        if q not in findings:
            findings.append(q)
    history = [compress(r.text("type")) for r in store.select(sparql_prefixes() + with_values(_CASE_HISTORY, terms))]
    return findings, history


def run_ddx(store: Any, truth: dict[str, str], runs: int) -> Json:
    from radgraph.build import full_knowledge
    from radgraph.ddx import rank
    from radgraph.ontology import load_ontology

    onto = load_ontology()
    t = time.perf_counter()
    knowledge = full_knowledge(store)
    knowledge_s = time.perf_counter() - t
    inputs = [(cid, *case_query(store, cid)) for cid in sorted(truth)]
    inputs = [i for i in inputs if i[1]]
    if not inputs:
        return {"note": "no sample case has findings", "knowledge_s": round(knowledge_s, 3)}
    hits = 0
    for cid, findings, history in inputs:  # warm-up and accuracy
        top = rank(findings, knowledge, history=history, ontology=onto, top_k=3)
        hits += bool(top) and top[0].concept == truth[cid]
    times: list[float] = []
    n = max(runs, 1)
    for i in range(n):
        _, findings, history = inputs[i % len(inputs)]
        t = time.perf_counter()
        rank(findings, knowledge, history=history, ontology=onto)
        times.append(time.perf_counter() - t)
    out = summary_ms(times)
    out.update(
        {
            "knowledge_s": round(knowledge_s, 3),
            "associations": len(knowledge.associations),
            "sample_cases": len(inputs),
            "mean_input_findings": round(statistics.mean(len(f) for _, f, _ in inputs), 2),
            "top1_is_final_diagnosis": round(hits / len(inputs), 3),
        }
    )
    return out


# ---- incremental work ------------------------------------------------------------------------------


def run_incremental(store: Any, corpus: Path, case_id: str, runs: int) -> Json:
    """Replace one case's graphs in the full store: write only, and text to store."""
    from radgraph.parallel import extract_triples_parallel
    from radgraph.reports import read_file

    report = next(r.report for r in read_file(corpus / f"{case_id}.txt") if r.report is not None)
    changed = type(report)(report.id, report.text + "\nThe remaining images are otherwise unremarkable.\n", report.meta)
    t = time.perf_counter()
    versions = [next(extract_triples_parallel([r], workers=0)) for r in (report, changed)]
    setup_s = time.perf_counter() - t
    write_times: list[float] = []
    full_times: list[float] = []
    for i in range(max(runs, 1)):
        graphs = versions[(i + 1) % 2]
        t = time.perf_counter()
        for g in graphs:
            store.replace_graph(g.graph, g.triples)
        write_times.append(time.perf_counter() - t)
    for i in range(max(runs, 1)):
        r = (changed, report)[i % 2]
        t = time.perf_counter()
        for g in next(extract_triples_parallel([r], workers=0)):
            store.replace_graph(g.graph, g.triples)
        full_times.append(time.perf_counter() - t)
    # `radgraph build ONE_FILE` into the full store: resources check, extraction, one transaction,
    # and the derived links of the case's diagnosis (what a user adding a case waits for)
    from radgraph.build import build
    from radgraph.nlp import build_nlp

    nlp = build_nlp()
    folder = corpus.parent / f"one-case-{case_id}"
    folder.mkdir(exist_ok=True)
    build_times: list[float] = []
    for i in range(max(runs, 1)):
        r = (changed, report)[i % 2]
        (folder / f"{case_id}.txt").write_text(r.text, encoding="utf-8")
        t = time.perf_counter()
        build([folder / f"{case_id}.txt"], store, nlp=nlp)
        build_times.append(time.perf_counter() - t)
    shutil.rmtree(folder, ignore_errors=True)
    for g in versions[0]:  # leave the store as built
        store.replace_graph(g.graph, g.triples)
    return {
        "case": case_id,
        "triples": sum(len(g.triples) for g in versions[0]),
        "replace_graphs": summary_ms(write_times),
        "text_to_store": summary_ms(full_times),
        "build_one_case": summary_ms(build_times),
        "pipeline_setup_s": round(setup_s, 3),
    }


# ---- write paths (independent of store size) ------------------------------------------------------


def run_write_paths(corpus: Path, k: int) -> Json:
    """Per-case cost of each way to hand a case to the store, on *k* cases into fresh stores."""
    import pickle

    from radgraph.parallel import extract_triples_parallel
    from radgraph.store.base import nquads
    from radgraph.store.oxigraph import OxigraphStore

    reports = list(iter_corpus(corpus))[:k]
    graphs = list(extract_triples_parallel(reports, workers=0))
    n = len(graphs)
    triples = sum(len(g.triples) for gs in graphs for g in gs) / n
    out: Json = {"cases": n, "triples_per_case": round(triples, 1)}

    def per_case(fn: Callable[[], object]) -> float:
        t = time.perf_counter()
        fn()
        return round((time.perf_counter() - t) * 1000.0 / n, 3)

    blobs = [pickle.dumps(gs, protocol=pickle.HIGHEST_PROTOCOL) for gs in graphs]
    quads = [nquads((g.graph, g.triples) for g in gs) for gs in graphs]
    names = [[g.graph for g in gs] for gs in graphs]
    nq_blobs = [pickle.dumps(q, protocol=pickle.HIGHEST_PROTOCOL) for q in quads]
    out["transfer_ms_per_case"] = {
        "rdflib_terms_unpickle": per_case(lambda: [pickle.loads(b) for b in blobs]),
        "nquads_unpickle": per_case(lambda: [pickle.loads(b) for b in nq_blobs]),
        "nquads_serialize_in_worker": per_case(lambda: [nquads((g.graph, g.triples) for g in gs) for gs in graphs]),
        "rdflib_bytes_per_case": round(sum(map(len, blobs)) / n),
        "nquads_bytes_per_case": round(sum(map(len, nq_blobs)) / n),
    }

    def per_graph(store: Any) -> Callable[[], object]:
        return lambda: [store.replace_graph(g.graph, g.triples) for gs in graphs for g in gs]

    def batched(store: Any, size: int) -> Callable[[], object]:
        def run() -> None:
            for i in range(0, n, size):
                store.replace_quads("".join(quads[i : i + size]), [g for x in names[i : i + size] for g in x])

        return run

    writes: Json = {}
    with tempfile.TemporaryDirectory(prefix="radgraph-write-") as tmp:
        for label, bulk, make in (
            ("replace_graph_per_graph", False, per_graph),
            ("replace_quads_batch_32", False, lambda st: batched(st, 32)),
            ("bulk_batch_256", True, lambda st: batched(st, 256)),
        ):
            with OxigraphStore(Path(tmp) / label, bulk=bulk) as store:
                fn = make(store)
                writes[f"{label}_new"] = per_case(fn)
                if not bulk:
                    writes[f"{label}_existing"] = per_case(fn)
    out["write_ms_per_case"] = writes
    return out


# ---- rdflib baseline (runs in a subprocess) -------------------------------------------------------


def dump_nquads(store: Any, path: Path) -> int:
    """Write the whole store as N-Quads; return the number of quads."""
    raw = getattr(store, "_store", None)
    if raw is not None:
        import pyoxigraph as ox

        raw.dump(str(path), ox.RdfFormat.N_QUADS)
        return len(raw)
    from radgraph.store.base import nt_term

    n = 0
    with path.open("w", encoding="utf-8") as fh:
        for row in store.select("SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }"):
            fh.write(f"{nt_term(row['s'])} {nt_term(row['p'])} {nt_term(row['o'])} {nt_term(row['g'])} .\n")
            n += 1
    return n


class Abandon(Exception):
    """Raised in the main thread by :class:`Watchdog` to abandon the current query."""


def _abandon(signum: int, frame: object) -> None:
    raise Abandon()


class Watchdog:
    """Interrupts the main thread when the current task runs too long or memory grows too large.

    rdflib evaluates SPARQL in Python, so a signal raised with ``_thread.interrupt_main`` is
    handled between bytecodes and the query is abandoned. SIGUSR1 has its own handler: SIGINT
    may be ignored (a background job), and then Python would drop the interrupt.
    """

    def __init__(self, max_rss: int) -> None:
        import signal

        signal.signal(signal.SIGUSR1, _abandon)
        self.max_rss = max_rss
        self.deadline = math.inf
        self.reason = ""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @staticmethod
    def rss() -> int:
        try:
            with open("/proc/self/statm", encoding="ascii") as fh:
                return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except OSError:
            return 0

    def arm(self, seconds: float) -> None:
        self.reason = ""
        self.deadline = time.monotonic() + seconds

    def disarm(self) -> None:
        self.deadline = math.inf

    def _run(self) -> None:
        import _thread
        import signal

        while not self._stop.wait(0.2):
            if self.deadline == math.inf:
                continue
            if time.monotonic() > self.deadline:
                self.reason, self.deadline = "time", math.inf
                _thread.interrupt_main(signal.SIGUSR1)
            elif self.rss() > self.max_rss:
                self.reason, self.deadline = "memory", math.inf
                _thread.interrupt_main(signal.SIGUSR1)


def rdflib_worker(nquads: Path, queries_file: Path, out_file: Path, args: argparse.Namespace) -> None:
    """Subprocess entry: load the dump into rdflib and time every query (each run capped)."""
    import gc
    import warnings

    from rdflib import Dataset

    # rdflib 7.x's own N-Quads parser calls its deprecated Dataset.default_context
    warnings.filterwarnings("ignore", category=DeprecationWarning, message=".*default_context.*")
    runs, cap_s = args.runs, args.rdflib_cap
    queries = json.loads(queries_file.read_text(encoding="utf-8"))
    t = time.perf_counter()
    ds = Dataset(default_union=True)
    ds.parse(str(nquads), format="nquads")
    load_s = time.perf_counter() - t
    dog = Watchdog(int(args.rdflib_max_rss_gb * 1024**3))
    results: dict[str, Json] = {}
    for name, q in queries.items():
        text, form = q["text"], q["form"]

        def fn(text: str = text, form: str = form) -> object:
            res = ds.query(text)
            if form == "ASK":
                return [res.askAnswer]
            if form in ("CONSTRUCT", "DESCRIBE"):
                return list(res.graph or [])
            return list(res)

        times: list[float] = []
        stats: Json
        try:
            dog.arm(cap_s)
            t = time.perf_counter()
            rows = fn()
            times.append(time.perf_counter() - t)
            budget = time.perf_counter() + cap_s
            while len(times) < runs + 1 and (len(times) < 4 or time.perf_counter() < budget):
                dog.arm(cap_s)
                t = time.perf_counter()
                fn()
                times.append(time.perf_counter() - t)
            dog.disarm()
            timed = times[1:] or times  # the first run is the warm-up when there are more
            stats = summary_ms(timed)
            stats["rows"] = len(rows) if isinstance(rows, list) else 1
            if len(timed) < runs:
                stats["note"] = f"{len(timed)} runs (time budget {cap_s:.0f} s per query)"
        except Abandon:
            dog.disarm()
            what = f"> {cap_s:.0f} s" if dog.reason == "time" else f"> {args.rdflib_max_rss_gb:.0f} GB memory"
            stats = {"aborted": f"a single run took {what}: abandoned", "completed_runs": len(times)}
        except Exception as exc:  # a query rdflib cannot run is a result too
            dog.disarm()
            stats = {"error": f"{type(exc).__name__}: {exc}"}
        gc.collect()
        results[name] = stats
        shown = stats.get("p50_ms", stats.get("aborted", stats.get("error", "-")))
        print(f"[rdflib] {name}: {shown}", file=sys.stderr, flush=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    out = {"load_s": round(load_s, 3), "quads": len(ds), "peak_rss_bytes": peak, "queries": results}
    out_file.write_text(json.dumps(out), encoding="utf-8")


def run_rdflib(store: Any, queries: dict[str, Json], tmp: Path, args: argparse.Namespace) -> Json:
    quads = len(store)
    if quads > args.rdflib_max_triples:
        gb = quads / 1e6 * 1.2
        limit = args.rdflib_max_triples
        return {"skipped": f"{quads:,} quads > --rdflib-max-triples {limit:,} (rdflib would need ~{gb:.0f} GB)"}
    nq = tmp / "dump.nq"
    t = time.perf_counter()
    dump_nquads(store, nq)
    dump_s = time.perf_counter() - t
    qfile, ofile = tmp / "queries.json", tmp / "rdflib.json"
    qfile.write_text(json.dumps(queries), encoding="utf-8")
    cmd = [sys.executable, str(Path(__file__).resolve()), "--rdflib-worker", str(nq), str(qfile), str(ofile),
           "--runs", str(args.runs), "--rdflib-cap", str(args.rdflib_cap),
           "--rdflib-max-rss-gb", str(args.rdflib_max_rss_gb)]  # fmt: skip
    log(f"  rdflib baseline on {quads:,} quads (subprocess)")
    try:
        subprocess.run(cmd, check=True, timeout=args.rdflib_timeout)
    except subprocess.TimeoutExpired:
        return {
            "skipped": f"rdflib baseline exceeded --rdflib-timeout {args.rdflib_timeout} s",
            "dump_s": dump_s,
        }
    except subprocess.CalledProcessError as exc:
        return {"skipped": f"rdflib baseline failed with exit code {exc.returncode}", "dump_s": dump_s}
    out: Json = json.loads(ofile.read_text(encoding="utf-8"))
    out["dump_s"] = round(dump_s, 3)
    out["dump_bytes"] = nq.stat().st_size
    nq.unlink()
    return out


# ---- one size ---------------------------------------------------------------------------------------


def run_size(n: int, args: argparse.Namespace, workdir: Path, previous: Json | None = None) -> Json:
    from radgraph.store import open_store

    log(f"== {n:,} cases ==")
    result: Json = {"cases": n, "loadavg_before": [round(x, 2) for x in os.getloadavg()]}
    corpus = workdir / f"cases-{n}"
    gen_s, truth = write_corpus(n, corpus, args.seed, args.samples)
    text_bytes = dir_size(corpus)
    result["generate"] = {
        "seconds": round(gen_s, 3),
        "corpus_bytes": text_bytes,
        "mean_case_chars": round(text_bytes / n),
    }
    log(f"  generated in {gen_s:.1f} s ({text_bytes / n:.0f} bytes a case)")
    path = workdir / f"store-{n}"
    with MemorySampler() as mem_build:
        result["ingest"] = build_store(path, corpus, n, args)
    ing = result["ingest"]
    log(f"  built in {ing['wall_s']:.1f} s: {ing['cases_per_s']:.1f} cases/s end to end "
        f"(steady {ing['cases_per_s_steady']:.1f}/s, first case after {ing['until_first_case_s']:.1f} s)")  # fmt: skip
    result["store"] = {"bytes_on_disk": dir_size(path)}
    mem_query = MemorySampler().start()
    with open_store(f"oxigraph:{path}") as store:
        result["store"]["triples"] = len(store)
        result["store"]["graphs"] = len(store.graphs())
        st = result["store"]
        log(f"  store: {st['triples']:,} triples, {st['bytes_on_disk'] / 1e6:.1f} MB")
        sample = sorted(truth)[len(truth) // 2] if truth else "synth-000001"
        params = pick_parameters(store, sample)
        queries, skipped = bound_queries(params)
        result["parameters"] = {"top": params["top"], "skipped_queries": skipped}
        result["queries"] = run_oxigraph_queries(
            store, queries, args.runs, args.query_cap, args.query_budget, previous, n
        )
        for name, q in queries.items():
            result["queries"][name]["params"] = q["params"]
        for name in [k for k, v in result["queries"].items() if "skipped" in v]:
            queries.pop(name)  # not run on rdflib either: there is no Oxigraph time to compare with
        log("  differential diagnosis")
        result["ddx"] = run_ddx(store, truth, args.runs)
        ddx = result["ddx"]
        log(f"  ddx: p50 {ddx.get('p50_ms', '-')} ms, knowledge {ddx.get('knowledge_s')} s")
        mem_query.stop()
        result["memory"] = {"peak_build_bytes": mem_build.peak, "peak_query_bytes": mem_query.peak,
                            "method": mem_build.method}  # fmt: skip
        if not args.no_rdflib:
            result["rdflib"] = run_rdflib(store, queries, workdir, args)
        if not args.no_incremental:
            log("  incremental: replace one case")
            result["incremental"] = run_incremental(store, corpus, sample, args.runs)
    result["memory"]["peak_bytes"] = max(mem_build.peak, mem_query.peak)
    attach_ratios(result)
    result["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    if not args.keep:
        shutil.rmtree(corpus, ignore_errors=True)
        shutil.rmtree(path, ignore_errors=True)
    return result


def attach_ratios(result: Json) -> None:
    rd = result.get("rdflib", {}).get("queries", {})
    for name, ox_stats in result.get("queries", {}).items():
        r = rd.get(name)
        if "skipped" in ox_stats:
            continue
        if r and "p50_ms" in r and ox_stats.get("p50_ms"):
            ox_stats["rdflib_p50_ms"] = r["p50_ms"]
            ox_stats["rdflib_rows"] = r.get("rows")
            ox_stats["speedup_vs_rdflib"] = round(r["p50_ms"] / max(ox_stats["p50_ms"], 1e-3), 1)
            if r.get("note"):
                ox_stats["rdflib_note"] = r["note"]
        elif r and ("error" in r or "aborted" in r):
            ox_stats["rdflib_note"] = r.get("error") or r["aborted"]
            if "aborted" in r and "s:" in r["aborted"] and ox_stats.get("p50_ms"):
                cap_ms = float(r["aborted"].split("> ")[1].split(" s")[0]) * 1000.0
                ox_stats["speedup_vs_rdflib_at_least"] = round(cap_ms / max(ox_stats["p50_ms"], 1e-3), 1)


# ---- targets and reports ------------------------------------------------------------------------------


def evaluate_targets(sizes: list[Json]) -> list[Json]:
    by_n = {s["cases"]: s for s in sizes}
    out: list[Json] = []

    def add(name: str, target: str, measured: str, holds: bool | None) -> None:
        out.append({"target": name, "goal": target, "measured": measured,
                    "holds": holds if holds is not None else "not measured"})  # fmt: skip

    for s in sizes:
        rate = s["ingest"]["cases_per_s"]
        add(f"ingest at {s['cases']:,}", f">= {TARGETS['ingest_cases_per_s']:.0f} cases/s end to end",
            f"{rate:.1f} cases/s (steady {s['ingest']['cases_per_s_steady']:.1f})",
            rate >= TARGETS["ingest_cases_per_s"])  # fmt: skip
    for n, key in ((10_000, "headline_p50_ms_10k"), (100_000, "headline_p50_ms_100k")):
        s = by_n.get(n)
        q = s["queries"].get(HEADLINE, {}) if s else {}
        p50 = q.get("p50_ms")
        ok = (p50 <= TARGETS[key]) if p50 is not None else (False if "skipped" in q else None)
        shown = f"{p50:.1f} ms" if p50 is not None else q.get("skipped", "-")
        add(f"headline query at {n:,}", f"p50 <= {TARGETS[key]:.0f} ms", shown, ok)
    s = by_n.get(100_000)
    p50 = s["ddx"].get("p50_ms") if s else None
    ok = (p50 <= TARGETS["ddx_p50_ms_100k"]) if p50 is not None else None
    add("DDx at 100,000", f"p50 <= {TARGETS['ddx_p50_ms_100k']:.0f} ms", f"{p50:.1f} ms" if p50 else "-", ok)
    peak = s["memory"]["peak_bytes"] if s else None
    add("peak memory at 100,000", "<= 2 GB", f"{peak / 2**30:.2f} GB" if peak else "-",
        (peak <= TARGETS["peak_memory_bytes_100k"]) if peak else None)  # fmt: skip
    for s in sizes:
        ratios = {
            k: v.get("speedup_vs_rdflib", v.get("speedup_vs_rdflib_at_least"))
            for k, v in s["queries"].items()
            if "speedup_vs_rdflib" in v or "speedup_vs_rdflib_at_least" in v
        }
        if not ratios:
            continue
        held = sum(1 for r in ratios.values() if r >= TARGETS["rdflib_speedup"])
        gmean = math.exp(statistics.mean(math.log(max(r, 1e-6)) for r in ratios.values()))
        add(f"rdflib speed-up at {s['cases']:,}", f">= {TARGETS['rdflib_speedup']:.0f}x per query",
            f"{held}/{len(ratios)} queries; geometric mean {gmean:.1f}x, min {min(ratios.values()):.1f}x",
            held == len(ratios))  # fmt: skip
    return out


def fmt_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{n:.0f} B"
        n /= 1024
    return f"{n:.1f} GB"


def size_lines(s: Json, md: bool) -> list[str]:
    ing, st, mem = s["ingest"], s["store"], s["memory"]
    lines = [
        f"{'### ' if md else '== '}{s['cases']:,} cases",
        "",
        f"- ingest end to end (`radgraph {ing['mode']}`): **{ing['cases_per_s']:.1f} cases/s** "
        f"({ing['wall_s']:.1f} s wall: {ing['until_first_case_s']:.1f} s until the first case was written "
        f"(resources, worker start-up), {ing['after_last_case_s']:.1f} s after the last (derived links)); "
        f"steady state {ing['cases_per_s_steady']:.1f} cases/s; {ing['workers']} workers",
        f"- store: {st['triples']:,} triples in {st['graphs']:,} graphs, {fmt_bytes(st['bytes_on_disk'])} on disk",
        f"- peak memory (process tree): build {fmt_bytes(mem['peak_build_bytes'])}, "
        f"queries + DDx {fmt_bytes(mem['peak_query_bytes'])}",
    ]
    d = s.get("ddx", {})
    if "p50_ms" in d:
        lines.append(
            f"- DDx (`rank`, knowledge loaded once in {d['knowledge_s']:.1f} s, "
            f"{d['associations']:,} associations): p50 {d['p50_ms']:.1f} ms, p95 {d['p95_ms']:.1f} ms over "
            f"{d['runs']} runs; top-1 = final diagnosis for {d['top1_is_final_diagnosis']:.0%} of "
            f"{d['sample_cases']} sample cases"
        )
    inc = s.get("incremental")
    if inc:
        lines.append(
            f"- replace one case ({inc['triples']} triples) in the full store: write p50 "
            f"{inc['replace_graphs']['p50_ms']:.1f} ms (p95 {inc['replace_graphs']['p95_ms']:.1f}); "
            f"text to store p50 {inc['text_to_store']['p50_ms']:.1f} ms"
        )
        if "build_one_case" in inc:
            lines.append(
                "- `radgraph build` of one changed case into the full store (extraction, write, derived links): "
                f"p50 {inc['build_one_case']['p50_ms']:.1f} ms (p95 {inc['build_one_case']['p95_ms']:.1f})"
            )
    rd = s.get("rdflib", {})
    if "skipped" in rd:
        lines.append(f"- rdflib baseline: skipped ({rd['skipped']})")
    elif rd:
        lines.append(
            f"- rdflib baseline: load {rd['load_s']:.1f} s, {rd['quads']:,} quads, "
            f"peak {fmt_bytes(rd['peak_rss_bytes'])}"
        )
    lines.append("")
    head = ["query", "Oxigraph p50 ms", "p95 ms", "engine p50 ms", "rows", "rdflib p50 ms", "rdflib/Oxigraph"]
    rows = []
    for name, q in sorted(s["queries"].items()):
        if "skipped" in q:
            rows.append([name + (" *" if name == HEADLINE else ""), "skipped", "", "", "", "", q["skipped"]])
            continue
        rows.append([
            name + (" *" if name == HEADLINE else ""),
            f"{q['p50_ms']:.1f}", f"{q['p95_ms']:.1f}",
            f"{q['engine_p50_ms']:.1f}" if "engine_p50_ms" in q else "-",
            str(q["rows"]),
            f"{q['rdflib_p50_ms']:.1f}" if "rdflib_p50_ms" in q else ("n/a" if "rdflib_note" in q else "-"),
            f"{q['speedup_vs_rdflib']:.1f}x"
            if "speedup_vs_rdflib" in q
            else (f">= {q['speedup_vs_rdflib_at_least']:.0f}x" if "speedup_vs_rdflib_at_least" in q else "-"),
        ])  # fmt: skip
    lines += table(head, rows, md)
    lines.append("")
    return lines


def table(head: list[str], rows: list[list[str]], md: bool) -> list[str]:
    if md:
        out = ["| " + " | ".join(head) + " |", "| " + " | ".join("---" for _ in head) + " |"]
        return out + ["| " + " | ".join(r) + " |" for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(head)]
    fmt = "  ".join(f"{{:<{w}}}" if i == 0 else f"{{:>{w}}}" for i, w in enumerate(widths))
    return [fmt.format(*head)] + [fmt.format(*r) for r in rows]


def render(results: Json, md: bool) -> str:
    meta = results["meta"]
    lines = ["# radgraph benchmark results" if md else "radgraph benchmark", ""]
    lines.append(f"{'- ' if md else ''}command: `{meta['command']}`")
    lines.append(
        f"{'- ' if md else ''}machine: {meta['cpus']} CPUs, Python {meta['python']}, pyoxigraph "
        f"{meta['pyoxigraph']}, rdflib {meta['rdflib']}, spaCy {meta['spacy']}; {meta['date']}"
    )
    lines.append("")
    for s in results["sizes"]:
        lines += size_lines(s, md)
    wp = results.get("write_paths")
    if wp:
        head = f"write paths ({wp['cases']} cases, {wp['triples_per_case']} triples each, ms per case)"
        lines.append(f"{'### ' if md else '== '}{head}")
        lines.append("")
        rows = [[k, str(v)] for k, v in {**wp["transfer_ms_per_case"], **wp["write_ms_per_case"]}.items()]
        lines += table(["step", "ms per case (bytes for *_bytes_*)"], rows, md)
        lines.append("")
    lines.append(f"{'### ' if md else '== '}targets")
    lines.append("")
    rows = [[t["target"], t["goal"], t["measured"], str(t["holds"])] for t in results["targets"]]
    lines += table(["target", "goal", "measured", "holds"], rows, md)
    lines.append("")
    if md:
        lines.append("`*` the headline question: finding = paravertebral mass, laterality = bilateral. "
                     "engine p50 = pyoxigraph alone, without turning rows into rdflib terms.")  # fmt: skip
    return "\n".join(lines) + "\n"


def versions() -> Json:
    import pyoxigraph
    import rdflib
    import spacy

    return {"pyoxigraph": pyoxigraph.__version__, "rdflib": rdflib.__version__, "spacy": spacy.__version__}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000], help="numbers of cases (default: 1000 10000)")
    p.add_argument("--workers", type=int, default=2, help="extraction processes (0: in this process)")
    p.add_argument(
        "--mode",
        choices=("rebuild", "build"),
        default="rebuild",
        help="rebuild: fresh store built aside with the bulk loader; build: batched transactions",
    )
    p.add_argument("--runs", type=int, default=20, help="timed runs per query (after one warm-up)")
    p.add_argument("--samples", type=int, default=20, help="sample cases for DDx")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--query-cap", type=float, default=60.0, help="do not repeat an Oxigraph query slower than this (s)")
    p.add_argument(
        "--query-budget", type=float, default=120.0, help="stop repeating a query after this many seconds (s)"
    )
    p.add_argument(
        "--project-from",
        type=Path,
        default=None,
        help="an earlier RESULTS.json whose smaller sizes seed the query-time projections",
    )
    p.add_argument("--no-rdflib", action="store_true", help="skip the rdflib baseline")
    p.add_argument("--rdflib-cap", type=float, default=60.0, help="time budget per rdflib query (s)")
    p.add_argument("--rdflib-timeout", type=float, default=3600.0, help="give up on the rdflib subprocess after (s)")
    p.add_argument("--rdflib-max-rss-gb", type=float, default=10.0, help="abandon an rdflib query above this (GB)")
    p.add_argument("--rdflib-max-triples", type=int, default=8_000_000, help="skip rdflib above this many quads")
    p.add_argument("--no-incremental", action="store_true", help="skip the replace-one-case measurement")
    p.add_argument("--write-sample", type=int, default=200, help="cases for the write-path comparison (0: skip)")
    p.add_argument("--workdir", type=Path, default=None, help="where stores and cases go (default: a temp dir)")
    p.add_argument("--keep", action="store_true", help="keep stores and case files")
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "RESULTS.json")
    p.add_argument("--md", type=Path, default=None, help="Markdown summary (default: RESULTS.md next to --out)")
    p.add_argument("--rdflib-worker", nargs=3, metavar=("NQ", "QUERIES", "OUT"), help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    import signal

    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))  # clean up the temp dir
    if args.rdflib_worker:
        nq, qf, of = (Path(x) for x in args.rdflib_worker)
        rdflib_worker(nq, qf, of, args)
        return 0
    import logging

    logging.basicConfig(level=logging.WARNING)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="radgraph-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    command = " ".join([".venv/bin/python", "bench/run.py", *(argv if argv is not None else sys.argv[1:])])
    results: Json = {
        "meta": {
            "command": command,
            "date": dt.datetime.now().isoformat(timespec="seconds"),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            **versions(),
        },
        "targets_definition": TARGETS,
        "sizes": [],
    }
    seeds: list[Json] = []
    if args.project_from is not None:
        seeds = json.loads(args.project_from.read_text(encoding="utf-8"))["sizes"]
    try:
        for n in args.sizes:
            earlier = [*seeds, *results["sizes"]]
            smaller = [s for s in earlier if s["cases"] < n]
            previous = max(smaller, key=lambda s: s["cases"]) if smaller else None
            results["sizes"].append(run_size(n, args, workdir, previous))
            write_outputs(results, args)
        if args.write_sample > 0:
            corpus = workdir / "write-sample"
            write_corpus(args.write_sample, corpus, args.seed, 0)
            log(f"write paths on {args.write_sample} cases")
            results["write_paths"] = run_write_paths(corpus, args.write_sample)
            shutil.rmtree(corpus, ignore_errors=True)
    finally:
        if args.workdir is None and not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    write_outputs(results, args)
    print(render(results, md=False))
    return 0


def write_outputs(results: Json, args: argparse.Namespace) -> None:
    results["targets"] = evaluate_targets(results["sizes"])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    md = args.md or args.out.with_name("RESULTS.md")
    md.write_text(render(results, md=True), encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
