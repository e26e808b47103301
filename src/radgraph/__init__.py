"""radgraph: radiology teaching cases as a knowledge graph of findings and diagnoses.

The stable API is what ``__all__`` lists; anything else may change without notice.

>>> from radgraph import build_nlp, extract, Report
>>> ex = extract(build_nlp(), Report("demo", "Findings\\n\\nLeft pleural mass without calcification."))
>>> [f.assertion.value for f in ex.findings]
['present', 'absent']
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_LAZY = {
    "rank": "radgraph.ddx",
    "build_nlp": "radgraph.nlp",
    "extract": "radgraph.nlp",
    "PipelineConfig": "radgraph.nlp",
    "Ontology": "radgraph.ontology",
    "load_ontology": "radgraph.ontology",
    "Store": "radgraph.store",
    "open_store": "radgraph.store",
    "to_triples": "radgraph.triples",
    **{
        name: "radgraph.errors"
        for name in (
            "CurieError", "InputError", "MissingExtraError", "OntologyError", "QueryError", "RadgraphError",
            "RadgraphWarning", "RuleError", "StoreError", "StoreUnavailable", "UnknownTermError",
        )
    },
    **{
        name: "radgraph.model"
        for name in (
            "Assertion", "ConceptRef", "Contribution", "DiagnosisMention", "Evidence", "Extraction", "Finding",
            "FindingQuery", "Laterality", "Mention", "Patient", "RankedDiagnosis", "Report", "ReportMeta", "Role",
            "Section", "SectionCategory", "Sex", "Subject", "Temporality",
        )
    },
}


def __getattr__(name: str) -> Any:
    """Import the public API on first use, so that ``import radgraph`` stays light (no spaCy)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'radgraph' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


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
