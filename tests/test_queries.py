from __future__ import annotations

import pytest

from radgraph import queries
from radgraph.errors import QueryError
from radgraph.vocab import RG, uri


def _run(store, name, ontology, **params):  # type: ignore[no-untyped-def]
    text, _ = queries.bind(queries.load(name), params, ontology)
    return store.select(text)


def test_every_packaged_query_parses_and_runs(built_store, ontology) -> None:  # type: ignore[no-untyped-def]
    for name in queries.names():
        q = queries.load(name)
        assert q.description, f"{name} has no description"
        params = {p.name: "rg:Mass" if p.type == "concept" else "bilateral" for p in q.params if p.required}
        text, _ = queries.bind(q, params, ontology)
        if q.form == "SELECT":
            built_store.select(text)


def test_headline_question_bilateral(built_store, ontology) -> None:  # type: ignore[no-untyped-def]
    rows = _run(
        built_store, "diagnoses-presenting-with", ontology, finding="paravertebral mass", laterality="bilateral"
    )
    from_cases = {(r["diagnosis"], r.text("case").rsplit("/", 1)[-1]) for r in rows if r.text("source") == "case"}
    assert (uri("rg:ExtramedullaryHematopoiesis"), "seed-emh-thalassemia") in from_cases
    seed = [r for r in rows if r.text("case").endswith("/seed-emh-thalassemia")]
    assert seed[0].text("evidence") == "paravertebral masses"
    assert all(r["side"] == RG.Bilateral for r in rows)


def test_headline_question_is_subsumption_aware(built_store, ontology) -> None:  # type: ignore[no-untyped-def]
    rows = _run(built_store, "diagnoses-presenting-with", ontology, finding="mass")
    cases = {r.text("case").rsplit("/", 1)[-1] for r in rows if r.text("source") == "case"}
    assert "seed-emh-thalassemia" in cases
    observed = {r["observed"] for r in rows if r.text("case").endswith("/seed-emh-thalassemia")}
    assert uri("rg:ParavertebralMass") in observed


def test_unilateral_question_excludes_the_seed(built_store, ontology) -> None:  # type: ignore[no-untyped-def]
    rows = _run(built_store, "diagnoses-presenting-with", ontology, finding="paravertebral mass", laterality="left")
    assert not any(r.text("case").endswith("/seed-emh-thalassemia") for r in rows)


def test_parameter_errors(ontology) -> None:  # type: ignore[no-untyped-def]
    q = queries.load("diagnoses-presenting-with")
    with pytest.raises(QueryError, match="needs parameter"):
        queries.bind(q, {}, ontology)
    with pytest.raises(QueryError, match="no parameter"):
        queries.bind(q, {"finding": "mass", "colour": "red"}, ontology)
    with pytest.raises(QueryError, match="laterality must be"):
        queries.bind(q, {"finding": "mass", "laterality": "sideways"}, ontology)
    with pytest.raises(QueryError, match="no concept is named"):
        queries.bind(q, {"finding": "} UNION { ?s ?p ?o"}, ontology)
    with pytest.raises(QueryError, match="no query named"):
        queries.load("no-such-query")


def _case_ids(rows):  # type: ignore[no-untyped-def]
    return {r.text("case").rsplit("/", 1)[-1] for r in rows if r.get("case") is not None}


def test_findings_of_emh(built_store, ontology) -> None:  # type: ignore[no-untyped-def]
    rows = _run(built_store, "findings-of-diagnosis", ontology, diagnosis="EMH")
    by = {r["finding"]: r for r in rows}
    pvm = by[uri("rg:ParavertebralMass")]
    assert int(pvm.text("cases")) >= 2  # the example case and the spherocytosis case
    assert pvm.text("curatedFrequency") == "common" and "Haaga" in pvm.text("reference")


def test_conditions_of_emh(built_store, ontology) -> None:  # type: ignore[no-untyped-def]
    rows = _run(built_store, "conditions-associated-with", ontology, diagnosis="extramedullary hematopoiesis")
    got = {(r["condition"], r.text("source")) for r in rows}
    assert (uri("rg:Thalassemia"), "curated") in got
    assert (uri("rg:Thalassemia"), "case") in got


def test_cases_with_but_not(built_store, ontology) -> None:  # type: ignore[no-untyped-def]
    params = {"with": "paravertebral mass", "without": "T1 hyperintensity"}
    rows = _run(built_store, "cases-with-finding-but-not", ontology, **params)
    cases = _case_ids(rows)
    assert "seed-emh-thalassemia" not in cases  # it has a T1 hyperintensity
    assert "spine-thoracic-schwannoma" in cases


def test_pertinent_negatives_of_emh(built_store, ontology) -> None:  # type: ignore[no-untyped-def]
    rows = _run(built_store, "pertinent-negatives", ontology, diagnosis="rg:Neoplasm")
    assert rows and all(int(r.text("cases")) >= 1 for r in rows)
    assert uri("rg:Calcification") in {r["finding"] for r in rows}


def test_sharing_and_separating(built_store, ontology) -> None:  # type: ignore[no-untyped-def]
    rows = _run(built_store, "diagnoses-sharing-findings", ontology, diagnosis="EMH")
    shared = {r["other"]: int(r.text("shared")) for r in rows}
    assert shared.get(uri("rg:Neurofibroma"), 0) >= 2 and min(shared.values()) >= 2
    rows = _run(built_store, "diagnoses-sharing-findings", ontology, diagnosis="EMH", min="4")
    assert rows and min(int(r.text("shared")) for r in rows) >= 4
    rows = _run(built_store, "separating-findings", ontology, a="EMH", b="schwannoma")
    emh_only = {r["finding"] for r in rows if r.text("presentIn") == "extramedullary hematopoiesis"}
    assert uri("rg:FatContainingLesion") in emh_only
    assert uri("rg:ParavertebralMass") not in emh_only  # both present with it


def test_cases_by_technique_is_subsumption_aware(built_store, ontology) -> None:  # type: ignore[no-untyped-def]
    t2 = _case_ids(_run(built_store, "cases-by-technique", ontology, technique="T2-weighted imaging"))
    flair = _case_ids(_run(built_store, "cases-by-technique", ontology, technique="FLAIR"))
    assert flair and flair <= t2


def test_demographics(built_store, ontology) -> None:  # type: ignore[no-untyped-def]
    rows = _run(built_store, "demographics-by-diagnosis", ontology)
    emh = next(r for r in rows if r["diagnosis"] == uri("rg:ExtramedullaryHematopoiesis"))
    assert int(emh.text("cases")) == 2 and int(emh.text("minAge")) == 29 and int(emh.text("men")) >= 1


def test_evidence_for(built_store, ontology, seed_text) -> None:  # type: ignore[no-untyped-def]
    rows = _run(built_store, "evidence-for", ontology, case="seed-emh-thalassemia", concept="mass")
    assert rows
    for r in rows:
        assert seed_text[int(r.text("start")) : int(r.text("end"))] == r.text("evidence")


def test_findings_at_site_uses_part_of(built_store, ontology) -> None:  # type: ignore[no-untyped-def]
    rows = _run(built_store, "findings-at-site", ontology, site="vertebral column")
    seed = [r for r in rows if r.text("case").endswith("/seed-emh-thalassemia")]
    assert any(r.text("siteLabel") == "vertebral body" for r in seed)  # part of a vertebra, part of the spine


def test_differentials_cases_history_frequent(built_store, ontology) -> None:  # type: ignore[no-untyped-def]
    rows = _run(built_store, "differentials-of-diagnosis", ontology, diagnosis="EMH")
    assert uri("rg:Neurofibroma") in {r["alternative"] for r in rows}
    rows = _run(built_store, "cases-of-diagnosis", ontology, diagnosis="rg:HematologicDisorder")
    assert "seed-emh-thalassemia" in _case_ids(rows)
    rows = _run(built_store, "history-and-outcome", ontology, condition="anemia")
    seed = [r for r in rows if r.text("case").endswith("/seed-emh-thalassemia")]
    assert seed and seed[0].text("diagnosisLabel") == "extramedullary hematopoiesis"
    rows = _run(built_store, "frequent-findings", ontology)
    counts = [int(r.text("cases")) for r in rows]
    assert counts == sorted(counts, reverse=True) and len(rows) <= 50


def test_query_library_size() -> None:
    assert len(queries.names()) >= 15
