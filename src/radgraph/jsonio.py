"""JSON shapes of the CLI and web contract (the edge of the package: plain dicts out)."""

from __future__ import annotations

from radgraph.model import Contribution, Evidence, Extraction, RankedDiagnosis


def extraction_json(ex: Extraction) -> dict[str, object]:
    """Return the ``radgraph extract`` object of one case."""
    return {
        "case_id": ex.case_id,
        "patient": {"age": ex.patient.age, "sex": ex.patient.sex.value if ex.patient.sex else None},
        "findings": [
            {
                "concept": f.concept,
                "label": f.label,
                "assertion": f.assertion.value,
                "temporality": f.temporality.value,
                "subject": f.subject.value,
                "laterality": f.laterality.value if f.laterality else None,
                "sites": [{"concept": s.concept, "label": s.label} for s in f.sites],
                "sequence": f.sequence,
                "section": f.section.value,
                "text": f.text,
                "start": f.start,
                "end": f.end,
                "modalities": [m.label for m in f.modalities],
                "signal": f.signal.label if f.signal else None,
                "enhancement": f.enhancement.label if f.enhancement else None,
                "chronicity": f.chronicity.label if f.chronicity else None,
                "rule": f.rule_id,
            }
            for f in ex.findings
        ],
        "diagnoses": [
            {
                "concept": d.concept,
                "label": d.label,
                "role": d.role.value,
                "assertion": d.assertion.value,
                "subject": d.subject.value,
                "text": d.text,
                "start": d.start,
                "end": d.end,
            }
            for d in ex.diagnoses
        ],
    }


def _evidence(e: Evidence) -> dict[str, object]:
    out: dict[str, object] = {"kind": e.kind, "source": e.source}
    if e.text:
        out["text"] = e.text
    if e.case_id:
        out.update({"case": e.case_id, "start": e.start, "end": e.end})
    return out


def _contribution(c: Contribution) -> dict[str, object]:
    return {
        "finding": c.finding,
        "label": c.label,
        "weight": c.weight,
        "matched": c.matched,
        "via": c.via,
        "evidence": [_evidence(e) for e in c.evidence],
    }


def ranked_json(r: RankedDiagnosis) -> dict[str, object]:
    """Return the ``radgraph ddx`` object of one candidate."""
    return {
        "rank": r.rank,
        "concept": r.concept,
        "label": r.label,
        "score": r.score,
        "probability": round(r.probability, 4),
        "supporting": [_contribution(c) for c in r.supporting],
        "against": [_contribution(c) for c in r.against],
        "look_for": [{"concept": x.concept, "label": x.label} for x in r.look_for],
        "kind": r.kind,
    }
