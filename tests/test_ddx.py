from __future__ import annotations

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
