"""Finding patterns as networks: networkx views of the store and metrics over them.

Two kinds of functions live here:

* **builders** read a :class:`~radgraph.store.Store` with the SPARQL files in
  ``radgraph/queries/analysis/`` and return networkx graphs (:func:`bipartite_graph`,
  :func:`concept_graph`, :func:`finding_cooccurrence`) or records (:func:`stats`);
* **metrics** are pure functions of a graph (:func:`diagnosis_similarity`,
  :func:`discriminating_findings`, :func:`hubs_and_bridges`, :func:`diagnosis_communities`,
  :func:`paths_between`) and never touch a store.

Node keys are IRI strings; every node carries ``curie``, ``label`` and ``kind``. Ties are broken
by label and then key, so every result is deterministic. ``docs/analysis.md`` gives the formulas
and the figures measured on the bundled cases.

>>> B = bipartite_from_links([
...     Link("urn:d:emh", "urn:f:mass", cases=2, curated=0.7),
...     Link("urn:d:schwannoma", "urn:f:mass", curated=0.7),
...     Link("urn:d:schwannoma", "urn:f:t2", cases=1),
... ])
>>> B.edges["urn:d:emh", "urn:f:mass"]["layers"], B.edges["urn:d:emh", "urn:f:mass"]["weight"]
(['case', 'curated'], 4.1)
>>> [f.label for f in discriminating_findings(B)]
['t2', 'mass']
"""

from __future__ import annotations

import logging
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from itertools import combinations
from pathlib import Path
from typing import Literal

import networkx as nx

from radgraph.errors import CurieError, UnknownTermError
from radgraph.queries import load as load_query
from radgraph.store.base import Row, Store
from radgraph.vocab import compress, expand, sparql_prefixes

log = logging.getLogger(__name__)

DIAGNOSIS = "diagnosis"
FINDING = "finding"
CONCEPT = "concept"
CASE_LAYER = "case"
CURATED_LAYER = "curated"

#: How many cases one curated statement weighs in an edge's ``weight`` (a curated "common",
#: frequency 0.7, counts as 2.1 cases). The DDx ranker gives curated statements a similar weight.
CURATED_CASES = 3.0

#: Relations an explanation path may follow, in order of preference when two link the same pair.
RELATIONS = ("associatedWith", "presentsWith", "subClassOf", "partOf")
#: How each relation reads when a path walks it from object to subject.
INVERSE = {
    "associatedWith": "associatedWith",
    "presentsWith": "isPresentationOf",
    "subClassOf": "hasSubclass",
    "partOf": "hasPart",
}
_MAX_CANDIDATE_PATHS = 200
_DIGITS = 6

ExportFormat = Literal["graphml", "gexf"]


# ---- records --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Link:
    """One diagnosis–finding association: cases showing both, and the curated frequency (0..1)."""

    diagnosis: str
    finding: str
    cases: int = 0
    curated: float = 0.0


@dataclass(frozen=True, slots=True)
class NodeScore:
    """A node with a score (a centrality, a count)."""

    node: str
    curie: str
    label: str
    kind: str
    score: float


@dataclass(frozen=True, slots=True)
class HubsAndBridges:
    """The top nodes by degree centrality (hubs) and by betweenness centrality (bridges)."""

    hubs: tuple[NodeScore, ...]
    bridges: tuple[NodeScore, ...]


@dataclass(frozen=True, slots=True)
class Community:
    """A community of nodes, sorted by label."""

    nodes: tuple[str, ...]
    labels: tuple[str, ...]

    @property
    def size(self) -> int:
        """The number of members."""
        return len(self.nodes)


@dataclass(frozen=True, slots=True)
class Pair:
    """Two nodes and the value of the edge between them (a co-occurrence count, a similarity)."""

    a: str
    a_label: str
    b: str
    b_label: str
    value: float


@dataclass(frozen=True, slots=True)
class SpecificFinding:
    """How specific a finding is to few diagnoses (see :func:`discriminating_findings`)."""

    node: str
    curie: str
    label: str
    diagnoses: int
    support: float
    ic: float
    pmi: float
    best_diagnosis: str
    best_label: str


@dataclass(frozen=True, slots=True)
class PathStep:
    """One step of an explanation path: the stored relation and the direction it was walked."""

    source: str
    source_label: str
    relation: str
    target: str
    target_label: str
    inverse: bool = False

    @property
    def reading(self) -> str:
        """The relation as read from source to target (``hasSubclass`` for a walked-back ``subClassOf``)."""
        return INVERSE[self.relation] if self.inverse else self.relation


@dataclass(frozen=True, slots=True)
class ExplanationPath:
    """A chain of concepts linked by ontology and knowledge relations."""

    steps: tuple[PathStep, ...]

    @property
    def hops(self) -> int:
        """The number of steps."""
        return len(self.steps)

    @property
    def labels(self) -> tuple[str, ...]:
        """The labels of the concepts along the path, source first."""
        if not self.steps:
            return ()
        return (self.steps[0].source_label, *(s.target_label for s in self.steps))

    @property
    def relations(self) -> tuple[str, ...]:
        """The relations as read along the path."""
        return tuple(s.reading for s in self.steps)

    def text(self) -> str:
        """The path as one line: ``thalassemia —associatedWith→ extramedullary hematopoiesis …``."""
        if not self.steps:
            return ""
        return self.steps[0].source_label + "".join(f" —{s.reading}→ {s.target_label}" for s in self.steps)


@dataclass(frozen=True, slots=True)
class FindingCount:
    """A finding concept and the number of cases that show it."""

    curie: str
    label: str
    cases: int


@dataclass(frozen=True, slots=True)
class Stats:
    """The size of a store's case layer."""

    cases: int
    findings: int
    finding_concepts: int
    diagnosis_concepts: int
    triples: int
    top_findings: tuple[FindingCount, ...] = field(default=())


# ---- helpers --------------------------------------------------------------------------------


def curie_of(iri: str) -> str:
    """Return the CURIE of an IRI, or the IRI itself when no prefix covers it.

    >>> curie_of("https://example.org/radgraph/ontology/Thalassemia")
    'rg:Thalassemia'
    >>> curie_of("urn:x")
    'urn:x'
    """
    try:
        return str(compress(iri))
    except CurieError:
        return iri


def _local_name(iri: object) -> str:
    text = str(iri)
    return re.split(r"[/#:]", text)[-1] or text


def _to_iri(term: str) -> str:
    return term if re.match(r"^[a-z][a-z0-9+.-]*://", term) else str(expand(term))


def _label(G: nx.Graph, node: str) -> str:
    label = G.nodes[node].get("label")
    return _local_name(node) if label is None else str(label)


def _order(G: nx.Graph, nodes: Iterable[str]) -> list[str]:
    return sorted(nodes, key=lambda n: (_label(G, n), str(n)))


def _nodes_of_kind(G: nx.Graph, kind: str) -> list[str]:
    return _order(G, (n for n, k in G.nodes(data="kind") if k == kind))


def _score(G: nx.Graph, node: str, value: float) -> NodeScore:
    attrs = G.nodes[node]
    kind = str(attrs.get("kind", ""))
    return NodeScore(str(node), str(attrs.get("curie", node)), _label(G, node), kind, value)


def _top(G: nx.Graph, scores: Mapping[str, float], nodes: Iterable[str], top: int) -> tuple[NodeScore, ...]:
    ranked = sorted(nodes, key=lambda n: (-round(scores[n], _DIGITS), _label(G, n), str(n)))
    return tuple(_score(G, n, round(scores[n], _DIGITS)) for n in ranked[:top])


def node_for(G: nx.Graph, term: str) -> str:
    """Return the node a term names: its key (IRI), its CURIE or its label (case-insensitive).

    >>> B = bipartite_from_links([Link("urn:d:emh", "urn:f:mass", cases=1)], {"urn:f:mass": "Mass"})
    >>> node_for(B, "mass")
    'urn:f:mass'

    Raises:
        UnknownTermError: when no node has that key, CURIE or label.
    """
    if term in G:
        return term
    wanted = term.strip().casefold()
    hits = sorted(
        str(n) for n, attrs in G.nodes(data=True)
        if attrs.get("curie") == term or str(attrs.get("label", "")).casefold() == wanted
    )
    if not hits:
        raise UnknownTermError(f"no node of the graph is named {term!r} (give an IRI, a CURIE or a label)")
    return hits[0]


# ---- reading the store ----------------------------------------------------------------------


def _select(store: Store, name: str) -> list[Row]:
    path = files("radgraph.queries") / "analysis" / f"{name}.rq"
    query = load_query(str(path))
    return store.select(sparql_prefixes() + query.text)


def concept_labels(store: Store) -> dict[str, str]:
    """Return the preferred label of every ontology class in *store*, by IRI."""
    return {row.text("concept"): row.text("label") for row in _select(store, "concept-labels")}


def _curated_links(store: Store) -> list[Link]:
    return [
        Link(row.text("diagnosis"), row.text("finding"), curated=float(row.text("weight")))
        for row in _select(store, "curated-associations")
    ]


def _case_links(store: Store) -> list[Link]:
    return [
        Link(row.text("diagnosis"), row.text("finding"), cases=int(row.text("cases")))
        for row in _select(store, "case-associations")
    ]


def _grouped(rows: Iterable[Row], key: str, value: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        out[row.text(key)].add(row.text(value))
    return dict(out)


def case_findings(store: Store) -> dict[str, set[str]]:
    """Return every case (IRI) with the finding concepts present in its patient."""
    return _grouped(_select(store, "case-present-findings"), "case", "finding")


def _node_cases(store: Store) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for name, value in (("case-final-diagnoses", "diagnosis"), ("case-present-findings", "finding")):
        for concepts in _grouped(_select(store, name), "case", value).values():
            for c in concepts:
                counts[c] += 1
    return dict(counts)


# ---- the diagnosis–finding bipartite graph --------------------------------------------------


def edge_weight(cases: int, curated: float, *, curated_cases: float = CURATED_CASES) -> float:
    """Return an edge's weight: its cases plus the curated frequency counted as *curated_cases* cases.

    >>> edge_weight(2, 0.7)
    4.1
    """
    return round(cases + curated_cases * curated, _DIGITS)


def _merge(links: Iterable[Link]) -> dict[tuple[str, str], Link]:
    merged: dict[tuple[str, str], Link] = {}
    for link in links:
        key = (link.diagnosis, link.finding)
        old = merged.get(key)
        if old is not None:
            link = Link(key[0], key[1], old.cases + link.cases, max(old.curated, link.curated))
        merged[key] = link
    return merged


def _add_node(G: nx.Graph, node: str, kind: str, labels: Mapping[str, str], cases: Mapping[str, int]) -> None:
    if node not in G:
        label = labels.get(node) or _local_name(node)
        G.add_node(node, curie=curie_of(node), label=label, kind=kind, cases=int(cases.get(node, 0)))


def bipartite_from_links(
    links: Iterable[Link],
    labels: Mapping[str, str] | None = None,
    *,
    node_cases: Mapping[str, int] | None = None,
    curated_cases: float = CURATED_CASES,
) -> nx.Graph:
    """Build the diagnosis–finding bipartite graph from association records.

    Links naming the same pair are merged (cases added, the highest curated frequency kept).
    A concept used as a finding anywhere is a finding: the links that use it as a diagnosis
    (a case whose final diagnosis is "fracture" or "pneumothorax") are dropped, so that the graph
    stays bipartite. Their number is kept in ``G.graph["dropped_links"]`` and logged once.

    Args:
        links: the associations, from cases and from curated knowledge.
        labels: a label per IRI (default: the IRI's local name).
        node_cases: the number of cases per diagnosis or finding, stored as node attribute ``cases``.
        curated_cases: how many cases a curated frequency of 1.0 weighs in ``weight``.

    Returns:
        An undirected graph. Nodes: ``curie``, ``label``, ``kind`` (``"diagnosis"`` or
        ``"finding"``), ``cases``. Edges: ``cases``, ``curated``, ``layers`` (sorted list of
        ``"case"``/``"curated"``) and ``weight`` (:func:`edge_weight`).

    >>> B = bipartite_from_links([Link("urn:d", "urn:f", curated=0.3)], {"urn:d": "D"})
    >>> B.nodes["urn:d"]["label"], B.nodes["urn:f"]["kind"], B.edges["urn:d", "urn:f"]["layers"]
    ('D', 'finding', ['curated'])
    """
    names = labels or {}
    counts = node_cases or {}
    merged = _merge(links)
    findings = {f for _, f in merged}
    G = nx.Graph(dropped_links=0)
    for (d, f), link in sorted(merged.items()):
        if d in findings:
            G.graph["dropped_links"] += 1
            continue
        _add_node(G, d, DIAGNOSIS, names, counts)
        _add_node(G, f, FINDING, names, counts)
        layers = [CASE_LAYER] if link.cases > 0 else []
        layers += [CURATED_LAYER] if link.curated > 0 else []
        G.add_edge(d, f, cases=int(link.cases), curated=float(link.curated), layers=layers,
                   weight=edge_weight(link.cases, link.curated, curated_cases=curated_cases))
    if G.graph["dropped_links"]:
        both = sorted({d for d, _ in merged} & findings)
        log.warning("dropped %d link(s) of %d concept(s) used both as a diagnosis and as a finding, e.g. %s",
                    G.graph["dropped_links"], len(both), ", ".join(curie_of(c) for c in both[:3]))
    return G


def bipartite_graph(store: Store, *, curated_cases: float = CURATED_CASES) -> nx.Graph:
    """Read the diagnosis–finding bipartite graph from a store (cases and curated knowledge).

    Case edges count the cases whose final diagnosis is the diagnosis and whose patient has the
    finding present; curated edges carry the weight of the ``rg:FindingAssociation``'s frequency.
    See :func:`bipartite_from_links` for the attributes.
    """
    return bipartite_from_links(
        [*_case_links(store), *_curated_links(store)],
        concept_labels(store),
        node_cases=_node_cases(store),
        curated_cases=curated_cases,
    )


def layer_graph(B: nx.Graph, layer: str) -> nx.Graph:
    """Return the edges of one layer (``"case"`` or ``"curated"``) and their nodes, weighted by that layer.

    The weight is ``cases`` for the case layer and ``curated`` for the curated one; nodes with
    no edge in the layer are left out, so that ``N`` in :func:`discriminating_findings` counts
    only the diagnoses the layer knows.

    >>> B = bipartite_from_links([Link("urn:d", "urn:f", cases=2), Link("urn:e", "urn:g", curated=0.7)])
    >>> C = layer_graph(B, "case")
    >>> sorted(C.edges(data="weight")), sorted(C)
    ([('urn:d', 'urn:f', 2.0)], ['urn:d', 'urn:f'])
    """
    if layer not in (CASE_LAYER, CURATED_LAYER):
        raise ValueError(f"layer must be {CASE_LAYER!r} or {CURATED_LAYER!r}, not {layer!r}")
    H = nx.Graph(**B.graph)
    for u, v, data in sorted(B.edges(data=True), key=lambda e: (str(e[0]), str(e[1]))):
        if layer in data["layers"]:
            H.add_node(u, **B.nodes[u])
            H.add_node(v, **B.nodes[v])
            value = float(data["cases"] if layer == CASE_LAYER else data["curated"])
            H.add_edge(u, v, **{**data, "weight": value})
    return H


def weight_matrix(
    B: nx.Graph, rows: Sequence[str], columns: Sequence[str], *, attr: str = "weight"
) -> list[list[float]]:
    """Return the edge attribute *attr* for every row × column pair (0 where no edge), e.g. for a heatmap.

    >>> B = bipartite_from_links([Link("urn:d", "urn:f", cases=2)])
    >>> weight_matrix(B, ["urn:f"], ["urn:d", "urn:e"])
    [[2.0, 0.0]]
    """
    def value(r: str, c: str) -> float:
        return float(B.edges[r, c].get(attr, 0.0)) if B.has_edge(r, c) else 0.0

    return [[value(r, c) for c in columns] for r in rows]


# ---- projections ----------------------------------------------------------------------------


def diagnosis_similarity(
    B: nx.Graph,
    *,
    method: Literal["cosine", "jaccard"] = "cosine",
    idf: bool = False,
    min_similarity: float = 0.0,
) -> nx.Graph:
    """Project the bipartite graph on diagnoses: how alike their finding profiles are.

    ``cosine``: ``Σ_f w(a,f)·w(b,f) / (‖w(a)‖·‖w(b)‖)`` over the edge weights, so shared strong
    findings count most; ``jaccard``: ``|F(a) ∩ F(b)| / |F(a) ∪ F(b)|`` over the finding sets.
    With *idf* (cosine only), each weight is multiplied by the finding's information content
    ``log2(N / d(f))`` (tf-idf), so a finding that half the diagnoses share counts little.
    Every diagnosis is a node; an edge joins two diagnoses that share a finding and whose
    similarity exceeds *min_similarity*, with ``weight`` (the similarity) and ``shared``.

    >>> B = bipartite_from_links([Link("urn:a", "urn:f", cases=1), Link("urn:b", "urn:f", cases=1),
    ...                           Link("urn:b", "urn:g", cases=1)])
    >>> round(diagnosis_similarity(B).edges["urn:a", "urn:b"]["weight"], 4)
    0.7071
    >>> diagnosis_similarity(B, method="jaccard").edges["urn:a", "urn:b"]["weight"]
    0.5
    """
    if method not in ("cosine", "jaccard"):
        raise ValueError(f"method must be 'cosine' or 'jaccard', not {method!r}")
    diagnoses = _nodes_of_kind(B, DIAGNOSIS)
    S = nx.Graph()
    S.add_nodes_from((d, dict(B.nodes[d])) for d in diagnoses)
    w = _profile_weights(B, len(diagnoses), idf)
    dots: dict[tuple[str, str], float] = defaultdict(float)
    shared: dict[tuple[str, str], int] = defaultdict(int)
    for f in _nodes_of_kind(B, FINDING):
        for a, b in combinations(sorted(B[f]), 2):
            dots[(a, b)] += w[(a, f)] * w[(b, f)]
            shared[(a, b)] += 1
    norms = {d: math.sqrt(sum(w[(d, f)] ** 2 for f in B[d])) for d in diagnoses}
    for (a, b), n in sorted(shared.items()):
        if method == "cosine":
            sim = dots[(a, b)] / (norms[a] * norms[b]) if norms[a] * norms[b] > 0 else 0.0
        else:
            sim = n / len(set(B[a]) | set(B[b]))
        if sim > min_similarity:
            S.add_edge(a, b, weight=round(sim, _DIGITS), shared=n)
    return S


def _profile_weights(B: nx.Graph, n_diagnoses: int, idf: bool) -> dict[tuple[str, str], float]:
    """Edge weights keyed (diagnosis, finding), times ``log2(N / d(f))`` when *idf*."""
    out: dict[tuple[str, str], float] = {}
    for f in _nodes_of_kind(B, FINDING):
        factor = math.log2(n_diagnoses / B.degree(f)) if idf and B.degree(f) else 1.0
        for d in B[f]:
            out[(d, f)] = float(B.edges[d, f]["weight"]) * factor
    return out


def cooccurrence_graph(
    groups: Mapping[str, Iterable[str]],
    labels: Mapping[str, str] | None = None,
    *,
    min_count: int = 1,
    unit: str = "cases",
) -> nx.Graph:
    """Count how often two findings occur in the same group (a case, or a diagnosis's profile).

    Nodes: ``curie``, ``label``, ``kind`` = ``"finding"`` and ``count`` (groups with the finding).
    Edges: ``count`` (groups with both) and ``weight`` (the same, as a float); pairs below
    *min_count* are left out. ``G.graph["unit"]`` names what a group is.

    >>> G = cooccurrence_graph({"c1": ["urn:a", "urn:b"], "c2": ["urn:a", "urn:b", "urn:c"]})
    >>> G.edges["urn:a", "urn:b"]["count"], G.edges["urn:a", "urn:c"]["count"], G.nodes["urn:a"]["count"]
    (2, 1, 2)
    """
    names = labels or {}
    members = {g: sorted(set(items)) for g, items in sorted(groups.items())}
    counts: dict[str, int] = defaultdict(int)
    pairs: dict[tuple[str, str], int] = defaultdict(int)
    for items in members.values():
        for item in items:
            counts[item] += 1
        for pair in combinations(items, 2):
            pairs[pair] += 1
    G = nx.Graph(unit=unit)
    for item in sorted(counts):
        G.add_node(item, curie=curie_of(item), label=names.get(item) or _local_name(item), kind=FINDING,
                   count=counts[item])
    for (a, b), n in sorted(pairs.items()):
        if n >= min_count:
            G.add_edge(a, b, count=n, weight=float(n))
    return G


def finding_cooccurrence(source: Store | nx.Graph, *, min_count: int = 1) -> nx.Graph:
    """Findings that co-occur: in the same case (from a store), or in the same diagnosis (from *B*).

    Given a store, two findings co-occur when one patient shows both (present findings of the
    patient, every case). Given the bipartite graph, when one diagnosis presents with both
    (either layer). See :func:`cooccurrence_graph` for the attributes.
    """
    if isinstance(source, nx.Graph):
        groups = {d: [f for f in source[d]] for d in _nodes_of_kind(source, DIAGNOSIS)}
        labels = {str(n): _label(source, n) for n in source}
        return cooccurrence_graph(groups, labels, min_count=min_count, unit="diagnoses")
    labels = concept_labels(source)
    return cooccurrence_graph(case_findings(source), labels, min_count=min_count, unit="cases")


def strongest_pairs(G: nx.Graph, *, top: int = 10, attr: str = "weight") -> list[Pair]:
    """Return the *top* edges by *attr* (ties by labels), each as a :class:`Pair`.

    >>> G = cooccurrence_graph({"c1": ["urn:a", "urn:b"], "c2": ["urn:a", "urn:b", "urn:c"]})
    >>> [(p.a_label, p.b_label, p.value) for p in strongest_pairs(G, top=1, attr="count")]
    [('a', 'b', 2.0)]
    """
    pairs = []
    for u, v, value in G.edges(data=attr, default=0.0):
        a, b = _order(G, (u, v))
        pairs.append(Pair(a, _label(G, a), b, _label(G, b), float(value)))
    pairs.sort(key=lambda p: (-p.value, p.a_label, p.b_label, p.a, p.b))
    return pairs[:top]


# ---- metrics --------------------------------------------------------------------------------


def discriminating_findings(
    B: nx.Graph,
    *,
    by: Literal["ic", "pmi"] = "ic",
    min_support: float = 0.0,
    top: int | None = None,
) -> list[SpecificFinding]:
    """Rank findings by how specific they are to few diagnoses.

    With ``N`` diagnoses, ``d(f)`` the diagnoses linked to finding ``f``, ``w`` the edge weights,
    ``W`` their sum, ``w(f)`` and ``w(D)`` the weight summed at a node:

    * information content ``IC(f) = log2(N / d(f))`` (bits): high for a finding of one diagnosis;
    * pointwise mutual information ``PMI(D, f) = log2(w(D, f)·W / (w(D)·w(f)))``; a finding's PMI
      is that of its best diagnosis (ties by label).

    ``by="ic"`` sorts by IC, then by support ``w(f)`` (better-attested first); ``by="pmi"`` sorts
    by PMI, then by support. Findings with ``w(f) < min_support`` are left out.

    >>> B = bipartite_from_links([Link("urn:a", "urn:common", cases=1), Link("urn:b", "urn:common", cases=1),
    ...                           Link("urn:a", "urn:rare", cases=1)])
    >>> [(f.label, f.ic, round(f.pmi, 3), f.best_label) for f in discriminating_findings(B)]
    [('rare', 1.0, 0.585, 'a'), ('common', 0.0, 0.585, 'b')]
    """
    if by not in ("ic", "pmi"):
        raise ValueError(f"by must be 'ic' or 'pmi', not {by!r}")
    n_diagnoses = len(_nodes_of_kind(B, DIAGNOSIS))
    total = sum(float(w) for _, _, w in B.edges(data="weight"))
    if not n_diagnoses or total <= 0:
        return []
    strength = {n: sum(float(w) for _, _, w in B.edges(n, data="weight")) for n in B}
    out = [
        _specificity(B, f, n_diagnoses, strength, total)
        for f in _nodes_of_kind(B, FINDING)
        if B.degree(f) > 0 and strength[f] > 0 and strength[f] >= min_support
    ]
    out.sort(key=lambda s: (-(s.ic if by == "ic" else s.pmi), -s.support, s.label, s.node))
    return out if top is None else out[:top]


def _specificity(
    B: nx.Graph, f: str, n_diagnoses: int, strength: Mapping[str, float], total: float
) -> SpecificFinding:
    pmi, best = _best_pmi(B, f, strength, total)
    return SpecificFinding(
        node=f,
        curie=str(B.nodes[f].get("curie", f)),
        label=_label(B, f),
        diagnoses=B.degree(f),
        support=round(strength[f], _DIGITS),
        ic=round(math.log2(n_diagnoses / B.degree(f)), _DIGITS),
        pmi=round(pmi, _DIGITS),
        best_diagnosis=best,
        best_label=_label(B, best),
    )


def _best_pmi(B: nx.Graph, f: str, strength: Mapping[str, float], total: float) -> tuple[float, str]:
    """Return the highest PMI of finding *f* with one of its diagnoses, and that diagnosis."""
    best_pmi, best = -math.inf, ""
    for d in _order(B, B[f]):
        w = float(B.edges[d, f]["weight"])
        if w <= 0:
            continue
        pmi = round(math.log2(w * total / (strength[d] * strength[f])), _DIGITS)
        if pmi > best_pmi:
            best_pmi, best = pmi, d
    return best_pmi, best


def hubs_and_bridges(
    G: nx.Graph, *, top: int = 10, kind: str | None = None, samples: int | None = None, seed: int = 7
) -> HubsAndBridges:
    """Return the top nodes by degree centrality (hubs) and betweenness centrality (bridges).

    Degree centrality is ``deg(v) / (n - 1)``; betweenness is the normalized share of shortest
    paths through ``v``, unweighted (edge weights are strengths, not distances). Both are
    computed on the whole graph; *kind* only filters the nodes reported. Exact betweenness
    costs ``O(n·m)``; with *samples*, it is estimated from that many source nodes drawn with
    *seed* (deterministic), which a graph of thousands of nodes needs.

    >>> G = nx.star_graph(3)
    >>> nx.set_node_attributes(G, {n: f"n{n}" for n in G}, "label")
    >>> [h.label for h in hubs_and_bridges(G, top=1).hubs], hubs_and_bridges(G).bridges[0].score
    (['n0'], 1.0)
    """
    nodes = [n for n in G if kind is None or G.nodes[n].get("kind") == kind]
    if not nodes:
        return HubsAndBridges((), ())
    degree = nx.degree_centrality(G) if len(G) > 1 else {n: 0.0 for n in G}
    k = samples if samples is not None and samples < len(G) else None
    between = nx.betweenness_centrality(G, k=k, normalized=True, seed=seed if k else None)
    return HubsAndBridges(_top(G, degree, nodes, top), _top(G, between, nodes, top))


def _canonical(G: nx.Graph, weight: str) -> nx.Graph:
    """A copy with nodes and edges inserted in sorted order (community detection depends on it)."""
    H = nx.Graph()
    H.add_nodes_from(sorted(G))
    edges = sorted((min(u, v), max(u, v), float(w)) for u, v, w in G.edges(data=weight, default=1.0))
    H.add_weighted_edges_from(edges, weight=weight)
    return H


def diagnosis_communities(
    G: nx.Graph,
    *,
    seed: int = 7,
    method: Literal["louvain", "greedy"] = "louvain",
    resolution: float = 1.0,
    weight: str = "weight",
    min_size: int = 1,
) -> list[Community]:
    """Find communities (on the diagnosis similarity graph, or any graph), deterministically.

    ``louvain``: :func:`networkx.community.louvain_communities` with the fixed *seed*;
    ``greedy``: Clauset–Newman–Moore greedy modularity. Both maximize modularity
    ``Q = Σ_c [L_c/m − γ(d_c/2m)²]`` with resolution ``γ``. The graph is copied in sorted order
    first, so equal graphs give equal communities. Communities come largest first (ties by the
    first label), members sorted by label; those smaller than *min_size* are left out.

    >>> G = nx.Graph([("a", "b"), ("b", "c"), ("a", "c"), ("x", "y"), ("y", "z"), ("x", "z"), ("c", "x")])
    >>> [c.nodes for c in diagnosis_communities(G)]
    [('a', 'b', 'c'), ('x', 'y', 'z')]
    """
    H = _canonical(G, weight)
    if method == "louvain":
        found = nx.community.louvain_communities(H, weight=weight, resolution=resolution, seed=seed)
    elif method == "greedy":
        found = nx.community.greedy_modularity_communities(H, weight=weight, resolution=resolution)
    else:
        raise ValueError(f"method must be 'louvain' or 'greedy', not {method!r}")
    out = []
    for members in found:
        nodes = tuple(_order(G, members))
        if len(nodes) >= min_size:
            out.append(Community(nodes, tuple(_label(G, n) for n in nodes)))
    out.sort(key=lambda c: (-c.size, c.labels, c.nodes))
    return out


# ---- explanation paths ----------------------------------------------------------------------


def _abstract_concepts(store: Store) -> set[str]:
    return {row.text("concept") for row in _select(store, "abstract-concepts")}


def concept_graph(store: Store, *, include_abstract: bool = False) -> nx.Graph:
    """Read the concept graph that explanation paths walk: ontology and knowledge links.

    Edges come from ``rdfs:subClassOf`` and ``rg:partOf`` (ontology), ``rg:ConditionAssociation``
    (``associatedWith``: diagnosis → condition) and ``rg:FindingAssociation`` / ``rg:presentsWith``
    (``presentsWith``: diagnosis → finding). Each edge keeps ``relation``, ``subject`` and
    ``object`` (the stored direction). Abstract upper classes (``finding``, ``diagnosis``…) are
    left out unless *include_abstract*: every path through them is short and says nothing.
    """
    skip = set() if include_abstract else _abstract_concepts(store)
    labels = concept_labels(store)
    rows = _select(store, "concept-links")
    links = [(row.text("subject"), row.text("relation"), row.text("object")) for row in rows]
    kept = [(s, r, o) for s, r, o in links if s not in skip and o not in skip]
    return concept_graph_from_links(kept, labels)


def concept_graph_from_links(
    links: Iterable[tuple[str, str, str]], labels: Mapping[str, str] | None = None
) -> nx.Graph:
    """Build the concept graph from ``(subject, relation, object)`` links (see :func:`concept_graph`).

    When two relations link the same pair, the first in :data:`RELATIONS` is kept.

    >>> G = concept_graph_from_links([("urn:emh", "associatedWith", "urn:thal"),
    ...                               ("urn:emh", "presentsWith", "urn:pvm")])
    >>> G.edges["urn:thal", "urn:emh"]["relation"], G.edges["urn:thal", "urn:emh"]["subject"]
    ('associatedWith', 'urn:emh')
    """
    names = labels or {}
    triples = list(links)
    for _, relation, _ in triples:
        if relation not in RELATIONS:
            raise ValueError(f"unknown relation {relation!r}; expected one of {RELATIONS}")
    G = nx.Graph()
    for s, relation, o in sorted(triples, key=lambda t: (RELATIONS.index(t[1]), t)):
        if s == o or G.has_edge(s, o):
            continue
        for node in (s, o):
            if node not in G:
                label = names.get(node) or _local_name(node)
                G.add_node(node, curie=curie_of(node), label=label, kind=CONCEPT)
        G.add_edge(s, o, relation=relation, subject=s, object=o)
    return G


def _step(G: nx.Graph, a: str, b: str) -> PathStep:
    data = G.edges[a, b]
    return PathStep(a, _label(G, a), str(data["relation"]), b, _label(G, b), inverse=data["subject"] != a)


def paths_between(
    G: nx.Graph, source: str, target: str, *, k: int = 3, max_hops: int = 6
) -> list[ExplanationPath]:
    """Return up to *k* shortest simple paths between two nodes of a concept graph.

    Paths come shortest first; paths of equal length are sorted by their labels. Paths longer
    than *max_hops* are not returned; no path gives an empty list.

    Raises:
        UnknownTermError: when *source* or *target* is not in the graph.

    >>> G = concept_graph_from_links([("urn:emh", "associatedWith", "urn:thal"),
    ...                               ("urn:emh", "presentsWith", "urn:pvm")])
    >>> paths_between(G, "urn:thal", "urn:pvm")[0].text()
    'thal —associatedWith→ emh —presentsWith→ pvm'
    """
    for node in (source, target):
        if node not in G:
            raise UnknownTermError(f"concept {node!r} is not in the concept graph")
    if source == target:
        return []
    found: list[list[str]] = []
    try:
        for path in nx.shortest_simple_paths(G, source, target):
            if len(path) - 1 > max_hops or (len(found) >= k and len(path) > len(found[k - 1])):
                break
            found.append(path)
            if len(found) >= _MAX_CANDIDATE_PATHS:
                break
    except nx.NetworkXNoPath:
        return []
    found.sort(key=lambda p: (len(p), [_label(G, n) for n in p], p))
    return [ExplanationPath(tuple(_step(G, a, b) for a, b in zip(p, p[1:], strict=False))) for p in found[:k]]


def explanation_paths(
    store: Store,
    source_curie: str,
    target_curie: str,
    *,
    k: int = 3,
    max_hops: int = 6,
    include_abstract: bool = False,
) -> list[ExplanationPath]:
    """Explain how two concepts connect through the ontology and the knowledge.

    For ``rg:Thalassemia`` and ``rg:ParavertebralMass``: thalassemia —associatedWith→
    extramedullary hematopoiesis —presentsWith→ paravertebral mass. CURIEs or IRIs are accepted;
    see :func:`concept_graph` and :func:`paths_between`.
    """
    G = concept_graph(store, include_abstract=include_abstract)
    return paths_between(G, _to_iri(source_curie), _to_iri(target_curie), k=k, max_hops=max_hops)


# ---- export ---------------------------------------------------------------------------------


def _safe(value: object) -> str | int | float | bool | None:
    """An attribute value GraphML and GEXF can hold: lists and sets become ``"; "``-joined text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, set | frozenset):
        return "; ".join(sorted(str(v) for v in value))
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    return str(value)


def _safe_attrs(attrs: Mapping[str, object]) -> dict[str, str | int | float | bool]:
    return {str(k): v for k, v in ((k, _safe(v)) for k, v in attrs.items()) if v is not None}


def exportable(G: nx.Graph) -> nx.Graph:
    """Return a copy of *G* whose graph, node and edge attributes GraphML and GEXF can store.

    >>> B = bipartite_from_links([Link("urn:d", "urn:f", cases=1, curated=0.7)])
    >>> exportable(B).edges["urn:d", "urn:f"]["layers"]
    'case; curated'
    """
    H = G.__class__()
    H.graph.update(_safe_attrs(G.graph))
    H.add_nodes_from((str(n), _safe_attrs(a)) for n, a in G.nodes(data=True))
    H.add_edges_from((str(u), str(v), _safe_attrs(a)) for u, v, a in G.edges(data=True))
    return H


def export_graph(G: nx.Graph, path: str | Path, fmt: ExportFormat = "graphml") -> Path:
    """Write *G* as GraphML or GEXF (attributes made safe with :func:`exportable`); return the path.

    >>> import tempfile
    >>> B = bipartite_from_links([Link("urn:d", "urn:f", cases=1)])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     out = export_graph(B, Path(tmp) / "b.graphml", "graphml")
    ...     nx.read_graphml(out).number_of_edges()
    1
    """
    out = Path(path)
    H = exportable(G)
    if fmt == "graphml":
        nx.write_graphml(H, out)
    elif fmt == "gexf":
        nx.write_gexf(H, out)
    else:
        raise ValueError(f"format must be 'graphml' or 'gexf', not {fmt!r}")
    return out


# ---- stats ----------------------------------------------------------------------------------


def stats(store: Store, *, top: int = 10) -> Stats:
    """Count the case layer of a store: cases, finding nodes and concepts, diagnosis concepts.

    ``findings`` counts finding nodes of every assertion; ``top_findings`` are the *top* present
    patient findings by number of cases (ties by label).
    """
    counts = _select(store, "store-counts")
    row = counts[0] if counts else None

    def n(name: str) -> int:
        return int(row.text(name)) if row is not None and row.text(name) else 0

    labels = concept_labels(store)
    frequent = []
    for r in _select(store, "finding-frequencies"):
        iri = r.text("finding")
        label = labels.get(iri) or _local_name(iri)
        frequent.append(FindingCount(curie_of(iri), label, int(r.text("cases"))))
    frequent.sort(key=lambda f: (-f.cases, f.label, f.curie))
    return Stats(
        cases=n("cases"),
        findings=n("findings"),
        finding_concepts=n("findingConcepts"),
        diagnosis_concepts=n("diagnosisConcepts"),
        triples=len(store),
        top_findings=tuple(frequent[:top]),
    )


__all__ = [
    "CURATED_CASES",
    "Community",
    "ExplanationPath",
    "FindingCount",
    "HubsAndBridges",
    "Link",
    "NodeScore",
    "Pair",
    "PathStep",
    "SpecificFinding",
    "Stats",
    "bipartite_from_links",
    "bipartite_graph",
    "case_findings",
    "concept_graph",
    "concept_graph_from_links",
    "concept_labels",
    "cooccurrence_graph",
    "curie_of",
    "diagnosis_communities",
    "diagnosis_similarity",
    "discriminating_findings",
    "edge_weight",
    "explanation_paths",
    "export_graph",
    "exportable",
    "finding_cooccurrence",
    "hubs_and_bridges",
    "layer_graph",
    "node_for",
    "paths_between",
    "stats",
    "strongest_pairs",
    "weight_matrix",
]
