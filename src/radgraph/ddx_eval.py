"""Measuring the differential: leave-one-case-out on the bundled set, and MedPix dev.

Inputs are the History (clinical summary, exam) and Findings text only — never the discussion,
the diagnosis or the differential list. A case's final diagnosis is linked to a concept by the
extractor; a case whose diagnosis cannot be linked counts as a miss. A candidate matches the
final diagnosis when it is the same concept (strict), or one is a subclass of the other
(hierarchical; reported separately).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from spacy.language import Language

from radgraph.ddx import queries_from_extraction, rank
from radgraph.knowledge import Knowledge
from radgraph.model import Extraction, Report, ReportMeta, Role, Section, SectionCategory
from radgraph.nlp import extract
from radgraph.ontology import Ontology

log = logging.getLogger(__name__)

INPUT_SECTIONS = (SectionCategory.CLINICAL, SectionCategory.FINDINGS)


@dataclass(slots=True)
class DdxScores:
    """Top-k accuracy, MRR and differential recall."""

    cases: int = 0
    unlinked: int = 0
    ranks: list[int | None] = field(default_factory=list)
    ranks_hier: list[int | None] = field(default_factory=list)
    ddx_listed: int = 0
    ddx_in_top10: int = 0
    per_case: list[tuple[str, str, int | None]] = field(default_factory=list)

    def top(self, k: int, *, hierarchical: bool = False) -> float:
        """Share of cases whose final diagnosis is within the top *k*."""
        rs = self.ranks_hier if hierarchical else self.ranks
        return sum(1 for r in rs if r is not None and r <= k) / self.cases if self.cases else 0.0

    def mrr(self, *, hierarchical: bool = False) -> float:
        """Mean reciprocal rank (a miss counts 0)."""
        rs = self.ranks_hier if hierarchical else self.ranks
        return sum(1.0 / r for r in rs if r is not None) / self.cases if self.cases else 0.0

    def lines(self, name: str) -> list[str]:
        """Human-readable report."""
        out = [f"{name}: {self.cases} cases, {self.unlinked} with a final diagnosis not linked to a concept (misses)"]
        for label, hier in (("strict concept match", False), ("hierarchical match", True)):
            out.append(
                f"  {label:<22} top-1 {self.top(1, hierarchical=hier):.3f}  top-3 {self.top(3, hierarchical=hier):.3f}  "
                f"top-10 {self.top(10, hierarchical=hier):.3f}  MRR {self.mrr(hierarchical=hier):.3f}"
            )
        share = self.ddx_in_top10 / self.ddx_listed if self.ddx_listed else 0.0
        out.append(f"  listed differentials in the top 10: {self.ddx_in_top10}/{self.ddx_listed} ({share:.3f})")
        return out


def input_report(report: Report, sections: Sequence[Section]) -> Report:
    """A report holding only the History and Findings text of *report* (with the same sections)."""
    parts: list[str] = []
    new_sections: list[Section] = []
    pos = 0
    for s in sections:
        if s.category not in INPUT_SECTIONS:
            continue
        body = report.text[s.body_start : s.end].strip()
        if not body:
            continue
        heading = "History" if s.category is SectionCategory.CLINICAL else "Findings"
        block = f"{heading}\n\n{body}\n\n"
        new_sections.append(Section(s.category, heading, pos, pos + len(heading) + 2, pos + len(heading) + 2 + len(body)))
        parts.append(block)
        pos += len(block)
    return Report(report.id, "".join(parts), ReportMeta(source=report.meta.source), tuple(new_sections))


def _position(ranked_concepts: Sequence[str], gold: Sequence[str], same: Callable[[str, str], bool]) -> int | None:
    for i, c in enumerate(ranked_concepts, start=1):
        if any(same(c, g) for g in gold):
            return i
    return None


def evaluate(
    cases: Sequence[Extraction],
    knowledge_for: Callable[[str], Knowledge],
    nlp: Language,
    ontology: Ontology,
    *,
    top_k: int = 50,
) -> DdxScores:
    """Rank each case from its History + Findings with the knowledge *knowledge_for(case_id)* gives."""
    sc = DdxScores()

    def hier(a: str, b: str) -> bool:
        return a == b or (a in ontology and b in ontology and (ontology.is_a(a, b) or ontology.is_a(b, a)))

    for full in cases:
        gold = [d.concept for d in full.final_diagnoses()]
        sc.cases += 1
        if not gold:
            sc.unlinked += 1
            sc.ranks.append(None)
            sc.ranks_hier.append(None)
            sc.per_case.append((full.case_id, "(unlinked)", None))
            continue
        inp = extract(nlp, input_report(full.report, full.sections))
        queries, history = queries_from_extraction(inp)
        patient = full.patient
        ranked = rank(
            queries, knowledge_for(full.case_id), history=history, top_k=top_k, ontology=ontology,
            age=patient.age, sex=patient.sex,
        )
        concepts = [r.concept for r in ranked]
        r_strict = _position(concepts, gold, lambda a, b: a == b)
        sc.ranks.append(r_strict)
        sc.ranks_hier.append(_position(concepts, gold, hier))
        sc.per_case.append((full.case_id, gold[0], r_strict))
        listed = {d.concept for d in full.diagnoses if d.role is Role.DIFFERENTIAL}
        sc.ddx_listed += len(listed)
        sc.ddx_in_top10 += sum(1 for d in listed if any(hier(c, d) for c in concepts[:10]))
    return sc
