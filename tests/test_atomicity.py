"""Idempotence, atomicity under kill -9, and what concurrent readers see."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from radgraph.build import build
from radgraph.nlp import extract
from radgraph.reports import iter_reports
from radgraph.store import open_store
from radgraph.triples import to_triples
from radgraph.vocab import case_graph

from .conftest import REPO

CASES = REPO / "data" / "cases"


def _expected(nlp, folder: Path) -> dict[str, int]:  # type: ignore[no-untyped-def]
    out = {}
    for item in iter_reports([folder]):
        assert item.report is not None
        out[item.report.id] = len(to_triples(extract(nlp, item.report))[0].triples)
    return out


def _counts(store) -> dict[str, int]:  # type: ignore[no-untyped-def]
    rows = store.select(
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
        "FILTER(STRSTARTS(STR(?g), 'https://example.org/radgraph/data/graph/case/')) } GROUP BY ?g"
    )
    return {str(r["g"]).rsplit("/", 1)[-1]: int(str(r["n"])) for r in rows}


def test_reingest_is_idempotent_and_a_changed_case_replaces_its_graph(nlp, tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "cases"
    folder.mkdir()
    for name in ("seed-emh-thalassemia.txt", "spine-thoracic-schwannoma.txt"):
        shutil.copy(CASES / name, folder / name)
    with open_store(f"oxigraph:{tmp_path / 'kg'}") as store:
        build([folder], store, nlp=nlp)
        first = sorted(store.triples_of(case_graph("seed-emh-thalassemia")))  # type: ignore[attr-defined]
        size = len(store)
        build([folder], store, nlp=nlp)
        assert sorted(store.triples_of(case_graph("seed-emh-thalassemia"))) == first  # type: ignore[attr-defined]
        assert len(store) == size
        (folder / "seed-emh-thalassemia.txt").write_text("Findings\n\nLeft paravertebral mass.\n")
        build([folder], store, nlp=nlp)
        changed = store.triples_of(case_graph("seed-emh-thalassemia"))  # type: ignore[attr-defined]
        assert changed and sorted(changed) != first
        types = {str(o) for _, p, o in changed if str(p).endswith("#type")}
        assert not any(t.endswith("/Thalassemia") for t in types)  # the old history is gone
        assert any(t.endswith("/ParavertebralMass") for t in types)


@pytest.mark.slow
def test_build_killed_at_random_points_leaves_whole_cases(nlp, tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "cases"
    folder.mkdir()
    for i in range(4):  # 260 cases, so that a kill lands in the middle of the work
        for f in CASES.glob("*.txt"):
            shutil.copy(f, folder / f"{f.stem}-{i}.txt")
    expected = {f"{k}-{i}": v for k, v in _expected(nlp, CASES).items() for i in range(4)}
    store_dir = tmp_path / "kg"
    cmd = [sys.executable, "-m", "radgraph", "build", str(folder), "--store", f"oxigraph:{store_dir}", "--quiet"]
    rng = random.Random(7)
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    for attempt in range(3):
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(12, 25))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        with open_store(f"oxigraph:{store_dir}", read_only=True) as store:
            seen = _counts(store)
        for case, n in seen.items():
            assert n == expected[case], f"attempt {attempt}: case {case} is half written ({n} of {expected[case]})"
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stderr[-2000:]
    with open_store(f"oxigraph:{store_dir}", read_only=True) as store:
        assert _counts(store) == expected


def test_readers_see_whole_cases_while_a_build_writes(nlp, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Snapshot isolation within a process: every query sees each case either old or new."""
    folder = tmp_path / "cases"
    folder.mkdir()
    for f in sorted(CASES.glob("*.txt"))[:12]:
        shutil.copy(f, folder / f.name)
    expected = _expected(nlp, folder)
    with open_store(f"oxigraph:{tmp_path / 'kg'}") as store:
        errors: list[str] = []
        stop = threading.Event()
        observations = 0

        def reader() -> None:
            nonlocal observations
            while not stop.is_set():
                for case, n in _counts(store).items():
                    if n != expected[case]:
                        errors.append(f"{case}: {n} of {expected[case]}")
                observations += 1

        t = threading.Thread(target=reader)
        t.start()
        try:
            for _ in range(2):
                build([folder], store, nlp=nlp, batch=3)
        finally:
            stop.set()
            t.join()
        assert observations > 0
        assert not errors, errors[:5]
