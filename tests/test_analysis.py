from __future__ import annotations

import json
import logging
import math
from decimal import Decimal
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner
from rdflib import OWL, RDF, RDFS, Literal, URIRef

from radgraph import analysis as A
from radgraph.analysis import Link
from radgraph.errors import UnknownTermError
from radgraph.store import open_store
from radgraph.vocab import RG, case_iri, uri

REPO = Path(__file__).parent.parent


# ---- hand-made graphs -----------------------------------------------------------------------


def _B(*links: Link) -> nx.Graph:
    return A.bipartite_from_links(links)


def test_bipartite_merges_layers_and_documents_weight() -> None:
    B = _B(Link("urn:d", "urn:f", cases=2), Link("urn:d", "urn:f", curated=0.7),
           Link("urn:d", "urn:g", curated=0.3))
    both = B.edges["urn:d", "urn:f"]
    assert (both["cases"], both["curated"], both["layers"]) == (2, 0.7, ["case", "curated"])
    assert both["weight"] == pytest.approx(2 + A.CURATED_CASES * 0.7)
    assert B.edges["urn:d", "urn:g"]["layers"] == ["curated"]
    assert B.nodes["urn:d"]["kind"] == "diagnosis" and B.nodes["urn:g"]["kind"] == "finding"
    heavy = A.bipartite_from_links([Link("urn:d", "urn:f", curated=0.5)], curated_cases=10)
    assert heavy.edges["urn:d", "urn:f"]["weight"] == pytest.approx(5.0)


def test_bipartite_keeps_a_concept_used_in_both_roles_as_a_finding(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="radgraph.analysis"):
        B = _B(Link("urn:b", "urn:c", cases=1), Link("urn:a", "urn:b", cases=1),
               Link("urn:b", "urn:b", cases=1))
    assert list(B.edges) == [("urn:a", "urn:b")]
    assert B.nodes["urn:b"]["kind"] == "finding" and "urn:c" not in B
    assert B.graph["dropped_links"] == 2
    assert "used both as a diagnosis and as a finding" in caplog.text
    assert nx.is_bipartite(B)


def test_node_lookup_and_weight_matrix() -> None:
    labels = {"urn:d": "Dx", "urn:f": "Paravertebral mass"}
    B = A.bipartite_from_links([Link("urn:d", "urn:f", cases=2)], labels)
    assert A.node_for(B, "paravertebral MASS") == "urn:f" and A.node_for(B, "urn:d") == "urn:d"
    with pytest.raises(UnknownTermError, match="no node"):
        A.node_for(B, "rg:Nothing")
    assert A.weight_matrix(B, ["urn:f"], ["urn:d", "urn:x"]) == [[2.0, 0.0]]
    assert A.weight_matrix(B, ["urn:f"], ["urn:d"], attr="cases") == [[2.0]]


def test_layer_graph_keeps_one_layer_with_its_value() -> None:
    B = _B(Link("urn:d", "urn:f", cases=2, curated=0.7), Link("urn:d", "urn:g", cases=1))
    curated = A.layer_graph(B, "curated")
    assert list(curated.edges(data="weight")) == [("urn:d", "urn:f", 0.7)]
    assert "urn:g" not in curated and curated.nodes["urn:d"]["kind"] == "diagnosis"
    assert dict(A.layer_graph(B, "case").edges[("urn:d", "urn:g")])["weight"] == 1.0
    with pytest.raises(ValueError, match="layer must be"):
        A.layer_graph(B, "generic")


def test_cosine_similarity_known_value() -> None:
    B = _B(
        Link("urn:A", "urn:f1", cases=1), Link("urn:A", "urn:f2", cases=2),
        Link("urn:B", "urn:f1", cases=2), Link("urn:B", "urn:f3", cases=1),
        Link("urn:C", "urn:f4", cases=1),
    )
    S = A.diagnosis_similarity(B)
    # (1*2) / (sqrt(1+4) * sqrt(4+1)) = 0.4
    assert S.edges["urn:A", "urn:B"]["weight"] == pytest.approx(0.4)
    assert S.edges["urn:A", "urn:B"]["shared"] == 1
    assert set(S) == {"urn:A", "urn:B", "urn:C"} and S.degree("urn:C") == 0
    jaccard = A.diagnosis_similarity(B, method="jaccard")
    assert jaccard.edges["urn:A", "urn:B"]["weight"] == pytest.approx(1 / 3)
    assert A.diagnosis_similarity(B, min_similarity=0.5).number_of_edges() == 0


def test_idf_similarity_ignores_a_finding_every_diagnosis_has() -> None:
    B = _B(Link("urn:A", "urn:all", cases=5), Link("urn:B", "urn:all", cases=5),
           Link("urn:A", "urn:x", cases=1))
    assert A.diagnosis_similarity(B).edges["urn:A", "urn:B"]["weight"] > 0.9
    assert not A.diagnosis_similarity(B, idf=True).has_edge("urn:A", "urn:B")


def test_cooccurrence_counts_groups() -> None:
    G = A.cooccurrence_graph({"c1": ["urn:a", "urn:b"], "c2": ["urn:a", "urn:b", "urn:c"], "c3": ["urn:a"]})
    assert G.edges["urn:a", "urn:b"]["count"] == 2 and G.edges["urn:b", "urn:c"]["count"] == 1
    assert G.nodes["urn:a"]["count"] == 3
    assert not A.cooccurrence_graph({"c1": ["urn:a", "urn:b"]}, min_count=2).has_edge("urn:a", "urn:b")
    top = A.strongest_pairs(G, top=1, attr="count")
    assert [(p.a, p.b, p.value) for p in top] == [("urn:a", "urn:b", 2.0)]


def test_cooccurrence_from_bipartite_groups_by_diagnosis() -> None:
    B = _B(Link("urn:d1", "urn:f", cases=1), Link("urn:d1", "urn:g", cases=1),
           Link("urn:d2", "urn:f", cases=1), Link("urn:d2", "urn:g", curated=0.7))
    G = A.finding_cooccurrence(B)
    assert G.graph["unit"] == "diagnoses"
    assert G.edges["urn:f", "urn:g"]["count"] == 2


def _pmi_graph() -> nx.Graph:
    return _B(
        Link("urn:D1", "urn:spec", cases=3), Link("urn:D1", "urn:shared", cases=1),
        Link("urn:D2", "urn:shared", cases=1), Link("urn:D2", "urn:x", cases=1),
        Link("urn:D3", "urn:shared", cases=1),
    )


def test_information_content_orders_by_specificity_then_support() -> None:
    ranked = A.discriminating_findings(_pmi_graph())
    assert [f.label for f in ranked] == ["spec", "x", "shared"]
    assert ranked[0].ic == pytest.approx(math.log2(3))
    assert ranked[-1].ic == pytest.approx(0.0) and ranked[-1].diagnoses == 3


def test_pmi_ordering_and_values() -> None:
    ranked = A.discriminating_findings(_pmi_graph(), by="pmi")
    # W = 7; w(D1) = 4, w(D2) = 2, w(D3) = 1
    assert [f.label for f in ranked] == ["x", "shared", "spec"]
    assert ranked[0].pmi == pytest.approx(math.log2(7 / 2))
    assert ranked[1].pmi == pytest.approx(math.log2(7 / 3)) and ranked[1].best_label == "D3"
    assert ranked[2].pmi == pytest.approx(math.log2(21 / 12))
    assert [f.label for f in A.discriminating_findings(_pmi_graph(), min_support=2)] == ["spec", "shared"]
    with pytest.raises(ValueError, match="by must be"):
        A.discriminating_findings(_pmi_graph(), by="tf")  # type: ignore[arg-type]


def test_hubs_and_bridges_top_nodes() -> None:
    # two triangles joined through m: c and x have the most neighbours, m carries the most paths
    G = nx.Graph([("a", "b"), ("b", "c"), ("a", "c"), ("x", "y"), ("y", "z"), ("x", "z"),
                  ("c", "m"), ("m", "x")])
    result = A.hubs_and_bridges(G, top=2)
    assert [h.node for h in result.hubs] == ["c", "x"]
    assert result.hubs[0].score == pytest.approx(3 / 6)
    assert result.bridges[0].node == "m"
    assert result.bridges[0].score > result.bridges[1].score
    sampled = A.hubs_and_bridges(G, top=1, samples=5, seed=3)
    assert sampled == A.hubs_and_bridges(G, top=1, samples=5, seed=3)
    assert sampled.hubs == result.hubs[:1]
    star = nx.star_graph(4)
    nx.set_node_attributes(star, {0: "hub"} | {i: "leaf" for i in range(1, 5)}, "kind")
    assert A.hubs_and_bridges(star, kind="leaf").hubs[0].score == pytest.approx(0.25)
    assert A.hubs_and_bridges(star, top=1).hubs[0].node == "0"


def _two_cliques(order: list[str]) -> nx.Graph:
    edges = [(a, b) for group in ("abcd", "wxyz") for i, a in enumerate(group) for b in group[i + 1:]]
    edges.append(("d", "w"))
    G = nx.Graph()
    G.add_nodes_from(order)
    G.add_edges_from(sorted(edges, key=lambda e: order.index(e[0])))
    return G


def test_communities_of_two_cliques_are_found_deterministically() -> None:
    forward = A.diagnosis_communities(_two_cliques(list("abcdwxyz")), seed=1)
    backward = A.diagnosis_communities(_two_cliques(list("zyxwdcba")), seed=1)
    assert [c.nodes for c in forward] == [("a", "b", "c", "d"), ("w", "x", "y", "z")]
    assert forward == backward
    greedy = A.diagnosis_communities(_two_cliques(list("abcdwxyz")), method="greedy")
    assert [c.nodes for c in greedy] == [("a", "b", "c", "d"), ("w", "x", "y", "z")]
    assert A.diagnosis_communities(nx.Graph([("p", "q")]), min_size=3) == []


def _concepts() -> nx.Graph:
    return A.concept_graph_from_links(
        [
            ("urn:thal", "subClassOf", "urn:hemolytic"),
            ("urn:emh", "associatedWith", "urn:thal"),
            ("urn:emh", "associatedWith", "urn:hemolytic"),
            ("urn:emh", "presentsWith", "urn:pvm"),
            ("urn:pvm", "subClassOf", "urn:mass"),
            ("urn:schwannoma", "presentsWith", "urn:mass"),
            ("urn:schwannoma", "subClassOf", "urn:mass"),
            ("urn:island", "partOf", "urn:sea"),
        ],
        {"urn:thal": "thalassemia", "urn:emh": "EMH", "urn:pvm": "paravertebral mass"},
    )


def test_path_is_found_with_its_relations() -> None:
    paths = A.paths_between(_concepts(), "urn:thal", "urn:pvm", k=5)
    first = paths[0]
    assert first.labels == ("thalassemia", "EMH", "paravertebral mass")
    steps = [(s.relation, s.inverse) for s in first.steps]
    assert steps == [("associatedWith", True), ("presentsWith", False)]
    assert first.text() == "thalassemia —associatedWith→ EMH —presentsWith→ paravertebral mass"
    assert paths[1].relations == ("subClassOf", "associatedWith", "presentsWith")
    assert [p.hops for p in paths] == sorted(p.hops for p in paths)
    back = A.paths_between(_concepts(), "urn:pvm", "urn:thal")[0]
    assert back.relations == ("isPresentationOf", "associatedWith")


def test_path_limits_and_errors() -> None:
    G = _concepts()
    assert A.paths_between(G, "urn:thal", "urn:pvm", max_hops=1) == []
    assert A.paths_between(G, "urn:thal", "urn:island") == []
    assert len(A.paths_between(G, "urn:thal", "urn:pvm", k=1)) == 1
    with pytest.raises(UnknownTermError, match="urn:nothing"):
        A.paths_between(G, "urn:thal", "urn:nothing")
    # one edge per pair: the knowledge relation wins over subclass
    assert G.edges["urn:schwannoma", "urn:mass"]["relation"] == "presentsWith"
    with pytest.raises(ValueError, match="unknown relation"):
        A.concept_graph_from_links([("urn:a", "sameAs", "urn:b")])


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_export_makes_lists_safe_and_round_trips(tmp_path: Path, fmt: str) -> None:
    B = _B(Link("urn:d", "urn:f", cases=1, curated=0.7), Link("urn:d", "urn:g", cases=2))
    out = A.export_graph(B, tmp_path / f"b.{fmt}", fmt)  # type: ignore[arg-type]
    back = nx.read_graphml(out) if fmt == "graphml" else nx.read_gexf(out)
    assert (back.number_of_nodes(), back.number_of_edges()) == (3, 2)
    assert back.edges["urn:d", "urn:f"]["layers"] == "case; curated"
    assert B.edges["urn:d", "urn:f"]["layers"] == ["case", "curated"]  # the input is left alone


def test_export_rejects_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="format must be"):
        A.export_graph(nx.Graph(), tmp_path / "g.dot", "dot")  # type: ignore[arg-type]


# ---- a hand-made store ----------------------------------------------------------------------


def _case(case_id: str, final: str | None, findings: list[tuple[str, URIRef, URIRef]]) -> list[tuple]:
    case = case_iri(case_id)
    triples: list[tuple] = [(case, RDF.type, RG.Case)]
    if final is not None:
        dx = URIRef(f"{case}/final/0-1")
        triples += [(case, RG.hasFinalDiagnosis, dx), (dx, RDF.type, uri(final))]
    for i, (concept, assertion, subject) in enumerate(findings):
        f = URIRef(f"{case}/finding/{i}-{i + 1}")
        triples += [(case, RG.hasFinding, f), (f, RDF.type, uri(concept)), (f, RG.hasAssertion, assertion),
                    (f, RG.subject, subject)]
    return triples


def _tiny_triples() -> list[tuple]:
    P, G = RG.PatientSubject, RG.GenericSubject
    triples: list[tuple] = [
        (RG.Common, RG.weight, Literal(Decimal("0.7"))),
        (RG.Rare, RG.weight, Literal(Decimal("0.08"))),
    ]
    for curie, label in [("rg:DxA", "dx a"), ("rg:DxB", "dx b"), ("rg:F1", "f one"), ("rg:F2", "f two"),
                         ("rg:F3", "f three")]:
        triples += [(uri(curie), RDF.type, OWL.Class), (uri(curie), RDFS.label, Literal(label, lang="en"))]
    curated = [("A_F1", "rg:DxA", "rg:F1", RG.Common), ("B_F3", "rg:DxB", "rg:F3", RG.Rare)]
    for name, dx, finding, freq in curated:
        a = uri(f"rgk:{name}")
        triples += [(a, RDF.type, RG.FindingAssociation), (a, RG.diagnosis, uri(dx)),
                    (a, RG.finding, uri(finding)), (a, RG.frequency, freq)]
    triples += _case("c1", "rg:DxA", [("rg:F1", RG.Present, P), ("rg:F2", RG.Present, P),
                                      ("rg:F3", RG.Absent, P)])
    triples += _case("c2", "rg:DxA", [("rg:F1", RG.Present, P), ("rg:F2", RG.Present, G)])
    triples += _case("c3", "rg:DxB", [("rg:F2", RG.Present, P)])
    triples += _case("c4", None, [("rg:F1", RG.Present, P), ("rg:F2", RG.Present, P)])
    return triples


@pytest.fixture()
def tiny_store():  # type: ignore[no-untyped-def]
    with open_store("memory:") as store:
        store.add(_tiny_triples(), graph=uri("rgd:graph/tiny"))
        yield store


def _iri(curie: str) -> str:
    return str(uri(curie))


def test_bipartite_graph_reads_cases_and_curated_knowledge(tiny_store) -> None:  # type: ignore[no-untyped-def]
    B = A.bipartite_graph(tiny_store)
    a, b, f1, f2, f3 = (_iri(c) for c in ("rg:DxA", "rg:DxB", "rg:F1", "rg:F2", "rg:F3"))
    assert B.edges[a, f1] == {"cases": 2, "curated": 0.7, "layers": ["case", "curated"], "weight": 4.1}
    assert B.edges[a, f2]["cases"] == 1  # c2's F2 is a generic statement, not the patient
    assert B.edges[b, f2]["layers"] == ["case"]
    assert B.edges[b, f3] == {"cases": 0, "curated": 0.08, "layers": ["curated"], "weight": 0.24}
    assert not B.has_edge(a, f3)  # absent in c1
    assert B.number_of_edges() == 4
    assert B.nodes[a] == {"curie": "rg:DxA", "label": "dx a", "kind": "diagnosis", "cases": 2}
    assert B.nodes[f1]["cases"] == 3 and B.nodes[f3]["cases"] == 0


def test_cooccurrence_from_store_counts_cases(tiny_store) -> None:  # type: ignore[no-untyped-def]
    G = A.finding_cooccurrence(tiny_store)
    f1, f2 = _iri("rg:F1"), _iri("rg:F2")
    assert G.graph["unit"] == "cases"
    assert G.edges[f1, f2]["count"] == 2  # c1 and c4 (c2's F2 is generic)
    assert G.nodes[f1]["label"] == "f one" and G.nodes[f1]["count"] == 3


def test_stats_counts_the_case_layer(tiny_store) -> None:  # type: ignore[no-untyped-def]
    s = A.stats(tiny_store, top=5)
    assert (s.cases, s.findings, s.finding_concepts, s.diagnosis_concepts) == (4, 8, 3, 2)
    assert s.triples == len(tiny_store)
    assert [(f.curie, f.cases) for f in s.top_findings] == [("rg:F1", 3), ("rg:F2", 3)]


def test_cli_stats_and_export(tmp_path: Path) -> None:
    from radgraph.cli_analysis import export, stats

    desc = f"oxigraph:{tmp_path / 'store'}"
    with open_store(desc) as store:
        store.add(_tiny_triples(), graph=uri("rgd:graph/tiny"))
    runner = CliRunner()
    res = runner.invoke(stats, ["--store", desc, "--format", "json", "--top", "1"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["cases"] == 4 and data["top_findings"] == [{"curie": "rg:F1", "label": "f one", "cases": 3}]
    assert "finding concepts" in runner.invoke(stats, ["--store", desc]).stdout
    out = tmp_path / "sim.gexf"
    res = runner.invoke(export, ["gexf", str(out), "--store", desc, "--graph", "similarity"])
    assert res.exit_code == 0, res.output
    assert nx.read_gexf(out).number_of_nodes() == 2
    missing = f"oxigraph:{tmp_path / 'none'}"
    res = runner.invoke(export, ["graphml", str(tmp_path / "b.graphml"), "--store", missing])
    assert res.exit_code == 5 and "no store" in res.output


# ---- the bundled teaching cases -------------------------------------------------------------


@pytest.fixture(scope="module")
def bundled(built_store):  # type: ignore[no-untyped-def]
    """The bipartite graph of the bundled cases (``built_store`` is ``build([REPO / "data"], memory:)``)."""
    return A.bipartite_graph(built_store)


def test_bundled_emh_presents_with_paravertebral_mass_in_both_layers(bundled) -> None:  # type: ignore[no-untyped-def]
    edge = bundled.edges[_iri("rg:ExtramedullaryHematopoiesis"), _iri("rg:ParavertebralMass")]
    assert edge["layers"] == ["case", "curated"]
    assert edge["cases"] >= 1 and edge["curated"] == pytest.approx(0.7)
    assert bundled.nodes[_iri("rg:ExtramedullaryHematopoiesis")]["kind"] == "diagnosis"


def test_bundled_stats_count_every_case(built_store) -> None:  # type: ignore[no-untyped-def]
    from radgraph.build import case_diagnoses

    s = A.stats(built_store)
    assert s.cases == len(case_diagnoses(built_store)) >= len(list((REPO / "data" / "cases").glob("*.txt")))
    assert s.triples == len(built_store)
    assert s.top_findings and s.top_findings[0].cases >= s.top_findings[-1].cases


def test_bundled_path_from_thalassemia_to_paravertebral_mass(built_store) -> None:  # type: ignore[no-untyped-def]
    paths = A.explanation_paths(built_store, "rg:Thalassemia", "rg:ParavertebralMass", k=5)
    assert paths, "no path from thalassemia to paravertebral mass"
    expected = ("thalassemia", "extramedullary hematopoiesis", "paravertebral mass")
    via_emh = [p for p in paths if p.labels == expected]
    assert via_emh, [p.text() for p in paths]
    assert via_emh[0].relations == ("associatedWith", "presentsWith")
    assert [p.hops for p in paths] == sorted(p.hops for p in paths)


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_bundled_exports_parse_back(bundled, tmp_path: Path, fmt: str) -> None:  # type: ignore[no-untyped-def]
    out = A.export_graph(bundled, tmp_path / f"bundled.{fmt}", fmt)  # type: ignore[arg-type]
    back = nx.read_graphml(out) if fmt == "graphml" else nx.read_gexf(out)
    assert back.number_of_nodes() == bundled.number_of_nodes() > 0
    assert back.number_of_edges() == bundled.number_of_edges() > 0
