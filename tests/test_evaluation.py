from __future__ import annotations

import json

import pytest

from radgraph.ddx_eval import DdxScores, input_report
from radgraph.errors import InputError
from radgraph.evaluation import GoldCase, GoldDiagnosis, GoldFinding, load_gold, score, write_failures
from radgraph.model import Report, SectionCategory
from radgraph.nlp import extract

TEXT = "Findings\n\nLeft paravertebral mass. No calcification.\n\nFinal Diagnosis\n\nSchwannoma\n"


def test_perfect_and_wrong_predictions_score_as_expected(nlp, ontology, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ex = extract(nlp, Report("c1", TEXT))
    mass = TEXT.index("paravertebral mass")
    calc = TEXT.index("calcification")
    gold = GoldCase(
        "c1", "bundled",
        (GoldFinding(mass, mass + 18, "rg:ParavertebralMass", "present", laterality="left"),
         GoldFinding(calc, calc + 13, "rg:Calcification", "absent")),  # a negative takes no side from the section
        (GoldDiagnosis("rg:Schwannoma", "final"),),
    )
    sc = score([gold], {"c1": ex}, ontology)
    assert sc.findings_strict.f1 == 1.0 and sc.assertion_accuracy == 1.0
    assert sc.final_correct == 1 and sc.laterality.f1 == 1.0
    wrong = GoldCase("c1", "bundled", (GoldFinding(calc, calc + 13, "rg:Calcification", "present"),), ())
    sc = score([wrong], {"c1": ex}, ontology)
    assert sc.findings_strict.tp == 0 and sc.concepts_only.tp == 1
    assert sc.assertion_confusion[("present", "absent")] == 1
    path = tmp_path / "g.jsonl"
    path.write_text(json.dumps({"case_id": "c1", "findings": [{"start": 0, "end": 3, "concept": "rg:Mass"}]}) + "\n")
    assert load_gold([path])[0].findings[0].assertion == "present"


def test_failures_are_classified_and_split_by_source_and_section(nlp, ontology, tmp_path) -> None:  # type: ignore[no-untyped-def]
    text = "History\n\nBack pain.\n\nFindings\n\nLeft paravertebral mass. No calcification. Mild scoliosis.\n"
    ex = extract(nlp, Report("c1", text))
    predicted = {f.concept for f in ex.findings}
    assert {"rg:BackPain", "rg:ParavertebralMass", "rg:Calcification", "rg:Scoliosis"} <= predicted

    def at(word: str) -> tuple[int, int]:
        return text.index(word), text.index(word) + len(word)

    gold = GoldCase(
        "c1", "medpix-dev",
        (GoldFinding(*at("Back pain"), "rg:BackPain", "present"),  # right
         GoldFinding(*at("paravertebral mass"), "rg:Mass", "present"),  # wrong concept
         GoldFinding(*at("calcification"), "rg:Calcification", "present"),  # wrong assertion
         GoldFinding(*at("Left"), "rg:Pain", "present")),  # nothing overlaps it: missed
        (),
    )
    sc = score([gold], {"c1": ex}, ontology)
    kinds = {(f.kind, f.concept) for f in sc.failures}
    assert kinds == {("wrong concept", "rg:Mass"), ("wrong assertion", "rg:Calcification"), ("missed", "rg:Pain"),
                     ("spurious", "rg:Scoliosis")}  # fmt: skip
    wrong = next(f for f in sc.failures if f.kind == "wrong concept")
    assert wrong.predicted == (("rg:ParavertebralMass", "present"),) and wrong.section == "findings"
    assert sc.by_source["medpix-dev"].tp == sc.findings_strict.tp == 1
    assert sc.by_section["clinical"].tp == 1 and sc.by_section["clinical"].n_gold == 1
    assert sc.by_section["findings"].tp == 0 and sc.by_section["findings"].n_gold == 3
    assert sum(p.n_pred for p in sc.by_section.values()) == sc.findings_strict.n_pred
    assert any(line.startswith("failures: 1 missed, 1 wrong concept, 1 wrong assertion, 1 spurious")
               for line in sc.lines())  # fmt: skip
    out = tmp_path / "failures.tsv"
    assert write_failures(out, sc.failures, {"c1": ex.report}) == 4
    rows = [r.split("\t") for r in out.read_text(encoding="utf-8").splitlines()]
    assert rows[0][:3] == ["case", "kind", "section"] and len(rows) == 5
    assert [r[1] for r in rows[1:]] == ["missed", "wrong concept", "wrong assertion", "spurious"]
    assert rows[2][8] == "paravertebral mass" and rows[4][8] == "scoliosis"
    with pytest.raises(InputError, match="cannot write the failures"):
        write_failures(out / "inside-a-file.tsv", sc.failures, {"c1": ex.report})


def test_gold_files_are_valid(ontology) -> None:  # type: ignore[no-untyped-def]
    from .conftest import REPO

    files = sorted((REPO / "data" / "gold").glob("*.jsonl"))
    for g in load_gold(files):
        assert sum(d.role == "final" for d in g.diagnoses) == 1, g.case_id
        for f in g.findings:
            assert f.concept in ontology, (g.case_id, f.concept)
            assert f.assertion in ("present", "absent", "uncertain")
        if g.source == "bundled":
            text = (REPO / "data" / "cases" / f"{g.case_id}.txt").read_text(encoding="utf-8")
            for f in g.findings:
                assert 0 <= f.start < f.end <= len(text)


def test_input_report_keeps_history_and_findings_only(nlp, seed_extraction) -> None:  # type: ignore[no-untyped-def]
    r = input_report(seed_extraction.report, seed_extraction.sections)
    assert "Final Diagnosis" not in r.text and "compensatory" not in r.text
    assert "paravertebral masses" in r.text
    assert {s.category for s in r.sections} <= {SectionCategory.CLINICAL, SectionCategory.FINDINGS}
    for s in r.sections:
        assert r.text[s.start : s.body_start].strip() in ("History", "Findings")


def test_ddx_scores() -> None:
    sc = DdxScores(cases=4, ranks=[1, 3, None, 12], ranks_hier=[1, 2, 5, 12])
    assert sc.top(1) == 0.25 and sc.top(3) == 0.5 and sc.top(10) == 0.5
    assert sc.top(10, hierarchical=True) == 0.75
    assert abs(sc.mrr() - (1 + 1 / 3 + 1 / 12) / 4) < 1e-9
