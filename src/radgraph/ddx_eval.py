"""Measuring the differential: leave-one-case-out on the bundled set, and MedPix dev.

Inputs are the History (clinical summary, exam) and Findings text only — never the discussion,
the diagnosis or the differential list. A case's final diagnosis is linked to a concept by the
extractor; a case whose diagnosis cannot be linked counts as a miss. A candidate matches the
final diagnosis when it is the same concept (strict), or one is a subclass of the other
(hierarchical; reported separately).

:func:`cross_validate` measures the ranker on a training corpus by k-fold cross-validation: each
fold's cases are ranked with the curated knowledge plus the case and generic layers of the other
folds only, so that no case ever sees its own findings or discussion.

>>> folds = fold_assignment(["c", "a", "d", "b", "e"], 2)
>>> [folds[c] for c in "abcde"]
[0, 1, 0, 1, 0]
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from spacy.language import Language

from radgraph.ddx import queries_from_extraction, rank, suspected_from_extraction
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
    no_knowledge: int = 0
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
        classes = self.failure_classes()
        out.append("  failure classes: " + ", ".join(f"{k} {v}" for k, v in classes.items()))
        return out

    def failure_classes(self) -> dict[str, int]:
        """Count cases by outcome: rank buckets, unlinked, and diagnoses the knowledge does not know."""
        out = {"top-1": 0, "top-2..3": 0, "top-4..10": 0, "top-11..50": 0, "ranked lower": 0,
               "no knowledge of the diagnosis": self.no_knowledge, "unlinked": self.unlinked}  # fmt: skip
        for r in self.ranks:
            if r is not None:
                key = "top-1" if r == 1 else "top-2..3" if r <= 3 else "top-4..10" if r <= 10 else "top-11..50"
                out[key] += 1
        out["ranked lower"] = self.cases - sum(out[k] for k in ("top-1", "top-2..3", "top-4..10", "top-11..50"))
        out["ranked lower"] -= self.no_knowledge + self.unlinked
        return out

    def merge(self, other: DdxScores) -> None:
        """Add the cases of *other* to these scores."""
        self.cases += other.cases
        self.unlinked += other.unlinked
        self.ranks += other.ranks
        self.ranks_hier += other.ranks_hier
        self.ddx_listed += other.ddx_listed
        self.ddx_in_top10 += other.ddx_in_top10
        self.no_knowledge += other.no_knowledge
        self.per_case += other.per_case


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
        knowledge = knowledge_for(full.case_id)
        ranked = rank(
            queries, knowledge, history=history, top_k=top_k, ontology=ontology,
            age=patient.age, sex=patient.sex, suspected=suspected_from_extraction(inp),
        )
        if not _knows(knowledge, gold):
            sc.no_knowledge += 1
        concepts = [r.concept for r in ranked]
        r_strict = _position(concepts, gold, lambda a, b: a == b)
        sc.ranks.append(r_strict)
        sc.ranks_hier.append(_position(concepts, gold, hier))
        sc.per_case.append((full.case_id, gold[0], r_strict))
        listed = {d.concept for d in full.diagnoses if d.role is Role.DIFFERENTIAL}
        sc.ddx_listed += len(listed)
        sc.ddx_in_top10 += sum(1 for d in listed if any(hier(c, d) for c in concepts[:10]))
    return sc


def _knows(knowledge: Knowledge, gold: Sequence[str]) -> bool:
    """Tell whether the knowledge has any association or condition link for one of the *gold* diagnoses."""
    wanted = set(gold)
    return any(a.diagnosis in wanted for a in knowledge.associations) or any(
        c.diagnosis in wanted for c in knowledge.conditions
    )


def fold_assignment(case_ids: Sequence[str], folds: int) -> dict[str, int]:
    """Assign each case to one of *folds* folds: sorted by id, dealt round-robin (deterministic)."""
    if folds < 2:
        raise ValueError(f"cross-validation needs at least 2 folds, got {folds!r}")
    return {cid: i % folds for i, cid in enumerate(sorted(set(case_ids)))}


def cross_validate(
    cases: Sequence[Extraction],
    knowledge_without: Callable[[Sequence[str]], Knowledge],
    nlp: Language,
    ontology: Ontology,
    *,
    folds: int = 5,
    top_k: int = 50,
) -> DdxScores:
    """K-fold cross-validation: rank each fold's cases with *knowledge_without(that fold's case ids)*.

    *knowledge_without* must return the knowledge without the case and generic evidence of the given
    cases (for example curated knowledge merged with ``store_knowledge(store, exclude_cases=ids)``).
    """
    assignment = fold_assignment([c.case_id for c in cases], folds)
    total = DdxScores()
    for f in range(folds):
        held_out = [c for c in cases if assignment[c.case_id] == f]
        if not held_out:
            continue
        knowledge = knowledge_without([c.case_id for c in held_out])
        log.info("fold %d: %d cases", f + 1, len(held_out))
        total.merge(evaluate(held_out, _constant(knowledge), nlp, ontology, top_k=top_k))
    return total


def _constant(knowledge: Knowledge) -> Callable[[str], Knowledge]:
    """The same knowledge for every case id."""

    def knowledge_for(_case_id: str) -> Knowledge:
        return knowledge

    return knowledge_for
