"""The synthetic case generator: deterministic, in the seed's template, and read back as written."""

from __future__ import annotations

import re

import pytest

from radgraph.knowledge import Association, ConditionLink, Knowledge, load_curated
from radgraph.model import Assertion, Laterality, Role, Subject
from radgraph.nlp import extract
from radgraph.synth import CaseGenerator, SynthCase, generate, generate_cases, write_cases

HEADINGS = (
    "Patient's Information",
    "Case Section",
    "Clinical Summary",
    "Imaging Procedures and Findings",
    "Discussion",
    "Final Diagnosis",
    "Differential Diagnosis",
    "Reference",
)
N_CASES = 40


@pytest.fixture(scope="module")
def generator() -> CaseGenerator:
    return CaseGenerator()


@pytest.fixture(scope="module")
def cases(generator: CaseGenerator) -> list[SynthCase]:
    return list(generate_cases(N_CASES, seed=2024, generator=generator))


@pytest.fixture(scope="module")
def extracted(nlp, cases):  # type: ignore[no-untyped-def]
    return [extract(nlp, c.report) for c in cases]


def test_same_seed_same_text() -> None:
    first = [r.text for r in generate(5, seed=3)]
    again = [r.text for r in generate(5, seed=3)]
    other = [r.text for r in generate(5, seed=4)]
    assert first == again
    assert first != other


def test_ids_and_slices_are_stable(generator: CaseGenerator) -> None:
    reports = list(generate(3, seed=9))
    assert [r.id for r in reports] == ["synth-000001", "synth-000002", "synth-000003"]
    # case i does not depend on the cases before it
    assert generator.case(3, seed=9).report.text == reports[2].text
    assert next(generate_cases(1, seed=9, start=3, generator=generator)).report.text == reports[2].text


def test_template_sections_in_order(cases: list[SynthCase]) -> None:
    for case in cases:
        lines = [line.strip() for line in case.report.text.splitlines()]
        positions = [lines.index(h) for h in HEADINGS if h in lines]
        assert len(positions) >= len(HEADINGS) - 1, case.report.id  # the differential list may be empty
        assert positions == sorted(positions), case.report.id
        assert re.search(r"^Gender : (Male|Female)$", case.report.text, re.MULTILINE)
        assert re.search(rf"^Age : {case.age}$", case.report.text, re.MULTILINE)
        assert 18 <= case.age <= 88
        assert case.report.meta.title == lines[0]


def test_cases_come_from_the_knowledge(cases: list[SynthCase]) -> None:
    knowledge = load_curated()
    pairs = {(a.diagnosis, a.finding) for a in knowledge.associations}
    for case in cases:
        assert case.diagnosis in knowledge.diagnoses()
        for f in case.with_assertion(Assertion.PRESENT):
            assert (case.diagnosis, f.concept) in pairs
        for f in case.with_assertion(Assertion.ABSENT):
            common = {a.finding for a in knowledge.associations if a.diagnosis == case.diagnosis and a.frequency > 0.1}
            assert f.concept not in common
    assert any(c.with_assertion(Assertion.ABSENT) for c in cases)
    assert len({c.diagnosis for c in cases}) > 5


def test_a_small_knowledge_record_is_enough() -> None:
    knowledge = Knowledge(
        (
            Association("rg:ExtramedullaryHematopoiesis", "rg:ParavertebralMass", 0.9, "curated", Laterality.BILATERAL),
            Association("rg:ExtramedullaryHematopoiesis", "rg:Calcification", 0.05, "curated"),
            Association("rg:Schwannoma", "rg:T2Hyperintensity", 0.9, "curated"),
        ),
        (ConditionLink("rg:ExtramedullaryHematopoiesis", "rg:Thalassemia", "test"),),
    )
    gen = CaseGenerator(knowledge)
    cases = list(generate_cases(20, seed=1, generator=gen))
    assert {c.diagnosis for c in cases} == {"rg:ExtramedullaryHematopoiesis", "rg:Schwannoma"}
    emh = [c for c in cases if c.diagnosis == "rg:ExtramedullaryHematopoiesis"]
    assert any(c.history == ("rg:Thalassemia",) for c in emh)
    assert all(f.laterality is Laterality.BILATERAL for c in emh for f in c.with_assertion(Assertion.PRESENT))


def test_write_cases(tmp_path) -> None:  # type: ignore[no-untyped-def]
    paths = write_cases(3, tmp_path / "cases", seed=5)
    assert [p.name for p in paths] == ["synth-000001.txt", "synth-000002.txt", "synth-000003.txt"]
    assert paths[1].read_text(encoding="utf-8") == list(generate(2, seed=5))[1].text


def _matches(finding_concept: str, intended: str, ontology) -> bool:  # type: ignore[no-untyped-def]
    return ontology.is_a(finding_concept, intended)


def test_extraction_recovers_what_was_written(cases, extracted, ontology) -> None:  # type: ignore[no-untyped-def]
    finals = present = present_ok = absent = absent_ok = lateral = lateral_ok = 0
    for case, ex in zip(cases, extracted, strict=True):
        finals += case.diagnosis in [d.concept for d in ex.diagnoses if d.role is Role.FINAL]
        patient = [f for f in ex.findings if f.subject is Subject.PATIENT]
        for it in case.findings:
            same = [f for f in patient if _matches(f.concept, it.concept, ontology)]
            if it.assertion is Assertion.PRESENT:
                present += 1
                present_ok += any(f.assertion is Assertion.PRESENT for f in same)
                if it.laterality is not None:
                    lateral += 1
                    lateral_ok += any(f.laterality is it.laterality for f in same)
            elif it.assertion is Assertion.ABSENT:
                absent += 1
                absent_ok += any(f.assertion is Assertion.ABSENT for f in same) and not any(
                    f.assertion is Assertion.PRESENT for f in same
                )
    # measured on 400 cases (seed 11): final 100%, present 100%, absent 100%, laterality 100%
    assert finals / len(cases) >= 0.9
    assert present and present_ok / present >= 0.85
    assert absent and absent_ok / absent >= 0.85
    if lateral:
        assert lateral_ok / lateral >= 0.8


def test_history_conditions_are_read_as_history(cases, extracted) -> None:  # type: ignore[no-untyped-def]
    with_history = [(c, ex) for c, ex in zip(cases, extracted, strict=True) if c.history]
    assert with_history
    found = sum(
        c.history[0] in [d.concept for d in ex.diagnoses if d.role is Role.HISTORY] for c, ex in with_history
    )
    assert found / len(with_history) >= 0.8
