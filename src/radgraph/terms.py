"""Finding terms as people type them: ``"paravertebral mass; laterality=bilateral"``, ``"no calcification"``.

A term is a label, synonym, abbreviation or CURIE, optionally followed by ``; key=value``
qualifiers (``laterality``, ``site``, ``assertion``). A leading ``no`` or ``without`` makes it
absent. A phrase the lexicon does not know as a whole ("bilateral paravertebral soft-tissue
masses") is read by the extraction pipeline when one is given.

>>> from radgraph.ontology import load_ontology
>>> parse_term("bilateral paravertebral mass", load_ontology()).laterality
<Laterality.BILATERAL: 'bilateral'>
>>> parse_term("no calcification", load_ontology()).assertion
<Assertion.ABSENT: 'absent'>
"""

from __future__ import annotations

import re

from spacy.language import Language

from radgraph.errors import UnknownTermError
from radgraph.model import Assertion, FindingQuery, Laterality, Report, Subject
from radgraph.ontology import Ontology
from radgraph.vocab import Curie

_NEG = re.compile(r"^\s*(no|without|absent|absence of)\s+", re.IGNORECASE)
_SIDE = re.compile(r"^\s*(left|right|bilateral)\s+", re.IGNORECASE)


def parse_term(term: str, ontology: Ontology, nlp: Language | None = None) -> FindingQuery:
    """Turn a typed finding term into a :class:`FindingQuery` (raises :class:`UnknownTermError`)."""
    head, *quals = [p.strip() for p in term.split(";")]
    if not head:
        raise UnknownTermError(f"empty finding term {term!r}")
    assertion = Assertion.PRESENT
    laterality: Laterality | None = None
    sites: list[Curie] = []
    if m := _NEG.match(head):
        assertion, head = Assertion.ABSENT, head[m.end() :]
    if (m := _SIDE.match(head)) and ontology.lookup(head, strict=False) is None:
        laterality, head = Laterality(m.group(1).lower()), head[m.end() :]
    for q in quals:
        key, sep, value = (x.strip() for x in q.partition("="))
        if not sep:
            raise UnknownTermError(f"qualifier {q!r} in {term!r} is not key=value")
        if key == "laterality":
            try:
                laterality = Laterality(value.lower())
            except ValueError:
                raise UnknownTermError(f"laterality must be left, right or bilateral, not {value!r}") from None
        elif key == "site":
            sites.append(ontology.lookup(value))
        elif key == "assertion":
            try:
                assertion = Assertion(value.lower())
            except ValueError:
                raise UnknownTermError(f"assertion must be present, absent or uncertain, not {value!r}") from None
        else:
            raise UnknownTermError(f"unknown qualifier {key!r} in {term!r} (use laterality, site, assertion)")
    concept = ontology.lookup(head, strict=False)
    if concept is None and nlp is not None:
        from radgraph.nlp import extract

        ex = extract(nlp, Report("term", "Findings\n\n" + head + "."))
        found = [f for f in ex.findings if f.subject is Subject.PATIENT]
        if found:
            f = found[0]
            return FindingQuery(
                f.concept, assertion, laterality or f.laterality, tuple(sites) or tuple(s.concept for s in f.sites)
            )
    if concept is None:
        raise UnknownTermError(f"no concept is named {head!r} (give a label, synonym or CURIE)")
    return FindingQuery(concept, assertion, laterality, tuple(sites))
