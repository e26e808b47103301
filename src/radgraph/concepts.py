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


def satisfies(value: str, filler: str, prop: str, ontology: Ontology) -> bool:
    """Tell whether a qualifier value meets a restriction filler (subclass, or part-of for sites)."""
    if ontology.is_a(value, filler):
        return True
    return prop == LOCATED_IN and filler in ontology.part_of_closure(value)


def _matches(d: Definition, qualifiers: Mapping[str, Iterable[str]], ontology: Ontology) -> bool:
    for r in d.restrictions:
        values = qualifiers.get(r.prop, ())
        if not any(satisfies(v, r.filler, r.prop, ontology) for v in values):
            return False
    return True


#: Definitions on these bases only classify findings that have no more specific concept.
_BROAD_BASES = frozenset({"rg:Finding", "rg:ImagingFinding", "rg:ClinicalFinding", "rg:Concept"})


def _step(current: Curie, qualifiers: Mapping[str, Iterable[str]], ontology: Ontology) -> Definition | None:
    best: Definition | None = None
    ancestors = ontology.ancestors(current, include_self=True)
    # a concept that is itself defined (already site-, sequence- or signal-specific) only refines downwards
    specific = ontology.definition_of(current) is not None
    for d in ontology.definitions_refining(current):
        if d.concept in ancestors:
            continue
        if specific and not ontology.is_a(d.concept, current):
            continue
        if d.base in _BROAD_BASES and current not in _BROAD_BASES and not ontology.is_a(d.concept, current):
            continue
        if not _matches(d, qualifiers, ontology):
            continue
        if best is None or (ontology.depth(d.concept), d.concept) > (ontology.depth(best.concept), best.concept):
            best = d
    return best


def refine(concept: str, qualifiers: Mapping[str, Iterable[str]], ontology: Ontology) -> ConceptMatch:
    """Return the most specific concept for a finding and its qualifiers.

    Defined classes whose base is the concept or one of its ancestors are candidates; the
    deepest that the qualifiers satisfy wins (ties broken by CURIE), and the step repeats so
    that chains of definitions apply. A definition on a broad base (``rg:ImagingFinding``)
    never replaces a specific concept.
    """
    current = Curie(concept)
    seen = {current}
    rule = "lexicon"
    for _ in range(8):
        d = _step(current, qualifiers, ontology)
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
