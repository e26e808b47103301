"""Diagnostic knowledge in three layers, kept apart: curated, case evidence, generic statements.

* **curated** — ``resources/knowledge/*.ttl``: ``rg:FindingAssociation`` and
  ``rg:ConditionAssociation`` individuals written by us, each with a literature reference;
* **case** — how many ingested cases of each final diagnosis show each finding, with spans;
* **generic** — what case discussions state about a diagnosis in general.

:class:`Knowledge` is a plain, immutable record the ranker reads; it never touches a store.

>>> k = load_curated()
>>> any(a.diagnosis == "rg:ExtramedullaryHematopoiesis" for a in k.associations)
True
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files

from rdflib import RDF, Graph, URIRef
from rdflib.namespace import DCTERMS

from radgraph.errors import OntologyError
from radgraph.model import Evidence, Laterality, Sex
from radgraph.ontology import Ontology, parse_turtle
from radgraph.vocab import KNOWLEDGE_GRAPH, RG, Curie, compress, new_graph

FREQUENCY = {"rg:Common": 0.7, "rg:Uncommon": 0.3, "rg:Rare": 0.05}
_LATERALITY = {"rg:Left": Laterality.LEFT, "rg:Right": Laterality.RIGHT, "rg:Bilateral": Laterality.BILATERAL}


@dataclass(frozen=True, slots=True)
class Association:
    """A diagnosis presents with a finding, with a frequency in [0, 1] and its evidence."""

    diagnosis: Curie
    finding: Curie
    frequency: float
    layer: str  # "curated" | "case" | "generic"
    laterality: Laterality | None = None
    evidence: tuple[Evidence, ...] = ()
    sites: tuple[Curie, ...] = ()  # where the finding is, when the statement says (``rg:locatedIn``)


@dataclass(frozen=True, slots=True)
class ConditionLink:
    """A diagnosis is associated with a clinical condition (``thalassemia → EMH``)."""

    diagnosis: Curie
    condition: Curie
    source: str


@dataclass(frozen=True, slots=True)
class Profile:
    """Typical age range and sex predilection of a diagnosis."""

    diagnosis: Curie
    age_min: int | None = None
    age_max: int | None = None
    sex: Sex | None = None
    source: str = ""


@dataclass(frozen=True, slots=True)
class Knowledge:
    """Everything the ranker knows: associations, condition links, profiles, cases per diagnosis."""

    associations: tuple[Association, ...] = ()
    conditions: tuple[ConditionLink, ...] = ()
    case_counts: Mapping[Curie, int] = field(default_factory=dict)
    profiles: Mapping[Curie, Profile] = field(default_factory=dict)

    def diagnoses(self) -> list[Curie]:
        """Every diagnosis the knowledge speaks of, sorted."""
        return sorted({a.diagnosis for a in self.associations} | {c.diagnosis for c in self.conditions})

    def merged(self, other: Knowledge) -> Knowledge:
        """Return the union of two knowledge records."""
        counts = dict(self.case_counts)
        for k, v in other.case_counts.items():
            counts[k] = counts.get(k, 0) + v
        return Knowledge(
            self.associations + other.associations,
            self.conditions + other.conditions,
            counts,
            {**other.profiles, **self.profiles},
        )


def knowledge_sources() -> list[tuple[str, str]]:
    """Return ``(name, Turtle text)`` of every packaged knowledge file."""
    folder = files("radgraph.resources").joinpath("knowledge")
    names = sorted(p.name for p in folder.iterdir() if p.name.endswith(".ttl"))
    return [(n, folder.joinpath(n).read_text(encoding="utf-8")) for n in names]


def knowledge_graph() -> Graph:
    """Parse the packaged curated knowledge into one rdflib graph."""
    g = new_graph()
    for name, text in knowledge_sources():
        for t in parse_turtle(text, name):
            g.add(t)
    return g


def _c(node: object, what: str, subject: URIRef) -> Curie:
    if not isinstance(node, URIRef):
        raise OntologyError(f"{what} of {str(subject)!r} is missing or not an IRI")
    return compress(str(node))


def curated_from_graph(g: Graph) -> Knowledge:
    """Read curated associations from an rdflib graph."""
    assocs: list[Association] = []
    for s in sorted(g.subjects(RDF.type, RG.FindingAssociation)):
        assert isinstance(s, URIRef)
        freq = _c(g.value(s, RG.frequency), "rg:frequency", s)
        if freq not in FREQUENCY:
            raise OntologyError(f"unknown frequency {freq!r} on {str(s)!r}")
        lat = g.value(s, RG.laterality)
        source = str(g.value(s, DCTERMS.source) or "")
        assocs.append(
            Association(
                diagnosis=_c(g.value(s, RG.diagnosis), "rg:diagnosis", s),
                finding=_c(g.value(s, RG.finding), "rg:finding", s),
                frequency=FREQUENCY[freq],
                layer="curated",
                laterality=_LATERALITY.get(compress(str(lat))) if isinstance(lat, URIRef) else None,
                evidence=(Evidence("curated", source, text=compress(str(s))),),
                sites=tuple(sorted(compress(str(o)) for o in g.objects(s, RG.locatedIn) if isinstance(o, URIRef))),
            )
        )
    conds = [
        ConditionLink(
            _c(g.value(s, RG.diagnosis), "rg:diagnosis", s),  # type: ignore[arg-type]
            _c(g.value(s, RG.condition), "rg:condition", s),  # type: ignore[arg-type]
            str(g.value(s, DCTERMS.source) or ""),
        )
        for s in sorted(g.subjects(RDF.type, RG.ConditionAssociation))
    ]
    profiles: dict[Curie, Profile] = {}
    for s in sorted(g.subjects(RDF.type, RG.DiagnosisProfile)):
        assert isinstance(s, URIRef)
        dx = _c(g.value(s, RG.diagnosis), "rg:diagnosis", s)
        lo, hi, sex = g.value(s, RG.ageMin), g.value(s, RG.ageMax), g.value(s, RG.sexPredilection)
        profiles[dx] = Profile(
            dx,
            int(lo) if lo is not None else None,
            int(hi) if hi is not None else None,
            Sex.MALE if sex == RG.Male else Sex.FEMALE if sex == RG.Female else None,
            str(g.value(s, DCTERMS.source) or ""),
        )
    return Knowledge(tuple(assocs), tuple(conds), {}, profiles)


@cache
def load_curated() -> Knowledge:
    """Load the packaged curated knowledge (cached)."""
    return curated_from_graph(knowledge_graph())


@dataclass(frozen=True, slots=True)
class CaseFinding:
    """One present finding of one case with a final diagnosis (a row of case evidence)."""

    case_id: str
    diagnosis: Curie
    finding: Curie
    laterality: Laterality | None
    text: str
    start: int
    end: int


def case_knowledge(rows: Iterable[CaseFinding], case_diagnoses: Mapping[str, Iterable[Curie]]) -> Knowledge:
    """Aggregate case evidence: frequency of each finding among the cases of each diagnosis.

    *case_diagnoses* maps every case id to its final diagnoses (cases without findings count too).
    """
    per_dx_cases: dict[Curie, set[str]] = defaultdict(set)
    for case_id, dxs in case_diagnoses.items():
        for d in dxs:
            per_dx_cases[d].add(case_id)
    support: dict[tuple[Curie, Curie], dict[str, CaseFinding]] = defaultdict(dict)
    lats: dict[tuple[Curie, Curie], set[Laterality]] = defaultdict(set)
    for r in rows:
        key = (r.diagnosis, r.finding)
        support[key].setdefault(r.case_id, r)
        if r.laterality is not None:
            lats[key].add(r.laterality)
    assocs = []
    for (dx, finding), cases in sorted(support.items()):
        n = max(len(per_dx_cases.get(dx, ())), len(cases))
        lat = next(iter(lats[(dx, finding)])) if len(lats[(dx, finding)]) == 1 else None
        evidence = tuple(
            Evidence("case", f"case {c.case_id}", text=c.text, case_id=c.case_id, start=c.start, end=c.end)
            for c in sorted(cases.values(), key=lambda c: c.case_id)
        )
        # Laplace-smoothed share of the diagnosis's cases that show the finding
        assocs.append(Association(dx, finding, (len(cases) + 0.5) / (n + 1.0), "case", lat, evidence))
    counts = {d: len(c) for d, c in per_dx_cases.items()}
    return Knowledge(tuple(assocs), (), counts)


def validate(knowledge: Knowledge, ontology: Ontology) -> list[str]:
    """Return problems: unknown concepts, sites that are not places, diagnoses without findings, condition cycles."""
    problems: list[str] = []
    for a in knowledge.associations:
        for c in (a.diagnosis, a.finding):
            if c not in ontology:
                problems.append(f"association {a.diagnosis} -> {a.finding}: unknown concept {c!r}")
        if not 0.0 < a.frequency <= 1.0:
            problems.append(f"association {a.diagnosis} -> {a.finding}: frequency {a.frequency} out of range")
        for site in a.sites:
            if site not in ontology or not ontology.is_a(site, "rg:AnatomicalSite"):
                problems.append(f"association {a.diagnosis} -> {a.finding}: site {site!r} is not an anatomical site")
    for link in knowledge.conditions:
        for c in (link.diagnosis, link.condition):
            if c not in ontology:
                problems.append(f"condition link {link.diagnosis} -> {link.condition}: unknown concept {c!r}")
    with_findings = {a.diagnosis for a in knowledge.associations}
    for link in knowledge.conditions:
        if link.diagnosis not in with_findings:
            problems.append(f"diagnosis {link.diagnosis} has condition links but no findings")
    graph: dict[Curie, set[Curie]] = defaultdict(set)
    for link in knowledge.conditions:
        graph[link.condition].add(link.diagnosis)
    problems.extend(f"cycle in condition links through {c}" for c in _cycles(graph))
    return problems


def _cycles(graph: Mapping[Curie, set[Curie]]) -> list[Curie]:
    state: dict[Curie, int] = {}
    found: list[Curie] = []

    def visit(n: Curie) -> None:
        state[n] = 1
        for m in sorted(graph.get(n, ())):
            if state.get(m) == 1:
                found.append(m)
            elif m not in state:
                visit(m)
        state[n] = 2

    for n in sorted(graph):
        if n not in state:
            visit(n)
    return found


__all__ = [
    "Association",
    "CaseFinding",
    "ConditionLink",
    "KNOWLEDGE_GRAPH",
    "Knowledge",
    "case_knowledge",
    "curated_from_graph",
    "knowledge_graph",
    "load_curated",
    "validate",
]
