"""radgraph: radiology teaching cases as a knowledge graph of findings and diagnoses.

The stable API is what ``__all__`` lists; anything else may change without notice.

>>> from radgraph import build_nlp, extract, Report
>>> ex = extract(build_nlp(), Report("demo", "Findings\\n\\nLeft pleural mass without calcification."))
>>> [f.assertion.value for f in ex.findings]
['present', 'absent']
"""

from __future__ import annotations

from radgraph.ddx import rank
from radgraph.errors import (
    CurieError,
    InputError,
    MissingExtraError,
    OntologyError,
    QueryError,
    RadgraphError,
    RadgraphWarning,
    RuleError,
    StoreError,
    StoreUnavailable,
    UnknownTermError,
)
from radgraph.model import (
    Assertion,
    ConceptRef,
    Contribution,
    DiagnosisMention,
    Evidence,
    Extraction,
    Finding,
    FindingQuery,
    Laterality,
    Mention,
    Patient,
    RankedDiagnosis,
    Report,
    ReportMeta,
    Role,
    Section,
    SectionCategory,
    Sex,
    Subject,
    Temporality,
)
from radgraph.nlp import PipelineConfig, build_nlp, extract
from radgraph.ontology import Ontology, load_ontology
from radgraph.store import Store, open_store
from radgraph.triples import to_triples

__version__ = "0.1.0"

__all__ = [
    "Assertion",
    "ConceptRef",
    "Contribution",
    "CurieError",
    "DiagnosisMention",
    "Evidence",
    "Extraction",
    "Finding",
    "FindingQuery",
    "InputError",
    "Laterality",
    "Mention",
    "MissingExtraError",
    "Ontology",
    "OntologyError",
    "Patient",
    "PipelineConfig",
    "QueryError",
    "RadgraphError",
    "RadgraphWarning",
    "RankedDiagnosis",
    "Report",
    "ReportMeta",
    "Role",
    "RuleError",
    "Section",
    "SectionCategory",
    "Sex",
    "Store",
    "StoreError",
    "StoreUnavailable",
    "Subject",
    "Temporality",
    "UnknownTermError",
    "build_nlp",
    "extract",
    "load_ontology",
    "open_store",
    "rank",
    "to_triples",
]
