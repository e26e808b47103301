"""Extraction throughput on one core: cases per second, words per second and time per stage.

    .venv/bin/python bench/extraction.py                                   # bundled cases + 500 synthetic
    .venv/bin/python bench/extraction.py --corpus ../shared/corpora/medpix-2.0/data_train.jsonl

Each set is extracted once to warm the pipeline (tokenizer cache, lexeme norms, refinement memo) and then
``--runs`` times; the best run is reported, since other work on the machine only ever slows a run down.
The first, cold pass is reported too. Everything runs in this process, on one core. This is a script that
prints figures, not a test; ``tests/test_bench.py`` only checks that it runs.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from spacy.language import Language

from radgraph.assemble import assemble
from radgraph.extensions import share_text
from radgraph.model import Report
from radgraph.nlp import build_nlp, extract, mentions_of, pipeline_ontology
from radgraph.reports import iter_reports
from radgraph.synth import generate

ROOT = Path(__file__).resolve().parent.parent


def _words(reports: Sequence[Report]) -> int:
    return sum(len(r.text.split()) for r in reports)


def _pass(nlp: Language, reports: Sequence[Report]) -> tuple[float, list[float]]:
    each: list[float] = []
    start = time.perf_counter()
    for r in reports:
        t = time.perf_counter()
        extract(nlp, r)
        each.append(time.perf_counter() - t)
    return time.perf_counter() - start, each


def _stages(nlp: Language, reports: Sequence[Report]) -> Counter[str]:
    """Seconds spent in each stage over one pass (tokenizer, each component, records, assembly)."""
    onto = pipeline_ontology(nlp)
    spent: Counter[str] = Counter()
    for r in reports:
        t = time.perf_counter()
        doc = nlp.make_doc(r.text)
        share_text(doc, r.text)
        if r.sections:
            doc._.rg_sections = list(r.sections)
        spent["tokenizer"] += time.perf_counter() - t
        for name, proc in nlp.pipeline:
            t = time.perf_counter()
            doc = proc(doc)
            spent[name] += time.perf_counter() - t
        t = time.perf_counter()
        mentions = mentions_of(doc)
        spent["mention records"] += time.perf_counter() - t
        t = time.perf_counter()
        assemble(mentions, r.text, tuple(doc._.rg_sections or ()), onto)
        spent["assembly"] += time.perf_counter() - t
    return spent


def measure(nlp: Language, name: str, reports: Sequence[Report], runs: int) -> dict[str, object]:
    """Time extraction of *reports*: a cold pass, then the best of *runs* warm passes."""
    cold, _ = _pass(nlp, reports)
    best, each = min((_pass(nlp, reports) for _ in range(max(runs, 1))), key=lambda x: x[0])
    stages = min((_stages(nlp, reports) for _ in range(max(runs, 1))), key=lambda c: sum(c.values()))
    words = _words(reports)
    ordered = sorted(each)
    return {
        "set": name,
        "cases": len(reports),
        "words_per_case": round(words / max(len(reports), 1)),
        "cold_cases_per_s": round(len(reports) / cold, 1),
        "cases_per_s": round(len(reports) / best, 1),
        "words_per_s": round(words / best),
        "ms_per_case_p50": round(1000 * statistics.median(ordered), 2),
        "ms_per_case_p95": round(1000 * ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 2),
        "stage_share": {k: round(v / sum(stages.values()), 3) for k, v in stages.most_common()},
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--corpus", type=Path, nargs="*", default=[], help="case files or JSON Lines corpora to add")
    p.add_argument("--synthetic", type=int, default=500, help="synthetic cases (0: none)")
    p.add_argument("--runs", type=int, default=3, help="warm passes; the best is reported")
    p.add_argument("--out", type=Path, default=None, help="also write the figures as JSON here")
    args = p.parse_args(argv)

    sets: list[tuple[str, list[Report]]] = []
    bundled = sorted((ROOT / "data" / "cases").glob("*.txt"))
    if bundled:
        sets.append(("bundled teaching cases", [i.report for i in iter_reports(bundled) if i.report]))
    if args.synthetic:
        sets.append((f"synthetic (seed 0, {args.synthetic})", list(generate(args.synthetic, seed=0))))
    for path in args.corpus:
        if not path.exists():
            print(f"error: {path}: no such file", file=sys.stderr)
            return 2
        sets.append((path.name, [i.report for i in iter_reports([path]) if i.report]))

    t = time.perf_counter()
    nlp = build_nlp()
    startup = time.perf_counter() - t
    results = [measure(nlp, name, reports, args.runs) for name, reports in sets if reports]

    print(f"# Extraction on one core ({platform.python_implementation()} {platform.python_version()}, "
          f"{datetime.now(UTC):%Y-%m-%d}); pipeline built in {startup:.1f} s")  # fmt: skip
    print("| set | cases | words/case | cases/s (cold) | cases/s | words/s | ms/case p50 / p95 |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        print(f"| {r['set']} | {r['cases']} | {r['words_per_case']} | {r['cold_cases_per_s']} | {r['cases_per_s']} | "
              f"{r['words_per_s']:,} | {r['ms_per_case_p50']} / {r['ms_per_case_p95']} |")  # fmt: skip
    for r in results:
        shares = ", ".join(f"{k} {100 * v:.0f}%" for k, v in r["stage_share"].items())  # type: ignore[attr-defined]
        print(f"- {r['set']}: {shares}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"startup_s": round(startup, 2), "sets": results}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
