from __future__ import annotations

import csv
from collections import defaultdict

import pytest
from rdflib import OWL, RDF, RDFS, URIRef

from radgraph.errors import UnknownTermError
from radgraph.knowledge import knowledge_graph, load_curated, validate
from radgraph.ontology import load_graph
from radgraph.rules import FindingRule, load_rules
from radgraph.vocab import RG, compress, is_curie

from .conftest import SHARED


def test_rg_members_are_declared_in_the_ontology() -> None:
    g = load_graph()
    declared = {str(s) for s in g.subjects() if isinstance(s, URIRef)}
    for name in RG.__annotations__:
        assert str(RG[name]) in declared, f"RG.{name} is not declared in the TTL"


def test_rg_namespace_is_closed() -> None:
    with pytest.raises(AttributeError):
        RG.NoSuchTerm  # noqa: B018


def test_every_concept_has_a_named_parent_and_one_label(ontology) -> None:  # type: ignore[no-untyped-def]
    for c in ontology.concepts.values():
        if c.curie == "rg:Concept" or not ontology.is_a(c.curie, "rg:Concept"):
            continue
        assert c.parents, f"{c.curie} has no parent"
        for p in c.parents:
            assert p in ontology, f"{c.curie} has undeclared parent {p}"


def test_no_label_is_shared_by_two_concepts(ontology) -> None:  # type: ignore[no-untyped-def]
    owners: dict[str, set[str]] = defaultdict(set)
    for c in ontology.concepts.values():
        if c.deprecated or c.abstract or not ontology.is_a(c.curie, "rg:Concept"):
            continue
        for text in (c.label, *c.alt_labels, *c.hidden_labels):
            owners[text.casefold()].add(c.curie)
    shared = {t: o for t, o in owners.items() if len(o) > 1}
    assert not shared, f"labels shared by several concepts: {dict(list(shared.items())[:10])}"


def test_hierarchy_of_the_example(ontology) -> None:  # type: ignore[no-untyped-def]
    assert ontology.is_a("rg:Thalassemia", "rg:HemolyticAnemia")
    assert ontology.is_a("rg:HemolyticAnemia", "rg:Anemia")
    assert ontology.is_a("rg:ParavertebralMass", "rg:Mass")
    assert not ontology.is_a("rg:Mass", "rg:ParavertebralMass")


def test_lookup_by_label_synonym_abbreviation_and_curie(ontology) -> None:  # type: ignore[no-untyped-def]
    assert ontology.lookup("extramedullary haematopoiesis") == "rg:ExtramedullaryHematopoiesis"
    assert ontology.lookup("EMH") == "rg:ExtramedullaryHematopoiesis"
    assert ontology.lookup("rg:Mass") == "rg:Mass"
    with pytest.raises(UnknownTermError, match="no concept is named"):
        ontology.lookup("flux capacitor")
    assert ontology.lookup("flux capacitor", strict=False) is None


def test_t1_hyperintensity_is_a_defined_class(ontology) -> None:  # type: ignore[no-untyped-def]
    d = ontology.definition_of("rg:T1Hyperintensity")
    assert d is not None and d.base == "rg:SignalFinding"
    assert {(r.prop, r.filler) for r in d.restrictions} == {
        ("rg:observedOn", "rg:T1Weighted"),
        ("rg:hasSignal", "rg:HighSignal"),
    }


def test_version_iri_is_set() -> None:
    g = load_graph()
    assert list(g.objects(None, OWL.versionIRI))


def test_finding_rules_and_knowledge_resolve(ontology) -> None:  # type: ignore[no-untyped-def]
    for rule in load_rules("builtin:findings", FindingRule.from_dict):
        assert rule.concept in ontology, rule
    assert validate(load_curated(), ontology) == []
    for s, p, o in knowledge_graph():
        for term in (s, p, o):
            if isinstance(term, URIRef) and str(term).startswith(str(RG._NS)):
                c = compress(str(term))
                assert c in ontology or hasattr(RG, c.split(":")[1]), f"knowledge names unknown {c}"


def test_ontology_has_no_blank_node_subjects_except_class_expressions() -> None:
    g = load_graph()
    from rdflib import BNode

    for s in g.subjects(RDF.type, OWL.Class):
        if isinstance(s, BNode):
            # anonymous classes only appear inside owl:equivalentClass definitions
            assert (
                list(g.subjects(OWL.equivalentClass, s))
                or list(g.subjects(RDF.first, s))
                or list(g.subjects(RDFS.subClassOf, s))
            )


@pytest.mark.skipif(not (SHARED / "vocab" / "radlex.csv").exists(), reason="../shared/vocab/radlex.csv not present")
def test_radlex_cross_references_exist() -> None:
    rows = {r[1]: r[0] for r in csv.reader((SHARED / "vocab" / "radlex.csv").open(encoding="utf-8"))}
    g = load_graph()
    from rdflib import SKOS

    bad = []
    for p in (SKOS.exactMatch, SKOS.closeMatch):
        for s, o in g.subject_objects(p):
            c = compress(str(o))
            if c.startswith("radlex:") and c.split(":")[1] not in rows:
                bad.append((compress(str(s)), c))
    assert not bad, bad[:20]


def test_curies_in_rules_have_known_prefixes() -> None:
    for rule in load_rules("builtin:findings", FindingRule.from_dict):
        assert is_curie(rule.concept)


def test_site_definitions_follow_the_name(ontology) -> None:  # type: ignore[no-untyped-def]
    def site(c: str) -> tuple[str, str] | None:
        d = ontology.definition_of(c)
        return (d.base, d.restrictions[0].filler) if d else None

    # "<site> <parent>": the pineal region mass
    assert site("rg:PinealRegionMass") == ("rg:IntracranialMass", "rg:PinealGland")
    # "<site> <ancestor>": a white matter lesion is a brain lesion named after the lesion
    assert site("rg:WhiteMatterLesion") == ("rg:BrainLesion", "rg:WhiteMatter")
    # a parent's own name comes before an ancestor's: an epidural mass is a mass, not only a lesion
    assert site("rg:EpiduralMass") == ("rg:Mass", "rg:EpiduralSpace")
    # an asserted definition wins over the name ("tonsil" alone would be the palatine tonsil)
    assert site("rg:TonsillarHerniation") == ("rg:BrainHerniation", "rg:CerebellarTonsil")
