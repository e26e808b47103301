"""The packaged ontology as a read-only view: labels, synonyms, hierarchy, definitions.

The Turtle modules in ``radgraph/resources/ontology/`` are the single source. This module
loads them through :mod:`importlib.resources` and answers the questions the pipeline asks:
what a label means, what a concept's ancestors are, which defined classes refine a finding.

>>> onto = load_ontology()
>>> onto.label("rg:Thalassemia")
'thalassemia'
>>> "rg:Anemia" in onto.ancestors("rg:Thalassemia")
True
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal, overload

from rdflib import OWL, RDF, RDFS, SKOS, BNode, Graph, URIRef
from rdflib import Literal as RdfLiteral

from radgraph.errors import OntologyError, UnknownTermError
from radgraph.model import ConceptKind
from radgraph.vocab import RG, Curie, compress, is_curie, new_graph

Triple = tuple[URIRef | BNode, URIRef, URIRef | BNode | RdfLiteral]

_KIND_ROOTS: tuple[tuple[str, ConceptKind], ...] = (
    ("rg:Finding", ConceptKind.FINDING),
    ("rg:AnatomicalSite", ConceptKind.SITE),
    ("rg:ClinicalCondition", ConceptKind.CONDITION),
    ("rg:Laterality", ConceptKind.LATERALITY),
    ("rg:Modality", ConceptKind.MODALITY),
    ("rg:MRSequence", ConceptKind.SEQUENCE),
    ("rg:SignalCharacteristic", ConceptKind.SIGNAL),
    ("rg:EnhancementCharacteristic", ConceptKind.ENHANCEMENT),
    ("rg:Chronicity", ConceptKind.CHRONICITY),
    ("rg:Descriptor", ConceptKind.DESCRIPTOR),
    ("rg:ClinicalMeasurement", ConceptKind.MEASUREMENT),
)


@dataclass(frozen=True, slots=True)
class Restriction:
    """An existential restriction ``property some filler`` of a defined class."""

    prop: Curie
    filler: Curie


@dataclass(frozen=True, slots=True)
class Definition:
    """A defined class: ``concept ≡ base ⊓ ∃p1.f1 ⊓ …`` (the shapes the extractor can classify)."""

    concept: Curie
    base: Curie
    restrictions: tuple[Restriction, ...]


@dataclass(frozen=True, slots=True)
class Concept:
    """One ontology concept and its lexical and structural facts."""

    curie: Curie
    label: str
    alt_labels: tuple[str, ...] = ()
    hidden_labels: tuple[str, ...] = ()
    abbreviations: tuple[str, ...] = ()
    parents: tuple[Curie, ...] = ()
    part_of: tuple[Curie, ...] = ()
    xrefs: tuple[Curie, ...] = ()
    deprecated: bool = False
    bilaterally_paired: bool = False
    abstract: bool = False
    definition: str = ""


@dataclass(frozen=True, slots=True)
class LexEntry:
    """One string the matcher looks for, the concept it names, and how to match it."""

    text: str
    concept: Curie
    source: Literal["label", "altLabel", "hiddenLabel", "abbreviation", "rule"]
    case_sensitive: bool = False
    assertion: str | None = None


@dataclass(slots=True)
class Ontology:
    """A read-only view of the radgraph ontology (build it with :func:`load_ontology`)."""

    concepts: Mapping[Curie, Concept]
    definitions: tuple[Definition, ...]
    triples: tuple[Triple, ...] = ()
    _graph: Graph | None = None
    _ancestors: dict[Curie, frozenset[Curie]] = field(default_factory=dict)
    _children: dict[Curie, list[Curie]] = field(default_factory=dict)
    _by_text: dict[str, list[Curie]] = field(default_factory=dict)
    _descendant_count: dict[Curie, int] = field(default_factory=dict)
    _kinds: dict[Curie, ConceptKind] = field(default_factory=dict)
    _depth: dict[Curie, int] = field(default_factory=dict)
    _refining: dict[Curie, list[Definition]] = field(default_factory=dict)
    _part_of: dict[Curie, frozenset[Curie]] = field(default_factory=dict)
    _places: dict[Curie, frozenset[Curie]] = field(default_factory=dict)
    _definition_of: dict[Curie, Definition] = field(default_factory=dict)
    _memos: dict[str, dict[Hashable, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        children: dict[Curie, list[Curie]] = defaultdict(list)
        for c in self.concepts.values():
            for p in c.parents:
                children[p].append(c.curie)
        self._children = dict(children)
        by_text: dict[str, list[Curie]] = defaultdict(list)
        for c in self.concepts.values():
            if c.deprecated:
                continue
            for text in (c.label, *c.alt_labels, *c.hidden_labels, *c.abbreviations):
                key = text.casefold()
                if c.curie not in by_text[key]:
                    by_text[key].append(c.curie)
        self._by_text = dict(by_text)
        self._definition_of = {d.concept: d for d in self.definitions}

    @property
    def graph(self) -> Graph:
        """The TBox as an rdflib graph (built on first use)."""
        if self._graph is None:
            g = new_graph()
            for t in self.triples:
                g.add(t)
            self._graph = g
        return self._graph

    # ---- lookups -------------------------------------------------------------------------

    def __contains__(self, curie: object) -> bool:
        return curie in self.concepts

    def __len__(self) -> int:
        return len(self.concepts)

    def __iter__(self) -> Iterator[Curie]:
        return iter(self.concepts)

    def concept(self, curie: str) -> Concept:
        """Return a concept by CURIE, raising :class:`UnknownTermError` when absent."""
        try:
            return self.concepts[Curie(curie)]
        except KeyError:
            raise UnknownTermError(f"unknown concept {curie!r}") from None

    def label(self, curie: str) -> str:
        """Return the preferred label of a concept."""
        return self.concept(curie).label

    @overload
    def lookup(self, term: str, *, strict: Literal[True] = True) -> Curie: ...

    @overload
    def lookup(self, term: str, *, strict: Literal[False]) -> Curie | None: ...

    def lookup(self, term: str, *, strict: bool = True) -> Curie | None:
        """Resolve a CURIE, label, synonym or abbreviation to a concept CURIE.

        >>> load_ontology().lookup("EMH")
        'rg:ExtramedullaryHematopoiesis'
        """
        text = term.strip()
        if is_curie(text) and text in self.concepts:
            return Curie(text)
        hits = self._by_text.get(text.casefold())
        if not hits and text.lower().endswith("s"):
            hits = self._by_text.get(text.casefold()[:-1])
        if hits:
            return sorted(hits, key=lambda c: (-self.depth(c), c))[0]
        if strict:
            raise UnknownTermError(f"no concept is named {term!r} (give a label, synonym or CURIE)")
        return None

    def kind(self, curie: str) -> ConceptKind:
        """Return the top-level branch a concept belongs to."""
        key = Curie(curie)
        if key not in self._kinds:
            anc = self.ancestors(key, include_self=True)
            kind = ConceptKind.OTHER
            for root, k in _KIND_ROOTS:
                if root in anc:
                    kind = k
                    break
            self._kinds[key] = kind
        return self._kinds[key]

    # ---- hierarchy -----------------------------------------------------------------------

    def parents(self, curie: str) -> tuple[Curie, ...]:
        """Return the direct named superclasses of a concept."""
        return self.concept(curie).parents

    def children(self, curie: str) -> tuple[Curie, ...]:
        """Return the direct named subclasses of a concept."""
        return tuple(self._children.get(Curie(curie), ()))

    def ancestors(self, curie: str, *, include_self: bool = False) -> frozenset[Curie]:
        """Return every named superclass of a concept (transitively)."""
        key = Curie(curie)
        if key not in self._ancestors:
            seen: set[Curie] = set()
            stack = list(self.concepts[key].parents) if key in self.concepts else []
            while stack:
                p = stack.pop()
                if p in seen:
                    continue
                seen.add(p)
                if p in self.concepts:
                    stack.extend(self.concepts[p].parents)
            self._ancestors[key] = frozenset(seen)
        anc = self._ancestors[key]
        return anc | {key} if include_self else anc

    def descendants(self, curie: str, *, include_self: bool = False) -> frozenset[Curie]:
        """Return every named subclass of a concept (transitively)."""
        seen: set[Curie] = set()
        stack = list(self._children.get(Curie(curie), ()))
        while stack:
            c = stack.pop()
            if c not in seen:
                seen.add(c)
                stack.extend(self._children.get(c, ()))
        return frozenset(seen | {Curie(curie)}) if include_self else frozenset(seen)

    def is_a(self, curie: str, ancestor: str) -> bool:
        """Tell whether *curie* is *ancestor* or one of its subclasses."""
        return curie == ancestor or ancestor in self.ancestors(curie)

    def part_of_closure(self, curie: str) -> frozenset[Curie]:
        """Return the sites a site is part of, transitively, through part-of and subclass links."""
        key = Curie(curie)
        if key in self._part_of:
            return self._part_of[key]
        seen: set[Curie] = set()
        stack = [Curie(curie)]
        while stack:
            c = stack.pop()
            if c in seen or c not in self.concepts:
                continue
            seen.add(c)
            stack.extend(self.concepts[c].part_of)
            stack.extend(self.concepts[c].parents)
        seen.discard(key)
        self._part_of[key] = frozenset(seen)
        return self._part_of[key]

    def places_of(self, curie: str) -> frozenset[Curie]:
        """Return a site and the places it lies in: part-of wholes, and superclasses that are located.

        Unlike :meth:`part_of_closure`, superclasses that only name a kind of structure (organ,
        bone: no part-of of their own) are left out, so that the larynx and the liver do not
        share a place by both being organs. The site itself is included.
        """
        key = Curie(curie)
        if key not in self._places:
            seen: set[Curie] = set()
            stack = [key]
            while stack:
                c = stack.pop()
                if c in seen or c not in self.concepts:
                    continue
                seen.add(c)
                concept = self.concepts[c]
                stack.extend(concept.part_of)
                stack.extend(p for p in concept.parents if p in self.concepts and self.concepts[p].part_of)
            self._places[key] = frozenset(seen)
        return self._places[key]

    def depth(self, curie: str) -> int:
        """Return the length of the longest path from a concept up to a root."""
        key = Curie(curie)
        if key not in self._depth:
            c = self.concepts.get(key)
            parents = [p for p in c.parents if p != key] if c is not None else []
            self._depth[key] = 1 + max(self.depth(p) for p in parents) if parents else 0
        return self._depth[key]

    def information_content(self, curie: str) -> float:
        """Return the intrinsic information content ``-log((descendants+1)/N)`` of a concept."""
        key = Curie(curie)
        if key not in self._descendant_count:
            self._descendant_count[key] = len(self.descendants(key))
        return -math.log((self._descendant_count[key] + 1) / max(len(self.concepts), 1))

    def definitions_refining(self, curie: str) -> list[Definition]:
        """Return defined classes whose base is *curie* or one of its ancestors."""
        key = Curie(curie)
        if key not in self._refining:
            anc = self.ancestors(key, include_self=True)
            self._refining[key] = [d for d in self.definitions if d.base in anc and d.concept != key]
        return self._refining[key]

    def memo(self, name: str) -> dict[Hashable, Any]:
        """Return a named dictionary for answers derived from this ontology alone (it is read-only)."""
        return self._memos.setdefault(name, {})

    def definition_of(self, curie: str) -> Definition | None:
        """Return the definition of a defined class, if it has one."""
        return self._definition_of.get(Curie(curie))

    # ---- lexicon ------------------------------------------------------------------------

    def lexicon(self) -> Iterator[LexEntry]:
        """Yield every string that names a (non-deprecated) concept."""
        for c in self.concepts.values():
            if c.deprecated or c.abstract:
                continue
            yield LexEntry(c.label, c.curie, "label")
            for t in c.alt_labels:
                yield LexEntry(t, c.curie, "altLabel")
            for t in c.hidden_labels:
                yield LexEntry(t, c.curie, "hiddenLabel")
            for t in c.abbreviations:
                yield LexEntry(t, c.curie, "abbreviation", case_sensitive=True)

    def by_kind(self, kind: ConceptKind) -> list[Curie]:
        """Return all concepts of one kind."""
        return [c for c in self.concepts if self.kind(c) is kind]


def _curie(node: object) -> Curie | None:
    if isinstance(node, URIRef):
        try:
            return compress(str(node))
        except ValueError:
            return None
    return None



class _Index:
    """Subject -> predicate -> objects, over a list of triples (a light stand-in for a Graph)."""

    def __init__(self, triples: Iterable[Triple]) -> None:
        self.po: dict[object, dict[URIRef, list[object]]] = defaultdict(lambda: defaultdict(list))
        self.types: dict[URIRef, list[object]] = defaultdict(list)
        for s, p, o in triples:
            self.po[s][p].append(o)
            if p == RDF.type and isinstance(o, URIRef):
                self.types[o].append(s)

    def objects(self, s: object, p: URIRef) -> list[object]:
        return self.po.get(s, {}).get(p, []) if s in self.po else []

    def value(self, s: object, p: URIRef) -> object | None:
        values = self.objects(s, p)
        return values[0] if values else None

    def collection(self, node: object) -> list[object]:
        out: list[object] = []
        while node is not None and node != RDF.nil:
            out.append(self.value(node, RDF.first))
            node = self.value(node, RDF.rest)
        return out


def _texts(idx: _Index, s: object, p: URIRef) -> tuple[str, ...]:
    return tuple(sorted({str(o) for o in idx.objects(s, p) if isinstance(o, RdfLiteral)}))


def _parse_definition(idx: _Index, concept: Curie, node: object) -> Definition | None:
    members = idx.value(node, OWL.intersectionOf)
    if members is None:
        return None
    base: Curie | None = None
    restrictions: list[Restriction] = []
    for m in idx.collection(members):
        if isinstance(m, URIRef):
            if base is not None:
                return None
            base = _curie(m)
        elif isinstance(m, BNode):
            prop = _curie(idx.value(m, OWL.onProperty))
            filler = _curie(idx.value(m, OWL.someValuesFrom))
            if prop is None or filler is None:
                return None
            restrictions.append(Restriction(prop, filler))
    if base is None or not restrictions:
        return None
    return Definition(concept, base, tuple(restrictions))


def ontology_sources() -> list[tuple[str, str]]:
    """Return ``(name, Turtle text)`` of every packaged ontology module, core first."""
    folder = files("radgraph.resources").joinpath("ontology")
    names = sorted(p.name for p in folder.iterdir() if p.name.endswith(".ttl"))
    names.sort(key=lambda n: (n != "radgraph.ttl", n))
    return [(n, folder.joinpath(n).read_text(encoding="utf-8")) for n in names]


def _to_rdflib(term: object) -> URIRef | BNode | RdfLiteral:
    import pyoxigraph as ox

    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return RdfLiteral(term.value, lang=term.language)
        dt = term.datatype.value
        if dt == "http://www.w3.org/2001/XMLSchema#string":
            return RdfLiteral(term.value)
        return RdfLiteral(term.value, datatype=URIRef(dt))
    raise OntologyError(f"unexpected RDF term {term!r}")


def parse_turtle(text: str, name: str) -> list[Triple]:
    """Parse Turtle with Oxigraph's parser (about 40x faster than rdflib's) into rdflib terms.

    Blank node labels are made unique per document so that several documents can be merged.
    """
    import pyoxigraph as ox

    try:
        triples = ox.parse(text.encode("utf-8"), ox.RdfFormat.TURTLE)
        out: list[Triple] = []
        for t in triples:
            s, p, o = _to_rdflib(t.subject), _to_rdflib(t.predicate), _to_rdflib(t.object)
            if isinstance(s, BNode):
                s = BNode(f"{name}-{s}")
            if isinstance(o, BNode):
                o = BNode(f"{name}-{o}")
            out.append((s, p, o))  # type: ignore[arg-type]
        return out
    except SyntaxError as exc:
        raise OntologyError(f"cannot parse {name!r}: {exc}") from exc


def ontology_triples(extra: Iterable[Path] = ()) -> list[Triple]:
    """Parse the packaged ontology modules (and *extra* Turtle files) into triples."""
    triples: list[Triple] = []
    for name, text in ontology_sources():
        triples.extend(parse_turtle(text, name))
    for path in extra:
        try:
            triples.extend(parse_turtle(path.read_text(encoding="utf-8"), path.name))
        except OSError as exc:
            raise OntologyError(f"cannot read ontology file {str(path)!r}: {exc.strerror}") from exc
    return triples


def build_ontology(source: Graph | Iterable[Triple]) -> Ontology:
    """Build the :class:`Ontology` view of a TBox given as an rdflib graph or as triples."""
    triples = list(source)
    idx = _Index(triples)
    concepts: dict[Curie, Concept] = {}
    definitions: list[Definition] = []
    true = RdfLiteral(True)
    for s in sorted({x for x in idx.types.get(OWL.Class, []) if isinstance(x, URIRef)}):
        curie = _curie(s)
        if curie is None:
            continue
        labels = _texts(idx, s, RDFS.label)
        if not labels:
            raise OntologyError(f"class {curie!r} has no rdfs:label")
        parents = tuple(sorted(c for o in idx.objects(s, RDFS.subClassOf) if (c := _curie(o)) is not None))
        part_of = tuple(sorted(c for o in idx.objects(s, RG.partOf) if (c := _curie(o)) is not None))
        xrefs = tuple(
            sorted(c for p in (SKOS.exactMatch, SKOS.closeMatch) for o in idx.objects(s, p) if (c := _curie(o)) is not None)
        )
        concepts[curie] = Concept(
            curie=curie,
            label=labels[0],
            alt_labels=_texts(idx, s, SKOS.altLabel),
            hidden_labels=_texts(idx, s, SKOS.hiddenLabel),
            abbreviations=_texts(idx, s, RG.abbreviation),
            parents=parents,
            part_of=part_of,
            xrefs=xrefs,
            deprecated=true in idx.objects(s, OWL.deprecated),
            bilaterally_paired=true in idx.objects(s, RG.bilaterallyPaired),
            abstract=str(idx.value(s, RG.lexicalScope) or "") == "none",
            definition=str(idx.value(s, SKOS.definition) or ""),
        )
        for eq in idx.objects(s, OWL.equivalentClass):
            if isinstance(eq, BNode):
                d = _parse_definition(idx, curie, eq)
                if d is not None:
                    definitions.append(d)
    definitions.extend(_site_definitions(concepts, {d.concept for d in definitions}))
    # a defined class is a subclass of its base (what a reasoner infers): make that explicit
    for d in definitions:
        c = concepts[d.concept]
        if d.base not in c.parents and d.base in concepts and d.base != d.concept:
            concepts[d.concept] = replace(c, parents=tuple(sorted((*c.parents, d.base))))
    return Ontology(concepts=concepts, definitions=tuple(definitions), triples=tuple(triples))


def _site_definitions(concepts: Mapping[Curie, Concept], defined: set[Curie]) -> list[Definition]:
    """Derive ``C ≡ P ⊓ ∃locatedIn.S`` for findings named "<site> <finding>" ("pineal region mass").

    ``P`` is a parent of ``C``; the named finding is ``P`` or one of its ancestors (a "white
    matter lesion" is a brain lesion named after the lesion), the nearest first. Only findings
    without an asserted definition are derived, and only when the name's prefix is exactly a label
    or synonym of one anatomical site.
    """
    ancestors = {c: _ancestors_of(concepts, c) for c in concepts}
    by_text: dict[str, list[Curie]] = defaultdict(list)
    for c in concepts.values():
        if "rg:AnatomicalSite" in ancestors[c.curie]:
            for t in (c.label, *c.alt_labels):
                by_text[t.casefold()].append(c.curie)
    out: list[Definition] = []
    for c in concepts.values():
        if c.curie in defined or "rg:Finding" not in ancestors[c.curie]:
            continue
        found = _named_site(c, concepts, ancestors, by_text)
        if found:
            out.append(found)
    return out


def _named_site(
    c: Concept,
    concepts: Mapping[Curie, Concept],
    ancestors: Mapping[Curie, set[Curie]],
    by_text: Mapping[str, list[Curie]],
) -> Definition | None:
    """The definition of *c* by the site its name adds to a parent's name, or to an ancestor's (parents first)."""

    def is_finding(x: Curie) -> bool:
        return x in concepts and (x == "rg:Finding" or "rg:Finding" in ancestors[x])

    parents = [p for p in c.parents if is_finding(p)]
    pairs = [(p, p) for p in parents]
    for p in parents:
        up = [a for a in ancestors[p] if a != "rg:Finding" and is_finding(a)]
        pairs.extend((p, a) for a in sorted(up, key=lambda a: (-len(ancestors[a]), a)))
    for p, a in pairs:
        for name in (c.label, *c.alt_labels):
            for pname in (concepts[a].label, *concepts[a].alt_labels):
                n, pn = name.casefold(), pname.casefold()
                if not n.endswith(" " + pn):
                    continue
                hits = by_text.get(n[: -len(pn)].strip(), [])
                if len(hits) == 1:
                    return Definition(c.curie, p, (Restriction(Curie("rg:locatedIn"), hits[0]),))
    return None


def _ancestors_of(concepts: Mapping[Curie, Concept], curie: Curie) -> set[Curie]:
    seen: set[Curie] = set()
    stack = list(concepts[curie].parents) if curie in concepts else []
    while stack:
        p = stack.pop()
        if p not in seen:
            seen.add(p)
            if p in concepts:
                stack.extend(concepts[p].parents)
    return seen


def load_graph(extra: Iterable[Path] = ()) -> Graph:
    """Return the packaged ontology (and *extra* Turtle files) as one rdflib graph."""
    g = new_graph()
    for t in ontology_triples(extra):
        g.add(t)
    return g


@cache
def load_ontology() -> Ontology:
    """Load the packaged ontology (cached: the view is read-only)."""
    return build_ontology(ontology_triples())
