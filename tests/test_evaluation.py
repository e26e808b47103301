from __future__ import annotations

import json

from radgraph.ddx_eval import DdxScores, input_report
from radgraph.evaluation import GoldCase, GoldDiagnosis, GoldFinding, load_gold, score
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
