"""How much of a corpus the ontology covers: the figures that guide ontology work.

:func:`coverage` runs over extractions and counts distinct finding and diagnosis concepts
linked, the share of cases whose final diagnosis is linked to a concept, the share of findings
sentences with at least one concept, and the most frequent unlinked phrases in findings and
final-diagnosis text.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from radgraph.model import Extraction, Role, SectionCategory, Subject
from radgraph.ontology import Ontology

_SENT = re.compile(r"[^.!?\n]+[.!?]?")
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")
#: Words that never start or end an interesting unlinked phrase.
STOP = frozenset(
    """a an the and or of in on at to with without within from by for as is are was were be been being this
    that these those there which who whom whose it its into onto over under than then also both each other no not
    noted seen shows show showed demonstrates demonstrated reveals revealed image images imaging axial sagittal
    coronal view views study examination exam patient patients left right bilateral mild moderate severe small
    large new old prior again may can could would should has have had there here some any all more most less
    without about after before between through during per via upon measuring measures cm mm approximately
    likely suggestive consistent findings finding case evidence present level well adjacent demonstrate normal
    region area areas surrounding associated extension fig figure size involving extending along note additionally
    significant unremarkable extends lateral medial anterior posterior superior inferior distal proximal within
    visualized identified appears appearance compatible measured measuring measure""".split()
)


@dataclass(slots=True)
class Coverage:
    """Corpus coverage figures."""

    cases: int = 0
    final_linked: int = 0
    final_stated: int = 0
    findings_sentences: int = 0
    findings_sentences_linked: int = 0
    finding_concepts: set[str] = field(default_factory=set)
    diagnosis_concepts: set[str] = field(default_factory=set)
    mentions: int = 0
    unlinked_phrases: Counter[str] = field(default_factory=Counter)
    unlinked_diagnoses: Counter[str] = field(default_factory=Counter)

    @property
    def final_linked_share(self) -> float:
        """Share of cases with a stated final diagnosis whose diagnosis is linked to a concept."""
        return self.final_linked / self.final_stated if self.final_stated else 0.0

    @property
    def sentence_share(self) -> float:
        """Share of findings sentences with at least one concept."""
        return self.findings_sentences_linked / self.findings_sentences if self.findings_sentences else 0.0

    def lines(self, top: int = 30) -> list[str]:
        """Human-readable report."""
        out = [
            f"cases: {self.cases}",
            f"final diagnosis linked to a concept: {self.final_linked}/{self.final_stated} "
            f"({100 * self.final_linked_share:.1f}%)",
            f"findings sentences with >=1 concept: {self.findings_sentences_linked}/{self.findings_sentences} "
            f"({100 * self.sentence_share:.1f}%)",
            f"distinct finding concepts linked: {len(self.finding_concepts)}",
            f"distinct diagnosis concepts linked: {len(self.diagnosis_concepts)}",
            f"most frequent unlinked phrases in findings (top {top}):",
        ]
        out += [f"  {n:5d}  {p}" for p, n in self.unlinked_phrases.most_common(top)]
        out.append(f"unlinked final diagnoses (top {top}):")
        out += [f"  {n:5d}  {p}" for p, n in self.unlinked_diagnoses.most_common(top)]
        return out


def _phrases(text: str) -> list[str]:
    """Candidate noun phrases: runs of 1-3 content words between stop words."""
    words = [w.lower() for w in _WORD.findall(text)]
    runs: list[list[str]] = [[]]
    for w in words:
        if w in STOP or len(w) < 3:
            runs.append([])
        else:
            runs[-1].append(w)
    out = []
    for run in runs:
        if 1 <= len(run) <= 3:
            out.append(" ".join(run))
        elif len(run) > 3:
            out.append(" ".join(run[-3:]))
    return out


def coverage(extractions: Iterable[Extraction], ontology: Ontology) -> Coverage:
    """Compute coverage over extractions."""
    cov = Coverage()
    for ex in extractions:
        cov.cases += 1
        text = ex.report.text
        covered = [(m.start, m.end) for m in ex.mentions]
        cov.mentions += len(ex.mentions)
        for f in ex.findings:
            if f.subject is Subject.PATIENT:
                cov.finding_concepts.add(f.concept)
        for d in ex.diagnoses:
            cov.diagnosis_concepts.add(d.concept)
        finals = [d for d in ex.diagnoses if d.role is Role.FINAL]
        stated = ex.report.meta.final_diagnosis or next(
            (text[s.body_start : s.end].strip() for s in ex.sections if s.category is SectionCategory.FINAL_DIAGNOSIS),
            "",
        )
        if stated:
            cov.final_stated += 1
            if finals:
                cov.final_linked += 1
            else:
                cov.unlinked_diagnoses[stated.lower()[:80]] += 1
        for s in ex.sections:
            if s.category is not SectionCategory.FINDINGS:
                continue
            for m in _SENT.finditer(text, s.body_start, s.end):
                sent = m.group(0)
                if not _WORD.search(sent):
                    continue
                cov.findings_sentences += 1
                a, b = m.start(), m.end()
                inside = [(x, y) for x, y in covered if a <= x < b]
                if inside:
                    cov.findings_sentences_linked += 1
                # mask what was linked, count what is left
                chars = list(sent)
                for x, y in inside:
                    for k in range(x - a, min(y - a, len(chars))):
                        chars[k] = " "
                for p in _phrases("".join(chars)):
                    if ontology.lookup(p, strict=False) is None:
                        cov.unlinked_phrases[p] += 1
    return cov

