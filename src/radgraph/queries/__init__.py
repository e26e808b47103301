"""Named SPARQL queries: ``.rq`` files with a header that declares their parameters.

A query file starts with comment lines::

    # description: Diagnoses that present with a finding (subsumption-aware).
    # params: ?finding:concept ?laterality:laterality?

and has a ``#@bind`` marker line inside its ``WHERE`` clause (or one in each ``UNION`` branch).
Parameters are converted to RDF terms by type (``concept`` resolves a label, synonym or CURIE
through the ontology), then placed as a ``VALUES`` block at every marker, each term serialized
by rdflib (escaped), never pasted as raw text. A ``?`` after the type marks an optional
parameter. ``VALUES`` is used for every backend because Oxigraph's ``substitutions`` only bind
projected variables and are not visible to ``FILTER`` (measured with pyoxigraph 0.5.13), so
results would differ by backend.

SPARQL evaluates groups bottom-up: the ``VALUES`` block binds the parameters for the patterns
and filters of its own group, but a ``FILTER`` nested inside a ``UNION`` branch or sub-group
does not see a block outside it. Oxigraph also does not push a binding (or a pattern that
follows) into a ``UNION``, so a query whose answer is a ``UNION`` puts a marker, its filters
and its label lookups in every branch (``diagnoses-presenting-with``: 3 ms instead of 0.5 s).

>>> q = load("diagnoses-presenting-with")
>>> [p.name for p in q.params]
['finding', 'laterality']
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from rdflib import XSD, Literal, URIRef
from rdflib.term import Node

from radgraph.errors import QueryError, UnknownTermError
from radgraph.ontology import Ontology
from radgraph.vocab import RG, case_iri, sparql_prefixes

_HEADER = re.compile(r"^#\s*(description|params|name)\s*:\s*(.*)$")
_PARAM = re.compile(r"^\?([A-Za-z_][A-Za-z0-9_]*)(?::([a-z]+))?(\?)?$")
_TYPES = ("concept", "laterality", "int", "string", "case", "iri", "sex")
_LATERALITY = {"left": RG.Left, "right": RG.Right, "bilateral": RG.Bilateral}
_SEX = {"male": RG.Male, "female": RG.Female, "m": RG.Male, "f": RG.Female}
_BAD_IRI = re.compile(r"[\s<>\"{}|^`\\]")
MARKER = "#@bind"


@dataclass(frozen=True, slots=True)
class Param:
    """A declared query parameter."""

    name: str
    type: str = "string"
    required: bool = True


@dataclass(frozen=True, slots=True)
class NamedQuery:
    """A query file: name, description, parameters and SPARQL text (without PREFIX header)."""

    name: str
    description: str
    params: tuple[Param, ...]
    text: str

    @property
    def form(self) -> str:
        """The query form: SELECT, ASK, CONSTRUCT or DESCRIBE."""
        m = re.search(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", _strip_comments(self.text), re.IGNORECASE)
        return m.group(1).upper() if m else "SELECT"


def _strip_comments(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


def parse(text: str, name: str) -> NamedQuery:
    """Parse a query file's header and body."""
    description = ""
    params: list[Param] = []
    for line in text.splitlines():
        m = _HEADER.match(line.strip())
        if not m:
            continue
        key, value = m.groups()
        if key == "description":
            description = value.strip()
        elif key == "params":
            for tok in value.split():
                pm = _PARAM.match(tok)
                if pm is None or (pm.group(2) or "string") not in _TYPES:
                    raise QueryError(f"query {name!r}: bad parameter declaration {tok!r}")
                params.append(Param(pm.group(1), pm.group(2) or "string", pm.group(3) is None))
    if params and MARKER not in text:
        raise QueryError(f"query {name!r} declares parameters but has no {MARKER} marker line")
    return NamedQuery(name, description, tuple(params), text)


def _folder() -> Path:
    return Path(str(files("radgraph.queries")))


def names() -> list[str]:
    """Return the names of the packaged queries."""
    return sorted(p.stem for p in _folder().glob("*.rq"))


def load(name_or_path: str) -> NamedQuery:
    """Load a packaged query by name, or a ``.rq`` file by path."""
    if name_or_path.endswith(".rq"):
        path = Path(name_or_path)
        try:
            return parse(path.read_text(encoding="utf-8"), path.stem)
        except OSError as exc:
            raise QueryError(f"cannot read query file {name_or_path!r}: {exc.strerror}") from None
    path = _folder() / f"{name_or_path}.rq"
    if not path.is_file():
        raise QueryError(f"no query named {name_or_path!r}; run 'radgraph query --list'")
    return parse(path.read_text(encoding="utf-8"), name_or_path)


def to_term(param: Param, value: str, ontology: Ontology) -> Node:
    """Convert a parameter value given as text to an RDF term of the declared type."""
    v = value.strip()
    if param.type == "concept":
        try:
            return URIRef(ontology_iri(ontology, v))
        except UnknownTermError as exc:
            raise QueryError(f"parameter {param.name!r}: {exc}") from None
    if param.type == "laterality":
        if v.lower() not in _LATERALITY:
            raise QueryError(f"parameter {param.name!r}: laterality must be left, right or bilateral, not {v!r}")
        return _LATERALITY[v.lower()]
    if param.type == "sex":
        if v.lower() not in _SEX:
            raise QueryError(f"parameter {param.name!r}: sex must be male or female, not {v!r}")
        return _SEX[v.lower()]
    if param.type == "int":
        try:
            return Literal(int(v), datatype=XSD.integer)
        except ValueError:
            raise QueryError(f"parameter {param.name!r}: not an integer: {v!r}") from None
    if param.type == "case":
        return case_iri(v)
    if param.type == "iri":
        if not re.match(r"^[a-z][a-z0-9+.-]*:", v) or _BAD_IRI.search(v):
            raise QueryError(f"parameter {param.name!r}: not a valid IRI: {v!r}")
        return URIRef(v)
    return Literal(v)


def ontology_iri(ontology: Ontology, term: str) -> str:
    """Resolve a label, synonym or CURIE to the concept's IRI."""
    from radgraph.vocab import expand

    return expand(ontology.lookup(term))


def bind(query: NamedQuery, values: Mapping[str, str], ontology: Ontology) -> tuple[str, dict[str, Node]]:
    """Return the full query text (PREFIX header, VALUES at the marker) and the typed bindings."""
    declared = {p.name: p for p in query.params}
    unknown = sorted(set(values) - set(declared))
    if unknown:
        raise QueryError(
            f"query {query.name!r} has no parameter(s) {unknown}; it takes: {sorted(declared) or 'none'}"
        )
    missing = [p.name for p in query.params if p.required and p.name not in values]
    if missing:
        raise QueryError(f"query {query.name!r} needs parameter(s) {missing} (give --param NAME=VALUE)")
    terms = {k: to_term(declared[k], v, ontology) for k, v in values.items()}
    return sparql_prefixes() + with_values(query.text, terms), terms


def with_values(text: str, terms: Mapping[str, Node]) -> str:
    """Replace every ``#@bind`` marker with a VALUES block of *terms* (serialized by rdflib)."""
    if not terms:
        return text
    if MARKER not in text:
        raise QueryError("query has no #@bind marker for its parameters")
    names = sorted(terms)
    for n in names:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", n):
            raise QueryError(f"invalid variable name {n!r}")
    row = " ".join(terms[n].n3() for n in names)
    block = f"VALUES ({' '.join('?' + n for n in names)}) {{ ({row}) }}"
    return text.replace(MARKER, block)
