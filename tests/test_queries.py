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
    rows = _run(built_store, "diagnoses-presenting-with", ontology, finding="paravertebral mass", laterality="bilateral")
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
