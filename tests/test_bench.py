"""The benchmark script runs end to end at a tiny size, and the parallel ingest it measures is correct."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from rdflib import Literal, URIRef

from radgraph.model import Report
from radgraph.parallel import extract_triples_parallel, ingest_parallel
from radgraph.store import open_store
from radgraph.store.base import nquads, nt_term
from radgraph.synth import generate
from radgraph.triples import to_triples

REPO = Path(__file__).parent.parent
BENCH = REPO / "bench" / "run.py"


def _bench_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("radgraph_bench_run", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bench_runs_at_a_tiny_size(tmp_path: Path) -> None:
    out = tmp_path / "results" / "RESULTS.json"
    cmd = [sys.executable, str(BENCH), "--sizes", "8", "--runs", "2", "--workers", "0", "--samples", "3",
           "--no-rdflib", "--write-sample", "4", "--query-budget", "1", "--workdir", str(tmp_path / "work"),
           "--out", str(out)]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=REPO)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(out.read_text(encoding="utf-8"))
    assert {"meta", "sizes", "targets", "write_paths", "targets_definition"} <= results.keys()
    size = results["sizes"][0]
    assert size["cases"] == 8
    assert {"generate", "ingest", "store", "memory", "queries", "ddx", "incremental", "parameters"} <= size.keys()
    assert size["ingest"]["cases"] == 8 and size["ingest"]["failed"] == 0
    assert size["ingest"]["cases_per_s"] > 0
    assert size["store"]["triples"] > 0 and size["store"]["bytes_on_disk"] > 0
    assert size["memory"]["peak_bytes"] > 0
    from radgraph.queries import names

    assert set(size["queries"]) | set(size["parameters"]["skipped_queries"]) == set(names())
    headline = size["queries"]["diagnoses-presenting-with"]
    assert headline["params"] == {"finding": "paravertebral mass", "laterality": "bilateral"}
    assert {"p50_ms", "p95_ms", "runs", "rows"} <= headline.keys()
    assert {"p50_ms", "p95_ms", "knowledge_s", "top1_is_final_diagnosis"} <= size["ddx"].keys()
    assert {"replace_graphs", "text_to_store", "build_one_case"} <= size["incremental"].keys()
    assert {t["target"] for t in results["targets"]} >= {"ingest at 8", "headline query at 10,000"}
    md = out.with_name("RESULTS.md").read_text(encoding="utf-8")
    assert "diagnoses-presenting-with" in md and "targets" in md


def test_rdflib_worker_times_queries_and_abandons_slow_ones(tmp_path: Path) -> None:
    bench = _bench_module()
    nq = tmp_path / "dump.nq"
    nq.write_text(
        "".join(f"<urn:s{i}> <urn:p> <urn:s{i + 1}> <urn:g> .\n" for i in range(300)), encoding="utf-8"
    )
    queries = {
        "count": {"form": "SELECT", "text": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"},
        "ask": {"form": "ASK", "text": "ASK { <urn:s1> <urn:p> <urn:s2> }"},
        "slow": {"form": "SELECT", "text": "SELECT * WHERE { ?a <urn:p>* ?b . ?c <urn:p>* ?d }"},
    }
    qf, of = tmp_path / "q.json", tmp_path / "out.json"
    qf.write_text(json.dumps(queries), encoding="utf-8")
    args = bench.parse_args(["--runs", "3", "--rdflib-cap", "1"])
    bench.rdflib_worker(nq, qf, of, args)
    out = json.loads(of.read_text(encoding="utf-8"))
    assert out["quads"] == 300
    assert out["queries"]["count"]["rows"] == 1 and out["queries"]["count"]["runs"] == 3
    assert out["queries"]["ask"]["rows"] == 1
    assert "aborted" in out["queries"]["slow"]


def test_nquads_round_trip_through_the_store() -> None:
    triples = (
        (URIRef("urn:a"), URIRef("urn:p"), Literal('line one\nline "two" \\ three')),
        (URIRef("urn:a"), URIRef("urn:q"), Literal(7)),
        (URIRef("urn:a"), URIRef("urn:r"), Literal("chat", lang="fr")),
    )
    text = nquads([(URIRef("urn:g"), triples)])
    assert nt_term(Literal("x")) == '"x"'
    with open_store("memory:") as store:
        store.replace_quads(text, [URIRef("urn:g")])
        assert set(store.triples_of(URIRef("urn:g"))) == set(triples)  # type: ignore[attr-defined]


@pytest.mark.parametrize("batch", [1, 3, 32])
def test_ingest_parallel_in_process_matches_serial(batch: int, nlp) -> None:  # type: ignore[no-untyped-def]
    from radgraph.nlp import extract

    reports = list(generate(4, seed=8))
    with open_store("memory:") as serial, open_store("memory:") as parallel:
        for r in reports:
            for g in to_triples(extract(nlp, r)):
                serial.replace_graph(g.graph, g.triples)
        written: list[tuple[str, int]] = []
        got = ingest_parallel(parallel, reports, workers=0, batch=batch, nlp=nlp,
                              progress=lambda r, n: written.append((r.id, n)))  # fmt: skip
        assert got == 4 and [w[0] for w in written] == [r.id for r in reports]
        assert sum(n for _, n in written) == len(parallel)  # type: ignore[arg-type]
        assert ingest_parallel(parallel, reports[:2], workers=0, batch=batch, nlp=nlp) == 2  # re-ingest replaces
        assert serial.graphs() == parallel.graphs()
        for graph in serial.graphs():
            assert set(serial.triples_of(graph)) == set(parallel.triples_of(graph))  # type: ignore[attr-defined]


def test_extract_triples_parallel_keeps_order_across_a_worker(nlp) -> None:  # type: ignore[no-untyped-def]
    from radgraph.nlp import extract

    reports = list(generate(5, seed=12))
    expected = [to_triples(extract(nlp, r)) for r in reports]
    got = list(extract_triples_parallel(reports, workers=1, chunksize=2))
    assert got == expected  # rdflib terms survive pickling, and results come back in input order


def test_a_failing_report_is_reported_not_fatal() -> None:
    from radgraph.reports import ImportFailure

    bad = Report("bad", "x" * 2_000_001)  # longer than the pipeline accepts
    good = Report("good", "Findings\n\nA left paravertebral mass.")
    failures: list[ImportFailure] = []
    with open_store("memory:") as store:
        assert ingest_parallel(store, [bad, good], workers=0, failures=failures) == 1
    assert [f.source for f in failures] == ["bad"]


def test_extraction_benchmark_prints_its_figures(tmp_path: Path) -> None:
    case = tmp_path / "case.txt"
    case.write_text("Findings\n\nBilateral paravertebral masses. No pleural effusion.\n")
    out = tmp_path / "extraction.json"
    cmd = [sys.executable, str(REPO / "bench" / "extraction.py"), "--synthetic", "3", "--runs", "1",
           "--corpus", str(case), "--out", str(out)]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=REPO)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "| set | cases |" in done.stdout and "tokenizer" in done.stdout
    figures = json.loads(out.read_text())
    by_set = {s["set"]: s for s in figures["sets"]}
    assert by_set["case.txt"]["cases"] == 1 and by_set["synthetic (seed 0, 3)"]["cases"] == 3
    assert all(s["cases_per_s"] > 0 and abs(sum(s["stage_share"].values()) - 1) < 0.01 for s in figures["sets"])
    missing = subprocess.run([*cmd[:2], "--synthetic", "0", "--corpus", str(tmp_path / "nope.jsonl")],
                             capture_output=True, text=True, timeout=600, cwd=REPO)  # fmt: skip
    assert missing.returncode == 2 and "no such file" in missing.stderr
