"""IRIs, namespaces and CURIEs: the one place where radgraph's identifiers are made.

Every IRI the package writes is built here: the base IRI, the ontology (``rg:``), data (``rgd:``)
and knowledge (``rgk:``) namespaces, the minting functions for case data, and the single
:class:`curies.Converter` that expands and compresses CURIEs.

>>> expand("rg:Thalassemia")
'https://example.org/radgraph/ontology/Thalassemia'
>>> compress("https://example.org/radgraph/ontology/Thalassemia")
'rg:Thalassemia'
>>> str(case_iri("seed-emh"))
'https://example.org/radgraph/data/case/seed-emh'
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib.resources import files
from typing import NewType

import curies
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import DefinedNamespace

from radgraph.errors import CurieError

Curie = NewType("Curie", str)
IRI = NewType("IRI", str)

#: The one base IRI of the project (a placeholder until a persistent w3id.org redirect exists).
BASE = "https://example.org/radgraph/"
ONTOLOGY_IRI = URIRef(BASE + "ontology")
ONTOLOGY_GRAPH = URIRef(BASE + "ontology")
KNOWLEDGE_GRAPH = URIRef(BASE + "knowledge")
INFERRED_GRAPH = URIRef(BASE + "inferred")
#: Case-supported ``rg:presentsWith`` links of one diagnosis live in ``{BASE}inferred/cases/<id>``
#: (see :func:`inferred_case_graph`), so that a build updates only the diagnoses it touched.
INFERRED_CASES = BASE + "inferred/cases/"
CLOSURE_GRAPH = URIRef(BASE + "closure")
CASE_EVIDENCE_GRAPH = URIRef(BASE + "evidence")

RGD = Namespace(BASE + "data/")
RGK = Namespace(BASE + "knowledge/")
OA = Namespace("http://www.w3.org/ns/oa#")
PROV = Namespace("http://www.w3.org/ns/prov#")


class RG(DefinedNamespace):
    """The schema terms of the radgraph ontology that code refers to by name (closed namespace).

    Concept classes (findings, sites, diagnoses) are data: they are reached through the
    :class:`~radgraph.ontology.Ontology`, never as attributes here.
    """

    _fail = True
    _NS = Namespace(BASE + "ontology/")

    Case: URIRef
    Patient: URIRef
    Section: URIRef
    TextSpan: URIRef
    GenericStatement: URIRef
    FindingAssociation: URIRef
    ConditionAssociation: URIRef
    DiagnosisProfile: URIRef
    Concept: URIRef
    Finding: URIRef
    ImagingFinding: URIRef
    ClinicalFinding: URIRef
    AnatomicalSite: URIRef
    ClinicalCondition: URIRef
    Diagnosis: URIRef
    Descriptor: URIRef
    Laterality: URIRef
    Modality: URIRef
    MRSequence: URIRef
    SignalCharacteristic: URIRef
    EnhancementCharacteristic: URIRef
    Chronicity: URIRef
    SignalFinding: URIRef
    Frequency: URIRef

    abbreviation: URIRef
    presentsWith: URIRef
    associatedWith: URIRef
    partOf: URIRef
    isA: URIRef
    lexicalScope: URIRef
    bilaterallyPaired: URIRef

    hasPatient: URIRef
    hasSection: URIRef
    hasFinding: URIRef
    hasFinalDiagnosis: URIRef
    hasDifferential: URIRef
    mentionsCondition: URIRef
    hasHistoryOf: URIRef
    hasStatement: URIRef
    locatedIn: URIRef
    laterality: URIRef
    observedOn: URIRef
    hasSignal: URIRef
    hasEnhancement: URIRef
    chronicity: URIRef
    hasAssertion: URIRef
    temporality: URIRef
    subject: URIRef
    inSection: URIRef
    sex: URIRef
    evidence: URIRef
    aboutDiagnosis: URIRef
    statesFinding: URIRef
    diagnosis: URIRef
    finding: URIRef
    condition: URIRef
    frequency: URIRef
    age: URIRef
    ageMin: URIRef
    ageMax: URIRef
    sexPredilection: URIRef
    sectionCategory: URIRef
    caseTitle: URIRef
    sourceText: URIRef
    weight: URIRef
    caseCount: URIRef
    ruleId: URIRef

    Present: URIRef
    Absent: URIRef
    Uncertain: URIRef
    Current: URIRef
    Historical: URIRef
    PatientSubject: URIRef
    GenericSubject: URIRef
    FamilySubject: URIRef
    Male: URIRef
    Female: URIRef
    Common: URIRef
    Uncommon: URIRef
    Rare: URIRef
    Left: URIRef
    Right: URIRef
    Bilateral: URIRef


@cache
def external_prefixes() -> dict[str, str]:
    """Return the external prefix map shipped in ``resources/prefixes.json``."""
    text = files("radgraph.resources").joinpath("prefixes.json").read_text(encoding="utf-8")
    data = json.loads(text)
    if not isinstance(data, dict):
        raise CurieError("prefixes.json must hold an object of prefix -> IRI")
    return {str(k): str(v) for k, v in data.items()}


@cache
def prefix_map() -> dict[str, str]:
    """Return every prefix radgraph uses, ours first, in a stable order."""
    ours = {"rg": str(RG._NS), "rgd": str(RGD), "rgk": str(RGK)}
    return {**ours, **external_prefixes()}


@cache
def converter() -> curies.Converter:
    """Return the one :class:`curies.Converter` for all CURIE work."""
    return curies.Converter.from_prefix_map(prefix_map())


def expand(curie: str) -> IRI:
    """Expand a CURIE to an IRI, raising :class:`CurieError` when its prefix is unknown."""
    if not isinstance(curie, str) or ":" not in curie:
        raise CurieError(f"not a CURIE: {curie!r}")
    iri = converter().expand(curie)
    if iri is None:
        raise CurieError(f"unknown prefix in CURIE {curie!r}; known: {sorted(prefix_map())}")
    return IRI(iri)


def compress(iri: str) -> Curie:
    """Compress an IRI to a CURIE, raising :class:`CurieError` when no prefix covers it."""
    curie = converter().compress(str(iri))
    if curie is None:
        raise CurieError(f"no prefix covers IRI {str(iri)!r}")
    return Curie(curie)


def is_curie(text: str) -> bool:
    """Tell whether *text* is a CURIE with a known prefix (``rg:Mass``) rather than a label."""
    prefix, sep, local = text.partition(":")
    return bool(sep) and prefix in prefix_map() and bool(local) and " " not in text


def uri(curie: str) -> URIRef:
    """Return the rdflib IRI of a CURIE."""
    return URIRef(expand(curie))


def sparql_prefixes() -> str:
    """Return the ``PREFIX`` header for SPARQL queries, generated from the one prefix map."""
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in prefix_map().items())


def new_graph() -> Graph:
    """Return an rdflib graph bound to radgraph's prefixes only (never rdflib's defaults)."""
    g = Graph(bind_namespaces="none")
    for p, iri in prefix_map().items():
        g.bind(p, iri)
    return g


_SAFE_ID = re.compile(r"[^A-Za-z0-9._~-]+")


def safe_id(text: str) -> str:
    """Turn an arbitrary case identifier into an IRI-safe path segment (deterministic).

    >>> safe_id("MPX1106")
    'MPX1106'
    >>> safe_id("cases/neuro abscess.txt")
    'cases_neuro_abscess.txt'
    """
    cleaned = _SAFE_ID.sub("_", text.strip()).strip("_")
    if not cleaned:
        raise CurieError(f"cannot mint an IRI from identifier {text!r}")
    return cleaned


#: Characters an IRI may not contain (RFC 3987: controls, space, ``<>"{}|^`\``); the one check
#: behind minted IRIs here and every IRI the stores serialize (:func:`radgraph.store.base.nt_term`).
INVALID_IRI_CHARS = re.compile(r'[\x00-\x20<>"{}|^`\\]')


def _mint(path: str) -> URIRef:
    if INVALID_IRI_CHARS.search(path):
        raise CurieError(f"invalid IRI minted: {RGD + path!r}")
    return URIRef(RGD + path)


def inferred_case_graph(diagnosis: Curie) -> URIRef:
    """Return the graph of the case-supported ``rg:presentsWith`` links of one diagnosis.

    >>> str(inferred_case_graph(Curie("rg:Lymphoma")))
    'https://example.org/radgraph/inferred/cases/rg_Lymphoma'
    """
    return URIRef(INFERRED_CASES + safe_id(diagnosis.replace(":", "_")))


def case_iri(case_id: str) -> URIRef:
    """Return the IRI of a case."""
    return _mint(f"case/{safe_id(case_id)}")


def case_graph(case_id: str) -> URIRef:
    """Return the named graph that holds a case's patient-level facts."""
    return _mint(f"graph/case/{safe_id(case_id)}")


def generic_graph(case_id: str) -> URIRef:
    """Return the named graph that holds the generic knowledge stated in a case's discussion."""
    return _mint(f"graph/generic/{safe_id(case_id)}")


def patient_iri(case_id: str) -> URIRef:
    """Return the IRI of a case's patient."""
    return _mint(f"case/{safe_id(case_id)}/patient")


def section_iri(case_id: str, index: int) -> URIRef:
    """Return the IRI of the *index*-th section of a case."""
    return _mint(f"case/{safe_id(case_id)}/section/{index}")


def finding_iri(case_id: str, start: int, end: int, n: int = 0) -> URIRef:
    """Return the IRI of a finding extracted from characters ``start:end`` of a case."""
    suffix = f"-{n}" if n else ""
    return _mint(f"case/{safe_id(case_id)}/finding/{start}-{end}{suffix}")


def diagnosis_iri(case_id: str, role: str, start: int, end: int) -> URIRef:
    """Return the IRI of a diagnosis mention of a case."""
    return _mint(f"case/{safe_id(case_id)}/{role}/{start}-{end}")


def statement_iri(case_id: str, start: int, end: int) -> URIRef:
    """Return the IRI of a generic statement (a discussion sentence)."""
    return _mint(f"case/{safe_id(case_id)}/statement/{start}-{end}")


def span_iri(case_id: str, start: int, end: int) -> URIRef:
    """Return the IRI of a text span (a W3C Web Annotation text position selector)."""
    return _mint(f"case/{safe_id(case_id)}/span/{start}-{end}")


def source_iri(case_id: str) -> URIRef:
    """Return the IRI of a case's source text."""
    return _mint(f"case/{safe_id(case_id)}/text")


def association_iri(diagnosis: str, target: str, *, condition: bool = False) -> URIRef:
    """Return the IRI of a curated association (``rgk:{Diagnosis}_{Finding}``, conditions ``_cond_``).

    >>> str(association_iri("rg:ExtramedullaryHematopoiesis", "rg:Thalassemia", condition=True))
    'https://example.org/radgraph/knowledge/ExtramedullaryHematopoiesis_cond_Thalassemia'
    """
    d = safe_id(diagnosis.split(":", 1)[-1])
    t = safe_id(target.split(":", 1)[-1])
    return URIRef(RGK + (f"{d}_cond_{t}" if condition else f"{d}_{t}"))
