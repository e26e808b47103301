from __future__ import annotations

import shutil

import pytest
from rdflib import RDF, URIRef

from radgraph.vocab import uri

owlready2 = pytest.importorskip("owlready2")
pytestmark = pytest.mark.skipif(shutil.which("java") is None, reason="HermiT needs Java")

T = "https://example.org/radgraph/data/test/"


@pytest.fixture(scope="module")
def result():  # type: ignore[no-untyped-def]
    from radgraph.reasoning import reason

    f, seq, sig = URIRef(T + "f1"), URIRef(T + "seq1"), URIRef(T + "sig1")
    g, gseq, gsig = URIRef(T + "f2"), URIRef(T + "seq2"), URIRef(T + "sig2")
    extra = [
        (f, RDF.type, uri("rg:SignalFinding")),
        (f, uri("rg:observedOn"), seq),
        (seq, RDF.type, uri("rg:T1Weighted")),
        (f, uri("rg:hasSignal"), sig),
        (sig, RDF.type, uri("rg:HighSignal")),
        # same shape on T2: must not become a T1 hyperintensity
        (g, RDF.type, uri("rg:SignalFinding")),
        (g, uri("rg:observedOn"), gseq),
        (gseq, RDF.type, uri("rg:T2Weighted")),
        (g, uri("rg:hasSignal"), gsig),
        (gsig, RDF.type, uri("rg:HighSignal")),
    ]
    return reason(extra)


def test_ontology_is_consistent(result) -> None:  # type: ignore[no-untyped-def]
    assert result.consistent
    assert result.unsatisfiable == ()


def test_high_signal_on_t1_is_classified_as_t1_hyperintensity(result) -> None:  # type: ignore[no-untyped-def]
    assert str(uri("rg:T1Hyperintensity")) in result.inferred_types[T + "f1"]


def test_high_signal_on_t2_is_not_a_t1_hyperintensity(result) -> None:  # type: ignore[no-untyped-def]
    types = result.inferred_types[T + "f2"]
    assert str(uri("rg:T1Hyperintensity")) not in types
    assert str(uri("rg:T2Hyperintensity")) in types
