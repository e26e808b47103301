"""From mentions to concepts: refine a finding by its qualifiers using the ontology's definitions.

A finding mention names a concept (``rg:Mass``); its modifiers name qualifiers (``locatedIn
rg:ParavertebralRegion``). :func:`refine` classifies the pair under the most specific defined
class whose restrictions the qualifiers satisfy (``rg:ParavertebralMass ≡ rg:Mass ⊓ ∃locatedIn.
rg:ParavertebralRegion``) — the structural part of what an OWL reasoner would infer, done in
plain Python at extraction time. :func:`implied_qualifiers` goes the other way: a
``rg:ParavertebralMass`` is located in the paravertebral region even when the text does not
say so separately.

>>> from radgraph.ontology import load_ontology
>>> onto = load_ontology()
>>> refine("rg:SignalFinding", {"rg:observedOn": ["rg:T1Weighted"], "rg:hasSignal": ["rg:HighSignal"]}, onto).curie
'rg:T1Hyperintensity'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from radgraph.model import ConceptMatch
from radgraph.ontology import Definition, Ontology
from radgraph.vocab import Curie

LOCATED_IN = "rg:locatedIn"

#: Refinement answers remembered per ontology before the memo starts again (a few hundred bytes each).
REFINE_MEMO = 100_000


def satisfies(value: str, filler: str, prop: str, ontology: Ontology) -> bool:
    """Tell whether a qualifier value meets a restriction filler (subclass, or part-of for sites)."""
    if ontology.is_a(value, filler):
        return True
    return prop == LOCATED_IN and filler in ontology.part_of_closure(value)


#: Fillers a site must be a kind of, not only a part of.
_WHOLE_FILLERS = frozenset({"rg:Organ"})


def _whole_only(d: Definition, ontology: Ontology) -> bool:
    """Tell whether a definition sits under one whose site must be whole (an organomegaly)."""
    memo = ontology.memo("whole-only")
    hit = memo.get(d.concept)
    if hit is None:
        hit = memo[d.concept] = any(
            r.filler in _WHOLE_FILLERS
            for a in ontology.ancestors(d.concept, include_self=True)
            if (ad := ontology.definition_of(a)) is not None
            for r in ad.restrictions
        )
    return bool(hit)


def _matches(d: Definition, qualifiers: Mapping[str, Iterable[str]], ontology: Ontology) -> bool:
    whole = _whole_only(d, ontology)
    for r in d.restrictions:
        values = qualifiers.get(r.prop, ())
        if whole and r.prop == LOCATED_IN:  # a filler of _WHOLE_FILLERS makes its own definition whole-only
            # an enlarged organ is the organ itself, not a part of one: an enlarged ventricle is no enlarged brain,
            # a distended hepatic vein no hepatomegaly
            if not any(ontology.is_a(v, r.filler) for v in values):
                return False
        elif not any(satisfies(v, r.filler, r.prop, ontology) for v in values):
            return False
    return True


def _site_rank(d: Definition, qualifiers: Mapping[str, Iterable[str]], ontology: Ontology) -> tuple[int, int]:
    """Rank a definition by the first named site its site restriction accepts.

    Earlier sites win ties, and a site that is a kind of the restriction's site beats one that is
    only a part of it.
    """
    sites = list(qualifiers.get(LOCATED_IN, ()))
    for r in d.restrictions:
        if r.prop == LOCATED_IN:
            for i, v in enumerate(sites):
                if ontology.is_a(v, r.filler):
                    return (i, 0)
                if satisfies(v, r.filler, r.prop, ontology):
                    return (i, 1)
    return (len(sites), 2)


def _better(
    d: Definition, best: Definition | None, qualifiers: Mapping[str, Iterable[str]], ontology: Ontology
) -> bool:
    if best is None:
        return True
    dd, bd = ontology.depth(d.concept), ontology.depth(best.concept)
    if dd != bd:
        return dd > bd
    dr, br = _site_rank(d, qualifiers, ontology), _site_rank(best, qualifiers, ontology)
    if dr != br:
        return dr < br
    # the narrower place wins a tie: an enlarged heart is a cardiomegaly before it is an organomegaly
    dn, bn = _narrower(d, best, ontology), _narrower(best, d, ontology)
    if dn != bn:
        return dn
    return d.concept > best.concept


def _narrower(d: Definition, other: Definition, ontology: Ontology) -> bool:
    """Tell whether every restriction of *other* has a narrower (or equal) one in *d*, and *d* differs."""
    if {(r.prop, r.filler) for r in d.restrictions} == {(r.prop, r.filler) for r in other.restrictions}:
        return False
    return all(
        any(
            r.prop == o.prop
            and (r.filler == o.filler or (r.filler in ontology and o.filler in ontology
                 and (ontology.is_a(r.filler, o.filler) or o.filler in ontology.part_of_closure(r.filler))))
            for r in d.restrictions
        )
        for o in other.restrictions
    )  # fmt: skip


def _step(current: Curie, qualifiers: Mapping[str, Iterable[str]], ontology: Ontology) -> Definition | None:
    best: Definition | None = None
    ancestors = ontology.ancestors(current, include_self=True)
    # refinement only goes down the hierarchy: a midline shift next to a ventricle stays a midline shift
    for d in ontology.definitions_refining(current):
        if d.concept in ancestors:
            continue
        if not ontology.is_a(d.concept, current):
            continue
        if not _matches(d, qualifiers, ontology):
            continue
        if _better(d, best, qualifiers, ontology):
            best = d
    return best


#: Broad findings that text often names by a verb or participle ("the spleen is enlarged", "compresses the
#: cord", "narrows the canal"). Their site-specific kinds may be defined under an intermediate class
#: (splenomegaly is an organomegaly of the spleen), so definitions on any of their subclasses are candidates.
DEEP_BASES = frozenset(
    {
        "rg:Enlargement",
        "rg:Dilatation",
        "rg:MassEffect",
        "rg:Stenosis",
        "rg:Displacement",
        "rg:LocalInvasion",
        "rg:BoneDestruction",
        "rg:Thrombus",
    }
)


#: Words for a widened structure: a "dilated" heart chamber is an enlargement, an "enlarged" vessel a dilatation.
_SIZE_FAMILY = frozenset({"rg:Enlargement", "rg:Dilatation"})
#: Structures with a lumen, whose dilatation is never the enlargement of the organ they lie in.
LUMENS = ("rg:BloodVessel", "rg:Duct")


def _deep_step(current: Curie, qualifiers: Mapping[str, Iterable[str]], ontology: Ontology) -> Definition | None:
    families = [{current}, _SIZE_FAMILY - {current}] if current in _SIZE_FAMILY else [{current}]
    if current == "rg:Dilatation" and any(
        ontology.is_a(v, t) for v in qualifiers.get(LOCATED_IN, ()) if v in ontology for t in LUMENS
    ):
        families = [{current}]  # a dilated vessel or duct in the liver is no enlarged liver
    for roots in families:
        best: Definition | None = None
        # the classes between the family's root and a definition must hold too: a distended jugular vein
        # is no cervical lymphadenopathy (enlargement of a lymph node in the neck)
        root = Curie(next(iter(roots)))
        for d in _definitions_under(frozenset(roots), ontology):
            if d.concept == current:
                continue
            if not _matches(d, qualifiers, ontology) or not _between_match(d, root, qualifiers, ontology):
                continue
            if _better(d, best, qualifiers, ontology):
                best = d
        if best is not None:
            return best
    return None


_UNDER: dict[tuple[int, frozenset[str]], tuple[tuple[Definition, ...], list[Definition]]] = {}


def _definitions_under(roots: frozenset[str], ontology: Ontology) -> list[Definition]:
    """Definitions whose base is one of *roots* or below them (memoized per ontology)."""
    key = (id(ontology.definitions), roots)
    hit = _UNDER.get(key)
    if hit is None or hit[0] is not ontology.definitions:
        found = [d for d in ontology.definitions if any(ontology.is_a(d.base, r) for r in roots)]
        hit = _UNDER[key] = (ontology.definitions, found)
    return hit[1]


#: Fillers of grouping definitions that the anatomy does not apply to every member ("organ").
_LOOSE_FILLERS = frozenset({"rg:Organ"})


def _between_match(d: Definition, current: Curie, qualifiers: Mapping[str, Iterable[str]], ontology: Ontology) -> bool:
    """Tell whether the definitions of the classes between *current* and *d* hold too.

    A cervical lymphadenopathy is a lymphadenopathy (an enlargement of a lymph node) in the neck:
    an enlarged structure in the neck is not one unless a lymph node is named.
    """
    for a in ontology.ancestors(d.concept):
        if a == current or not ontology.is_a(a, current):
            continue
        ad = ontology.definition_of(a)
        if ad is None:
            continue
        for r in ad.restrictions:
            if r.filler in _LOOSE_FILLERS:
                continue
            if not any(satisfies(v, r.filler, r.prop, ontology) for v in qualifiers.get(r.prop, ())):
                return False
    return True


def refine(concept: str, qualifiers: Mapping[str, Iterable[str]], ontology: Ontology) -> ConceptMatch:
    """Return the most specific concept for a finding and its qualifiers.

    Defined subclasses of the concept whose base is the concept or one of its ancestors are
    candidates; the deepest that the qualifiers satisfy wins (ties go to the one whose site was
    named first, then by CURIE), and the step repeats so that chains of definitions apply. For
    the broad findings in :data:`DEEP_BASES` any defined subclass is a candidate. Refinement
    never moves sideways: a midline shift beside a ventricle stays a midline shift.
    """
    given = tuple((p, tuple(v)) for p, v in qualifiers.items())
    key = (concept, tuple((p, v) for p, v in given if v))
    memo = ontology.memo("refine")
    found = memo.get(key)
    if found is None:
        if len(memo) >= REFINE_MEMO:
            memo.clear()  # about nine new questions a case: bounded memory over any corpus
        found = memo[key] = _refine(Curie(concept), dict(given), ontology)
    return found


def _refine(current: Curie, qualifiers: Mapping[str, Iterable[str]], ontology: Ontology) -> ConceptMatch:
    seen = {current}
    rule = "lexicon"
    for _ in range(8):
        d = _step(current, qualifiers, ontology)
        if current in DEEP_BASES and qualifiers.get(LOCATED_IN):
            deep = _deep_step(current, qualifiers, ontology)
            if deep is not None and (d is None or ontology.depth(deep.concept) > ontology.depth(d.concept)):
                d = deep
        if d is None or d.concept in seen:
            break
        current, rule = d.concept, f"refine:{d.concept}"
        seen.add(current)
    return ConceptMatch(current, 1.0, rule)


def implied_qualifiers(concept: str, ontology: Ontology) -> dict[str, list[Curie]]:
    """Return the qualifiers a defined concept implies (its restrictions' fillers)."""
    out: dict[str, list[Curie]] = {}
    for c in sorted(ontology.ancestors(concept, include_self=True)):
        d = ontology.definition_of(c)
        if d is None:
            continue
        for r in d.restrictions:
            if r.filler not in out.setdefault(r.prop, []):
                out[r.prop].append(r.filler)
    return out
