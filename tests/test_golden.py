"""End-to-end expectations for the example case and the synthetic cases in tests/data/cases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from radgraph.model import Assertion, Laterality, Report, Role, Subject, Temporality
from radgraph.nlp import extract

CASES = Path(__file__).parent / "data" / "cases"


def _find(ex, concept, **attrs):  # type: ignore[no-untyped-def]
    hits = [f for f in ex.findings if f.concept == concept and all(getattr(f, k) == v for k, v in attrs.items())]
    assert hits, f"no finding {concept} {attrs}; got {[(f.concept, f.assertion, f.subject, f.text) for f in ex.findings]}"
    return hits[0]


def test_seed_patient(seed_extraction):  # type: ignore[no-untyped-def]
    assert seed_extraction.patient.age == 29
    assert seed_extraction.patient.sex.value == "male"


def test_seed_final_diagnosis_and_history(seed_extraction):  # type: ignore[no-untyped-def]
    final = seed_extraction.final_diagnoses()
    assert [d.concept for d in final] == ["rg:ExtramedullaryHematopoiesis"]
    assert final[0].text == "Extra medullary hematopoiesis"
    history = [d for d in seed_extraction.diagnoses if d.role is Role.HISTORY]
    assert [d.concept for d in history] == ["rg:Thalassemia"]


def test_seed_paravertebral_masses(seed_extraction):  # type: ignore[no-untyped-def]
    f = _find(seed_extraction, "rg:ParavertebralMass", subject=Subject.PATIENT)
    assert f.assertion is Assertion.PRESENT
    assert f.laterality is Laterality.BILATERAL
    assert "rg:ParavertebralRegion" in [s.concept for s in f.sites]
    assert f.enhancement is not None and f.enhancement.concept == "rg:Enhancing"
    assert f.sequence is not None and "T1" in f.sequence
    assert f.text == "paravertebral masses"


def test_seed_t1_hyperintensity_in_the_mass(seed_extraction):  # type: ignore[no-untyped-def]
    f = _find(seed_extraction, "rg:T1Hyperintensity", subject=Subject.PATIENT)
    assert f.text == "high signal intensity"
    assert "rg:ParavertebralRegion" in [s.concept for s in f.sites]


def test_seed_collapse_and_old_fracture(seed_extraction):  # type: ignore[no-untyped-def]
    collapse = _find(seed_extraction, "rg:VertebralCollapse", subject=Subject.PATIENT)
    assert collapse.chronicity is not None and collapse.chronicity.concept == "rg:Acute"
    assert "rg:LowerThoracicVertebra" in [s.concept for s in collapse.sites]
    old = [f for f in seed_extraction.findings if f.text == "compression Fx"]
    assert old and old[0].temporality is Temporality.HISTORICAL


def test_seed_low_marrow_signal(seed_extraction):  # type: ignore[no-untyped-def]
    f = _find(seed_extraction, "rg:LowMarrowSignal", subject=Subject.PATIENT)
    assert "rg:VertebralBody" in [s.concept for s in f.sites]


def test_seed_discussion_negations_are_generic_and_absent(seed_extraction):  # type: ignore[no-untyped-def]
    calc = _find(seed_extraction, "rg:Calcification")
    assert calc.assertion is Assertion.ABSENT and calc.subject is Subject.GENERIC
    rib = _find(seed_extraction, "rg:RibDestruction")
    assert rib.assertion is Assertion.ABSENT and rib.subject is Subject.GENERIC


def test_seed_generic_statement_about_emh(seed_extraction):  # type: ignore[no-untyped-def]
    about = [s for s in seed_extraction.statements if "rg:Thalassemia" in s.diagnoses]
    assert about, "the discussion's 'EMH is usually seen in patients with thalassemia' is a generic statement"
    patient_dx = [d.concept for d in seed_extraction.diagnoses]
    assert "rg:SickleCellDisease" not in patient_dx  # named only in the discussion


def test_seed_spans_slice_back(seed_extraction, seed_text):  # type: ignore[no-untyped-def]
    for f in seed_extraction.findings:
        assert seed_text[f.start : f.end] == f.text
    for d in seed_extraction.diagnoses:
        assert seed_text[d.start : d.end] == d.text


def _expected_cases() -> list[Path]:
    return sorted(CASES.glob("*.json"))


@pytest.mark.parametrize("expected_path", _expected_cases(), ids=lambda p: p.stem)
def test_synthetic_case(nlp, expected_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Each tests/data/cases/NAME.json lists findings and diagnoses NAME.txt must yield."""
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    text = expected_path.with_suffix(".txt").read_text(encoding="utf-8")
    ex = extract(nlp, Report(expected_path.stem, text))
    for want in expected.get("findings", []):
        attrs = {k: v for k, v in want.items() if k != "concept"}
        hits = [
            f for f in ex.findings
            if f.concept == want["concept"]
            and all(
                (getattr(f, k).value if hasattr(getattr(f, k), "value") else getattr(f, k)) == v
                for k, v in attrs.items()
            )
        ]
        assert hits, f"{expected_path.stem}: missing {want}; got {[(f.concept, f.assertion.value, f.text) for f in ex.findings]}"
    for concept in expected.get("not_findings", []):
        assert concept not in [f.concept for f in ex.findings if f.subject is Subject.PATIENT]
    for want in expected.get("diagnoses", []):
        hits = [
            d for d in ex.diagnoses
            if d.concept == want["concept"] and d.role.value == want["role"]
            and d.assertion.value == want.get("assertion", d.assertion.value)
        ]
        assert hits, f"{expected_path.stem}: missing diagnosis {want}; got {[(d.concept, d.role.value) for d in ex.diagnoses]}"
    if "age" in expected:
        assert ex.patient.age == expected["age"]
    if "sex" in expected:
        assert ex.patient.sex is not None and ex.patient.sex.value == expected["sex"]
