"""One suite, every backend: the semantics every Store must share."""

from __future__ import annotations

import pytest
from rdflib import XSD, BNode, Literal, URIRef
from rdflib.compare import graph_diff, isomorphic, to_isomorphic

from radgraph.errors import QueryError, StoreError
from radgraph.queries import with_values
from radgraph.store.base import nt_term
from radgraph.vocab import new_graph, sparql_prefixes

EX = "https://example.org/radgraph/data/test/"
G1, G2, G3 = URIRef(EX + "g1"), URIRef(EX + "g2"), URIRef(EX + "g3")
A, B, C = URIRef(EX + "a"), URIRef(EX + "b"), URIRef(EX + "c")
P = URIRef(EX + "p")


def test_add_and_len(store) -> None:  # type: ignore[no-untyped-def]
    store.add([(A, P, B), (B, P, C)], graph=G1)
    assert len(store) == 2
    assert store.graphs() == [G1]


def test_blank_nodes_are_rejected(store) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(StoreError, match="blank node"):
        store.add([(A, P, BNode())], graph=G1)
    assert len(store) == 0


def test_replace_graph_is_idempotent_and_touches_one_graph(store) -> None:  # type: ignore[no-untyped-def]
    store.add([(A, P, C)], graph=G2)
    store.replace_graph(G1, [(A, P, B)])
    store.replace_graph(G1, [(A, P, B)])
    assert len(store) == 2
    store.replace_graph(G1, [(B, P, C)])
    rows = store.select(f"SELECT ?s ?o WHERE {{ GRAPH <{G1}> {{ ?s ?p ?o }} }}")
    assert [(r["s"], r["o"]) for r in rows] == [(B, C)]
    assert len(store) == 2  # G2 untouched


def test_named_graphs_and_union_default(store) -> None:  # type: ignore[no-untyped-def]
    store.add([(A, P, B)], graph=G1)
    store.add([(B, P, C)], graph=G2)
    rows = store.select(f"SELECT ?x WHERE {{ ?a <{P}> ?b . ?b <{P}> ?x }}")
    assert [r["x"] for r in rows] == [C]
    rows = store.select(f"SELECT ?g WHERE {{ GRAPH ?g {{ <{A}> ?p ?o }} }}")
    assert [r["g"] for r in rows] == [G1]


def test_literals_keep_datatypes_and_language_tags(store) -> None:  # type: ignore[no-untyped-def]
    typed = Literal(29, datatype=XSD.integer)
    tagged = Literal("masse paravertébrale", lang="fr")
    quoted = Literal('a "quoted"\nline')
    store.add([(A, P, typed), (B, P, tagged), (C, P, quoted)], graph=G1)
    rows = {r["s"]: r["o"] for r in store.select("SELECT ?s ?o WHERE { ?s ?p ?o }")}
    assert rows[A] == typed and rows[A].datatype == XSD.integer
    assert rows[B] == tagged and rows[B].language == "fr"
    assert rows[C] == quoted


def test_bound_variable_not_projected(store) -> None:  # type: ignore[no-untyped-def]
    store.add([(A, P, B), (C, P, B), (A, P, C)], graph=G1)
    q = with_values(f"SELECT ?s WHERE {{ #@bind\n ?s <{P}> ?o }}", {"o": B})
    assert sorted(r["s"] for r in store.select(q)) == [A, C]


def test_optional_parameter_left_unbound(store) -> None:  # type: ignore[no-untyped-def]
    store.add([(A, P, B), (C, P, C)], graph=G1)
    text = f"SELECT ?s WHERE {{ #@bind\n ?s <{P}> ?o . FILTER(!BOUND(?want) || ?o = ?want) }}"
    assert len(store.select(with_values(text, {}))) == 2
    assert [r["s"] for r in store.select(with_values(text, {"want": B}))] == [A]


def test_hostile_literal_parameters_stay_literals(store) -> None:  # type: ignore[no-untyped-def]
    store.add([(A, P, Literal("x"))], graph=G1)
    hostile = Literal('x" } UNION { ?s ?p ?o } #\n}')
    q = with_values(f"SELECT ?s WHERE {{ #@bind\n ?s <{P}> ?v }}", {"v": hostile})
    assert store.select(q) == []


def test_ask_and_construct(store) -> None:  # type: ignore[no-untyped-def]
    store.add([(A, P, B)], graph=G1)
    assert store.ask("ASK { ?s ?p ?o }") is True
    assert store.ask(f"ASK {{ ?s ?p <{C}> }}") is False
    g = store.construct("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
    expected = new_graph()
    expected.add((A, P, B))
    if not isomorphic(g, expected):
        _, only_got, only_want = graph_diff(to_isomorphic(g), to_isomorphic(expected))
        pytest.fail(f"got extra {list(only_got)}, missing {list(only_want)}")


def test_invalid_query_is_a_query_error(store) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(QueryError):
        store.select("SELECT WHERE {")


def test_load_parses_turtle_into_a_graph(store) -> None:  # type: ignore[no-untyped-def]
    store.load(f"<{A}> <{P}> <{B}> .", format="turtle", graph=G1)
    store.load(f"<{A}> <{P}> <{C}> .", format="turtle", graph=G1)
    rows = store.select(sparql_prefixes() + "SELECT ?o WHERE { ?s ?p ?o }")
    assert [r["o"] for r in rows] == [C]


def test_replace_quads_writes_new_graphs_and_replaces_old_ones(store) -> None:  # type: ignore[no-untyped-def]
    lit = Literal('two "quoted"\nlines', lang="en")
    first = f"<{A}> <{P}> <{B}> <{G1}> .\n<{A}> <{P}> {nt_term(lit)} <{G2}> .\n"
    store.replace_quads(first, [G1, G2])
    assert sorted(store.graphs()) == sorted([G1, G2]) and len(store) == 2
    rows = store.select("SELECT ?o WHERE { ?s ?p ?o FILTER(isLiteral(?o)) }")
    assert [r["o"] for r in rows] == [lit]
    # G1 exists now: its content is replaced, G2 (listed, no quads) ends up empty, G3 is untouched
    store.add([(C, P, C)], graph=G3)
    store.replace_quads(f"<{A}> <{P}> <{C}> <{G1}> .\n", [G1, G2])
    rows = store.select("SELECT ?s ?o WHERE { ?s ?p ?o } ORDER BY ?s")
    assert [(r["s"], r["o"]) for r in rows] == [(A, C), (C, C)]


def test_replace_quads_rejects_bad_input_and_keeps_the_store(store) -> None:  # type: ignore[no-untyped-def]
    store.add([(A, P, B)], graph=G1)
    with pytest.raises(StoreError):
        store.replace_quads(f"<{A}> <{P}> <{C}> <{G1}> .\n<{A}> <{P}> <{C}> <{G3}> .\n", [G1])
    with pytest.raises(StoreError):
        store.replace_quads("<not an iri", [G1])
    assert [r["o"] for r in store.select("SELECT ?o WHERE { ?s ?p ?o }")] == [B]


def test_remove_graph(store) -> None:  # type: ignore[no-untyped-def]
    store.add([(A, P, B)], graph=G1)
    store.remove_graph(G1)
    assert len(store) == 0 and store.graphs() == []


@pytest.mark.remote
def test_build_and_headline_question_on_a_remote_store(oxigraph_server, nlp, ontology) -> None:  # type: ignore[no-untyped-def]
    from radgraph import queries
    from radgraph.build import build
    from radgraph.store import open_store

    from ..conftest import SEED

    with open_store(f"sparql:{oxigraph_server}") as remote:
        remote._update("CLEAR ALL")  # type: ignore[attr-defined]
        summary = build([SEED], remote, nlp=nlp)
        assert summary.imported == ["seed-emh-thalassemia"] and not summary.failed
        params = {"finding": "paravertebral mass", "laterality": "bilateral"}
        text, _ = queries.bind(queries.load("diagnoses-presenting-with"), params, ontology)
        rows = remote.select(text)
        cases = [r for r in rows if r.text("source") == "case"]
        assert cases and cases[0].text("evidence") == "paravertebral masses"
        assert cases[0].text("diagnosis").endswith("/ExtramedullaryHematopoiesis")
        build([SEED], remote, nlp=nlp)  # re-ingest: same triples
        assert len(remote.select(text)) == len(rows)
