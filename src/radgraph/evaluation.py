"""Scoring extraction against the gold standard (``data/gold/*.jsonl``, see docs/annotation-guideline.md).

Findings are matched by overlapping span and concept (strict: same concept; lenient: one is an
ancestor of the other). The headline figure counts a finding as correct only when its assertion
also matches. Modifiers are scored on matched pairs; diagnoses as (concept, role) pairs.

>>> gold = GoldFinding(0, 4, "rg:Mass", "present")
>>> prf(1, 1, 1).f1
1.0
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from radgraph.errors import InputError
from radgraph.model import Extraction, Finding, Report, Section, SectionCategory
from radgraph.ontology import Ontology

#: Sections whose text is not annotated (their predictions are not scored).
UNSCORED = frozenset(
    {SectionCategory.TITLE, SectionCategory.PATIENT, SectionCategory.DOCTOR, SectionCategory.CASE_SECTION,
     SectionCategory.REFERENCE, SectionCategory.BOILERPLATE, SectionCategory.TREATMENT, SectionCategory.OTHER}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class GoldFinding:
    """One annotated finding."""

    start: int
    end: int
    concept: str
    assertion: str
    temporality: str = "current"
    subject: str = "patient"
    laterality: str | None = None
    sites: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class GoldDiagnosis:
    """One annotated diagnosis."""

    concept: str
    role: str
    assertion: str = "present"


@dataclass(frozen=True, slots=True)
class GoldCase:
    """The annotations of one case."""

    case_id: str
    source: str
    findings: tuple[GoldFinding, ...]
    diagnoses: tuple[GoldDiagnosis, ...]


@dataclass(frozen=True, slots=True)
class PRF:
    """Precision, recall and F1 from counts."""

    tp: int
    n_pred: int
    n_gold: int

    @property
    def precision(self) -> float:
        """TP / predicted."""
        return self.tp / self.n_pred if self.n_pred else 0.0

    @property
    def recall(self) -> float:
        """TP / gold."""
        return self.tp / self.n_gold if self.n_gold else 0.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def line(self, name: str) -> str:
        """One formatted line."""
        return (f"{name:<34} P {self.precision:.3f}  R {self.recall:.3f}  F1 {self.f1:.3f}  "
                f"(tp {self.tp}, pred {self.n_pred}, gold {self.n_gold})")


def prf(tp: int, n_pred: int, n_gold: int) -> PRF:
    """Build a :class:`PRF`."""
    return PRF(tp, n_pred, n_gold)


#: The kinds of extraction error, in the order they are reported.
FAILURE_KINDS = ("missed", "wrong concept", "wrong assertion", "spurious")


@dataclass(frozen=True, slots=True)
class Failure:
    """One extraction error: a gold finding not matched with its concept and assertion, or a spurious prediction.

    *kind* is one of :data:`FAILURE_KINDS`: a gold finding that no prediction overlaps is ``missed``; one that
    predictions overlap, none with its concept, is a ``wrong concept``; one overlapped by its concept with another
    assertion a ``wrong assertion``. A prediction that overlaps no gold finding is ``spurious``. *concept* and
    *assertion* are the gold finding's (the prediction's, for a spurious one); *predicted* lists the overlapping
    predictions as (concept, assertion).
    """

    case_id: str
    kind: str
    start: int
    end: int
    concept: str
    assertion: str
    section: str
    predicted: tuple[tuple[str, str], ...] = ()


@dataclass(slots=True)
class ExtractionScores:
    """All figures of one evaluation run."""

    cases: int = 0
    findings_strict: PRF = field(default_factory=lambda: PRF(0, 0, 0))
    findings_lenient: PRF = field(default_factory=lambda: PRF(0, 0, 0))
    concepts_only: PRF = field(default_factory=lambda: PRF(0, 0, 0))
    diagnoses: PRF = field(default_factory=lambda: PRF(0, 0, 0))
    final_correct: int = 0
    final_total: int = 0
    laterality: PRF = field(default_factory=lambda: PRF(0, 0, 0))
    sites: PRF = field(default_factory=lambda: PRF(0, 0, 0))
    temporality_acc: tuple[int, int] = (0, 0)
    subject_acc: tuple[int, int] = (0, 0)
    assertion_confusion: Counter[tuple[str, str]] = field(default_factory=Counter)
    misses: Counter[str] = field(default_factory=Counter)
    false_positives: Counter[str] = field(default_factory=Counter)
    #: Strict findings figures (concept + assertion) by gold source ("bundled", "medpix-dev") and by section
    #: category (a gold finding counts in the section it lies in, a prediction in its own).
    by_source: dict[str, PRF] = field(default_factory=dict)
    by_section: dict[str, PRF] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)

    @property
    def assertion_accuracy(self) -> float:
        """Share of concept-matched pairs whose assertion agrees."""
        total = sum(self.assertion_confusion.values())
        agree = sum(n for (g, p), n in self.assertion_confusion.items() if g == p)
        return agree / total if total else 0.0

    def lines(self, top: int = 15) -> list[str]:
        """Human-readable report."""
        out = [
            f"cases: {self.cases}",
            self.findings_strict.line("findings (concept + assertion)"),
            self.findings_lenient.line("findings, lenient concept"),
            self.concepts_only.line("findings (concept only)"),
            f"assertion accuracy on matched findings: {self.assertion_accuracy:.3f}",
            self.diagnoses.line("diagnoses (concept + role)"),
            f"final diagnosis accuracy: {self.final_correct}/{self.final_total}"
            f" ({(self.final_correct / self.final_total if self.final_total else 0):.3f})",
            self.laterality.line("laterality (on matched findings)"),
            self.sites.line("sites (on matched findings)"),
            f"temporality accuracy: {_ratio(self.temporality_acc)}   subject accuracy: {_ratio(self.subject_acc)}",
            "assertion confusion (gold -> predicted):",
        ]
        labels = ("present", "absent", "uncertain")
        out.append("            " + "".join(f"{p:>11}" for p in labels))
        for g in labels:
            out.append(f"  {g:<10}" + "".join(f"{self.assertion_confusion.get((g, p), 0):>11}" for p in labels))
        if len(self.by_source) > 1:
            out.append("findings by source (concept + assertion):")
            out += [self.by_source[k].line("  " + k) for k in sorted(self.by_source)]
        if self.by_section:
            out.append("findings by section (concept + assertion):")
            out += [self.by_section[k].line("  " + k) for k in sorted(self.by_section)]
        kinds = Counter(f.kind for f in self.failures)
        out.append("failures: " + ", ".join(f"{kinds.get(k, 0)} {k}" for k in FAILURE_KINDS))
        out.append(f"most missed gold concepts (top {top}):")
        out += [f"  {n:4d}  {c}" for c, n in self.misses.most_common(top)]
        out.append(f"most frequent false positives (top {top}):")
        out += [f"  {n:4d}  {c}" for c, n in self.false_positives.most_common(top)]
        return out


def _ratio(pair: tuple[int, int]) -> str:
    a, b = pair
    return f"{a}/{b} ({a / b:.3f})" if b else "n/a"


def load_gold(paths: Iterable[Path]) -> list[GoldCase]:
    """Read gold JSON Lines files."""
    out: list[GoldCase] = []
    for path in paths:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                out.append(
                    GoldCase(
                        case_id=str(obj["case_id"]),
                        source=str(obj.get("source", "bundled")),
                        findings=tuple(
                            GoldFinding(
                                int(f["start"]), int(f["end"]), f["concept"], f.get("assertion", "present"),
                                f.get("temporality", "current"), f.get("subject", "patient"), f.get("laterality"),
                                tuple(f.get("sites", ())),
                            )
                            for f in obj.get("findings", [])
                        ),
                        diagnoses=tuple(
                            GoldDiagnosis(d["concept"], d["role"], d.get("assertion", "present"))
                            for d in obj.get("diagnoses", [])
                        ),
                    )
                )
            except (KeyError, TypeError, ValueError) as exc:
                raise InputError(f"{path}:{n}: bad gold record: {exc}") from None
    return out


def gold_reports(gold: Sequence[GoldCase], cases_dir: Path, medpix_dev: Path | None) -> dict[str, Report]:
    """Return the report of every gold case (bundled files, MedPix dev records)."""
    from radgraph.reports import report_from_medpix, report_from_text

    reports: dict[str, Report] = {}
    wanted_medpix = {g.case_id for g in gold if g.source.startswith("medpix")}
    for g in gold:
        if not g.source.startswith("medpix"):
            path = cases_dir / f"{g.case_id}.txt"
            reports[g.case_id] = report_from_text(path.read_text(encoding="utf-8"), g.case_id, source=str(path))
    if wanted_medpix:
        if medpix_dev is None or not medpix_dev.exists():
            raise InputError(f"MedPix dev file not found ({medpix_dev}); gold cases from MedPix cannot be scored")
        for n, line in enumerate(medpix_dev.read_text(encoding="utf-8").splitlines(), start=1):
            obj = json.loads(line)
            if obj.get("U_id") in wanted_medpix:
                reports[obj["U_id"]] = report_from_medpix(obj, f"{medpix_dev}:{n}")
    return reports


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _section_at(start: int, ex: Extraction) -> Section | None:
    return next((s for s in ex.sections if s.start <= start < max(s.end, s.start + 1)), None)


def _scored(f: Finding, ex: Extraction) -> bool:
    sec = _section_at(f.start, ex)
    return sec is None or sec.category not in UNSCORED


def _match(
    gold: Sequence[GoldFinding], pred: Sequence[Finding], same: callable  # type: ignore[valid-type]
) -> list[tuple[GoldFinding, Finding]]:
    pairs: list[tuple[GoldFinding, Finding]] = []
    used: set[int] = set()
    for g in gold:
        for i, p in enumerate(pred):
            if i in used or not _overlap((g.start, g.end), (p.start, p.end)):
                continue
            if same(g.concept, p.concept):
                pairs.append((g, p))
                used.add(i)
                break
    return pairs


def score(gold: Sequence[GoldCase], extractions: dict[str, Extraction], ontology: Ontology) -> ExtractionScores:
    """Score extractions against gold cases."""
    sc = ExtractionScores()
    tot = Counter[str]()
    for g in gold:
        ex = extractions[g.case_id]
        sc.cases += 1
        pred = [f for f in ex.findings if _scored(f, ex)]

        def strict(a: str, b: str) -> bool:
            return a == b

        def lenient(a: str, b: str) -> bool:
            return a == b or (a in ontology and b in ontology and (ontology.is_a(a, b) or ontology.is_a(b, a)))

        exact = _match(g.findings, pred, strict)
        loose = _match(g.findings, pred, lenient)
        tot["gold"] += len(g.findings)
        tot["pred"] += len(pred)
        tot["strict"] += sum(1 for a, b in exact if a.assertion == b.assertion.value)
        tot["lenient"] += sum(1 for a, b in loose if a.assertion == b.assertion.value)
        tot["concept"] += len(exact)
        for a, b in exact:
            sc.assertion_confusion[(a.assertion, b.assertion.value)] += 1
            tot["lat_gold"] += a.laterality is not None
            tot["lat_pred"] += b.laterality is not None
            tot["lat_tp"] += a.laterality is not None and b.laterality is not None and a.laterality == b.laterality.value
            gs, ps = set(a.sites), {s.concept for s in b.sites}
            tot["site_gold"] += len(gs)
            tot["site_pred"] += len(ps)
            tot["site_tp"] += len(gs & ps)
            tot["temp_ok"] += a.temporality == b.temporality.value
            tot["subj_ok"] += a.subject == b.subject.value
        _failures(g, pred, exact, ex, sc.failures, tot)
        matched_gold = {id(a) for a, _ in loose}
        matched_pred = {id(b) for _, b in loose}
        for a in g.findings:
            if id(a) not in matched_gold:
                sc.misses[a.concept] += 1
        for b in pred:
            if id(b) not in matched_pred:
                sc.false_positives[b.concept] += 1
        gd = {(d.concept, d.role) for d in g.diagnoses}
        pd = {(d.concept, d.role.value) for d in ex.diagnoses}
        tot["dx_tp"] += len(gd & pd)
        tot["dx_gold"] += len(gd)
        tot["dx_pred"] += len(pd)
        gold_final = [d.concept for d in g.diagnoses if d.role == "final"]
        if gold_final:
            sc.final_total += 1
            sc.final_correct += any(d.concept in gold_final for d in ex.final_diagnoses())
    sc.findings_strict = PRF(tot["strict"], tot["pred"], tot["gold"])
    sc.findings_lenient = PRF(tot["lenient"], tot["pred"], tot["gold"])
    sc.concepts_only = PRF(tot["concept"], tot["pred"], tot["gold"])
    sc.diagnoses = PRF(tot["dx_tp"], tot["dx_pred"], tot["dx_gold"])
    sc.laterality = PRF(tot["lat_tp"], tot["lat_pred"], tot["lat_gold"])
    sc.sites = PRF(tot["site_tp"], tot["site_pred"], tot["site_gold"])
    sc.by_source = _split_prf(tot, "source")
    sc.by_section = _split_prf(tot, "section")
    sc.temporality_acc = (tot["temp_ok"], tot["concept"])
    sc.subject_acc = (tot["subj_ok"], tot["concept"])
    return sc


def _section_of(start: int, ex: Extraction) -> str:
    sec = _section_at(start, ex)
    return sec.category.value if sec is not None else "none"


def _failures(
    g: GoldCase,
    pred: Sequence[Finding],
    exact: Sequence[tuple[GoldFinding, Finding]],
    ex: Extraction,
    out: list[Failure],
    tot: Counter[str],
) -> None:
    """Classify one case's errors (see :class:`Failure`) and count its strict matches by source and section.

    A gold finding is right when the strict score's concept match (*exact*) agrees on the assertion too, so the
    counts by source and section add up to the strict score.
    """
    right = {id(a) for a, b in exact if a.assertion == b.assertion.value}
    overlapped: set[int] = set()
    for a in g.findings:
        section = _section_of(a.start, ex)
        tot[f"source:gold:{g.source}"] += 1
        tot[f"section:gold:{section}"] += 1
        hits = [(i, p) for i, p in enumerate(pred) if _overlap((a.start, a.end), (p.start, p.end))]
        overlapped.update(i for i, _ in hits)
        if id(a) in right:
            tot[f"source:tp:{g.source}"] += 1
            tot[f"section:tp:{section}"] += 1
            continue
        if not hits:
            kind = "missed"
        elif any(p.concept == a.concept for _, p in hits):
            kind = "wrong assertion"
        else:
            kind = "wrong concept"
        seen = tuple((p.concept, p.assertion.value) for _, p in hits)
        out.append(Failure(g.case_id, kind, a.start, a.end, a.concept, a.assertion, section, seen))
    for i, p in enumerate(pred):
        section = _section_of(p.start, ex)
        tot[f"source:pred:{g.source}"] += 1
        tot[f"section:pred:{section}"] += 1
        if i not in overlapped:
            out.append(Failure(g.case_id, "spurious", p.start, p.end, p.concept, p.assertion.value, section))


def _split_prf(tot: Counter[str], axis: str) -> dict[str, PRF]:
    keys = {k.split(":", 2)[2] for k in tot if k.startswith(f"{axis}:")}
    return {k: PRF(tot[f"{axis}:tp:{k}"], tot[f"{axis}:pred:{k}"], tot[f"{axis}:gold:{k}"]) for k in keys}


def write_failures(path: Path, failures: Sequence[Failure], reports: dict[str, Report]) -> int:
    """Write *failures* as tab-separated lines (with the text of each span and its sentence); return their count."""
    kinds = {k: n for n, k in enumerate(FAILURE_KINDS)}
    rows = ["case\tkind\tsection\tstart\tend\tconcept\tassertion\tpredicted\ttext\tcontext"]
    for f in sorted(failures, key=lambda f: (kinds[f.kind], f.case_id, f.start)):
        text = reports[f.case_id].text if f.case_id in reports else ""
        context = text[max(0, f.start - 80) : f.end + 60]
        predicted = "; ".join(f"{c} {a}" for c, a in f.predicted)
        cells = (f.case_id, f.kind, f.section, str(f.start), str(f.end), f.concept, f.assertion, predicted,
                 text[f.start : f.end], context)  # fmt: skip
        rows.append("\t".join(" ".join(c.split()) for c in cells))
    try:
        path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write the failures to {path}: {exc.strerror or exc}") from None
    return len(failures)
