"""Extractions to RDF: one named graph per case, deterministic IRIs, no blank nodes.

Each case gets two named graphs: ``rgd:graph/case/{id}`` with the patient-level facts and
``rgd:graph/generic/{id}`` with the knowledge its discussion states about diseases in general.
Every extracted fact points (``rg:evidence``, a sub-property of ``prov:wasDerivedFrom``) to a
W3C Web Annotation ``oa:TextPositionSelector`` over the case's source text, so any triple can
be traced back to its characters.

>>> from radgraph.model import Report, Extraction, Patient
>>> graphs = to_triples(Extraction(Report("x", "text"), Patient(), (), (), ()))
>>> [str(g.graph).rsplit("/", 2)[-2] for g in graphs]
['case', 'generic']
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from rdflib import RDF, RDFS, XSD, BNode, Literal, URIRef
from rdflib.namespace import DCTERMS
from rdflib.term import Node

from radgraph.model import (
    Assertion,
    DiagnosisMention,
    Extraction,
    Finding,
    Laterality,
    Role,
    Sex,
    Subject,
    Temporality,
)
from radgraph.vocab import (
    OA,
    RG,
    case_graph,
    case_iri,
    diagnosis_iri,
    finding_iri,
    generic_graph,
    patient_iri,
    section_iri,
    source_iri,
    span_iri,
    statement_iri,
    uri,
)

Triple = tuple[URIRef, URIRef, Node]

_ASSERTION = {Assertion.PRESENT: RG.Present, Assertion.ABSENT: RG.Absent, Assertion.UNCERTAIN: RG.Uncertain}
_TEMPORALITY = {Temporality.CURRENT: RG.Current, Temporality.HISTORICAL: RG.Historical}
_SUBJECT = {Subject.PATIENT: RG.PatientSubject, Subject.GENERIC: RG.GenericSubject, Subject.FAMILY: RG.FamilySubject}
_LATERALITY = {Laterality.LEFT: RG.Left, Laterality.RIGHT: RG.Right, Laterality.BILATERAL: RG.Bilateral}
_SEX = {Sex.MALE: RG.Male, Sex.FEMALE: RG.Female}
_ROLE_PROPERTY = {
    Role.FINAL: RG.hasFinalDiagnosis,
    Role.DIFFERENTIAL: RG.hasDifferential,
    Role.MENTIONED: RG.mentionsCondition,
}


@dataclass(frozen=True, slots=True)
class GraphTriples:
    """The triples of one named graph."""

    graph: URIRef
    triples: tuple[Triple, ...]


@lru_cache(maxsize=16384)
def _int(n: int) -> Literal:
    return Literal(n, datatype=XSD.integer)


def _span(case_id: str, start: int, end: int, text: str) -> Iterator[Triple]:
    s = span_iri(case_id, start, end)
    yield s, RDF.type, RG.TextSpan
    yield s, RDF.type, OA.TextPositionSelector
    yield s, OA.start, _int(start)
    yield s, OA.end, _int(end)
    yield s, OA.exact, Literal(text)
    yield s, DCTERMS.isPartOf, source_iri(case_id)


def _finding(case_id: str, f: Finding, node: URIRef) -> Iterator[Triple]:
    yield node, RDF.type, uri(f.concept)
    yield node, RDFS.label, Literal(f.label)
    yield node, RG.hasAssertion, _ASSERTION[f.assertion]
    yield node, RG.temporality, _TEMPORALITY[f.temporality]
    yield node, RG.subject, _SUBJECT[f.subject]
    yield node, RG.sectionCategory, Literal(f.section.value)
    yield node, RG.ruleId, Literal(f.rule_id)
    if f.laterality is not None:
        yield node, RG.laterality, _LATERALITY[f.laterality]
    for site in f.sites:
        yield node, RG.locatedIn, uri(site.concept)
    for ref in (*f.sequences, *f.modalities):
        yield node, RG.observedOn, uri(ref.concept)
    if f.signal is not None:
        yield node, RG.hasSignal, uri(f.signal.concept)
    if f.enhancement is not None:
        yield node, RG.hasEnhancement, uri(f.enhancement.concept)
    if f.chronicity is not None:
        yield node, RG.chronicity, uri(f.chronicity.concept)
    yield node, RG.evidence, span_iri(case_id, f.start, f.end)
    yield from _span(case_id, f.start, f.end, f.text)


def _diagnosis(case_id: str, d: DiagnosisMention) -> Iterator[Triple]:
    node = diagnosis_iri(case_id, d.role.value, d.start, d.end)
    case = case_iri(case_id)
    if d.role is Role.HISTORY:
        yield patient_iri(case_id), RG.hasHistoryOf, node
    else:
        yield case, _ROLE_PROPERTY[d.role], node
    yield node, RDF.type, uri(d.concept)
    yield node, RDFS.label, Literal(d.label)
    yield node, RG.hasAssertion, _ASSERTION[d.assertion]
    if d.subject is not Subject.PATIENT:
        yield node, RG.subject, _SUBJECT[d.subject]  # a relative's disease, named in a family history
    yield node, RG.sectionCategory, Literal(d.section.value)
    yield node, RG.evidence, span_iri(case_id, d.start, d.end)
    yield from _span(case_id, d.start, d.end, d.text)


def _case_triples(ex: Extraction) -> Iterator[Triple]:
    cid = ex.case_id
    case = case_iri(cid)
    meta = ex.report.meta
    yield case, RDF.type, RG.Case
    title = meta.title or next(
        (ex.report.text[s.start : s.end].strip() for s in ex.sections if s.category.value == "title"), ""
    )
    if title:
        yield case, RG.caseTitle, Literal(title)
        yield case, RDFS.label, Literal(title)
    if meta.source:
        yield case, DCTERMS.source, Literal(meta.source)
    if meta.system:
        yield case, DCTERMS.subject, Literal(meta.system)
    if meta.reference:
        yield case, DCTERMS.bibliographicCitation, Literal(meta.reference)
    if meta.acr_code:
        yield case, DCTERMS.identifier, Literal(f"ACR {meta.acr_code}")
    src = source_iri(cid)
    yield src, RG.sourceText, Literal(ex.report.text)
    yield case, DCTERMS.hasPart, src
    patient = patient_iri(cid)
    yield case, RG.hasPatient, patient
    yield patient, RDF.type, RG.Patient
    if ex.patient.age is not None:
        yield patient, RG.age, _int(ex.patient.age)
    if ex.patient.sex is not None:
        yield patient, RG.sex, _SEX[ex.patient.sex]
    for i, s in enumerate(ex.sections):
        node = section_iri(cid, i)
        yield case, RG.hasSection, node
        yield node, RDF.type, RG.Section
        yield node, RG.sectionCategory, Literal(s.category.value)
        if s.title:
            yield node, RDFS.label, Literal(s.title)
        yield node, OA.start, _int(s.start)
        yield node, OA.end, _int(s.end)
    used: set[URIRef] = set()
    for f in ex.findings:
        if f.subject is Subject.GENERIC:
            continue
        node = _unique(finding_iri(cid, f.start, f.end), used, cid, f)
        yield case, RG.hasFinding, node
        yield from _finding(cid, f, node)
    for d in ex.diagnoses:
        yield from _diagnosis(cid, d)


def _unique(node: URIRef, used: set[URIRef], cid: str, f: Finding) -> URIRef:
    n = 0
    while node in used:
        n += 1
        node = finding_iri(cid, f.start, f.end, n)
    used.add(node)
    return node


def _generic_triples(ex: Extraction) -> Iterator[Triple]:
    cid = ex.case_id
    case = case_iri(cid)
    used: set[URIRef] = set()
    for st in ex.statements:
        node = statement_iri(cid, st.start, st.end)
        yield case, RG.hasStatement, node
        yield node, RDF.type, RG.GenericStatement
        yield node, RG.subject, RG.GenericSubject
        for dx in st.diagnoses:
            yield node, RG.aboutDiagnosis, uri(dx)
        for f in st.findings:
            fnode = _unique(finding_iri(cid, f.start, f.end), used, cid, f)
            yield node, RG.statesFinding, fnode
            yield from _finding(cid, f, fnode)
        yield node, RG.evidence, span_iri(cid, st.start, st.end)
        yield from _span(cid, st.start, st.end, st.text)


def _check(triples: list[Triple]) -> tuple[Triple, ...]:
    for t in triples:  # predicates are always our own IRIs
        if isinstance(t[0], BNode) or isinstance(t[2], BNode):
            raise ValueError(f"blank node in instance data: {t!r}")
    return tuple(dict.fromkeys(triples))


def to_triples(ex: Extraction) -> list[GraphTriples]:
    """Return the case's named graphs: patient-level facts, then generic knowledge."""
    return [
        GraphTriples(case_graph(ex.case_id), _check(list(_case_triples(ex)))),
        GraphTriples(generic_graph(ex.case_id), _check(list(_generic_triples(ex)))),
    ]
