from __future__ import annotations

import math
from pathlib import Path

import pytest

from radgraph.build import full_knowledge
from radgraph.ddx import queries_from_extraction, rank
from radgraph.knowledge import Knowledge, load_curated
from radgraph.model import Assertion, FindingQuery, Laterality


def test_seed_findings_rank_emh_first_with_evidence(seed_extraction, built_store, ontology) -> None:  # type: ignore[no-untyped-def]
    queries, history = queries_from_extraction(seed_extraction)
    assert "rg:Thalassemia" in history
    ranked = rank(queries, full_knowledge(built_store, exclude_cases=["seed-emh-thalassemia"]), history=history)
    top = ranked[0]
    assert top.concept == "rg:ExtramedullaryHematopoiesis"
    assert top.rank == 1 and top.probability > ranked[1].probability
    labels = [c.label for c in top.supporting]
    assert "history of thalassemia" in labels
    assert any(c.matched == "rg:ParavertebralMass" and c.evidence for c in top.supporting)
    assert all(e.case_id != "seed-emh-thalassemia" for c in top.supporting for e in c.evidence)


def test_curated_only_ranking_and_explanation() -> None:
    ranked = rank(
        [FindingQuery("rg:ParavertebralMass", laterality=Laterality.BILATERAL), FindingQuery("rg:T1Hyperintensity")],
        load_curated(),
        history=["rg:Thalassemia"],
    )
    assert ranked[0].concept == "rg:ExtramedullaryHematopoiesis"
    assert ranked[0].look_for  # something to tell it apart from the runner-up
    assert abs(sum(r.probability for r in rank([FindingQuery("rg:Mass")], load_curated(), top_k=100_000)) - 1) < 0.01


def test_absent_finding_counts_against() -> None:
    base = rank([FindingQuery("rg:ParavertebralMass")], load_curated(), top_k=50)
    with_absent = rank(
        [FindingQuery("rg:ParavertebralMass"), FindingQuery("rg:Calcification", Assertion.ABSENT)],
        load_curated(),
        top_k=50,
    )
    score = {r.concept: r.score for r in base}
    score2 = {r.concept: r.score for r in with_absent}
    # calcification is uncommon in TB spondylitis and rare in EMH: its absence favours EMH
    assert score2["rg:ExtramedullaryHematopoiesis"] - score["rg:ExtramedullaryHematopoiesis"] > (
        score2["rg:TuberculousSpondylitis"] - score["rg:TuberculousSpondylitis"]
    )


def test_subsumption_a_specific_finding_supports_its_ancestor() -> None:
    ranked = rank([FindingQuery("rg:VertebralCollapse")], load_curated(), top_k=50)
    osteo = next(r for r in ranked if r.concept == "rg:OsteoporoticVertebralFracture")
    assert osteo.supporting and osteo.supporting[0].matched == "rg:VertebralCompressionFracture"


def test_deterministic_and_empty_inputs() -> None:
    q = [FindingQuery("rg:ParavertebralMass"), FindingQuery("rg:LowMarrowSignal")]
    assert rank(q, load_curated()) == rank(q, load_curated())
    assert rank(q, Knowledge()) == []


# ---- diagnoses named in the text, family backoff, teaching-set prior, cross-validation ----------------------


def _synthetic_knowledge() -> Knowledge:
    """Two sibling gliomas and an unrelated diagnosis; only one glioma is known to show mass effect."""
    from radgraph.knowledge import Association

    return Knowledge(
        (
            Association("rg:Glioblastoma", "rg:MassEffect", 0.7, "curated"),
            Association("rg:Glioblastoma", "rg:VasogenicEdema", 0.7, "curated"),
            Association("rg:PilocyticAstrocytoma", "rg:CysticMass", 0.7, "curated"),
            Association("rg:Appendicitis", "rg:Fever", 0.7, "curated"),
        )
    )


def test_named_diagnosis_in_the_findings_lifts_it(ontology) -> None:  # type: ignore[no-untyped-def]
    from radgraph.ddx import Suspected

    q = [FindingQuery("rg:ParavertebralMass")]
    base = {r.concept: r.score for r in rank(q, load_curated(), top_k=100_000, ontology=ontology)}
    named = rank(q, load_curated(), top_k=100_000, ontology=ontology,
                 suspected=[Suspected("rg:TuberculousSpondylitis")])  # fmt: skip
    after = {r.concept: r for r in named}
    tb = after["rg:TuberculousSpondylitis"]
    assert tb.score > base["rg:TuberculousSpondylitis"] + 1.0
    assert any(c.via == "named in the report" for c in tb.supporting)
    ruled_out = rank(q, load_curated(), top_k=100_000, ontology=ontology,
                     suspected=[Suspected("rg:TuberculousSpondylitis", Assertion.ABSENT)])  # fmt: skip
    assert {r.concept: r.score for r in ruled_out}["rg:TuberculousSpondylitis"] < base["rg:TuberculousSpondylitis"]


def test_suspected_from_extraction_keeps_impressions_not_history(nlp) -> None:  # type: ignore[no-untyped-def]
    from radgraph.ddx import suspected_from_extraction
    from radgraph.model import Report
    from radgraph.nlp import extract

    ex = extract(nlp, Report("t", "History\n\nKnown thalassemia.\n\nFindings\n\nBilateral paravertebral masses, "
                                  "consistent with extramedullary hematopoiesis.\n"))  # fmt: skip
    named = suspected_from_extraction(ex)
    assert [s.concept for s in named] == ["rg:ExtramedullaryHematopoiesis"]
    assert named[0].in_findings and named[0].assertion is Assertion.PRESENT
    _, history = queries_from_extraction(ex)
    assert "rg:Thalassemia" in history


def test_a_relatives_disease_is_a_weaker_hint_than_the_patients(ontology) -> None:  # type: ignore[no-untyped-def]
    from radgraph.ddx import Suspected

    kn = Knowledge((_assoc("rg:BreastCancer", "rg:BreastLump", 0.5), _assoc("rg:Fibroadenoma", "rg:BreastLump", 0.5)))

    def weight(s: Suspected) -> float:
        top = next(r for r in rank([FindingQuery("rg:BreastLump")], kn, ontology=ontology, suspected=[s])
                   if r.concept == "rg:BreastCancer")  # fmt: skip
        return sum(c.weight for c in top.supporting if "named" in c.label or "family history" in c.label)

    own = weight(Suspected("rg:BreastCancer", in_findings=False))
    relative = weight(Suspected("rg:BreastCancer", in_findings=False, family=True))
    assert 0 < relative < own
    assert weight(Suspected("rg:BreastCancer", Assertion.ABSENT, in_findings=False, family=True)) == 0


def test_a_relatives_disease_is_no_history_of_the_patient(nlp) -> None:  # type: ignore[no-untyped-def]
    from radgraph.ddx import suspected_from_extraction
    from radgraph.model import Report, Subject
    from radgraph.nlp import extract

    ex = extract(nlp, Report("t", "History\n\nBack pain. Her mother had breast cancer. She has sarcoidosis.\n"))
    assert {d.concept: d.subject for d in ex.diagnoses} == {"rg:BreastCancer": Subject.FAMILY,
                                                           "rg:Sarcoidosis": Subject.PATIENT}  # fmt: skip
    named = {s.concept: s.family for s in suspected_from_extraction(ex)}
    assert named == {"rg:BreastCancer": True, "rg:Sarcoidosis": False}  # a relative's: a weaker hint only
    assert "rg:BreastCancer" not in queries_from_extraction(ex)[1]


def test_diagnoses_named_in_a_discussion_are_not_suspected(nlp) -> None:  # type: ignore[no-untyped-def]
    from radgraph.ddx import suspected_from_extraction
    from radgraph.model import Report
    from radgraph.nlp import extract

    text = ("Findings\n\nBilateral paravertebral masses, consistent with extramedullary hematopoiesis.\n\n"
            "Discussion\n\nNeurofibroma and lymphoma can also cause paravertebral masses.\n")  # fmt: skip
    ex = extract(nlp, Report("t", text))
    assert [s.concept for s in suspected_from_extraction(ex)] == ["rg:ExtramedullaryHematopoiesis"]


def test_family_backoff_softens_an_unknown_finding(monkeypatch, ontology) -> None:  # type: ignore[no-untyped-def]
    import radgraph.ddx as ddx

    q = [FindingQuery("rg:MassEffect"), FindingQuery("rg:CysticMass")]
    k = _synthetic_knowledge()
    monkeypatch.setattr(ddx, "FAMILY_WEIGHT", 0.0)
    off = {r.concept: r for r in rank(q, k, ontology=ontology)}
    monkeypatch.setattr(ddx, "FAMILY_WEIGHT", 0.5)
    on = {r.concept: r for r in rank(q, k, ontology=ontology)}
    pilo_on = on["rg:PilocyticAstrocytoma"]
    assert pilo_on.score > off["rg:PilocyticAstrocytoma"].score
    assert any("related diagnoses" in c.via for c in pilo_on.supporting + pilo_on.against)
    # an unrelated diagnosis borrows nothing
    assert on["rg:Appendicitis"].score == off["rg:Appendicitis"].score


def test_teaching_set_prior_favours_frequent_diagnoses(monkeypatch, ontology) -> None:  # type: ignore[no-untyped-def]
    import radgraph.ddx as ddx
    from radgraph.knowledge import Association

    k = Knowledge(
        (Association("rg:Glioblastoma", "rg:MassEffect", 0.7, "curated"),
         Association("rg:Meningioma", "rg:MassEffect", 0.7, "curated")),
        case_counts={"rg:Meningioma": 5},
    )  # fmt: skip
    monkeypatch.setattr(ddx, "CASE_PRIOR", 0.0)
    off = {r.concept: r.score for r in rank([FindingQuery("rg:MassEffect")], k, ontology=ontology)}
    monkeypatch.setattr(ddx, "CASE_PRIOR", 0.5)
    ranked = rank([FindingQuery("rg:MassEffect")], k, ontology=ontology)
    on = {r.concept: r.score for r in ranked}
    assert abs(on["rg:Meningioma"] - off["rg:Meningioma"] - 0.5 * math.log(6)) < 1e-3
    assert on["rg:Glioblastoma"] == off["rg:Glioblastoma"]
    assert any(c.via == "prior" for c in ranked[[r.concept for r in ranked].index("rg:Meningioma")].supporting)


def test_fold_assignment_is_deterministic_and_balanced() -> None:
    import pytest

    from radgraph.ddx_eval import fold_assignment

    ids = [f"c{i:02d}" for i in range(11)]
    folds = fold_assignment(list(reversed(ids)), 5)
    assert folds == fold_assignment(ids, 5)
    sizes = [sum(1 for v in folds.values() if v == f) for f in range(5)]
    assert sorted(sizes) == [2, 2, 2, 2, 3]
    with pytest.raises(ValueError):
        fold_assignment(ids, 1)


def test_cross_validation_never_sees_the_held_out_cases(nlp, built_store, ontology) -> None:  # type: ignore[no-untyped-def]
    from radgraph.build import store_knowledge
    from radgraph.ddx_eval import cross_validate
    from radgraph.nlp import extract
    from radgraph.reports import iter_reports

    cases_dir = Path(__file__).parent.parent / "data" / "cases"
    cases = [extract(nlp, i.report) for i in iter_reports([cases_dir]) if i.report][:6]
    asked: list[set[str]] = []

    def without(ids):  # type: ignore[no-untyped-def]
        asked.append(set(ids))
        k = store_knowledge(built_store, exclude_cases=ids)
        assert not any(e.case_id in ids for a in k.associations for e in a.evidence)
        return load_curated().merged(k)

    scores = cross_validate(cases, without, nlp, ontology, folds=3)
    assert scores.cases == 6 and len(asked) == 3
    assert set().union(*asked) == {c.case_id for c in cases}
    assert all(len(a) == 2 for a in asked)
    assert sum(scores.failure_classes().values()) == scores.cases


def test_eval_ddx_rejects_a_single_fold(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from radgraph.cli import main

    (tmp_path / "data_train.jsonl").write_text("", encoding="utf-8")
    (tmp_path / "data_dev.jsonl").write_text("", encoding="utf-8")
    args = ["eval", "ddx", "--skip-bundled", "--medpix", str(tmp_path), "--train-folds", "1"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert "at least 2 folds" in result.output


def _assoc(dx: str, finding: str, freq: float = 0.7, sites: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    from radgraph.knowledge import Association

    return Association(dx, finding, freq, "curated", sites=sites)  # type: ignore[arg-type]


def test_a_finding_elsewhere_than_the_diagnosis_occurs_supports_it_less(ontology) -> None:  # type: ignore[no-untyped-def]
    # both diagnoses know a heterogeneous mass; one occurs in the brain, the other in the larynx
    kn = Knowledge(
        (
            _assoc("rg:Glioblastoma", "rg:HeterogeneousMass", 0.7),
            _assoc("rg:Glioblastoma", "rg:MassEffect", 0.7, ("rg:FrontalLobe",)),
            _assoc("rg:LaryngealPapillomatosis", "rg:HeterogeneousMass", 0.3),
            _assoc("rg:LaryngealPapillomatosis", "rg:Stridor", 0.7, ("rg:Larynx",)),
        )
    )
    q = [FindingQuery("rg:HeterogeneousMass", sites=("rg:Subglottis",))]
    ranked = rank(q, kn, ontology=ontology)
    assert ranked[0].concept == "rg:LaryngealPapillomatosis"
    glio = next(r for r in ranked if r.concept == "rg:Glioblastoma")
    assert any("elsewhere" in c.via for c in glio.supporting + glio.against)
    # without a site the larger frequency wins
    assert rank([FindingQuery("rg:HeterogeneousMass")], kn, ontology=ontology)[0].concept == "rg:Glioblastoma"


def test_regions_are_places_not_kinds_of_structure(ontology) -> None:  # type: ignore[no-untyped-def]
    from radgraph.ddx import _region

    cache: dict = {}  # type: ignore[type-arg]
    larynx = _region({"rg:Subglottis"}, ontology, cache)
    liver = _region({"rg:Liver"}, ontology, cache)
    assert "rg:Larynx" in larynx and "rg:Liver" in liver
    assert not larynx & liver  # both are organs, but not in the same place
    assert "rg:Cerebrum" in _region({"rg:FrontalLobe"}, ontology, cache)


def test_a_diagnosis_that_is_a_finding_is_supported_by_seeing_it(ontology) -> None:  # type: ignore[no-untyped-def]
    kn = Knowledge(
        (
            _assoc("rg:Pneumothorax", "rg:ChestPain", 0.7),
            _assoc("rg:Pneumonia", "rg:ChestPain", 0.7),
            _assoc("rg:Pneumonia", "rg:Consolidation", 0.7),
        )
    )
    ranked = rank([FindingQuery("rg:Pneumothorax"), FindingQuery("rg:ChestPain")], kn, ontology=ontology)
    assert ranked[0].concept == "rg:Pneumothorax"
    assert any(e.kind == "definition" for c in ranked[0].supporting for e in c.evidence)
    # a broad finding (a mass) is not made a diagnosis of itself
    broad = Knowledge((_assoc("rg:Mass", "rg:Pain", 0.7), _assoc("rg:Lipoma", "rg:FatContainingLesion", 0.7)))
    assert all(c.finding != "rg:Mass" for r in rank([FindingQuery("rg:Mass")], broad, ontology=ontology)
               for c in r.supporting)  # fmt: skip


def test_an_absent_finding_that_is_also_present_is_ignored(ontology) -> None:  # type: ignore[no-untyped-def]
    kn = Knowledge((_assoc("rg:Lipoma", "rg:Mass", 0.9), _assoc("rg:Pneumonia", "rg:Cough", 0.9)))
    present = rank([FindingQuery("rg:SoftTissueMass")], kn, ontology=ontology)
    both = rank([FindingQuery("rg:SoftTissueMass"), FindingQuery("rg:Mass", Assertion.ABSENT)], kn, ontology=ontology)
    assert [(r.concept, r.score) for r in both] == [(r.concept, r.score) for r in present]


def test_curated_sites_are_read(ontology) -> None:  # type: ignore[no-untyped-def]
    sited = [a for a in load_curated().associations if a.sites]
    assert len(sited) > 500
    assert all(s in ontology and ontology.is_a(s, "rg:AnatomicalSite") for a in sited for s in a.sites)


def test_histories_and_broad_categories_are_not_offered_as_diagnoses(ontology) -> None:  # type: ignore[no-untyped-def]
    kn = Knowledge(
        (
            _assoc("rg:SmokingHistory", "rg:PulmonaryNodule", 0.9),  # an exposure, not a diagnosis
            _assoc("rg:Neoplasm", "rg:PulmonaryNodule", 0.9),  # hundreds of subclasses
            _assoc("rg:LungCancer", "rg:PulmonaryNodule", 0.5),
        )
    )
    assert [r.concept for r in rank([FindingQuery("rg:PulmonaryNodule")], kn, ontology=ontology)] == ["rg:LungCancer"]


def test_a_finding_is_offered_as_a_diagnosis_only_when_curated_as_one(ontology) -> None:  # type: ignore[no-untyped-def]
    from radgraph.knowledge import Association

    kn = Knowledge(
        (
            Association("rg:BoneMass", "rg:MassEffect", 0.8, "case"),  # a case filed under a bare finding
            Association("rg:Pneumothorax", "rg:MassEffect", 0.3, "curated"),  # a finding curated as a diagnosis
            Association("rg:Chondrosarcoma", "rg:MassEffect", 0.3, "curated"),
        )
    )
    ranked = {r.concept for r in rank([FindingQuery("rg:MassEffect")], kn, ontology=ontology)}
    assert ranked == {"rg:Pneumothorax", "rg:Chondrosarcoma"}


def test_a_finding_that_comes_with_another_present_finding_counts_less(monkeypatch, ontology) -> None:  # type: ignore[no-untyped-def]
    import radgraph.ddx as ddx

    kn = Knowledge(
        (
            _assoc("rg:VertebralCollapse", "rg:BoneMarrowEdema", 0.9),  # a finding profiled as a diagnosis
            _assoc("rg:TuberculousSpondylitis", "rg:BoneMarrowEdema", 0.9),
            _assoc("rg:TuberculousSpondylitis", "rg:ParavertebralMass", 0.5),
            _assoc("rg:ExtramedullaryHematopoiesis", "rg:ParavertebralMass", 0.9),
        )
    )
    q = [FindingQuery("rg:VertebralCollapse"), FindingQuery("rg:BoneMarrowEdema"), FindingQuery("rg:ParavertebralMass")]

    def gap() -> float:
        by = {r.concept: r.score for r in rank(q, kn, ontology=ontology, top_k=10)}
        return by["rg:TuberculousSpondylitis"] - by["rg:ExtramedullaryHematopoiesis"]

    monkeypatch.setattr(ddx, "FINDINGS_EXPLAIN", 0.0)
    alone = gap()
    monkeypatch.setattr(ddx, "FINDINGS_EXPLAIN", 0.5)
    # the marrow edema of an acute collapse no longer speaks for spondylitis as much
    assert 0 < gap() < alone


def test_validate_flags_a_site_that_is_not_a_place(ontology) -> None:  # type: ignore[no-untyped-def]
    from radgraph.knowledge import validate

    kn = Knowledge(
        (_assoc("rg:Lipoma", "rg:Mass", 0.7, sites=("rg:Fever",)), _assoc("rg:Lipoma", "rg:Mass", 0.7, sites=("rg:Liver",)))
    )
    problems = validate(kn, ontology)
    assert len(problems) == 1 and "rg:Fever" in problems[0]


def test_candidates_say_whether_they_are_a_disease_a_finding_or_a_class(ontology) -> None:  # type: ignore[no-untyped-def]
    kn = Knowledge(
        (
            _assoc("rg:VertebralCollapse", "rg:BackPain", 0.7),  # an imaging finding named as a diagnosis
            _assoc("rg:Lymphoma", "rg:BackPain", 0.5),  # a class: two of its kinds are candidates
            _assoc("rg:HodgkinDisease", "rg:BackPain", 0.3),
            _assoc("rg:DiffuseLargeBCellLymphoma", "rg:BackPain", 0.3),
        )
    )
    kinds = {r.concept: r.kind for r in rank([FindingQuery("rg:BackPain")], kn, ontology=ontology)}
    assert kinds == {"rg:VertebralCollapse": "finding", "rg:Lymphoma": "class",
                     "rg:HodgkinDisease": "disease", "rg:DiffuseLargeBCellLymphoma": "disease"}  # fmt: skip


def test_a_condition_link_counts_once_however_many_histories_it_covers(ontology) -> None:  # type: ignore[no-untyped-def]
    from radgraph.knowledge import ConditionLink

    kn = Knowledge(
        (_assoc("rg:VenousThrombosis", "rg:LimbSwelling", 0.7), _assoc("rg:Cellulitis", "rg:LimbSwelling", 0.7)),
        (ConditionLink("rg:VenousThrombosis", "rg:MalignantNeoplasm", "a textbook"),),
    )
    q = [FindingQuery("rg:LimbSwelling")]

    def conditions(history: list[str]) -> list[float]:
        top = next(r for r in rank(q, kn, history=history, ontology=ontology) if r.concept == "rg:VenousThrombosis")
        return [c.weight for c in top.supporting if c.via.startswith("associated condition")]

    one = conditions(["rg:Chondrosarcoma"])
    assert len(one) == 1 and one[0] > 0
    # two cancers in the history are one predisposing condition
    assert conditions(["rg:Chondrosarcoma", "rg:BreastCancer"]) == one


def test_a_condition_linked_to_many_diagnoses_weighs_less(monkeypatch, ontology) -> None:  # type: ignore[no-untyped-def]
    from radgraph import ddx
    from radgraph.knowledge import ConditionLink

    monkeypatch.setattr(ddx, "SPECIFIC_LINKS", 2)

    def weight(others: list[str]) -> float:
        # one link to a venous thrombosis, for a condition also linked to the *others*
        kn = Knowledge(
            (_assoc("rg:VenousThrombosis", "rg:LimbSwelling", 0.7), _assoc("rg:Cellulitis", "rg:LimbSwelling", 0.7)),
            tuple(ConditionLink(d, "rg:DiabetesMellitus", "a textbook") for d in ["rg:VenousThrombosis", *others]),
        )
        ranked = rank([FindingQuery("rg:LimbSwelling")], kn, history=["rg:Type2DiabetesMellitus"], ontology=ontology)
        top = next(r for r in ranked if r.concept == "rg:VenousThrombosis")
        return sum(c.weight for c in top.supporting if c.via.startswith("associated condition"))

    two = weight(["rg:Cellulitis"])  # up to SPECIFIC_LINKS diagnoses, a link keeps its full weight
    four = weight(["rg:Cellulitis", "rg:Lymphoma", "rg:Pneumonia"])
    assert two == pytest.approx(math.log(ddx.CONDITION_LR), abs=1e-3)
    assert four == pytest.approx(two / 2, abs=1e-3)


def test_a_broad_known_disease_is_not_a_known_kind_of_it(ontology) -> None:  # type: ignore[no-untyped-def]
    kn = Knowledge(
        (_assoc("rg:BronchopleuralFistula", "rg:Pneumothorax", 0.7), _assoc("rg:HodgkinDisease", "rg:Fever", 0.5))
    )

    def known(history: list[str], dx: str, q: str) -> bool:
        top = next(r for r in rank([FindingQuery(q)], kn, history=history, ontology=ontology) if r.concept == dx)
        return any(c.via == "the patient is known to have it" for c in top.supporting)

    # "chronic lung disease" does not mean the patient is known to have a bronchopleural fistula
    assert not known(["rg:RespiratoryDisorder"], "rg:BronchopleuralFistula", "rg:Pneumothorax")
    # a known lymphoma does speak for Hodgkin disease, one of its few kinds
    assert known(["rg:Lymphoma"], "rg:HodgkinDisease", "rg:Fever")


def test_a_candidate_the_history_names_is_marked_known(ontology) -> None:  # type: ignore[no-untyped-def]
    kn = Knowledge((_assoc("rg:Thalassemia", "rg:Splenomegaly", 0.7), _assoc("rg:Lymphoma", "rg:Splenomegaly", 0.5)))
    kinds = {r.concept: r.kind for r in rank([FindingQuery("rg:Splenomegaly")], kn, history=["rg:Thalassemia"],
                                             ontology=ontology)}  # fmt: skip
    assert kinds["rg:Thalassemia"] == "known" and kinds["rg:Lymphoma"] != "known"
