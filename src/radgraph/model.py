"""Typed records exchanged between the stages of the data path.

Every record is a frozen, slotted dataclass; enumerations are :class:`enum.StrEnum` so that
they serialize to the strings of the JSON contract.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from radgraph.vocab import Curie


class Assertion(StrEnum):
    """Whether a finding or diagnosis is asserted for its subject."""

    PRESENT = "present"
    ABSENT = "absent"
    UNCERTAIN = "uncertain"


class Temporality(StrEnum):
    """Whether a finding is current or part of the history."""

    CURRENT = "current"
    HISTORICAL = "historical"


class Subject(StrEnum):
    """Whom a statement is about: this patient, a relative (family history), or a disease in general."""

    PATIENT = "patient"
    FAMILY = "family"
    GENERIC = "generic"


class Laterality(StrEnum):
    """Side of a finding."""

    LEFT = "left"
    RIGHT = "right"
    BILATERAL = "bilateral"


class Sex(StrEnum):
    """Sex of a patient as stated in a case."""

    MALE = "male"
    FEMALE = "female"


class Role(StrEnum):
    """Role of a diagnosis in a case, strongest first."""

    FINAL = "final"
    HISTORY = "history"
    DIFFERENTIAL = "differential"
    MENTIONED = "mentioned"


class ConceptKind(StrEnum):
    """Top-level branch of the ontology a concept belongs to."""

    FINDING = "finding"
    SITE = "site"
    CONDITION = "condition"
    LATERALITY = "laterality"
    MODALITY = "modality"
    SEQUENCE = "sequence"
    SIGNAL = "signal"
    ENHANCEMENT = "enhancement"
    CHRONICITY = "chronicity"
    DESCRIPTOR = "descriptor"
    MEASUREMENT = "measurement"
    OTHER = "other"


class SectionCategory(StrEnum):
    """Normalized category of a case section."""

    TITLE = "title"
    PATIENT = "patient"
    DOCTOR = "doctor"
    CASE_SECTION = "case_section"
    CLINICAL = "clinical"
    TECHNIQUE = "technique"
    FINDINGS = "findings"
    IMPRESSION = "impression"
    DISCUSSION = "discussion"
    FINAL_DIAGNOSIS = "final_diagnosis"
    DIFFERENTIAL = "differential"
    REFERENCE = "reference"
    TREATMENT = "treatment"
    BOILERPLATE = "boilerplate"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Section:
    """A section of a report: its category and the character offsets of its title and body."""

    category: SectionCategory
    title: str
    start: int
    body_start: int
    end: int


@dataclass(frozen=True, slots=True)
class ReportMeta:
    """What an importer knows about a report besides its text."""

    source: str = ""
    format: str = "text"
    title: str = ""
    system: str = ""
    acr_code: str = ""
    category: str = ""
    final_diagnosis: str = ""
    differentials: tuple[str, ...] = ()
    reference: str = ""


@dataclass(frozen=True, slots=True)
class Report:
    """A case as text, with the sections an importer already knows (empty: detect them)."""

    id: str
    text: str
    meta: ReportMeta = field(default_factory=ReportMeta)
    sections: tuple[Section, ...] = ()


@dataclass(frozen=True, slots=True)
class ConceptRef:
    """A concept named by CURIE with its preferred label."""

    concept: Curie
    label: str


#: How the rule id of a mention read from a measured value begins ("measurement:white-cell-count").
MEASURED_RULE = "measurement:"


@dataclass(frozen=True, slots=True)
class Mention:
    """A concept mention in the text with its assertion context (no spaCy objects)."""

    start: int
    end: int
    text: str
    concept: Curie
    kind: ConceptKind
    rule_id: str
    sentence: int
    section: SectionCategory
    assertion: Assertion = Assertion.PRESENT
    temporality: Temporality = Temporality.CURRENT
    subject: Subject = Subject.PATIENT
    plural: bool = False
    anaphoric: bool = False


@dataclass(frozen=True, slots=True)
class ConceptMatch:
    """A concept chosen for a mention, with the score and rule that chose it."""

    curie: Curie
    score: float
    rule_id: str


@dataclass(frozen=True, slots=True)
class Finding:
    """A finding with its modifiers, assertion context and the span it came from."""

    concept: Curie
    label: str
    assertion: Assertion
    temporality: Temporality
    subject: Subject
    laterality: Laterality | None
    sites: tuple[ConceptRef, ...]
    sequence: str | None
    section: SectionCategory
    text: str
    start: int
    end: int
    rule_id: str
    sequences: tuple[ConceptRef, ...] = ()
    modalities: tuple[ConceptRef, ...] = ()
    signal: ConceptRef | None = None
    enhancement: ConceptRef | None = None
    chronicity: ConceptRef | None = None


@dataclass(frozen=True, slots=True)
class DiagnosisMention:
    """A diagnosis or clinical condition named in a case, with its role."""

    concept: Curie
    label: str
    role: Role
    assertion: Assertion
    section: SectionCategory
    text: str
    start: int
    end: int
    subject: Subject = Subject.PATIENT  # a relative's disease is named in a family history


@dataclass(frozen=True, slots=True)
class GenericStatement:
    """A discussion sentence stating knowledge about diagnoses in general."""

    start: int
    end: int
    text: str
    diagnoses: tuple[Curie, ...]
    findings: tuple[Finding, ...]


@dataclass(frozen=True, slots=True)
class Patient:
    """Demographics of a case's patient."""

    age: int | None = None
    sex: Sex | None = None


@dataclass(frozen=True, slots=True)
class Extraction:
    """Everything extracted from one report."""

    report: Report
    patient: Patient
    sections: tuple[Section, ...]
    findings: tuple[Finding, ...]
    diagnoses: tuple[DiagnosisMention, ...]
    statements: tuple[GenericStatement, ...] = ()
    mentions: tuple[Mention, ...] = ()

    @property
    def case_id(self) -> str:
        """The report identifier."""
        return self.report.id

    def patient_findings(self) -> tuple[Finding, ...]:
        """Findings about this patient (not textbook statements)."""
        return tuple(f for f in self.findings if f.subject is Subject.PATIENT)

    def final_diagnoses(self) -> tuple[DiagnosisMention, ...]:
        """Diagnoses with the final role."""
        return tuple(d for d in self.diagnoses if d.role is Role.FINAL)


@dataclass(frozen=True, slots=True)
class FindingQuery:
    """A finding given to the differential ranker, with optional qualifiers."""

    concept: Curie
    assertion: Assertion = Assertion.PRESENT
    laterality: Laterality | None = None
    sites: tuple[Curie, ...] = ()


@dataclass(frozen=True, slots=True)
class Evidence:
    """Where a piece of knowledge comes from: a curated reference or a case span."""

    kind: str  # "curated" | "case" | "generic" | "definition" (a diagnosis that is the finding itself)
    source: str
    text: str = ""
    case_id: str = ""
    start: int | None = None
    end: int | None = None


@dataclass(frozen=True, slots=True)
class Contribution:
    """How much one input finding moved one candidate's score, and why."""

    finding: Curie
    label: str
    weight: float
    matched: Curie
    via: str
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True, slots=True)
class RankedDiagnosis:
    """One candidate of a differential with the evidence behind its score."""

    rank: int
    concept: Curie
    label: str
    score: float
    probability: float
    supporting: tuple[Contribution, ...]
    against: tuple[Contribution, ...]
    look_for: tuple[ConceptRef, ...] = ()
    #: "disease"; "finding": an imaging finding named as the diagnosis (a vertebral collapse, whose cause
    #: is still to be found); "class": a class of diseases that other candidates are kinds of (lymphoma);
    #: "known": a disease the history says the patient already has (thalassemia)
    kind: str = "disease"
