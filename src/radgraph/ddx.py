"""Differential diagnosis: rank diagnoses for a set of findings, with the reasons.

The ranker works like a naive Bayes sum of log likelihood ratios. For each candidate diagnosis
``D`` and input finding ``F``:

* ``P(F | D)`` is the best frequency among ``D``'s known findings ``A`` that ``F`` matches:
  exactly; when ``F ⊑ A`` (a paravertebral mass is a mass) discounted by the squared ratio of
  information content ``(IC(A)/IC(F))²``; at half weight when ``A ⊑ F`` (the input is less
  specific than the knowledge); siblings get no credit; a side that contradicts the knowledge
  (bilateral vs one side) halves it; a finding ``D`` is not known for gets a small floor;
* ``P(F | ¬D)`` is the mean of ``P(F | D')`` over all candidates (how common the finding is);
* present findings add ``ln(P(F|D)/P(F|¬D))``; absent findings add
  ``ln((1-P(F|D))/(1-P(F|¬D)))``; a patient condition that ``D`` is associated with
  (thalassemia for extramedullary hematopoiesis) adds ``ln 20``, scaled down for a condition linked to more
  than ``SPECIFIC_LINKS`` diagnoses (diabetes, smoking); closely related present findings
  (one a subtype of the other, or both within two levels of the same specific class, such as a
  collapse and an endplate fracture, both vertebral fractures) count once per candidate, with the
  strongest contribution; when the findings have sites (stated, or implied by the concept, as
  the liver for a hepatic mass), a diagnosis whose known findings lie in the same organ or region
  gains ``ln 2``, and a finding that lies outside every region where the diagnosis is known to
  occur keeps only ``SITE_MISMATCH`` of its support (a mass in the larynx says little for a
  glioblastoma). Regions are places (the larynx, the cerebrum), not kinds of structure (organ,
  bone), and not so large that they say nothing (the musculoskeletal system, the head and neck);
  a disease the patient is known to have adds ``ln 10`` to itself; the curated age range and sex
  predilection shift it too;
* a diagnosis that is itself an imaging finding (a pneumothorax, a stress fracture) is known to
  present with that finding (``DEFINING_P``), unless the finding is too broad to be a diagnosis.

A diagnosis the input text itself names for the patient ("consistent with an acute infarct", see
:func:`suspected_from_extraction`) adds ``ln 50`` when named in the findings, ``ln 8`` in the
clinical history and ``ln 15`` when named as possible; one named as absent subtracts ``ln 2``. A
finding a candidate has no knowledge of borrows half its mean frequency among the diagnoses
under the candidate's near ancestors (the family backoff), so that a short profile is not read
as a list of everything the diagnosis never shows. An optional teaching-set prior
(``CASE_PRIOR``, off by default: it did not help in cross-validation) favours diagnoses with
many ingested cases.

Frequencies combine the knowledge layers: curated statements weigh as four cases, case
evidence as its number of cases, generic statements as half a case. Every candidate carries the
contribution of each finding with its evidence, and "look for" findings that would best tell it
apart from its nearest rival.

>>> from radgraph.knowledge import load_curated
>>> from radgraph.model import FindingQuery, Laterality
>>> top = rank([FindingQuery("rg:ParavertebralMass", laterality=Laterality.BILATERAL),
...             FindingQuery("rg:T1Hyperintensity")], load_curated(), history=["rg:Thalassemia"])
>>> top[0].label
'extramedullary hematopoiesis'
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from radgraph.concepts import implied_qualifiers
from radgraph.knowledge import Association, Knowledge, Profile
from radgraph.model import (
    Assertion,
    ConceptRef,
    Contribution,
    Evidence,
    Extraction,
    FindingQuery,
    Laterality,
    RankedDiagnosis,
    Role,
    SectionCategory,
    Sex,
    Subject,
    Temporality,
)
from radgraph.ontology import Ontology, load_ontology
from radgraph.vocab import Curie

FLOOR = 0.05
CONDITION_LR = 20.0
#: A condition linked to more diagnoses than this says less of each: its ``ln CONDITION_LR`` is scaled by
#: ``SPECIFIC_LINKS / links``. Diabetes (linked to some 60 diagnoses) or smoking (50) in a past medical history
#: should not outweigh a finding; cirrhosis for a hepatocellular carcinoma keeps its full weight.
SPECIFIC_LINKS = 10
KNOWN_DISEASE_LR = 10.0
SITE_MATCH_LR = 2.0
#: Regions larger than this many sites (the musculoskeletal system, the head and neck) say too little.
REGION_MAX_PARTS = 80
#: Support kept by a finding whose site lies outside every region where the diagnosis is known to occur.
SITE_MISMATCH = 0.3
#: Classes too broad to make two findings "the same phenomenon".
_BROAD = frozenset({"rg:Concept", "rg:Finding", "rg:ImagingFinding", "rg:ClinicalFinding", "rg:Lesion", "rg:Mass",
                    "rg:SignalFinding", "rg:Pain"})  # fmt: skip
CURATED_WEIGHT = 4.0
#: Frequency of its own finding for a diagnosis that is an imaging finding (see ``_with_defining_findings``).
DEFINING_P = 0.9
DEFINING_MAX_DESCENDANTS = 10
#: Ignore an absent finding when the same finding, or a kind of it, is also present.
DROP_CONTRADICTED_ABSENT = True
#: Share of a finding's frequency among the findings of another present finding's profile that
#: counts as explained by it (0 turns the rule off).
FINDINGS_EXPLAIN = 0.5
#: Offer only diagnoses and imaging findings, never a history or exposure (smoking, prior surgery).
CANDIDATES_DIAGNOSES_ONLY = True
#: Offer an imaging finding as a diagnosis only when curated knowledge profiles it as one.
FINDINGS_CURATED_ONLY = True
#: Broad categories (neoplasm, infection) with more subclasses than this are not offered as diagnoses.
CANDIDATE_MAX_DESCENDANTS = 100
GENERIC_WEIGHT = 0.5
PRIOR_WEIGHT = 2.0
PRIOR = 0.1
UNKNOWN_SHARE = 0.5
AGE_MARGIN = 10
AGE_OUTSIDE_LR = 0.3
AGE_INSIDE_LR = 1.2
SEX_MATCH_LR = 1.2
SEX_MISMATCH_LR = 0.5
CLINICAL_WEIGHT = 0.5
_MAX_EVIDENCE = 3
#: A diagnosis named as present in the findings ("consistent with an acute infarct"), in the clinical
#: history (without being a past condition), as possible, or as absent.
#: (Chosen by 5-fold cross-validation over MedPix train: 8/3/4 < 20/5/8 < 50/8/15.)
SUSPECTED_LR = 50.0
SUSPECTED_CLINICAL_LR = 8.0
SUSPECTED_UNCERTAIN_LR = 15.0
SUSPECTED_ABSENT_LR = 0.5
SUSPECTED_BROADER = 0.5
#: A disease of a relative, present, for the same disease or a kind of it (hereditary recurrence); weaker than the
#: patient's own disease named in the clinical history.
FAMILY_HISTORY_LR = 4.0
#: Backoff for findings a candidate has no knowledge of (see ``_family_backoff``); 0 turns it off.
FAMILY_WEIGHT = 0.5
FAMILY_LEVELS = 2
FAMILY_MAX_DESCENDANTS = 60
#: Teaching-set prior: ``CASE_PRIOR * ln((cases + PRIOR_ALPHA) / PRIOR_ALPHA)``; 0 turns it off.
CASE_PRIOR = 0.0
PRIOR_ALPHA = 1.0


#: Derived data kept between calls, each entry tied to the identity of the objects it came from
#: (``Knowledge`` and ``Ontology`` are read-only views): name -> (owners, cache).
_MEMO: dict[str, tuple[tuple[object, ...], dict[Any, Any]]] = {}


def _memo(name: str, *owners: object) -> dict[Any, Any]:
    """Return the cache *name* for exactly these *owners*, starting a new one when they change."""
    hit = _MEMO.get(name)
    if hit is None or len(hit[0]) != len(owners) or any(a is not b for a, b in zip(hit[0], owners, strict=True)):
        hit = (owners, {})
        _MEMO[name] = hit
    return hit[1]


@dataclass(frozen=True, slots=True)
class Suspected:
    """A diagnosis the input text names for the patient, outside the history ("consistent with X")."""

    concept: Curie
    assertion: Assertion = Assertion.PRESENT
    in_findings: bool = True  # named in the findings (an impression) rather than the clinical history
    family: bool = False  # a relative's disease: many run in families (polycystic kidneys, cardiomyopathy)


@dataclass(frozen=True, slots=True)
class _Known:
    finding: Curie
    p: float
    laterality: Laterality | None
    evidence: tuple[Evidence, ...]
    sites: tuple[Curie, ...] = ()


def _profiles(knowledge: Knowledge) -> dict[Curie, dict[Curie, _Known]]:
    """Combine the layers into one frequency per (diagnosis, finding).

    Curated frequencies count as ``CURATED_WEIGHT`` pseudo-cases, generic statements as
    ``GENERIC_WEIGHT``, and case evidence as what it is (``k`` of the diagnosis's ``n`` cases),
    all shrunk towards a small prior by ``PRIOR_WEIGHT`` pseudo-cases so that one case is
    never taken for a rule.
    """
    grouped: dict[tuple[Curie, Curie], list[Association]] = defaultdict(list)
    for a in knowledge.associations:
        grouped[(a.diagnosis, a.finding)].append(a)
    out: dict[Curie, dict[Curie, _Known]] = defaultdict(dict)
    for (dx, finding), assocs in sorted(grouped.items()):
        weight = PRIOR_WEIGHT
        total = PRIOR_WEIGHT * PRIOR
        lat: Laterality | None = None
        evidence: list[Evidence] = []
        sites: set[Curie] = set()
        case_n = 0
        for a in assocs:
            if a.layer == "case":
                n = max(knowledge.case_counts.get(dx, 0), len(a.evidence), 1)
                case_n = n
                weight += n
                total += len(a.evidence)
            elif a.layer == "curated":
                weight += CURATED_WEIGHT
                total += CURATED_WEIGHT * a.frequency
            else:
                weight += GENERIC_WEIGHT
                total += GENERIC_WEIGHT * a.frequency
            lat = lat or a.laterality
            evidence.extend(a.evidence)
            sites.update(a.sites)
        if case_n == 0 and knowledge.case_counts.get(dx, 0):
            # the diagnosis has cases, none of which shows this finding
            weight += knowledge.case_counts[dx]
        out[dx][finding] = _Known(finding, total / weight, lat, tuple(evidence), tuple(sorted(sites)))
    return out


def _is_candidate(d: Curie, onto: Ontology, curated: set[Curie] | frozenset[Curie] = frozenset()) -> bool:
    """Can *d* be a diagnosis of a case? Not a history or exposure, nor a broad category of disease.

    An imaging finding is offered only when the curated knowledge profiles it as a diagnosis (a
    pneumothorax), not because some case was filed under it (a bone mass).
    """
    if d not in onto:
        return True
    if FINDINGS_CURATED_ONLY and onto.is_a(d, "rg:ImagingFinding") and not onto.is_a(d, "rg:Diagnosis"):
        return d in curated
    if not (onto.is_a(d, "rg:Diagnosis") or onto.is_a(d, "rg:ImagingFinding")):
        return not CANDIDATES_DIAGNOSES_ONLY
    return len(onto.descendants(d)) <= CANDIDATE_MAX_DESCENDANTS


def _with_defining_findings(
    profiles: dict[Curie, dict[Curie, _Known]], onto: Ontology
) -> dict[Curie, dict[Curie, _Known]]:
    """Give each diagnosis that is itself an imaging finding (pneumothorax, a stress fracture) that finding.

    The diagnosis is made when its finding is seen, so the finding is present in (nearly) every case
    of it. Broad findings (a mass, a fracture: more than ``DEFINING_MAX_DESCENDANTS`` subclasses) are
    left alone: naming one is not a diagnosis.
    """
    if DEFINING_P <= 0:
        return profiles
    for dx, prof in profiles.items():
        if dx not in onto or not onto.is_a(dx, "rg:ImagingFinding") or dx in _BROAD:
            continue
        if len(onto.descendants(dx)) > DEFINING_MAX_DESCENDANTS:
            continue
        old = prof.get(dx)
        if old is None or old.p < DEFINING_P:
            ev = (Evidence("definition", f"{onto.label(dx)} is diagnosed by seeing it"),)
            prof[dx] = _Known(dx, DEFINING_P, old.laterality if old else None, (old.evidence if old else ()) + ev,
                              old.sites if old else ())  # fmt: skip
    return profiles


def _match(query: FindingQuery, known: _Known, onto: Ontology) -> tuple[float, str]:
    f, a = query.concept, known.finding
    if f == a:
        factor, via = 1.0, "exact"
    elif onto.is_a(f, a):
        # the knowledge names an ancestor: support discounted by how much less it says
        ic_f = max(onto.information_content(f), 1e-9)
        factor, via = min(1.0, (onto.information_content(a) / ic_f) ** 2), f"is a {onto.label(a)}"
    elif onto.is_a(a, f):
        factor, via = 0.5, f"known as the more specific {onto.label(a)}"
    else:
        return 0.0, ""
    if query.laterality and known.laterality:
        bilateral_q = query.laterality is Laterality.BILATERAL
        bilateral_k = known.laterality is Laterality.BILATERAL
        if bilateral_q != bilateral_k:
            factor *= 0.5
            via += " (usually " + ("bilateral" if bilateral_k else "one-sided") + ")"
        else:
            factor *= 1.2
            via += " (" + ("bilateral" if bilateral_k else "one-sided") + ", as expected)"
    return factor, via


def _best(query: FindingQuery, profile: Mapping[Curie, _Known], onto: Ontology) -> tuple[float, _Known | None, str]:
    best_p, best_k, best_via = 0.0, None, ""
    for known in profile.values():
        factor, via = _match(query, known, onto)
        p = min(factor * known.p, 0.97)
        if p > best_p or (p == best_p and best_k is not None and known.finding < best_k.finding):
            best_p, best_k, best_via = p, known, via
    return best_p, best_k, best_via


def _best_by_diagnosis(
    query: FindingQuery, by_finding: Mapping[Curie, Sequence[tuple[Curie, _Known]]], onto: Ontology
) -> dict[Curie, tuple[float, _Known | None, str]]:
    """:func:`_best` for every diagnosis at once, visiting only the known findings related to the query."""
    f = query.concept
    cache = _memo("related", onto)
    if f not in cache:
        cache[f] = frozenset({f} | (onto.ancestors(f) | onto.descendants(f) if f in onto else set()))
    related: frozenset[Curie] = cache[f]
    keys = related & by_finding.keys() if len(related) < len(by_finding) else {a for a in by_finding if a in related}
    out: dict[Curie, tuple[float, _Known | None, str]] = {}
    for a in sorted(keys):
        for d, known in by_finding[a]:
            factor, via = _match(query, known, onto)
            p = min(factor * known.p, 0.97)
            if p <= 0.0:
                continue
            prev = out.get(d)
            if prev is None or p > prev[0]:  # ties keep the first (smallest) finding, as _best does
                out[d] = (p, known, via)
    return out


def rank(
    findings: Sequence[FindingQuery],
    knowledge: Knowledge,
    *,
    history: Sequence[str] = (),
    top_k: int = 10,
    ontology: Ontology | None = None,
    age: int | None = None,
    sex: Sex | None = None,
    suspected: Sequence[Suspected] = (),
) -> list[RankedDiagnosis]:
    """Rank the diagnoses of *knowledge* for *findings*, the patient's *history*, *age* and *sex*.

    *suspected* are diagnoses the input text itself names for this patient ("consistent with an
    acute infarct"): each shifts the candidates it names by :data:`SUSPECTED_LR`.
    """
    onto = ontology or load_ontology()
    memo = _memo("knowledge", knowledge, onto)
    if "profiles" not in memo:
        memo["profiles"] = _with_defining_findings(_profiles(knowledge), onto)
    profiles: dict[Curie, dict[Curie, _Known]] = memo["profiles"]
    links: dict[Curie, list[tuple[Curie, str]]] = defaultdict(list)
    linked = Counter[Curie]()  # how many diagnoses each condition is linked to
    for link in knowledge.conditions:
        links[link.diagnosis].append((link.condition, link.source))
        linked[link.condition] += 1
    known_conditions = [Curie(h) for h in history]
    if "candidates" not in memo:
        curated = {a.diagnosis for a in knowledge.associations if a.layer == "curated"}
        memo["candidates"] = sorted(d for d in set(profiles) | set(links) if _is_candidate(d, onto, curated))
    candidates: list[Curie] = memo["candidates"]
    if not candidates:
        return []
    queries = _specific(list(dict.fromkeys(findings)), onto)
    # what the patient's known conditions already account for: P(F | D, H) >= P(F | H)
    explained = [
        max((_best(q, profiles.get(h, {}), onto)[0] for h in known_conditions), default=0.0) for q in queries
    ]
    if FINDINGS_EXPLAIN > 0:
        # a finding that comes with another one seen here (marrow edema with an acute vertebral
        # collapse) says no more for a candidate than that other finding already does
        for j, qj in enumerate(queries):
            if qj.assertion is not Assertion.PRESENT or qj.concept not in profiles or qj.concept in _BROAD:
                continue
            for i, q in enumerate(queries):
                if i != j and q.assertion is Assertion.PRESENT and q.concept != qj.concept:
                    p_ij = FINDINGS_EXPLAIN * _best(q, profiles[qj.concept], onto)[0]
                    explained[i] = max(explained[i], p_ij)
    if "by_finding" not in memo:
        by_finding: dict[Curie, list[tuple[Curie, _Known]]] = defaultdict(list)
        for dx, prof in profiles.items():
            for entry in prof.values():
                by_finding[entry.finding].append((dx, entry))
        memo["by_finding"] = dict(by_finding)
    best_of = [_best_by_diagnosis(q, memo["by_finding"], onto) for q in queries]
    table: dict[Curie, list[tuple[float, _Known | None, str]]] = {}
    site_cache: dict[Curie, frozenset[Curie]] = _memo("regions", onto)
    dx_sites: dict[Curie, frozenset[Curie]] = memo.setdefault("dx_sites", {})
    query_regions = [
        _region(_sites_of(q.concept, q.sites, onto), onto, site_cache) if q.assertion is not Assertion.ABSENT
        else frozenset()
        for q in queries
    ]  # fmt: skip
    for d in candidates:
        row: list[tuple[float, _Known | None, str]] = []
        region = _dx_region(d, profiles.get(d, {}), onto, site_cache, dx_sites) if SITE_MISMATCH < 1 else frozenset()
        for i, q in enumerate(queries):
            p, known, via = best_of[i].get(d, (0.0, None, ""))
            if known is not None and region and query_regions[i] and not (region & query_regions[i]):
                # a mass in the larynx says little for a diagnosis of the brain
                p, via = p * SITE_MISMATCH, via + " (but elsewhere than this diagnosis occurs)"
            if explained[i] > 0 and q.assertion is not Assertion.ABSENT:
                p = 1.0 - (1.0 - p) * (1.0 - explained[i])
            row.append((p, known, via))
        table[d] = row
    groups = _groups(queries, onto)
    n = len(candidates)
    background = [sum(max(table[d][i][0], FLOOR) for d in candidates) / n for i in range(len(queries))]
    if FAMILY_WEIGHT > 0:
        _family_backoff(table, queries, candidates, memo, onto)
    scored: list[tuple[float, Curie, list[Contribution], list[Contribution]]] = []
    known_here: set[Curie] = set()  # candidates the history says the patient already has
    for d in candidates:
        supporting: list[Contribution] = []
        against: list[Contribution] = []
        score = 0.0
        used: set[Curie] = set()
        counted: set[tuple[Curie, Assertion]] = set()
        group_best: dict[int, float] = {}
        order = sorted(range(len(queries)), key=lambda i: -table[d][i][0])
        for i in order:
            q = queries[i]
            if (q.concept, q.assertion) in counted:
                continue  # the same finding given twice (other side or site) is one piece of evidence
            counted.add((q.concept, q.assertion))
            p, known, via = table[d][i]
            if known is not None and q.assertion is not Assertion.ABSENT:
                if known.finding in used:
                    continue  # one known finding explains several input findings only once
                used.add(known.finding)
            bg = background[i]
            if q.assertion is Assertion.ABSENT:
                if known is None:
                    continue
                w = math.log((1.0 - p) / max(1.0 - bg, 1e-6))
            else:
                # an association nobody recorded is weak evidence against, not a verdict
                w = math.log(max(p, FLOOR, UNKNOWN_SHARE * bg) / bg)
            if onto.is_a(q.concept, "rg:ClinicalFinding"):
                w *= CLINICAL_WEIGHT
            if q.assertion is not Assertion.ABSENT and w > 0:
                g = groups[i]
                if g in group_best:
                    continue  # a related finding already counted for this candidate
                group_best[g] = w
            if abs(w) < 1e-9:
                continue
            score += w
            c = Contribution(
                finding=q.concept,
                label=("no " if q.assertion is Assertion.ABSENT else "") + onto.label(q.concept),
                weight=round(w, 4),
                matched=known.finding if known else q.concept,
                via=via if known or via else "not known for this diagnosis",
                evidence=known.evidence[:_MAX_EVIDENCE] if known else (),
            )
            (supporting if w > 0 else against).append(c)
        known_counted = False
        links_used: set[Curie] = set()  # one condition link counts once, however many histories it covers
        for h in history:
            if h in onto and d in onto and (onto.is_a(h, d) or (onto.is_a(d, h) and _narrow(h, onto))):
                if known_counted:
                    continue
                known_counted = True
                known_here.add(d)
                w = math.log(KNOWN_DISEASE_LR)
                score += w
                supporting.append(
                    Contribution(Curie(h), f"known {onto.label(h)}", round(w, 4), d, "the patient is known to have it")
                )
                continue
            for cond, source in sorted(links.get(d, []), key=lambda cs: (-onto.depth(cs[0]), cs[0])):
                if cond not in links_used and onto.is_a(h, cond):
                    links_used.add(cond)
                    w = math.log(CONDITION_LR) * min(1.0, SPECIFIC_LINKS / max(linked[cond], 1))
                    score += w
                    supporting.append(
                        Contribution(
                            finding=Curie(h),
                            label=f"history of {onto.label(h)}",
                            weight=round(w, 4),
                            matched=cond,
                            via=f"associated condition: {onto.label(cond)}",
                            evidence=(Evidence("curated", source),),
                        )
                    )
                    break
        cases_of = knowledge.case_counts.get(d, 0)
        if CASE_PRIOR > 0 and cases_of:
            w = CASE_PRIOR * math.log((cases_of + PRIOR_ALPHA) / PRIOR_ALPHA)
            score += w
            supporting.append(
                Contribution(Curie("rg:Diagnosis"), f"{cases_of} teaching case(s)", round(w, 4), d, "prior")
            )
        named = _suspicion(d, suspected, onto)
        if named is not None:
            score += named.weight
            (supporting if named.weight > 0 else against).append(named)
        site = _site_fit(d, profiles.get(d, {}), query_regions, onto, site_cache, dx_sites)
        if site is not None:
            score += site.weight
            (supporting if site.weight > 0 else against).append(site)
        demo = _demographics(knowledge.profiles.get(d), age, sex)
        if demo is not None:
            score += demo.weight
            (supporting if demo.weight > 0 else against).append(demo)
        supporting.sort(key=lambda c: (-c.weight, c.finding))
        against.sort(key=lambda c: (c.weight, c.finding))
        scored.append((score, d, supporting, against))
    scored.sort(key=lambda t: (-t[0], onto.label(t[1]) if t[1] in onto else t[1]))
    top = max(s for s, *_ in scored)
    z = sum(math.exp(s - top) for s, *_ in scored)
    present = {q.concept for q in queries}
    out: list[RankedDiagnosis] = []
    for i, (score, d, sup, ag) in enumerate(scored[:top_k]):
        rival = scored[i + 1][1] if i + 1 < len(scored) else (scored[i - 1][1] if i > 0 else None)
        out.append(
            RankedDiagnosis(
                rank=i + 1,
                concept=d,
                label=onto.label(d) if d in onto else d,
                score=round(score, 4),
                probability=math.exp(score - top) / z,
                supporting=tuple(sup),
                against=tuple(ag),
                look_for=_look_for(d, rival, profiles, present, onto),
                kind="known" if d in known_here else _kind(d, candidates, onto, memo),
            )
        )
    return out


#: A candidate is shown as a class when at least this many other candidates are kinds of it.
CLASS_MIN_KINDS = 2


#: A known disease with at most this many kinds lends its weight to each of them (a known lymphoma to a
#: Hodgkin lymphoma); a broad one does not ("chronic lung disease" says nothing for a bronchopleural fistula).
KNOWN_CLASS_MAX_KINDS = 50


def _narrow(h: str, onto: Ontology) -> bool:
    return len(onto.descendants(h)) <= KNOWN_CLASS_MAX_KINDS


def _kind(d: Curie, candidates: Sequence[Curie], onto: Ontology, memo: dict[Any, Any]) -> str:
    """What a candidate is for the reader: a disease, an imaging finding named as a diagnosis, or a class."""
    if d not in onto:
        return "disease"
    if onto.is_a(d, "rg:ImagingFinding") and not onto.is_a(d, "rg:Diagnosis"):
        return "finding"
    kinds: dict[Curie, int] | None = memo.get("kinds_among")
    if kinds is None:
        pool = set(candidates)
        kinds = memo["kinds_among"] = {c: len((onto.descendants(c) & pool) - {c}) for c in candidates if c in onto}
    return "class" if kinds.get(d, 0) >= CLASS_MIN_KINDS else "disease"


def _families(candidates: Sequence[Curie], onto: Ontology) -> tuple[dict[Curie, list[Curie]], dict[Curie, list[Curie]]]:
    """Each candidate's families (itself and its near, not too broad, ancestors) and each family's members."""
    fams: dict[Curie, list[Curie]] = {}
    members: dict[Curie, list[Curie]] = defaultdict(list)
    for d in candidates:
        keys = [d]
        if d in onto:
            keys += sorted(
                a for a in _near_ancestors(d, onto, FAMILY_LEVELS) - {d}
                if a in onto and len(onto.descendants(a)) <= FAMILY_MAX_DESCENDANTS
            )  # fmt: skip
        fams[d] = keys
        for k in keys:
            members[k].append(d)
    return fams, dict(members)


def _family_backoff(
    table: dict[Curie, list[tuple[float, _Known | None, str]]],
    queries: Sequence[FindingQuery],
    candidates: Sequence[Curie],
    memo: dict[Any, Any],
    onto: Ontology,
) -> None:
    """Give a finding a candidate has no knowledge of the frequency it has in the candidate's family.

    Profiles list a handful of findings each, so "not known" often means "not written down": a
    pilocytic astrocytoma not known to cause mass effect borrows, at ``FAMILY_WEIGHT``, the mean
    frequency of mass effect among the other diagnoses under its near ancestors (gliomas).
    """
    if "families" not in memo:
        memo["families"] = _families(candidates, onto)
    fams, members = memo["families"]
    for i, q in enumerate(queries):
        if q.assertion is Assertion.ABSENT:
            continue
        sums: dict[Curie, float] = {}
        for d in candidates:
            if table[d][i][1] is not None:
                continue
            best, best_key = 0.0, None
            for k in fams[d]:
                mem = members[k]
                if len(mem) < 2:
                    continue
                if k not in sums:
                    sums[k] = sum(table[m][i][0] for m in mem)
                share = (sums[k] - table[d][i][0]) / (len(mem) - 1)
                if share > best:
                    best, best_key = share, k
            p = FAMILY_WEIGHT * best
            if best_key is not None and p > table[d][i][0]:
                label = onto.label(best_key) if best_key in onto else best_key
                table[d][i] = (p, None, f"not known for it; frequency among related diagnoses ({label})")


def _suspicion(d: Curie, suspected: Sequence[Suspected], onto: Ontology) -> Contribution | None:
    """The strongest shift the diagnoses named in the input text give candidate *d*.

    The same concept counts in full; a candidate more specific than the named diagnosis counts by the
    ratio of their information content (an infarct named: a PICA infarct gains a little); a broader
    candidate counts half. A diagnosis stated as absent counts against, in the same way.
    """
    best: tuple[float, Suspected, str] | None = None
    for s in suspected:
        if s.concept == d:
            factor, via = 1.0, "named in the report"
        elif d in onto and s.concept in onto and onto.is_a(d, s.concept):
            ic_d = max(onto.information_content(d), 1e-9)
            factor, via = min(1.0, onto.information_content(s.concept) / ic_d) ** 2, "a kind of the named diagnosis"
        elif d in onto and s.concept in onto and onto.is_a(s.concept, d):
            factor, via = SUSPECTED_BROADER, "a broader class of the named diagnosis"
        else:
            continue
        if s.family:
            w = factor * math.log(FAMILY_HISTORY_LR) if s.assertion is Assertion.PRESENT else 0.0
        elif s.assertion is Assertion.ABSENT:
            w = factor * math.log(SUSPECTED_ABSENT_LR)
        elif s.assertion is Assertion.UNCERTAIN:
            w = factor * math.log(SUSPECTED_UNCERTAIN_LR)
        else:
            w = factor * math.log(SUSPECTED_LR if s.in_findings else SUSPECTED_CLINICAL_LR)
        if best is None or abs(w) > abs(best[0]):
            best = (w, s, via)
    if best is None or abs(best[0]) < 1e-9:
        return None
    w, s, via = best
    label = onto.label(s.concept) if s.concept in onto else s.concept
    prefix = "no " if s.assertion is Assertion.ABSENT else "possible " if s.assertion is Assertion.UNCERTAIN else ""
    if s.family:
        return Contribution(finding=s.concept, label=f"family history of {label}", weight=round(w, 4), matched=d,
                            via=f"{via}: a relative's disease")  # fmt: skip
    return Contribution(finding=s.concept, label=f"{prefix}{label} (named)", weight=round(w, 4), matched=d, via=via)


def _demographics(profile: Profile | None, age: int | None, sex: Sex | None) -> Contribution | None:
    """Shift a candidate by the patient's age and sex against its curated profile."""
    if profile is None:
        return None
    w = 0.0
    notes: list[str] = []
    if age is not None and profile.age_min is not None and profile.age_max is not None:
        outside = max(profile.age_min - age, age - profile.age_max, 0)
        if outside > AGE_MARGIN:
            w += math.log(AGE_OUTSIDE_LR)
            notes.append(f"age {age} outside the usual {profile.age_min}-{profile.age_max}")
        elif outside == 0:
            w += math.log(AGE_INSIDE_LR)
            notes.append(f"age {age} within the usual {profile.age_min}-{profile.age_max}")
    if sex is not None and profile.sex is not None:
        if sex is profile.sex:
            w += math.log(SEX_MATCH_LR)
            notes.append(f"{sex.value}, as usual")
        else:
            w += math.log(SEX_MISMATCH_LR)
            notes.append(f"{sex.value}; usually {profile.sex.value}")
    if not notes:
        return None
    return Contribution(
        finding=Curie("rg:Patient"),
        label="; ".join(notes),
        weight=round(w, 4),
        matched=profile.diagnosis,
        via="demographics",
        evidence=(Evidence("curated", profile.source),) if profile.source else (),
    )


def _sites_of(concept: Curie, sites: Sequence[Curie], onto: Ontology) -> set[Curie]:
    """Sites given with a finding plus those its concept implies (a hepatic mass is in the liver)."""
    out = {s for s in sites if s in onto}
    if concept in onto:
        out |= set(implied_qualifiers(concept, onto).get("rg:locatedIn", []))
    return out


def _region(sites: set[Curie], onto: Ontology, cache: dict[Curie, frozenset[Curie]]) -> frozenset[Curie]:
    """Sites with the wholes they are part of, without anatomy too broad to say where."""
    out: set[Curie] = set()
    parts = _part_counts(onto)
    for s in sites:
        if s not in cache:
            cache[s] = frozenset(x for x in onto.places_of(s) if parts.get(x, 0) <= REGION_MAX_PARTS)
        out |= cache[s]
    return frozenset(out)


def _part_counts(onto: Ontology) -> dict[Curie, int]:
    """How many sites lie in each site (see :meth:`Ontology.places_of`): the size of a region."""
    memo = _memo("part_counts", onto)
    if not memo:
        counts: dict[Curie, int] = defaultdict(int)
        for c in onto.concepts:
            if onto.is_a(c, "rg:AnatomicalSite"):
                for w in onto.places_of(c):
                    counts[w] += 1
        memo.update(counts)
        memo["rg:AnatomicalSite"] = len(onto.concepts)
    return memo


def _dx_region(
    d: Curie,
    profile: Mapping[Curie, _Known],
    onto: Ontology,
    cache: dict[Curie, frozenset[Curie]],
    dx_sites: dict[Curie, frozenset[Curie]],
) -> frozenset[Curie]:
    """Where a diagnosis occurs: the sites its own concept and its known findings imply or state."""
    if d not in dx_sites:
        sites: set[Curie] = _sites_of(d, (), onto) if d in onto else set()
        for known in profile.values():
            sites |= _sites_of(known.finding, known.sites, onto)
        dx_sites[d] = _region(sites, onto, cache)
    return dx_sites[d]


def _site_fit(
    d: Curie,
    profile: Mapping[Curie, _Known],
    query_regions: Sequence[frozenset[Curie]],
    onto: Ontology,
    cache: dict[Curie, frozenset[Curie]],
    dx_sites: dict[Curie, frozenset[Curie]],
) -> Contribution | None:
    """Anatomic plausibility: do the findings' sites fall where the diagnosis's known findings are?"""
    given = [r for r in query_regions if r]
    if not given:
        return None
    mine = _dx_region(d, profile, onto, cache, dx_sites)
    if not mine:
        return None
    if not any(r & mine for r in given):
        return None
    w, note = math.log(SITE_MATCH_LR), "findings where this diagnosis occurs"
    return Contribution(finding=Curie("rg:AnatomicalSite"), label=note, weight=round(w, 4), matched=d, via="anatomy")


def _near_ancestors(c: Curie, onto: Ontology, levels: int = 2) -> set[Curie]:
    out: set[Curie] = {c}
    frontier = {c}
    for _ in range(levels):
        frontier = {p for x in frontier if x in onto for p in onto.parents(x)}
        out |= frontier
    return out - _BROAD


def _groups(queries: Sequence[FindingQuery], onto: Ontology) -> list[int]:
    """Group indices of queries that describe one phenomenon (see the module docstring)."""
    parent = list(range(len(queries)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    near = [_near_ancestors(q.concept, onto) if q.concept in onto else {q.concept} for q in queries]
    for i in range(len(queries)):
        for j in range(i + 1, len(queries)):
            if queries[i].assertion is not queries[j].assertion:
                continue
            a, b = queries[i].concept, queries[j].concept
            related = (a in onto and b in onto and (onto.is_a(a, b) or onto.is_a(b, a))) or bool(near[i] & near[j])
            if related:
                parent[find(i)] = find(j)
    return [find(i) for i in range(len(queries))]


def _specific(queries: list[FindingQuery], onto: Ontology) -> list[FindingQuery]:
    """Drop a query finding when a more specific one with the same assertion is also given.

    An absent finding is dropped, too, when the same finding or a kind of it is present ("a mass in
    the larynx; no mass in the pharynx"): for the ranker the finding is there.
    """
    present = [o.concept for o in queries if o.assertion is Assertion.PRESENT]
    return [
        q
        for q in queries
        if not any(
            o is not q and o.assertion is q.assertion and o.concept != q.concept and onto.is_a(o.concept, q.concept)
            for o in queries
        )
        and not (
            DROP_CONTRADICTED_ABSENT
            and q.assertion is Assertion.ABSENT
            and any(c == q.concept or onto.is_a(c, q.concept) for c in present)
        )
    ]


def _look_for(
    d: Curie, rival: Curie | None, profiles: Mapping[Curie, Mapping[Curie, _Known]], given: set[Curie], onto: Ontology
) -> tuple[ConceptRef, ...]:
    """Findings not yet given that best separate *d* from *rival* (largest frequency gap)."""
    mine = profiles.get(d, {})
    theirs = profiles.get(rival, {}) if rival else {}
    gaps: list[tuple[float, Curie]] = []
    for f in set(mine) | set(theirs):
        if any(onto.is_a(g, f) or onto.is_a(f, g) for g in given):
            continue
        pm = mine[f].p if f in mine else FLOOR
        pt = theirs[f].p if f in theirs else FLOOR
        gaps.append((abs(pm - pt), f))
    gaps.sort(key=lambda t: (-t[0], t[1]))
    return tuple(ConceptRef(f, onto.label(f)) for gap, f in gaps[:3] if gap >= 0.2)


#: Sections whose diagnoses are said of this patient: the history, and the findings or impression
#: (``OTHER`` is plain text without headings).
_SUSPECTING_SECTIONS = frozenset(
    {SectionCategory.CLINICAL, SectionCategory.FINDINGS, SectionCategory.IMPRESSION, SectionCategory.OTHER}
)


def suspected_from_extraction(ex: Extraction) -> list[Suspected]:
    """Return the diagnoses the text names for the patient now (not as history, not as a differential).

    A relative's disease comes with ``family`` set: it counts as a weaker hint of the same disease.
    """
    out: list[Suspected] = []
    for d in ex.diagnoses:
        if d.role is not Role.MENTIONED or d.section not in _SUSPECTING_SECTIONS:
            continue  # a discussion, title or answer section speaks of diagnoses in general
        family = d.subject is Subject.FAMILY  # a relative's disease, named in a family history
        s = Suspected(d.concept, d.assertion, d.section is not SectionCategory.CLINICAL, family)
        if s not in out:
            out.append(s)
    return out


def queries_from_extraction(ex: Extraction) -> tuple[list[FindingQuery], list[Curie]]:
    """Return the patient's current findings (present or absent) and history conditions."""
    queries: list[FindingQuery] = []
    for f in ex.findings:
        if f.subject is not Subject.PATIENT or f.temporality is Temporality.HISTORICAL:
            continue
        if f.assertion is Assertion.UNCERTAIN:
            continue
        q = FindingQuery(f.concept, f.assertion, f.laterality, tuple(s.concept for s in f.sites))
        if q not in queries:
            queries.append(q)
    history = [d.concept for d in ex.diagnoses if d.role.value == "history" and d.assertion is Assertion.PRESENT]
    return queries, history
