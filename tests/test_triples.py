from __future__ import annotations

from rdflib import RDF, BNode, Literal
from rdflib.compare import isomorphic

from radgraph.triples import to_triples
from radgraph.vocab import OA, RG, case_graph, generic_graph, new_graph, uri


def _graph(triples):  # type: ignore[no-untyped-def]
    g = new_graph()
    for t in triples:
        g.add(t)
    return g


def test_two_named_graphs_and_no_blank_nodes(seed_extraction) -> None:  # type: ignore[no-untyped-def]
    graphs = to_triples(seed_extraction)
    assert [g.graph for g in graphs] == [case_graph("seed-emh-thalassemia"), generic_graph("seed-emh-thalassemia")]
    for g in graphs:
        assert g.triples
        assert not any(isinstance(x, BNode) for t in g.triples for x in t)


def test_deterministic(seed_extraction) -> None:  # type: ignore[no-untyped-def]
    a = to_triples(seed_extraction)
    b = to_triples(seed_extraction)
    for ga, gb in zip(a, b, strict=True):
        assert isomorphic(_graph(ga.triples), _graph(gb.triples))
        assert sorted(ga.triples) == sorted(gb.triples)


def test_every_finding_links_to_its_span(seed_extraction, seed_text) -> None:  # type: ignore[no-untyped-def]
    g = _graph(to_triples(seed_extraction)[0].triples)
    findings = list(g.objects(None, RG.hasFinding))
    assert findings
    for f in findings:
        span = g.value(f, RG.evidence)
        start, end = int(g.value(span, OA.start)), int(g.value(span, OA.end))
        assert seed_text[start:end] == str(g.value(span, OA.exact))
        assert (span, RDF.type, OA.TextPositionSelector) in g


def test_generic_knowledge_is_kept_apart(seed_extraction) -> None:  # type: ignore[no-untyped-def]
    case_g = _graph(to_triples(seed_extraction)[0].triples)
    generic_g = _graph(to_triples(seed_extraction)[1].triples)
    # the discussion's absent calcification is a generic statement, not a finding of the patient
    calc = uri("rg:Calcification")
    assert not list(case_g.subjects(RDF.type, calc))
    stated = list(generic_g.subjects(RDF.type, calc))
    assert stated and generic_g.value(stated[0], RG.hasAssertion) == RG.Absent
    assert (None, RG.subject, RG.GenericSubject) in generic_g


def test_patient_and_history(seed_extraction) -> None:  # type: ignore[no-untyped-def]
    g = _graph(to_triples(seed_extraction)[0].triples)
    patient = next(g.objects(None, RG.hasPatient))
    assert g.value(patient, RG.age) == Literal(29)
    assert g.value(patient, RG.sex) == RG.Male
    hist = list(g.objects(patient, RG.hasHistoryOf))
    assert [g.value(h, RDF.type) for h in hist] == [uri("rg:Thalassemia")]
