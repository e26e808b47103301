"""Assemble mentions into findings, diagnoses and generic statements.

Pure code over :class:`~radgraph.model.Mention` records (no spaCy). Per sentence:

1. finding mentions are heads; a definite re-mention (``the mass``) of an earlier finding of the
   same section is an anaphor and adds no new finding;
2. every signal mention (``high signal intensity``) is a signal finding of its own, and also
   qualifies an adjacent finding;
3. modifiers (site, laterality, chronicity, enhancement) attach to the nearest head; sequences
   and modalities apply to every head of the sentence, and a signal finding with no sequence
   takes the last one named earlier in the section;
4. each head is refined by its qualifiers (:func:`radgraph.concepts.refine`), gets the
   qualifiers its concept implies, and a plural finding at a bilaterally paired site with no
   side stated is bilateral; a textbook finding of the discussion with no site takes the place of
   the patient's findings of its kind, and a measured value that backs a finding its sentence
   names is not a second one;
5. conditions become diagnoses with a role from their section and context.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from radgraph.concepts import LOCATED_IN, LUMENS, implied_qualifiers, refine, satisfies
from radgraph.context import NAME_END_WORDS
from radgraph.model import (
    MEASURED_RULE,
    Assertion,
    ConceptKind,
    ConceptMatch,
    ConceptRef,
    DiagnosisMention,
    Finding,
    GenericStatement,
    Laterality,
    Mention,
    Role,
    Section,
    SectionCategory,
    Subject,
    Temporality,
)
from radgraph.normalize import norm
from radgraph.ontology import Ontology
from radgraph.vocab import Curie

#: Sections whose mentions are not findings of the case.
SKIP_FINDINGS = frozenset(
    {
        SectionCategory.TITLE,
        SectionCategory.DOCTOR,
        SectionCategory.PATIENT,
        SectionCategory.CASE_SECTION,
        SectionCategory.REFERENCE,
        SectionCategory.BOILERPLATE,
        SectionCategory.TECHNIQUE,
        SectionCategory.TREATMENT,
        SectionCategory.FINAL_DIAGNOSIS,
        SectionCategory.DIFFERENTIAL,
    }
)
SKIP_DIAGNOSES = frozenset(
    {
        SectionCategory.TITLE,
        SectionCategory.DOCTOR,
        SectionCategory.PATIENT,
        SectionCategory.CASE_SECTION,
        SectionCategory.REFERENCE,
        SectionCategory.BOILERPLATE,
        SectionCategory.TREATMENT,
    }
)
_ROLE_ORDER = {Role.FINAL: 0, Role.HISTORY: 1, Role.DIFFERENTIAL: 2, Role.MENTIONED: 3}
_LAT = {"rg:Left": Laterality.LEFT, "rg:Right": Laterality.RIGHT, "rg:Bilateral": Laterality.BILATERAL}
_WORD = re.compile(r"\w+")
_ATTACH_WINDOW = 8  # words between a modifier and the head it qualifies
_SIGNAL_WINDOW = 5


@dataclass(slots=True)
class _Draft:
    mention: Mention
    concept: Curie
    rule: str = "lexicon"
    sites: list[Curie] = field(default_factory=list)
    laterality: list[Curie] = field(default_factory=list)
    sequences: list[Curie] = field(default_factory=list)
    modalities: list[Curie] = field(default_factory=list)
    signal: Curie | None = None
    enhancement: Curie | None = None
    chronicity: Curie | None = None
    partner: _Draft | None = None  # the finding a signal finding qualifies
    own_sequences: bool = False  # a signal finding named with its sequence takes no other one


def _gap(text: str, a: Mention, b: Mention) -> int:
    """Words between two mentions (0 when adjacent)."""
    lo, hi = (a.end, b.start) if a.end <= b.start else (b.end, a.start)
    return len(_WORD.findall(text[lo:hi])) if hi > lo else 0


_LINK = re.compile(r"^(?:of|in|into|within|across|involving|at|along|from)\b", re.I)
_ARTICLES = frozenset({"the", "a", "an"})
_AND = re.compile(r"\b(?:and|or|but|while|whereas)\b", re.I)
_LINKED_HEAD = re.compile(r"\b(?:of|into|across|beyond)$", re.I)
#: Words that open what a head contains or shows: a modifier before them belongs to the head before it ("a mass in
#: the right temporal lobe with central necrosis").
_WITH = re.compile(r"^(?:with|without|containing)\b", re.I)


def _distance(text: str, mod: Mention, head: Mention) -> float:
    """Words between a modifier and a head, adjusted for the syntax between them.

    A modifier joined to the head before it by a preposition ("effacement of the left ventricle",
    "a mass in the liver") is closer than its word count; one behind a comma or semicolon is farther.
    """
    gap: float = _gap(text, mod, head)
    lo, hi = (head.end, mod.start) if head.end <= mod.start else (mod.end, head.start)
    between = text[lo:hi] if hi > lo else ""
    if head.end <= mod.start and (
        _LINK.match(between.strip()) or _LINKED_HEAD.search(head.text) or between.strip().lower() in _ARTICLES
    ):
        gap -= 0.5  # "effacement of the ventricle", "compresses the cord"
    if "," in between or ";" in between:
        gap += 2
    if mod.end <= head.start and _WITH.match(between.strip()):
        gap += 2
    if _AND.search(between):
        gap += 1  # "narrows the canal and compresses the cord": the canal goes with "narrows"
    return gap


def _nearest(text: str, mod: Mention, heads: Sequence[_Draft]) -> _Draft | None:
    best: tuple[float, int, int] | None = None
    chosen: _Draft | None = None
    for h in heads:
        if _gap(text, mod, h.mention) > _ATTACH_WINDOW:
            continue
        if mod.end <= h.mention.start and _GROWTH.match(h.mention.text):
            continue  # growth takes the place named after it ("increase in size of the spleen"), not before
        gap = _distance(text, mod, h.mention)
        # a modifier right before a head qualifies it; otherwise the nearer head wins
        before = 0 if mod.end <= h.mention.start else 1
        key = (gap, before, h.mention.start)
        if best is None or key < best:
            best, chosen = key, h
    return chosen


def _ref(onto: Ontology, c: str) -> ConceptRef:
    return ConceptRef(Curie(c), onto.label(c))


def _uniq(items: Sequence[Curie]) -> list[Curie]:
    out: list[Curie] = []
    for c in items:
        if c not in out:
            out.append(c)
    return out


def _most_specific(onto: Ontology, items: Sequence[Curie]) -> list[Curie]:
    """Drop items that another item is a kind or a part of.

    ``vertebra`` goes when ``thoracic vertebra`` or ``vertebral body`` is there.
    """
    items = _uniq(items)
    return [c for c in items if not any(o != c and satisfies(o, c, LOCATED_IN, onto) for o in items)]


def _own_sites(concept: Curie, onto: Ontology) -> list[Curie]:
    """Return the sites that a concept's own (nearest) definition names.

    A hilar lymphadenopathy is in the hilum, which already says that it is in lymph nodes; a
    splenomegaly is in the spleen, not also in "an organ".
    """
    todo = [concept]
    seen: set[Curie] = set()
    while todo:
        c = todo.pop(0)
        if c in seen:
            continue
        seen.add(c)
        d = onto.definition_of(c)
        if d is not None:
            return [r.filler for r in d.restrictions if r.prop == "rg:locatedIn"]
        todo.extend(onto.parents(c))
    return []


def _hollow_viscus(site: Curie, onto: Ontology) -> bool:
    """Tell whether a site is part of the bowel, biliary or urinary tract, where no vessel's aneurysm is named."""
    return site in onto and any(satisfies(site, t, LOCATED_IN, onto) for t in _VISCERA)


_VISCERA = ("rg:GastrointestinalTract", "rg:BiliaryTree", "rg:UrinaryTract")
#: The nouns of a lesion (their plurals too), as a regular expression.
_LESION_NOUN = r"(?:lesions?|mass(?:es)?|nodules?|tumou?rs?|cysts?|aneurysms?)"


def _sided_sites(sites: Sequence[Curie], onto: Ontology) -> set[Laterality]:
    """The sides that the names of a finding's sites hold, for sites outside the single organs."""
    out: set[Laterality] = set()
    for s in sites:
        if s not in onto:
            continue
        w = _SIDE_OPENS.match(onto.label(s))
        if w and not _in_single_organ(s, onto):
            out.add(Laterality(w.group(1).lower()))
    return out


#: A site's name that opens with its side ("right upper lobe", "left kidney").
_SIDE_OPENS = re.compile(r"(left|right)\s", re.I)
#: A side named inside a finding's own words.
_SIDE_IN_NAME = re.compile(r"\b(bilateral(?:ly)?|left|right)\b", re.I)
#: A side of the body named right before a symptom ("left-sided weakness", "right sided").
_ONE_SIDE = re.compile(r"\b(?:left|right)[- ]sided\s+$", re.I)


#: A lesion named just before a word of enlargement, as its subject ("the tumor will continue to enlarge").
_LESION_GROWS = re.compile(rf"\b(?:{_LESION_NOUN}|foci|focus)\b(?:\s+[a-z]+){{0,4}}\s+$")


#: After a signal: it takes the place of the tissue there ("low T1 signal replacing the vertebral body").
_REPLACING = re.compile(r"\s+(?:that\s+|which\s+)?replac(?:ing|es|ed)\b", re.I)


def _finalize(d: _Draft, onto: Ontology, text: str) -> Finding:
    m = d.mention
    qualifiers: dict[str, list[Curie]] = {
        "rg:locatedIn": list(d.sites),
        "rg:observedOn": list(d.sequences) + list(d.modalities),
        "rg:hasSignal": [d.signal] if d.signal else [],
        "rg:hasEnhancement": [d.enhancement] if d.enhancement else [],
    }
    concept0 = d.concept
    sequences = list(d.sequences)
    if concept0 == "rg:Enlargement" and any(onto.is_a(x, t) for x in d.sites for t in LUMENS if x in onto):
        concept0 = Curie("rg:Dilatation")  # an enlarged vessel or duct is a dilated one
    if concept0 == "rg:Aneurysm" and any(_hollow_viscus(x, onto) for x in d.sites) and not any(
        satisfies(x, t, LOCATED_IN, onto) for x in d.sites if x in onto for t in ("rg:BloodVessel", "rg:Heart")
    ):
        concept0 = Curie("rg:Dilatation")  # "aneurysmal dilatation of the small bowel": a dilated bowel, no vessel
    if concept0 == "rg:MuscleWeakness" and not d.sites and _ONE_SIDE.search(text, max(0, m.start - 16), m.start):
        concept0 = Curie("rg:Hemiparesis")  # "left-sided weakness": weakness of one side of the body
    if concept0 == "rg:T1Hypointensity" and (
        any(satisfies(x, "rg:BoneMarrow", LOCATED_IN, onto) for x in d.sites if x in onto)
        or _REPLACING.match(text, m.end)
    ):  # "low T1 signal replacing the marrow (or a vertebral body)": marrow darker than it should be on T1
        concept0 = Curie("rg:LowMarrowSignal")
        if "rg:T1Weighted" not in sequences:
            sequences.append(Curie("rg:T1Weighted"))
    if concept0 == "rg:Enlargement" and _LESION_GROWS.search(text, max(0, m.start - 60), m.start):
        # "the tumour will continue to enlarge": the lesion grows, whatever organ it lies in
        match = ConceptMatch(concept0, 1.0, "lexicon")
    else:
        match = refine(concept0, qualifiers, onto)
    concept, rule = match.curie, d.rule if match.rule_id == "lexicon" else match.rule_id
    implied = implied_qualifiers(concept, onto)
    sites = list(d.sites)
    # a symptom's name is not a place the images show ("headache" is not a finding in the head)
    for s in [] if onto.is_a(concept, "rg:ClinicalFinding") else _own_sites(concept, onto):
        if not any(satisfies(x, s, LOCATED_IN, onto) for x in sites):
            sites.append(s)
    for s in implied.get("rg:observedOn", []):
        if onto.kind(s) is ConceptKind.SEQUENCE and not any(onto.is_a(x, s) for x in sequences):
            sequences.append(s)
    signal = d.signal or next(iter(implied.get("rg:hasSignal", [])), None)
    enhancement = d.enhancement or next(iter(implied.get("rg:hasEnhancement", [])), None)
    sites = _most_specific(onto, sites)
    lats = _uniq(d.laterality)
    laterality: Laterality | None = None
    if lats:
        values = {_LAT[x] for x in lats if x in _LAT}
        laterality = Laterality.BILATERAL if len(values) > 1 else (values.pop() if values else None)
    elif (own := _SIDE_IN_NAME.search(m.text)) and own.group(1).lower() not in onto.label(concept).lower():
        # a side inside the finding's own words ("bilateral pleural effusions"), unless the concept's name has it
        # ("right heart strain")
        word = own.group(1).lower()
        laterality = Laterality.BILATERAL if word.startswith("bilateral") else Laterality(word)
    elif sided := _sided_sites(sites, onto):
        # a site whose name holds its side ("the right upper lobe"), outside the single organs ("left ventricle")
        laterality = Laterality.BILATERAL if len(sided) > 1 else sided.pop()
    elif m.plural and any(onto.concept(s).bilaterally_paired for s in sites if s in onto):
        laterality = Laterality.BILATERAL
        rule = f"{rule}+plural-paired-site"
    seq_refs = tuple(_ref(onto, s) for s in sequences)
    assertion = m.assertion
    if d.rule == "enhancement-finding" and d.enhancement == "rg:NonEnhancing":
        concept, assertion = Curie("rg:ContrastEnhancement"), Assertion.ABSENT
        enhancement = None
    return Finding(
        concept=concept,
        label=onto.label(concept),
        assertion=assertion,
        temporality=(
            Temporality.HISTORICAL
            if m.temporality is Temporality.HISTORICAL or d.chronicity == "rg:Old"
            else Temporality.CURRENT
        ),
        subject=m.subject,
        laterality=laterality,
        sites=tuple(_ref(onto, s) for s in sites),
        sequence=seq_refs[0].label if seq_refs else None,
        section=m.section,
        text=text[m.start : m.end],
        start=m.start,
        end=m.end,
        rule_id=rule,
        sequences=seq_refs,
        modalities=tuple(_ref(onto, s) for s in _uniq(d.modalities)),
        signal=_ref(onto, signal) if signal else None,
        enhancement=_ref(onto, enhancement) if enhancement else None,
        chronicity=_ref(onto, d.chronicity) if d.chronicity else None,
    )


_NOMINAL_SIGNAL = re.compile(
    r"(signal|intensit|densit|attenuation|echogenicit|lucenc|shadowing|hyperintensities|hypointensities)", re.I
)
_NOMINAL_ENHANCEMENT = re.compile(r"enhancement", re.I)
#: "As" or "by" right before a signal said of the finding before it.
_AS_OR_BY = re.compile(
    r"\b(?:as|by)\s+(?:(?:a|an|the|heterogene?ously|homogene?ously|diffusely|predominantly|mildly|markedly|"
    r"uniformly)\s+)?$",
    re.I,
)
_SIGNAL_RANGE = re.compile(r"(?:intermediate|iso|low|high|hypo|hyper)\w*\s*-?\s*to\s*-?\s*$", re.I)
_VERBAL_ENHANCEMENT = re.compile(r"(?:(?:does|do|did) not )?enhances?")
#: What stands between a signal word and the sequence it is seen on ("hyperintense on T2WI", "bright on both
#: T1- and T2-weighted images"), and between sequences named together.
_ON_SEQUENCE = re.compile(r"^\s*(?:on|in)\s+(?:the\s+)?(?:both\s+)?$", re.I)
_SEQUENCE_JOINER = re.compile(r"^[\s,/-]*(?:and|or|&)?[\s-]*$", re.I)
#: Sequences named together before a signal word: "T1 and T2 hyperintense", "T2/FLAIR abnormality" (not a comma,
#: which more often ends another phrase: "enhancement on T1, T2 hyperintensity").
_BEFORE_JOINER = re.compile(r"^\s*(?:/|and|&|-\s*and)\s*$", re.I)


#: A signal finding's name that ends with its sequence ("hyperintense on T1"), which sequences after it may join.
_ENDS_ON_SEQUENCE = re.compile(r"\b(?:on|in)\s+(?:the\s+)?\S+$", re.I)
#: Words that make a sequence part of another signal phrase ("low T1 and high T2 signal", "low signal on T1, ...").
_SIGNAL_BEFORE = re.compile(
    r"(?:intens\w*|signal|bright|dark|high|low|increased|decreased|hyper\w*|hypo\w*|iso\w*)\s*(?:on|in)?\s*$", re.I
)


def _coordinated_sequences(heads: Sequence[_Draft], ms: Sequence[Mention], text: str, onto: Ontology) -> list[_Draft]:
    """Signal findings of sequences named together with a signal finding's own.

    "hyperintense on T1- and T2-weighted images" and "T1 and T2 hyperintense" are a T1 and a T2 hyperintensity;
    in "low T1 and high T2 signal" each sequence has its own signal.
    """
    out: list[_Draft] = []
    seqs = [n for n in ms if n.kind is ConceptKind.SEQUENCE]
    for h in heads:
        d = onto.definition_of(h.concept)
        if d is None or h.rule != "lexicon":
            continue
        signal = next((r.filler for r in d.restrictions if r.prop == "rg:hasSignal"), None)
        if signal is None or not any(r.prop == "rg:observedOn" for r in d.restrictions):
            continue
        m = h.mention
        found: list[Mention] = []
        if _ENDS_ON_SEQUENCE.search(m.text):  # sequences after: "hyperintense on T1- and T2-weighted images"
            last_end = m.end
            for n in (n for n in seqs if n.start >= m.end):
                gap = text[last_end : n.start]
                if not gap.strip() or not _SEQUENCE_JOINER.match(gap):
                    break
                found.append(n)
                last_end = n.end
        first = onto.lookup(m.text.split()[0], strict=False) if m.text else None
        if first is not None and onto.kind(first) is ConceptKind.SEQUENCE:  # before: "T1 and T2 hyperintense"
            first_start = m.start
            for n in (n for n in reversed(seqs) if n.end <= m.start):
                gap = text[n.end : first_start]
                if not _BEFORE_JOINER.match(gap):
                    break
                if _SIGNAL_BEFORE.search(text[max(0, n.start - 30) : n.start]):
                    break
                found.append(n)
                first_start = n.start
        for n in found:
            c = _signal_on(signal, n.concept, onto)
            if c is not None and c != h.concept:
                extra = _Draft(m, c, rule="coordinated-sequence", sites=list(h.sites), laterality=list(h.laterality))
                extra.sequences.append(n.concept)
                extra.own_sequences = True
                out.append(extra)
    return out


def _both_sequences(m: Mention, nxt: Mention | None, text: str) -> bool:
    """Tell whether "both" counts the sequences or modalities after it rather than naming two sides."""
    return (
        m.kind is ConceptKind.LATERALITY
        and m.text.lower() == "both"
        and nxt is not None
        and nxt.kind in (ConceptKind.SEQUENCE, ConceptKind.MODALITY)
        and not text[m.end : nxt.start].strip()
    )


def _signal_on(signal: Curie, sequence: Curie, onto: Ontology) -> Curie | None:
    """The finding a signal on a sequence is in the ontology (high signal on T2: a T2 hyperintensity), if any."""
    found = refine("rg:SignalFinding", {"rg:hasSignal": [signal], "rg:observedOn": [sequence]}, onto).curie
    return None if found == "rg:SignalFinding" else found


def _run_after(
    m: Mention, ms: Sequence[Mention], kind: ConceptKind, opening: re.Pattern[str], joiner: re.Pattern[str], text: str
) -> list[Mention]:
    """The mentions of one kind named in a run right after *m*.

    *opening* stands between *m* and the first, *joiner* between the others ("hyperintense on T1- and T2-weighted
    images", "CT of the chest, abdomen and pelvis").
    """
    out: list[Mention] = []
    last = m
    for n in ms:
        if n.start < m.end:
            continue
        if n.kind is not kind:
            break
        if not (opening if last is m else joiner).match(text[last.end : n.start]):
            break
        out.append(n)
        last = n
    return out


def _introducing_sequences(m: Mention, sequences: Sequence[Mention], text: str) -> list[Mention]:
    """The nearest sequence named before a signal in its sentence, with the sequences joined to it ("T1 and T2").

    None when no sequence comes before it, when a semicolon stands between, or when the nearest sequences are what
    something else is seen on ("signal loss on STIR and fat-saturated images, and low-signal striations").
    """
    before = [n for n in sequences if n.end <= m.start]
    if not before or re.search(r"[;]", text[before[-1].end : m.start]):
        return []
    run = [before[-1]]
    for n in reversed(before[:-1]):
        if not _SEQUENCES_JOINED.match(text[n.end : run[0].start]):
            break
        run.insert(0, n)
    on = _SAID_ON.search(text[max(0, run[0].start - 80) : run[0].start])
    if on is not None and on.group(1).strip(" ,"):
        return []  # "... on STIR": the sequence of the phrase before it, not of the signal after it
    return run


#: Between sequences named together as a subject ("T2-weighted images and STIR sequences show ...").
_SEQUENCES_JOINED = re.compile(r"^[\s,/-]*(?:(?:images?|sequences?|imaging|MR|MRI)\s+)*(?:and|or|&)?[\s-]*$", re.I)
#: A sequence said after "on" or "in", and what comes before the preposition in its sentence.
_SAID_ON = re.compile(r"(?:^|[.:\n])([^.:\n]*?)\b(?:on|in)\s+(?:the\s+)?(?:both\s+)?(?:[\w-]+\s+){0,2}$", re.I)


def _own_sequences(m: Mention, ms: Sequence[Mention], text: str) -> list[Mention]:
    """The sequences a signal word is said on, right after it: "hyperintense on T1- and T2-weighted images"."""
    return _run_after(m, ms, ConceptKind.SEQUENCE, _ON_SEQUENCE, _SEQUENCE_JOINER, text)


#: Participles that name a finding only together with the structure they describe ("the spleen is
#: enlarged"); with no site they say nothing, and right before a finding they only qualify it.
_PARTICIPLES = frozenset(
    {"enlarged", "dilated", "distended", "engorged", "expansile", "ballooned", "widened", "dilate", "dilates",
     "enlarges", "thinned", "grew", "grows", "grown", "compressed", "effaced", "narrowed", "opacified", "expanded",
     "prominent"}
)
#: Verbs of growth that name a finding only when a lesion is their subject ("the nodule has grown").
_GROWTH_VERBS = frozenset({"grew", "grows", "grown"})
#: Between a lesion and a verb of growth said of it: "the tumour enlarges", "the nodule has grown", "the mass grew".
_GROWS = re.compile(r"^\s+(?:has\s+|have\s+|had\s+)?(?:[a-z]+ly\s+)?$", re.I)
#: Findings that, bare and in a textbook sentence, name the disease itself ("these lesions"), not a finding.
_BARE = frozenset({"rg:Lesion", "rg:Mass", "rg:Nodule", "rg:SoftTissueMass"})


#: A look said right before a bare lesion noun in a textbook sentence: it describes what the images show ("they are
#: well-defined masses", "larger lesions"), not the disease by name.
_DESCRIBED = re.compile(
    r"\b(?:well[- ]defined|well[- ]circumscribed|ill[- ]defined|round(?:ed)?|oval|ovoid|lobulated|irregular|smooth|"
    r"solitary|large|larger|small|smaller|bulky|peripheral|central|homogene?ous|heterogene?ous|enhancing|"
    r"non-?enhancing|calcified|hypervascular|hypovascular)(?:\s*,\s*|\s+(?:and\s+)?)$",
    re.I,
)


#: "X is the most common primary bone tumour", "1% of all bone tumours": a tumour named as a class.
_CLASS_OF = re.compile(r"(?:\b(?:is|are)\s+(?:the|a|an)|\bof\s+all)((?:\s+[\w-]+){0,6})\s+$", re.I)
_CLASS_WORDS = frozenset({"common", "commonest", "rare", "benign", "malignant", "primary", "secondary"})


def _names_a_class(f: Finding, text: str, onto: Ontology) -> bool:
    """Tell whether a textbook sentence names a tumour as the class a disease belongs to, not as a finding.

    "Osteosarcoma is the most common primary malignant bone tumour" classifies; "the typical
    appearance is a heterogeneous mass" describes.
    """
    if f.subject is not Subject.GENERIC or not onto.is_a(f.concept, "rg:Mass"):
        return False
    m = _CLASS_OF.search(text[max(0, f.start - 80) : f.start])
    if m is None:
        return False
    return m.group(0).lower().lstrip().startswith("of") or bool(_CLASS_WORDS & set(m.group(1).lower().split()))


#: Heads of condition names that also name what the images show ("splenic vein thrombosis", "gastric varices").
_CONDITION_HEADS = {
    "thrombosis": "rg:Thrombus",
    "varices": "rg:Varices",
    "varix": "rg:Varices",
    "hemorrhage": "rg:Hemorrhage",
    "haemorrhage": "rg:Hemorrhage",
    "hematoma": "rg:Hematoma",
    "haematoma": "rg:Hematoma",
}
#: Heads that name a finding only where the images are described; elsewhere the name is the diagnosis.
_IMAGING_ONLY_HEADS = frozenset({"hemorrhage", "haemorrhage", "hematoma", "haematoma"})


def _condition_finding(m: Mention, onto: Ontology) -> _Draft | None:
    """The finding a condition names by its head word, placed in the site its other words name.

    "Splenic vein thrombosis" is a diagnosis, and it also says that a thrombus is seen in the
    splenic vein.
    """
    words = m.text.split()
    head = words[-1].lower() if words else ""
    concept = _CONDITION_HEADS.get(head)
    if concept is None or concept not in onto:
        return None
    if head in _IMAGING_ONLY_HEADS and m.section is not SectionCategory.FINDINGS:
        return None
    d = _Draft(replace(m, kind=ConceptKind.FINDING, concept=Curie(concept)), Curie(concept), rule="condition-finding")
    if len(words) > 1:
        site = onto.lookup(" ".join(words[:-1]), strict=False)
        if site is not None and onto.kind(site) is ConceptKind.SITE:
            d.sites.append(site)
    return d


def _anatomic_fat(m: Mention, before: Mention | None, text: str) -> bool:
    """Tell whether a bare "fat" is the normal fat of a region, not fat inside a lesion.

    "The retropharyngeal fat", "the fat at the foramen" and "the surrounding fat" are anatomy.
    """
    if m.text.lower() != "fat":
        return False
    if m.anaphoric or _AROUND.search(text, max(0, m.start - 40), m.start):
        return True
    return before is not None and before.kind is ConceptKind.SITE and not text[before.end : m.start].strip()


#: Words before "fat" that make it the tissue around a lesion ("infiltrates the surrounding fat").
_AROUND = re.compile(r"\b(?:surrounding|neighbou?ring|perilesional|regional)\s+$", re.I)


def _refers_to(anaphor: Mention, antecedent: _Draft, onto: Ontology) -> bool:
    """Tell whether a definite mention can name an earlier finding ("the mass" after "a hypodense lesion")."""
    if onto.is_a(antecedent.concept, anaphor.concept):
        return True
    # a signal abnormality named on its own ("a 3 cm hypodensity in the kidney") is a lesion too
    lesion = onto.is_a(antecedent.concept, "rg:Lesion") or antecedent.rule == "signal-finding"
    return anaphor.concept in _BARE and lesion


def _new_place(before: Mention | None, anaphor: Mention, antecedent: _Draft, text: str, onto: Ontology) -> bool:
    """Tell whether a definite mention names its own site, one its antecedent is not in.

    "The most common site is the metatarsals (march fracture) ... These calcaneal stress fractures": a fracture of
    another bone, not the march fracture again.
    """
    if before is None or before.kind is not ConceptKind.SITE or text[before.end : anaphor.start].strip():
        return False
    here = before.concept
    return bool(antecedent.sites) and not any(
        satisfies(s, here, LOCATED_IN, onto) or satisfies(here, s, LOCATED_IN, onto)
        for s in antecedent.sites
        if s in onto
    )


#: Nouns that only hold the finding named after them: "a focus of restricted diffusion", "areas of low density".
_CONTAINERS = frozenset({"focus", "foci", "area", "areas", "region", "regions", "zone", "zones", "spot", "spots"})
_CONTAINER_GAP = re.compile(r"^\s+of\s+(?:[\w-]+\s+){0,3}$", re.I)


def _container(i: int, ms: Sequence[Mention], text: str) -> bool:
    """Tell whether the finding mention *i* is a container noun for the finding that follows it."""
    m = ms[i]
    if m.text.lower() not in _CONTAINERS or i + 1 >= len(ms):
        return False
    nxt = ms[i + 1]
    if nxt.kind not in (ConceptKind.FINDING, ConceptKind.SIGNAL, ConceptKind.ENHANCEMENT):
        return False
    return bool(_CONTAINER_GAP.match(text[m.end : nxt.start]))


def _sentence_findings(
    ms: Sequence[Mention], text: str, onto: Ontology, earlier: list[_Draft], carried: list[Curie]
) -> list[_Draft]:
    """Build drafts for one sentence; *earlier* holds the section's previous heads.

    A nominal signal or enhancement phrase with nothing to qualify ("areas of high signal",
    "there is intense enhancement") is a finding of its own; an adjective or verb form
    ("hyperintense", "enhances") qualifies the finding it describes — in the sentence, or the
    last one named before it ("It enhances avidly").
    """
    # "on both T1- and T2-weighted images": "both" counts sequences, not sides
    ms = [m for i, m in enumerate(ms) if not _both_sequences(m, ms[i + 1] if i + 1 < len(ms) else None, text)]
    exam = _exam_sites(ms, text)
    regions = _uniq([m.concept for m in ms if id(m) in exam])
    ms = [m for m in ms if id(m) not in exam and not _reference_tissue(m, text)]
    ms = _elided_finding_words(ms, text, onto)
    heads: list[_Draft] = []
    missing = [(m, lo) for m in ms if (lo := _missing_structure(m, ms, text)) is not None]
    for m, lo in missing:
        # the words that call it missing are its name, not a negation of it
        assertion = Assertion.UNCERTAIN if m.assertion is Assertion.UNCERTAIN else Assertion.PRESENT
        said = replace(m, start=lo, text=text[lo : m.end], kind=ConceptKind.FINDING, assertion=assertion,
                       concept=Curie("rg:AbsentStructure"), rule_id="absent-structure")  # fmt: skip
        heads.append(_Draft(said, said.concept, rule="absent-structure", sites=[m.concept]))
    if missing:
        gone = {id(m) for m, _ in missing}
        ms = [m for m in ms if id(m) not in gone]
    anaphors: list[tuple[Mention, _Draft]] = []
    for i, m in enumerate(ms):
        if m.kind is ConceptKind.FINDING:
            if _anatomic_fat(m, ms[i - 1] if i else None, text) or _container(i, ms, text):
                continue
            if m.anaphoric:
                ante = next((d for d in reversed(earlier + heads) if _refers_to(m, d, onto)), None)
                if ante is not None and not _new_place(ms[i - 1] if i else None, m, ante, text, onto):
                    anaphors.append((m, ante))
                    continue
            heads.append(_Draft(m, m.concept, rule=m.rule_id if m.rule_id.startswith(MEASURED_RULE) else "lexicon"))
        elif m.kind is ConceptKind.CONDITION:
            named = _condition_finding(m, onto)
            if named is not None:
                heads.append(named)
    heads = _merge_adjacent(heads, text, onto)
    coordinated = _coordinated(heads, ms, text, onto)
    plain = list(heads)
    targets = heads + [a for _, a in anaphors]

    def near(mod: Mention, window: int = _ATTACH_WINDOW) -> _Draft | None:
        best = _nearest(text, mod, plain)
        if best is not None and _gap(text, mod, best.mention) > window:
            best = None
        # an anaphor stands for its antecedent at the anaphor's position
        for m, a in anaphors:
            if _gap(text, mod, m) > window:
                continue
            if best is None or _distance(text, mod, m) < _distance(text, mod, best.mention):
                best = a
        return best

    def previous() -> _Draft | None:
        return earlier[-1] if earlier else None

    signal_heads: list[_Draft] = []
    for m in ms:
        if m.kind is not ConceptKind.SIGNAL:
            continue
        partner = near(m, _SIGNAL_WINDOW)
        nominal = bool(_NOMINAL_SIGNAL.search(m.text))
        if nominal and partner is not None and m.end <= partner.mention.start and _gap(text, m, partner.mention) == 0:
            nominal = False  # "a high-density mass": the phrase is an adjective of the finding after it
        if nominal and _SIGNAL_RANGE.search(text[max(0, m.start - 24) : m.start]):
            nominal = False  # "of intermediate-to-high signal": a range that describes the lesion
        if (nominal and partner is not None and partner.mention.end <= m.start
                and _AS_OR_BY.search(text[max(0, m.start - 30) : m.start])):  # fmt: skip
            nominal = False  # "shows the lesion as low signal", "replacement of the marrow by low T1 signal"
        if not nominal and _signal_of_a_part(text, m):
            nominal = True  # "the periphery is hyperintense", "a hyperintense rim": the signal of a part
        if partner is None and not nominal:
            partner = near(m) or previous()
        if partner is not None and not nominal:
            partner.signal = partner.signal or m.concept
            continue
        # a signal finding said on sequences named together is one finding per sequence ("hyperintense on both
        # T1WI and T2WI")
        own = _own_sequences(m, ms, text)
        # one finding per sequence that names one ("T2 weighted fat suppressed": the T2 hypointensity only)
        said_on: list[Curie | None] = [n.concept for n in own if _signal_on(m.concept, n.concept, onto)]
        if partner is not None:
            partner.signal = partner.signal or m.concept
        for seq in said_on or [None]:
            d = _Draft(m, Curie("rg:SignalFinding"), rule="signal-finding", signal=m.concept, partner=partner)
            if seq is not None:
                d.sequences.append(seq)
                d.own_sequences = True
            elif own:
                d.sequences.extend(n.concept for n in own)
                d.own_sequences = True
            signal_heads.append(d)
    heads.extend(signal_heads)
    sequences = [m for m in ms if m.kind is ConceptKind.SEQUENCE]
    several = len({m.concept for m in sequences}) > 1
    copies: list[tuple[_Draft, _Draft]] = []
    for d in list(signal_heads) if several else []:
        if d.own_sequences:
            continue
        # "T1WI show low signal and T2WI high signal": each signal takes the sequence that introduces it, and
        # sequences named together make one finding each ("on T1 and T2 images the lesion has low signal")
        # only sequences the signal names a finding on count ("T2 fat suppressed": the T2 finding); with none, the
        # signal keeps every sequence of its sentence
        intro = [n for n in _introducing_sequences(d.mention, sequences, text)
                 if d.signal and _signal_on(d.signal, n.concept, onto)]  # fmt: skip
        for k, n in enumerate(intro):
            one = d if k == 0 else _Draft(d.mention, d.concept, rule=d.rule, signal=d.signal, partner=d.partner)
            one.sequences.append(n.concept)
            one.own_sequences = True
            if k:
                signal_heads.append(one)
                heads.append(one)
                copies.append((d, one))
    enhancement_heads: list[_Draft] = []
    unplaced: list[Mention] = []
    for m in ms:
        kind = m.kind
        if kind in (ConceptKind.SEQUENCE, ConceptKind.MODALITY):
            for h in targets + signal_heads:
                if kind is ConceptKind.SEQUENCE and h.own_sequences:
                    continue
                (h.sequences if kind is ConceptKind.SEQUENCE else h.modalities).append(m.concept)
            continue
        if kind is ConceptKind.ENHANCEMENT:
            h = near(m)
            verbal = bool(_VERBAL_ENHANCEMENT.fullmatch(m.text.lower()))
            # a verb with a finding as its subject is a finding of its own when it is negated
            # ("the lesion does not enhance") or a textbook statement ("active lesions enhance")
            standalone = verbal and (m.concept == "rg:NonEnhancing" or m.subject is Subject.GENERIC)
            if _NOMINAL_ENHANCEMENT.search(m.text) or standalone or (h is None and previous() is None):
                d = _Draft(m, Curie("rg:ContrastEnhancement"), rule="enhancement-finding", enhancement=m.concept)
                if h is not None:
                    d.sites.extend(h.sites)
                heads.append(d)
                enhancement_heads.append(d)
                if h is not None:
                    h.enhancement = h.enhancement or m.concept
                continue
            h = h or previous()
            if h is not None:
                h.enhancement = h.enhancement or m.concept
            continue
        if kind not in (ConceptKind.SITE, ConceptKind.LATERALITY, ConceptKind.CHRONICITY):
            continue
        h = near(m) or (_nearest(text, m, signal_heads) if signal_heads else None)
        if h is None:
            unplaced.append(m)
            continue
        _qualify(h, m)
    # with no other finding in reach, a site or side describes a standalone enhancement ("areas of enhancement
    # in the liver")
    for m in unplaced:
        e = _nearest(text, m, enhancement_heads) if enhancement_heads else None
        if e is not None and _gap(text, m, e.mention) <= _ATTACH_WINDOW:
            _qualify(e, m)
    for d, one in copies:  # a finding per sequence is one place
        one.sites, one.laterality, one.modalities = list(d.sites), list(d.laterality), list(d.modalities)
    for sh in signal_heads:
        if sh.partner is not None:
            sh.sites.extend(sh.partner.sites)
            sh.sites.extend(implied_qualifiers(sh.partner.concept, onto).get("rg:locatedIn", []))
            sh.laterality.extend(sh.partner.laterality)
        if not sh.sequences and not sh.modalities:
            sh.sequences.extend(carried)
    # the one organ or joint an examination covers places the findings it shows that have no site of their own ("a
    # radiograph of the hip shows no fracture"); a body region is too broad to place them ("chest CT")
    if len(regions) == 1 and regions[0] not in _BROAD_REGIONS and not onto.is_a(regions[0], "rg:BodyRegion"):
        for h in plain:
            if not h.sites:
                h.sites.append(regions[0])
    elided = _elided_heads(plain, ms, text, onto)
    # a coordinated site whose words name a finding of the lexicon is that finding ("pleural or pericardial effusion")
    spans = {(e.mention.start, e.mention.end) for e in elided}
    for c in coordinated:
        if (c.mention.start, c.mention.end) in spans:
            continue
        heads.append(c)  # its site is its only one, and not the head's it shares ("an epidural or paravertebral mass")
        for h in plain:
            if h.mention.end == c.mention.end and c.sites[0] in h.sites:
                h.sites.remove(c.sites[0])
    heads.extend(elided)
    heads.extend(_split_by_site(plain, ms, text, onto))
    heads.extend(_predicates(plain, ms, text, onto))
    heads.extend(_posterior_elements(heads, ms, text, onto))
    heads.extend(_coordinated_sequences(plain, ms, text, onto))
    _share_symptom_site(heads, text)
    _share_object(heads, text)
    heads = [h for h in heads if not _said_as_or_by(h, heads, text, onto)
             and not (h.concept == "rg:CorticalThinning" and _in_lymph_node(h, onto))]  # fmt: skip
    for h in heads:
        _deny_with_subject(h, ms, text)
    return [h for h in heads if not _idle_participle(h, heads, ms, text, onto)
            and not _anatomic_course(h, heads, ms, text)]  # fmt: skip


def _in_lymph_node(d: _Draft, onto: Ontology) -> bool:
    """Tell whether a finding is placed in a lymph node: "nodes ... with thin cortices" is a normal node, no bone."""
    return any(x in onto and onto.is_a(x, "rg:LymphNode") for x in d.sites)


#: A copula between a structure and the participle said of it ("no other vertebra is enlarged").
_COPULA_BEFORE = re.compile(r"^\s+(?:is|are|was|were)\s+(?:[a-z]+ly\s+)?$", re.I)


def _deny_with_subject(d: _Draft, ms: Sequence[Mention], text: str) -> None:
    """A participle said of a structure that "no" denies is denied too: "no other vertebra is enlarged".

    The negation's scope ends at the copula, so the participle alone would read as present.
    """
    m = d.mention
    if m.assertion is not Assertion.PRESENT or m.rule_id != "lexicon:rule" or m.text.lower() not in _PARTICIPLES:
        return
    subject = next((s for s in reversed(ms) if s.kind is ConceptKind.SITE and s.end <= m.start
                    and _COPULA_BEFORE.match(text[s.end : m.start])), None)  # fmt: skip
    if subject is not None and subject.assertion is Assertion.ABSENT:
        d.mention = replace(m, assertion=Assertion.ABSENT)


def _said_as_or_by(d: _Draft, heads: Sequence[_Draft], text: str, onto: Ontology) -> bool:
    """Tell whether a named signal finding after "as" or "by" only describes the finding before it, and qualify that.

    "Replacement of the normal marrow by low T1 signal": the marrow replacement, low on T1.
    """
    m = d.mention
    if d.rule != "lexicon" or not onto.is_a(d.concept, "rg:SignalFinding") or d.concept == "rg:SignalFinding":
        return False
    if not _AS_OR_BY.search(text[max(0, m.start - 30) : m.start]):
        return False
    before = [h for h in heads if h is not d and h.mention.end <= m.start and _gap(text, h.mention, m) <= _ATTACH_WINDOW
              and not onto.is_a(h.concept, "rg:SignalFinding")]  # fmt: skip
    if not before:
        return False
    implied = implied_qualifiers(d.concept, onto)
    if not implied.get("rg:hasSignal"):
        return False  # "demonstration of fat by chemical shift artifact": a sign named, not a signal
    partner = before[-1]
    partner.signal = partner.signal or implied["rg:hasSignal"][0]
    partner.sequences.extend(s for s in implied.get("rg:observedOn", []) if s not in partner.sequences)
    if not partner.sites:  # "... by low T1 signal throughout the vertebral body": where the finding is
        partner.sites.extend(d.sites)
        partner.laterality.extend(x for x in d.laterality if x not in partner.laterality)
    return True


#: Findings that, placed in a pedicle, lamina or other part of the vertebral arch, involve the posterior elements.
_ARCH_INVOLVERS = ("rg:Lesion", "rg:BoneDestruction", "rg:SignalFinding", "rg:BoneMarrowAbnormality")


def _posterior_elements(heads: Sequence[_Draft], ms: Sequence[Mention], text: str, onto: Ontology) -> list[_Draft]:
    """Posterior element involvement by a lesion, destruction or marrow signal placed in the vertebral arch.

    "Low T1 signal throughout the vertebral body, the left pedicle and the left lamina": the arch is involved, which
    favours a tumour over an osteoporotic fracture. The finding spans the parts of the arch that are named.
    """
    out: list[_Draft] = []
    done: set[tuple[int, int]] = set()
    for h in heads:
        if h.mention.anaphoric or onto.is_a(h.concept, "rg:PosteriorElementInvolvement"):
            continue
        if not any(onto.is_a(h.concept, k) for k in _ARCH_INVOLVERS):
            continue
        if h.concept == "rg:SignalFinding" and not h.signal:
            continue
        parts = [m for m in ms if m.kind is ConceptKind.SITE and m.concept in h.sites
                 and satisfies(m.concept, "rg:VertebralArch", LOCATED_IN, onto)]  # fmt: skip
        if not parts:
            continue
        span = (parts[0].start, parts[-1].end)
        if span in done:
            continue
        done.add(span)
        out.append(_offshoot(h, span[0], span[1], Curie("rg:PosteriorElementInvolvement"), "posterior-elements",
                             [m.concept for m in parts], list(h.laterality), text))  # fmt: skip
    return out


#: Between two verbs with one object: "and" and an adverb ("compresses and posteriorly displaces the root").
_VERB_AND = re.compile(r"^\s*,?\s+and\s+(?:[a-z]+ly\s+)?$", re.I)


def _share_object(heads: list[_Draft], text: str) -> None:
    """Give a finding verb with no site the site of the verb it is coordinated with (they share the object).

    "It compresses and posteriorly displaces the traversing left L5 nerve root": the root is compressed too.
    """
    verbs = sorted((h for h in heads if h.mention.rule_id == "lexicon:rule" and " " not in h.mention.text.strip()
                    and h.rule == "lexicon"), key=lambda d: d.mention.start)  # fmt: skip
    for h, n in zip(verbs, verbs[1:], strict=False):
        if h.sites or not n.sites or not _VERB_AND.match(text[h.mention.end : n.mention.start]):
            continue
        _take_place(h, n)


#: Symptom adjectives that say where they are through the noun they qualify ("a painless lump in her left breast").
_SYMPTOM_ADJECTIVES = frozenset({"painful", "painless", "tender", "nontender", "non-tender"})
#: Between such an adjective and its noun: other adjectives and commas ("painful, erythematous, swollen knee").
_ADJECTIVE_GAP = re.compile(r"^[\s,]*(?:(?:and\s+)?[a-z-]+[\s,]+){0,3}$", re.I)


def _share_symptom_site(heads: list[_Draft], text: str) -> None:
    """Give a symptom adjective with no site the site and side of the finding it qualifies."""
    for h in heads:
        if h.sites or h.mention.text.lower() not in _SYMPTOM_ADJECTIVES:
            continue
        after = [n for n in heads if n.mention.start >= h.mention.end and n is not h]
        if not after:
            continue
        n = min(after, key=lambda d: d.mention.start)
        if n.sites and _ADJECTIVE_GAP.match(text[h.mention.end : n.mention.start]):
            _take_place(h, n)


def _take_place(h: _Draft, n: _Draft) -> None:
    """Give a finding with no site the sites of another, and its side unless it has one."""
    h.sites.extend(n.sites)
    if not h.laterality:
        h.laterality.extend(n.laterality)


#: Regions too broad to place a finding an examination of them shows.
_BROAD_REGIONS = ("rg:BodyRegion", "rg:Spine")  # the whole spine; a segment of it ("thoracic spine") places one
#: Between a modality and the region it images ("CT of the chest", "MRI through the pelvis").
_EXAM_OF = re.compile(r"^\s+(?:(?:of|through)\s+(?:the\s+)?)?$", re.I)
#: Between two regions of one examination ("CT of the chest, abdomen and pelvis", "CT abdomen/pelvis").
_EXAM_LINK = re.compile(r"^\s*(?:/|&|,\s*(?:and\s+)?|and\s+)\s*(?:the\s+)?$", re.I)
#: Between a region and the modality that images it ("abdominal US", "chest CT").
_EXAM_BEFORE = re.compile(r"^[\s-]*$")


#: A signal, density or echo word, then "to" / "than" / "relative to" before a tissue it is compared with
#: ("isointense to muscle", "hypoattenuating relative to muscle", "brighter than CSF", "enhances less than the
#: normal gland").
_REFERENCE = re.compile(
    r"(?:intens\w*|attenuat\w*|dens\w*|echoic\w*|signal|bright\w*|dark\w*|similar|equal|enhanc\w*\s+(?:less|more)"
    r"(?:\s+avidly)?)\s+"
    r"(?:(?:to|than|with|relative\s+to|compared\s+(?:to|with)|with\s+respect\s+to)\s+)"
    r"(?:(?:that\s+of|those\s+of)\s+)?(?:the\s+)?(?:(?:adjacent|normal|surrounding|skeletal|nearby)\s+)?$",
    re.I,
)


def _reference_tissue(m: Mention, text: str) -> bool:
    """Tell whether a site is a reference or a landmark, not where a finding is.

    A tissue a signal is compared with ("isointense to muscle"), or a landmark a finding lies beside ("a mass
    anterior to the transverse colon").
    """
    if m.kind is not ConceptKind.SITE:
        return False
    before = text[max(0, m.start - 60) : m.start]
    return bool(_REFERENCE.search(before) or _LANDMARK.search(before))


#: A direction from a landmark: what lies "anterior to the colon" or "lateral to the vein" is not in it.
_LANDMARK = re.compile(
    r"\b(?:(?:anterior|posterior|lateral|medial|superior|inferior|cephalad|caudal|ventral|dorsal)(?:ly)?\s+to|abutting)"
    r"\s+(?:the\s+)?(?:[A-Za-z-]+\s+){0,2}$",
    re.I,
)


def _exam_sites(ms: Sequence[Mention], text: str) -> set[int]:
    """The site mentions that name what an examination covers ("CT of the chest, abdomen and pelvis", "abdominal US").

    They place no finding: the mass the CT of the abdomen shows is where the text says, not in the abdomen.
    """
    out: set[int] = set()
    for i, m in enumerate(ms):
        if m.kind is not ConceptKind.MODALITY:
            continue
        prev = ms[i - 1] if i else None
        if prev is not None and prev.kind is ConceptKind.SITE and _EXAM_BEFORE.match(text[prev.end : m.start]):
            out.add(id(prev))
        out.update(id(n) for n in _run_after(m, ms[i + 1 :], ConceptKind.SITE, _EXAM_OF, _EXAM_LINK, text))
    return out


#: A site named on both sides at once ("bibasilar atelectasis", "biapical scarring").
_BOTH_SIDES = re.compile(r"bi(?:basilar|basal|apical)\b", re.I)


def _qualify(h: _Draft, m: Mention) -> None:
    """Attach a site, side or chronicity mention to a draft."""
    if m.kind is ConceptKind.SITE:
        h.sites.append(m.concept)
        if _BOTH_SIDES.match(m.text):  # "bibasilar", "biapical": both sides
            h.laterality.append(Curie("rg:Bilateral"))
    elif m.kind is ConceptKind.LATERALITY:
        h.laterality.append(m.concept)
    else:
        h.chronicity = h.chronicity or m.concept


#: Parts of a lesion that have a signal of their own ("the periphery is hyperintense", "a hypointense core").
_PARTS = (
    r"(?:periphery|peripheral\s+(?:rim|portion|part|zone)|cent(?:re|er)|core|rim|margin|wall|marrow|component"
    r"|portion)"
)
_PART_SUBJECT = re.compile(
    rf"\b(?:the|its|a|an)\s+(?:[a-z]+\s+)?{_PARTS}\s+(?:is|are|remains?|becomes?|appears?)\s+(?:[a-z]+ly\s+)?"
    r"(?:(?:iso|intermediate|low|high)\w*\s*-?\s*(?:to|or)\s*-?\s*)?$",
    re.I,
)
_PART_AFTER = re.compile(rf"^\s*-?\s*(?:signal\s+)?(?:[a-z]+\s+)?{_PARTS}s?\b", re.I)


def _signal_of_a_part(text: str, m: Mention) -> bool:
    """Tell whether a signal word describes a part of a lesion rather than the lesion.

    Such a signal is a finding of its own: "on T2WI the periphery is hyperintense" (said of the
    part), "a thick hyperintense peripheral rim" (before the part's name).
    """
    before = text[max(0, m.start - 60) : m.start]
    return bool(_PART_SUBJECT.search(before) or _PART_AFTER.match(text[m.end : m.end + 30]))


#: "<finding> is / are [adverbs] [other adjectives,] <descriptor>": a descriptor said of a finding.
_COPULA = re.compile(
    r"^\s+(?:is|are|was|were|appears?|appeared|remains?|remained|seems?|becomes?)\s+"
    r"(?:(?:[a-z]+ly|more|less|often|also|not|mostly|predominantly|both)\s+)*"
    r"(?:[\w-]+(?:\s*,\s*|\s+(?:and|or)\s+|\s+))*$",
    re.I,
)


#: A descriptor of a finding's outline after "with": "a mass with spiculated margins" is a spiculated mass.
_WITH_OUTLINE = re.compile(r"^\s+(?:with|has|have|had|shows?|showed|demonstrates?|demonstrated)\s+$", re.I)
_OUTLINE = re.compile(r"\b(?:margins?|borders?|contours?|outlines?|edges?)$", re.I)

#: Kinds of words that, said of a finding, can name a more specific finding ("the lesion is hyperdense").
PREDICATE_KINDS = frozenset({ConceptKind.DESCRIPTOR, ConceptKind.SIGNAL, ConceptKind.ENHANCEMENT})


def _predicates(heads: Sequence[_Draft], ms: Sequence[Mention], text: str, onto: Ontology) -> list[_Draft]:
    """Findings a descriptor names when it is said of a finding ("the mass is necrotic" → a necrotic mass).

    The descriptor and the finding's head word must form a term of the lexicon ("necrotic mass"),
    more specific than the finding; the new finding keeps the descriptor's span and context.
    """
    out: list[_Draft] = []
    for m in ms:
        if m.kind not in PREDICATE_KINDS:
            continue
        head = next((h for h in reversed(heads) if h.mention.end <= m.start
                     and (_COPULA.match(text[h.mention.end : m.start])
                          or (_WITH_OUTLINE.match(text[h.mention.end : m.start]) and _OUTLINE.search(m.text)))),
                    None)  # fmt: skip
        if head is None or len(_WORD.findall(text[head.mention.end : m.start])) > _ATTACH_WINDOW:
            continue
        word = head.mention.text.split()[-1] if head.mention.text else ""
        lesion = onto.is_a(head.concept, "rg:Lesion")
        nouns = (word.lower(), onto.label(head.concept).split()[-1]) + (("mass", "lesion") if lesion else ())
        said = _OUTLINE.sub("", m.text).strip().lower() or m.text.lower()  # "spiculated margins": "spiculated"
        for noun in dict.fromkeys(nouns):
            c = onto.lookup(f"{said} {noun}", strict=False)
            if not c or c == head.concept or onto.kind(c) is not ConceptKind.FINDING or onto.is_a(head.concept, c):
                continue
            if onto.is_a(c, head.concept) or (lesion and onto.is_a(c, "rg:Lesion")):
                out.append(_Draft(m, c, rule="predicate", sites=list(head.sites), laterality=list(head.laterality)))
                break
    return out


#: What may stand between two descriptions of one thing: a comma, "and", an adverb or participle ("purely lytic,
#: expansile"). Not "or": "fracture or dislocation" names two alternatives, not a fracture-dislocation.
_JOINER = re.compile(r"^[\s,]*(?:and\s+)?(?:[A-Za-z-]+(?:ed|ly)\s*)?$")


#: The end of a finding's words that describe rather than name ("expansile", "lytic"): only such a word is merged
#: with the next finding across a comma; "pneumothorax, pleural effusion" is a list of two.
_ADJECTIVE_END = re.compile(r"(?:ic|ile|ed|al|ous|ive|ar|ant|ent|ing)$", re.I)


def _merge_adjacent(heads: list[_Draft], text: str, onto: Ontology) -> list[_Draft]:
    """Merge two findings of one noun phrase into the concept that is a kind of both.

    "an expansile, multiloculated lytic lesion" names an expansile lytic lesion, not an expansile
    lesion and a lytic lesion; "purely lytic, expansile" likewise.
    """
    out: list[_Draft] = []
    for d in heads:
        prev = out[-1] if out else None
        if (
            prev is not None
            and not prev.mention.anaphoric
            and prev.mention.end <= d.mention.start
            and prev.concept != d.concept
            and _JOINER.match(text[prev.mention.end : d.mention.start])
            and ("," not in text[prev.mention.end : d.mention.start] or _ADJECTIVE_END.search(prev.mention.text))
        ):
            common = sorted(
                c
                for c in set(onto.children(prev.concept)) & set(onto.children(d.concept))
                if not onto.is_a(c, "rg:NamedSign")
            )
            if not common and _kind_word(prev, d, text, onto):
                common = [prev.concept]  # "a lytic mass": a lytic lesion, not a lytic lesion and a mass
            if common:
                m = prev.mention
                merged = replace(m, end=d.mention.end, text=text[m.start : d.mention.end], plural=d.mention.plural)
                out[-1] = _Draft(merged, common[0], rule="merged-adjacent")
                continue
        out.append(d)
    return out


def _kind_word(prev: _Draft, d: _Draft, text: str, onto: Ontology) -> bool:
    """Tell whether a kind of lesion ("lytic", "fat density") is said as the adjective of a bare lesion noun."""
    m = prev.mention
    return (
        d.concept in _BARE
        and prev.concept not in _BARE
        and onto.is_a(prev.concept, "rg:Lesion")
        and not text[m.end : d.mention.start].strip()
    )


_COORDINATOR = re.compile(r"^\s*(?:,|,?\s*(?:and|or))\s*$", re.I)


def _coordinated(heads: list[_Draft], ms: Sequence[Mention], text: str, onto: Ontology) -> list[_Draft]:
    """Findings that share a site-specific head with a coordinated site before it.

    "an epidural or paravertebral mass" names an epidural mass as well as a paravertebral one;
    "marrow and soft-tissue oedema" a marrow oedema as well as a soft-tissue one.
    """
    out: list[_Draft] = []
    sites: list[Mention] | None = None
    for h in heads:
        d = onto.definition_of(h.concept)
        if d is None or not any(r.prop == "rg:locatedIn" for r in d.restrictions):
            continue
        if sites is None:
            sites = [m for m in ms if m.kind is ConceptKind.SITE]
        s = next(
            (m for m in sites if m.end <= h.mention.start and _COORDINATOR.match(text[m.end : h.mention.start])), None
        )
        if s is None or any(satisfies(s.concept, r.filler, r.prop, onto) for r in d.restrictions):
            continue
        # the head must open with its own site word, as the coordinated site does ("paravertebral mass")
        first = onto.lookup(h.mention.text.split()[0], strict=False)
        if first is None or onto.kind(first) is not ConceptKind.SITE:
            continue
        extra = _Draft(replace(h.mention, start=s.start), d.base, rule="coordinated-site")
        extra.sites.append(s.concept)
        out.append(extra)
    return out


#: Between two coordinated sites: a comma or "and" / "or", and up to two words ("hilar, subcarinal and right lower
#: paratracheal").
_SITE_LINK = re.compile(r"^\s*(?:,\s*(?:(?:and|or|&)\s+)?|(?:and|or|&)\s+)(?:the\s+)?(?:[a-z-]+\s+){0,2}$", re.I)
#: Between the last coordinated site and the head after it ("rib or vertebral destruction", "upper zone nodules").
_SITE_TO_HEAD = re.compile(r"^[\s-]*(?:(?!(?:and|or|of|in|with|the|a|an|to|from|by)\b)[a-z]+[\s-]+){0,2}$", re.I)
#: Between a head and the first coordinated site after it ("lesions in the liver and spleen").
_HEAD_TO_SITE = re.compile(r"^\s+(?:of|in|within|involving|at)\s+(?:the\s+)?(?:[a-z-]+\s+){0,2}$", re.I)


def _site_chain(h: _Draft, sites: Sequence[Mention], text: str) -> list[Mention]:
    """The sites named together with a head, each in its own place, or [] when there are fewer than two.

    "hilar, subcarinal and paratracheal lymphadenopathy" and "lesions in the liver and spleen" name one
    site each for a finding of one kind; only sites attached to the head count.
    """
    own = [s for s in sites if s.concept in h.sites and not (h.mention.start <= s.start < h.mention.end)]
    before = [s for s in own if s.end <= h.mention.start]
    after = [s for s in own if s.start >= h.mention.end]
    chain: list[Mention] = []
    if before and _SITE_TO_HEAD.match(text[before[-1].end : h.mention.start]):
        chain = [before[-1]]
        for s in reversed(before[:-1]):
            if not _SITE_LINK.match(text[s.end : chain[0].start]):
                break
            chain.insert(0, s)
    elif after and _HEAD_TO_SITE.match(text[h.mention.end : after[0].start]):
        chain = [after[0]]
        for s in after[1:]:
            if not _SITE_LINK.match(text[chain[-1].end : s.start]):
                break
            chain.append(s)
    return chain if len({s.concept for s in chain}) > 1 else []


def _split_by_site(heads: Sequence[_Draft], ms: Sequence[Mention], text: str, onto: Ontology) -> list[_Draft]:
    """Findings of other kinds that coordinated sites name with one head.

    "hilar and mediastinal lymphadenopathy" names a hilar and a mediastinal lymphadenopathy, "rib or vertebral
    destruction" a rib destruction and a vertebral one. The head keeps the first site's kind; each other kind is a
    finding of its own with its sites. Sites that name one kind ("collapse of T10 and T11") stay on one finding.
    """
    sites = [m for m in ms if m.kind is ConceptKind.SITE]
    out: list[_Draft] = []
    for h in heads:
        if h.rule != "lexicon" or h.mention.anaphoric:
            continue
        chain = _site_chain(h, sites, text)
        if not chain:
            continue
        named = {s.concept for s in chain}
        rest = [s for s in h.sites if s not in named]
        kinds: dict[Curie, list[tuple[Mention, Curie]]] = {}
        for s in chain:
            site = _elided_site(s, chain[-1], onto)
            kinds.setdefault(refine(h.concept, {"rg:locatedIn": [site]}, onto).curie, []).append((s, site))
        if len(kinds) < 2:
            continue
        groups = list(kinds.values())
        h.sites = [site for _, site in groups[0]] + rest
        for group in groups[1:]:
            lo, hi = min(h.mention.start, group[0][0].start), max(h.mention.end, group[-1][0].end)
            sides = [c for m, _ in group for c in _own_sides(m, ms, text)]
            out.append(_offshoot(h, lo, hi, h.concept, "coordinated-site", [site for _, site in group],
                                 _take_sides(h, sides), text))  # fmt: skip
    return out


def _offshoot(
    h: _Draft, start: int, end: int, concept: Curie, rule: str, sites: list[Curie], laterality: list[Curie], text: str
) -> _Draft:
    """A finding split off a head over text[start:end], with the head's sequences and modalities."""
    mention = replace(h.mention, start=start, end=end, text=text[start:end])
    return replace(h, mention=mention, concept=concept, rule=rule, sites=sites, laterality=laterality,
                   sequences=list(h.sequences), modalities=list(h.modalities))  # fmt: skip


#: Between a side and the site it qualifies: up to two words, no list break ("right lower paratracheal").
_SIDE_TO_SITE = re.compile(r"^\s+(?:[a-z-]+\s+){0,2}$", re.I)


def _own_sides(item: Mention, ms: Sequence[Mention], text: str) -> list[Curie]:
    """The sides named right before one item of a list ("bilateral hilar and right paratracheal": right)."""
    return [
        m.concept
        for m in ms
        if m.kind is ConceptKind.LATERALITY and m.end <= item.start
        and _SIDE_TO_SITE.match(text[m.end : item.start]) and not _AND.search(text[m.end : item.start])
    ]  # fmt: skip


def _take_sides(h: _Draft, sides: Sequence[Curie]) -> list[Curie]:
    """The sides of a finding split off a head: its items' own sides, which the head then loses."""
    for c in sides:
        if c in h.laterality:
            h.laterality.remove(c)
    return list(sides)


#: Between a descriptor and the head it shares with the next one: a coordinator and up to three words ("cystic or
#: necrotic areas", "centrilobular and subpleural upper zone nodules").
_ELIDED_LINK = re.compile(
    r"^\s*,?\s*(?:and|or|/)\s*"
    r"(?:(?!(?:with|without|no|not|nor|the|an?|of|in|on|at|to|from|by|both|causes?|caused|is|are|was|were|has|have|associated"
    r"|and|or)\b)[\w-]+\s+){0,3}$",
    re.I,
)
#: Before a site that ends a list or is the object of a preposition ("of the liver and kidney and cysts", "of the
#: femoral neck, and compression fractures"): a noun, no adjective of the head after it.
_LIST_BEFORE = re.compile(r"(?:,|\b(?:and|or|of|in|at|to|from|into|within|on))\s*(?:the\s+)?$", re.I)


def _elided_heads(heads: Sequence[_Draft], ms: Sequence[Mention], text: str, onto: Ontology) -> list[_Draft]:
    """Findings a descriptor names with the head of the next finding ("cystic or necrotic areas": cystic areas too).

    The descriptor and the head's noun must form a finding of the lexicon that is neither a kind of the head's
    finding nor its parent. A list of them shares the head too ("no mediastinal, hilar or axillary
    lymphadenopathy").
    """
    out: list[_Draft] = []
    for h in heads:
        if h.rule != "lexicon" or h.mention.anaphoric:
            continue
        before = [m for m in ms if m.end <= h.mention.start and _elidable(m)]
        x = next((m for m in reversed(before) if _ELIDED_LINK.match(text[m.end : h.mention.start])), None)
        if x is None:
            word = _word_elided(h, ms, text, onto)
            if word is not None:
                out.append(word)
            continue
        chain = [x]
        for m in reversed(before[: before.index(x)]):
            if not _LIST_LINK.match(text[m.end : chain[0].start]):
                break
            chain.insert(0, m)
        first = chain[0]
        if first.kind is ConceptKind.SITE and _LIST_BEFORE.search(text[max(0, first.start - 12) : first.start]):
            continue
        words = h.mention.text.split()
        own = refine(h.concept, {"rg:locatedIn": h.sites}, onto).curie
        for x in chain:
            for phrase in dict.fromkeys((f"{x.text} {h.mention.text}", f"{x.text} {' '.join(words[1:])}",
                                         f"{x.text} {words[-1]}")):  # fmt: skip
                c = onto.lookup(phrase, strict=False) if phrase.strip() != x.text else None
                if c is None or onto.kind(c) is not ConceptKind.FINDING:
                    continue
                if c != own and not onto.is_a(c, own) and not onto.is_a(own, c):
                    lo = x.start
                    if x.kind is ConceptKind.SITE and x.concept in h.sites:
                        h.sites.remove(x.concept)  # the site is the other finding's
                    site = x.kind is ConceptKind.SITE
                    if not site and len(chain) == 1:
                        _either(h, text[x.end : h.mention.start])
                    out.append(_offshoot(h, lo, h.mention.end, c, "coordinated-descriptor",
                                         [x.concept] if site else list(h.sites),
                                         _take_sides(h, _own_sides(x, ms, text)) if site else list(h.laterality),
                                         text))  # fmt: skip
                break
    return out


#: A plain word and the coordinator right before a head ("cytotoxic and vasogenic oedema").
_WORD_BEFORE = re.compile(r"\b([A-Za-z][a-z-]{3,})\s*,?\s+(?:and|or)\s+$")


def _word_elided(h: _Draft, ms: Sequence[Mention], text: str, onto: Ontology) -> _Draft | None:
    """A finding named by a word of no mention of its own with the head after it ("cytotoxic and vasogenic oedema").

    The word and the head's last noun must name a finding of the lexicon, a sibling of the head's finding (a kind of
    one parent, neither a kind of the other).
    """
    lo = max(0, h.mention.start - 40)
    m = _WORD_BEFORE.search(text, lo, h.mention.start)
    if m is None or any(x.start < m.end(1) and m.start(1) < x.end for x in ms):
        return None
    words = h.mention.text.split()
    if len(words) < 2:
        return None
    c = onto.lookup(f"{norm(m.group(1))} {words[-1]}", strict=False)
    own = refine(h.concept, {"rg:locatedIn": h.sites}, onto).curie
    if c is None or onto.kind(c) is not ConceptKind.FINDING or c == own or onto.is_a(c, own) or onto.is_a(own, c):
        return None
    if not set(onto.parents(c)) & set(onto.parents(own)):
        return None
    _either(h, text[m.end(1) : h.mention.start])
    return _offshoot(h, m.start(1), h.mention.end, c, "coordinated-descriptor", list(h.sites), list(h.laterality), text)


#: A word and a slash, "or" or "and" before a disease's name that shares its last words ("small/large bowel
#: obstruction", "typical or atypical carcinoid").
_WORD_BEFORE_CONDITION = re.compile(r"\b([A-Za-z][A-Za-z-]{2,})\s*(?:/|,?\s+(?:and|or)\s+)\s*$")


def _elided_condition(
    m: Mention, concept: Curie, ms: Sequence[Mention], text: str, onto: Ontology
) -> tuple[int, Curie] | None:
    """The other disease a word names with the end of a disease's name: "small" in "small/large bowel obstruction".

    The word has no mention of its own other than a site, and with the name's other words it must name a disease of
    the lexicon other than this one and neither a kind nor a parent of it.
    """
    w = _WORD_BEFORE_CONDITION.search(text, max(0, m.start - 40), m.start)
    words = m.text.split()
    # the word may name a site of its own ("periorbital" in "periorbital / orbital cellulitis"), not anything else
    if w is None or len(words) < 2 or any(
        x.start < w.end(1) and w.start(1) < x.end and x.kind is not ConceptKind.SITE for x in ms
    ):
        return None
    c = onto.lookup(f"{w.group(1)} {' '.join(words[1:])}", strict=False)
    if c is None or onto.kind(c) is not ConceptKind.CONDITION or c == concept:
        return None
    if onto.is_a(c, concept) or onto.is_a(concept, c):
        return None
    return w.start(1), c


#: Words that say a structure is missing: "absence of the septum pellucidum", "absent left kidney".
_MISSING = re.compile(
    r"\b(?:(?:congenital\s+)?absence\s+of|absent|non-?visuali[sz]ation\s+of)\s+(?:the\s+|an?\s+)?"
    r"(?:(?:left|right|bilateral)\s+)?$",
    re.I,
)
#: What may follow a structure's name that ends there (the words of the context stage's ``_absent_structures``).
_NAME_ENDED = re.compile(
    r"(?:\s*[" + re.escape("".join(w for w in NAME_END_WORDS if not w.isalpha())) + r"]|\s+(?:"
    + "|".join(w for w in NAME_END_WORDS if w.isalpha()) + r")\b|\s*$)",
    re.I,
)


def _missing_structure(m: Mention, ms: Sequence[Mention], text: str) -> int | None:
    """Where the words that call a structure missing begin, when a site mention is that structure."""
    if m.kind is not ConceptKind.SITE:
        return None
    w = _MISSING.search(text, max(0, m.start - 50), m.start)
    if w is None or not _NAME_ENDED.match(text, m.end, min(len(text), m.end + 12)):
        return None
    # nothing else is named between the words and the structure but a side
    if any(w.end() <= n.start and n.end <= m.start and n.kind is not ConceptKind.LATERALITY for n in ms):
        return None
    return w.start()


#: Between a word and the longer name whose end it shares ("fatigue or insufficiency type fractures").
_SHARES_END = re.compile(r"^\s*(?:/|,?\s+(?:and|or)\s+)\s*$", re.I)


def _elided_finding_words(ms: Sequence[Mention], text: str, onto: Ontology) -> list[Mention]:
    """Read a one-word finding that shares the end of the finding named after it.

    In "fatigue or insufficiency type fractures", "fatigue" names a fatigue type fracture (a stress fracture), not
    tiredness: with the next name's words after its first, the word must name another finding of the lexicon.
    """
    out = list(ms)
    for i in range(len(ms) - 1):
        m, n = ms[i], ms[i + 1]
        if m.kind is not ConceptKind.FINDING or n.kind is not ConceptKind.FINDING or " " in m.text.strip():
            continue
        words = n.text.split()
        if len(words) < 2 or not _SHARES_END.match(text[m.end : n.start]):
            continue
        c = onto.lookup(f"{m.text} {' '.join(words[1:])}", strict=False)
        if c is None or c in (m.concept, n.concept) or onto.kind(c) is not ConceptKind.FINDING:
            continue
        out[i] = replace(m, concept=c)
    return out


def _either(h: _Draft, link: str) -> None:
    """Make a patient's finding uncertain when a descriptor before it is offered as its alternative.

    "Small cystic or necrotic areas": the reader does not know which they are, so both the cystic and the necrotic
    areas are uncertain (as :func:`_alternatives` does for two findings named in full).
    """
    m = h.mention
    if (m.section is SectionCategory.FINDINGS and m.subject is Subject.PATIENT and m.assertion is Assertion.PRESENT
            and re.search(r"\bor\b", link) and not re.search(r"\band\b", link)):  # fmt: skip
        h.mention = replace(m, assertion=Assertion.UNCERTAIN)


def _elidable(m: Mention) -> bool:
    """A mention that can share the head after it: a site, or a one-word descriptor."""
    return m.kind is ConceptKind.SITE or (m.kind is ConceptKind.DESCRIPTOR and " " not in m.text.strip())


#: Between two items of a list that shares a head ("mediastinal, hilar or axillary").
_LIST_LINK = re.compile(r"^\s*,\s*(?:(?:and|or)\s+)?$|^\s+(?:and|or)\s+$", re.I)


def _elided_site(s: Mention, last: Mention, onto: Ontology) -> Curie:
    """The site a one-word site names with the noun of the last site of its list.

    In "the pancreatic and biliary ducts", "pancreatic" names the pancreatic duct, not the pancreas.
    """
    words = last.text.split()
    if s is last or len(s.text.split()) != 1 or len(words) < 2:
        return s.concept
    c = onto.lookup(f"{s.text} {' '.join(words[1:])}", strict=False)
    return c if c is not None and onto.kind(c) is ConceptKind.SITE else s.concept


def _backs_a_finding(f: Finding, others: Sequence[Finding]) -> bool:
    """Tell whether a measured value only backs a finding the sentence names ("dilated, with an RV/LV ratio of 1.5")."""
    return f.rule_id.startswith(MEASURED_RULE) and any(
        o is not f and o.concept == f.concept and not o.rule_id.startswith(MEASURED_RULE) for o in others
    )


#: What ends the phrase a participle qualifies: a clause break, or a determiner that opens the next noun phrase
#: ("the liver is enlarged and the mass is large").
_CLAUSE_BREAK = re.compile(r"[,;:]|\b(?:the|a|an|this|these|its|their)\b", re.I)


#: A preposition after a participle: what follows is not what the participle describes ("distended with wall
#: thickening").
_PREPOSITION = re.compile(r"\b(?:with|without|by|from|in|at|to|of)\b", re.I)


def _idle_participle(
    d: _Draft, heads: Sequence[_Draft], ms: Sequence[Mention], text: str, onto: Ontology | None = None
) -> bool:
    """Tell whether a participle finding ("enlarged", "dilated") only qualifies another finding or no site."""
    m = d.mention
    if m.rule_id != "lexicon:rule" or m.text.lower() not in _PARTICIPLES:
        return False
    if m.text.lower() == "prominent":
        # "prominent" says enlarged of the lymph nodes or organ it stands before ("mildly prominent mediastinal
        # lymph nodes", "prominent ovaries"); of sulci, vessels, fat or a disease's features it means other things
        return onto is None or not any(
            n.kind is ConceptKind.SITE and n.start >= m.end and _gap(text, m, n) <= 3 and n.concept in onto
            and not _PREPOSITION.search(text[m.end : n.start])
            and (onto.is_a(n.concept, "rg:LymphNode") or onto.is_a(n.concept, "rg:Organ"))
            for n in ms
        )
    after = (h for h in heads if h is not d and not h.mention.rule_id.startswith(MEASURED_RULE))
    # right before a finding it qualifies that finding ("enlarged nodes"); not across a comma ("distended, tender")
    if any(
        h.mention.start >= m.end
        and _gap(text, m, h.mention) <= 2
        and not _CLAUSE_BREAK.search(text[m.end : h.mention.start])
        and not _PREPOSITION.search(text[m.end : h.mention.start])
        for h in after
    ):
        return True
    grows = any(
        n.kind is ConceptKind.FINDING and n.end <= m.start and _BARE_LESION.match(n.text)
        and _GROWS.match(text[n.end : m.start])
        for n in ms
    )
    if m.text in _GROWTH_VERBS:
        return not grows  # "the nodule has grown" is a finding; "a lump that has grown slowly" repeats the lump
    if d.concept == "rg:Enlargement" and grows:
        return False  # a lesion that grows: its growth is the finding ("as the tumour enlarges")
    if m.text.lower() == "narrowed" and _NARROWED_LIST.search(text, max(0, m.start - 120), m.start):
        return True  # "the differential diagnosis can be narrowed by ...": a list, not a lumen
    if m.text.lower() == "opacified" and re.search(r"contrast[- ]?$", text[max(0, m.start - 10) : m.start], re.I):
        return True  # "the contrast-opacified artery": filled with contrast, as it should be
    return d.concept in ("rg:Enlargement", "rg:Dilatation", "rg:MassEffect", "rg:Opacity") and not d.sites


#: A list of possibilities said to be narrowed ("the differential diagnosis can be narrowed by the imaging").
_NARROWED_LIST = re.compile(
    r"\b(?:differential|differentials|possibilities|list)\b(?:\s+(?:diagnosis|diagnoses|of|this|the|a|an|[a-z]+))"
    r"{0,6}\s+(?:(?:can|could|may|might|is|was|are|were|be|been|further|then|significantly|greatly)\s+)*$",
    re.I,
)


#: Words for the growth of a lesion.
_GROWTH = re.compile(r"(?:grew|grows|grown|enlarges|(?:increase[sd]?|increasing)\s+in\s+size)$", re.I)
#: The nouns of a lesion whose growth a verb can state.
_BARE_LESION = re.compile(rf"(?:.*\s)?{_LESION_NOUN}$", re.I)


#: Verbs of spread that name an invasion when a lesion does them ("the mass crosses the midline").
_SUBJECT_PRONOUN = re.compile(r"\b(?:it|they|which|that)\b", re.I)
_SPREAD = re.compile(r"^(?:cross(?:es|ing)?|extend(?:s|ing)?|extension|infiltrat(?:es?|ing)\s+into)\b", re.I)


def _anatomic_course(d: _Draft, heads: Sequence[_Draft], ms: Sequence[Mention], text: str) -> bool:
    """Tell whether a verb of spread describes the course of a structure, not a lesion's spread.

    "The left pulmonary artery crosses the mediastinum": the sentence names a structure before the verb and no
    finding, condition or pronoun.
    """
    m = d.mention
    if not _SPREAD.match(m.text) or any(h is not d and h.mention.end <= m.start for h in heads):
        return False
    before = [n for n in ms if n.end <= m.start]
    if any(n.kind in (ConceptKind.FINDING, ConceptKind.CONDITION) for n in before):
        return False  # "the tumour ... does not extend beyond", "haemorrhage ... extends into"
    opening = text[max(0, m.start - 200) : m.start]
    opening = re.split(r"[.!?:\n]\s", opening)[-1]
    if _SUBJECT_PRONOUN.search(opening):
        return False  # "it extends along the falx without crossing the midline"
    return any(n.kind is ConceptKind.SITE and _gap(text, n, m) <= _ATTACH_WINDOW for n in before)


def _role(m: Mention, section: SectionCategory) -> Role:
    if section is SectionCategory.FINAL_DIAGNOSIS:
        return Role.FINAL
    if section is SectionCategory.DIFFERENTIAL:
        return Role.DIFFERENTIAL
    if m.temporality is Temporality.HISTORICAL:
        return Role.HISTORY
    return Role.MENTIONED


#: A journal citation's year, volume, issue and pages ("2001 Feb;63(4):685-92").
_CITATION = re.compile(
    r"\b(?:19|20)\d{2}(?:\s+[A-Z][a-z]{2,8}(?:\s*\d{1,2})?)?\s*;\s*\d+\s*(?:\([^)]{1,12}\))?\s*:\s*[A-Za-z]?\d+"
)
_CITATION_REACH = 300
_CITATION_SENTENCES = 3
_SENTENCE_END = re.compile(r"[.?!]\s+")


def reference_spans(text: str) -> list[tuple[int, int]]:
    """Spans of *text* that cite the literature ("Smith J. Title. Radiology 2005;235(2):444-53").

    A citation reaches back over its authors, title and journal: three sentence ends, and never
    past the line start, the previous citation or ``_CITATION_REACH`` characters.
    """
    spans: list[tuple[int, int]] = []
    last = 0
    for m in _CITATION.finditer(text):
        start = max(text.rfind("\n", 0, m.start()) + 1, last, m.start() - _CITATION_REACH)
        stops = [s.end() for s in _SENTENCE_END.finditer(text, start, m.start())]
        if len(stops) >= _CITATION_SENTENCES:
            start = stops[-_CITATION_SENTENCES]  # authors, title, journal
        spans.append((start, m.end()))
        last = m.end()
    return spans


#: Words that name a part of an organ whose side is said inside the phrase ("the inferior pole of the right kidney").
_PART_OF_SIDE = re.compile(r"\b((?:[A-Za-z-]+\s+){0,2}[A-Za-z-]+)\s+of\s+the\s+(left|right)\s+$", re.I)


def _sided_parts(ms: Sequence[Mention], text: str, onto: Ontology) -> list[Mention]:
    """Name the part of a paired organ whose side stands between the part and the organ.

    "The inferior pole of the right kidney" is the lower pole of the kidney, on the right; "the upper lobe of the
    left lung" the left upper lobe. The part's mention (or the organ's, when the part has none) names the whole
    phrase; the side's own mention stays.
    """
    out = list(ms)
    for m in ms:
        if m.kind is not ConceptKind.SITE:
            continue
        w = _PART_OF_SIDE.search(text, max(0, m.start - 60), m.start)
        if w is None:
            continue
        side = w.group(2).lower()
        words = list(re.finditer(r"[A-Za-z-]+", w.group(1)))
        for k in range(len(words)):
            lo = w.start(1) + words[k].start()
            part = text[lo : w.end(1)]
            found = next(
                (c for c in (onto.lookup(n, strict=False) for n in (f"{part} of the {m.text}", f"{side} {part}"))
                 if c is not None and c != m.concept and onto.kind(c) is ConceptKind.SITE
                 and satisfies(c, m.concept, LOCATED_IN, onto)),
                None,
            )  # fmt: skip
            if found is None:
                continue
            # the part's own mention, if it has one, names the whole; else the organ's mention does
            own = [x for x in out if x.kind is ConceptKind.SITE and lo <= x.start and x.end <= w.end(1)]
            keep = own[0] if own else m
            out = [replace(x, concept=found) if x is keep else x
                   for x in out if x is keep or (x is not m and x not in own)]  # fmt: skip
            break
    return out


def assemble(
    mentions: Sequence[Mention], text: str, sections: Sequence[Section], onto: Ontology
) -> tuple[list[Finding], list[DiagnosisMention], list[GenericStatement]]:
    """Turn a report's mentions into findings, diagnoses and generic statements.

    Mentions in a citation of the literature (see :func:`reference_spans`) are not read.
    """
    cited = reference_spans(text)
    if cited:
        mentions = [m for m in mentions if not any(a <= m.start < b for a, b in cited)]
    by_sentence: dict[int, list[Mention]] = {}
    for m in sorted(mentions, key=lambda m: (m.start, m.end)):
        by_sentence.setdefault(m.sentence, []).append(m)
    findings: list[Finding] = []
    diagnoses: list[DiagnosisMention] = []
    statements: list[GenericStatement] = []
    earlier: dict[SectionCategory, list[_Draft]] = {}
    carried: dict[SectionCategory, list[Curie]] = {}
    final_seen = False
    topic: list[Curie] = []
    side: dict[SectionCategory, Laterality | None] = {}
    site: dict[SectionCategory, tuple[ConceptRef, ...]] = {}
    topic_sites: list[tuple[Curie, Curie]] = []
    for sent in sorted(by_sentence):
        ms = _sided_parts(by_sentence[sent], text, onto)
        section = ms[0].section
        if section is SectionCategory.FINDINGS:
            ms = _alternatives(ms, text)
        # diagnoses -------------------------------------------------------------------------
        conditions = [m for m in ms if m.kind is ConceptKind.CONDITION]
        refined: dict[int, Curie] = {}
        if section in (SectionCategory.FINAL_DIAGNOSIS, SectionCategory.DIFFERENTIAL) and not conditions:
            conditions = [m for m in ms if m.kind is ConceptKind.FINDING][:1]
            # a finding named as the diagnosis takes its qualifiers ("tear of the Achilles tendon")
            for d in _sentence_findings(ms, text, onto, [], []):
                if conditions and d.mention is conditions[0]:
                    refined[id(d.mention)] = _finalize(d, onto, text).concept
        sentence_dx: list[Curie] = []
        if section not in SKIP_DIAGNOSES:
            for m in conditions:
                concept = refined.get(id(m), m.concept)
                sentence_dx.append(concept)
                if m.subject is Subject.GENERIC:
                    continue
                role = _role(m, section)
                if role is Role.FINAL:
                    if final_seen:
                        role = Role.HISTORY if m.temporality is Temporality.HISTORICAL else Role.MENTIONED
                    final_seen = True
                diagnoses.append(
                    DiagnosisMention(
                        concept, onto.label(concept), role, m.assertion, section, text[m.start : m.end], m.start, m.end,
                        m.subject,
                    )
                )
                other = _elided_condition(m, concept, ms, text, onto)
                if other is not None:
                    lo, c = other
                    diagnoses.append(DiagnosisMention(c, onto.label(c), role, m.assertion, section, text[lo : m.end],
                                                      lo, m.end, m.subject))  # fmt: skip
        if sentence_dx:
            topic = sentence_dx
        # findings --------------------------------------------------------------------------
        if section in SKIP_FINDINGS:
            continue
        prior = earlier.setdefault(section, [])
        drafts = _sentence_findings(ms, text, onto, prior, carried.get(section, []))
        seqs = [m.concept for m in ms if m.kind is ConceptKind.SEQUENCE]
        if seqs:
            carried[section] = seqs
        prior.extend(drafts)
        finished = [_finalize(d, onto, text) for d in drafts]
        if TOPIC_REFINE and section is SectionCategory.DISCUSSION:
            finished = [_topic_refine(f, topic_sites, onto) for f in finished]
        sentence_findings = [
            f for f in finished
            if not (f.subject is Subject.GENERIC and f.concept in _BARE and not f.sites and f.signal is None
                    and not _DESCRIBED.search(text, max(0, f.start - 40), f.start))
            and not _names_a_class(f, text, onto)
        ]
        sentence_findings = [f for f in sentence_findings if not _backs_a_finding(f, sentence_findings)]
        sentence_findings = _carry_laterality(sentence_findings, side, section, onto)
        sentence_findings = _carry_site(sentence_findings, site, section, onto)
        findings.extend(sentence_findings)
        if section is SectionCategory.FINDINGS:
            for f in sentence_findings:
                if f.subject is Subject.PATIENT and f.assertion is Assertion.PRESENT:
                    topic_sites.extend((f.concept, s.concept) for s in f.sites)
        generic = [f for f in sentence_findings if f.subject is Subject.GENERIC]
        if generic or any(m.subject is Subject.GENERIC for m in conditions):
            lo = min(m.start for m in ms)
            hi = max(m.end for m in ms)
            statements.append(
                GenericStatement(lo, hi, text[lo:hi], tuple(_uniq(sentence_dx or topic)), tuple(generic))
            )
    diagnoses = _dedupe(_organ_differentials(diagnoses, topic_sites, onto))
    return findings, diagnoses, statements


#: Classes too broad to say where a disease is ("neoplasm", "disease").
_UNPLACED = frozenset({"rg:Disease", "rg:Neoplasm", "rg:MalignantNeoplasm", "rg:BenignNeoplasm", "rg:Condition"})


def _site_named(curie: Curie, onto: Ontology, memo: dict[Hashable, Any]) -> Curie | None:
    """The site that opens a class's name, if the rest of the name is a parent's name ("brain metastasis")."""
    key = ("site-named", curie)
    if key not in memo:
        found: Curie | None = None
        label = onto.label(curie).lower()
        for p in onto.parents(curie):
            head = onto.label(p).lower()
            if label.endswith(" " + head):
                site = onto.lookup(label[: -len(head)].strip(), strict=False)
                if site is not None and onto.kind(site) is ConceptKind.SITE:
                    found = site
                    break
        memo[key] = found
    return memo[key]  # type: ignore[no-any-return]


def _organ_classes(curie: Curie, onto: Ontology, memo: dict[Hashable, Any]) -> frozenset[Curie]:
    """The ancestors of a disease that are named by a site ("CNS neoplasm", "liver neoplasm")."""
    key = ("organ-classes", curie)
    if key not in memo:
        memo[key] = frozenset(a for a in onto.ancestors(curie, include_self=True)
                              if a not in _UNPLACED and _site_named(a, onto, memo) is not None)  # fmt: skip
    return memo[key]  # type: ignore[no-any-return]


def _organ_differentials(
    diagnoses: list[DiagnosisMention], topic_sites: Sequence[tuple[Curie, Curie]], onto: Ontology
) -> list[DiagnosisMention]:
    """Place a differential diagnosis named without an organ in the organ of the case's final diagnosis.

    A differential is drawn up for the lesion the case is about: "metastasis" in the differential of a meningioma is a
    brain metastasis, and in that of an osteosarcoma a bone metastasis. The organ-named kind of the disease ("brain
    metastasis") must share an organ class ("CNS neoplasm") with the final diagnosis, and its organ must hold some of
    the patient's findings; when two kinds qualify (a brain or a leptomeningeal metastasis), the one whose organ holds
    more of them wins, and a tie keeps the name as written.
    """
    finals = [d.concept for d in diagnoses if d.role is Role.FINAL and d.assertion is Assertion.PRESENT]
    if not finals or not any(d.role is Role.DIFFERENTIAL for d in diagnoses):
        return diagnoses
    memo = onto.memo("organ-differentials")
    organs = frozenset().union(*(_organ_classes(f, onto, memo) for f in finals))
    if not organs:
        return diagnoses
    out: list[DiagnosisMention] = []
    for d in diagnoses:
        if d.role is not Role.DIFFERENTIAL or d.concept in finals or _organ_classes(d.concept, onto, memo) & organs:
            out.append(d)
            continue
        scored: list[tuple[int, int, Curie]] = []
        for child in onto.children(d.concept):
            site = _site_named(child, onto, memo)
            shared = (_organ_classes(child, onto, memo) & organs) - onto.ancestors(d.concept, include_self=True)
            if site is None or not shared or not onto.label(child).lower().endswith(onto.label(d.concept).lower()):
                continue
            held = sum(1 for _, s in topic_sites if s in onto and satisfies(s, site, LOCATED_IN, onto))
            if held:
                scored.append((max(onto.depth(a) for a in shared), held, child))
        best = max(scored, default=None)
        if best is None or sum(1 for x in scored if x[:2] == best[:2]) > 1:
            out.append(d)
            continue
        out.append(replace(d, concept=best[2], label=onto.label(best[2])))
    return out


#: Between two findings offered as alternatives: "or", ", or", "and/or".
_ALTERNATIVE = re.compile(r"^\s*,?\s*(?:and\s*/\s*)?or\s+$", re.I)


def _alternatives(ms: list[Mention], text: str) -> list[Mention]:
    """Findings of the patient offered as alternatives are each uncertain.

    "Low-attenuation areas of necrosis or haemorrhage": the reader does not know which it is. A negation before
    them keeps both absent ("no effusion or pneumothorax"), as does any other assertion the context gave.
    """
    out = ms
    for i in range(len(ms) - 1):
        a, b = ms[i], ms[i + 1]
        if a.kind is not ConceptKind.FINDING or b.kind is not ConceptKind.FINDING:
            continue
        if a.assertion is not Assertion.PRESENT or b.assertion is not Assertion.PRESENT or a.concept == b.concept:
            continue
        if a.subject is not Subject.PATIENT or not _ALTERNATIVE.match(text[a.end : b.start]):
            continue
        if out is ms:
            out = list(ms)
        out[i] = replace(out[i], assertion=Assertion.UNCERTAIN)
        out[i + 1] = replace(b, assertion=Assertion.UNCERTAIN)
    return out


#: Place textbook findings of the discussion with no site of their own where the patient's findings of their kind are.
TOPIC_REFINE = True
#: The kinds placed so. Bare "lesions" and "masses" are left out: placed, they were read as findings where the
#: gold standard has none (precision -0.012, recall +0.002).
TOPIC_BASES = frozenset({"rg:Nodule", "rg:Cyst", "rg:Fracture", "rg:Herniation", "rg:Effusion"})


def _topic_refine(f: Finding, topic_sites: Sequence[tuple[Curie, Curie]], onto: Ontology) -> Finding:
    """A textbook finding with no site takes the place of the patient's findings of its kind.

    In the discussion of a case whose findings include a pulmonary nodule, "nodules" are pulmonary
    nodules; in a case of a splenic cyst, "cysts" are splenic cysts.
    """
    if f.subject is not Subject.GENERIC or f.sites or f.concept not in TOPIC_BASES:
        return f
    kind = [(concept, s) for concept, s in topic_sites if onto.is_a(concept, f.concept)]
    counts: dict[Curie, int] = {}
    for _, s in kind:
        counts[s] = counts.get(s, 0) + 1
    # each site's refinement, scored by how many of the patient's findings of the kind it covers, then by how
    # often the site is named: a compression fracture, an endplate fracture and a retropulsed fragment make
    # "fractures" vertebral fractures, not endplate fractures
    best: tuple[int, int, int] | None = None
    chosen: Curie | None = None
    for rank, s in enumerate(sorted(counts, key=lambda c: -counts[c])):
        m = refine(f.concept, {"rg:locatedIn": [s]}, onto)
        if m.curie == f.concept or not onto.is_a(m.curie, f.concept):
            continue
        covered = sum(1 for concept, _ in kind if onto.is_a(concept, m.curie))
        key = (covered, counts[s], -rank)
        if best is None or key > best:
            best, chosen = key, m.curie
    if chosen is None:
        return f
    own = _own_sites(chosen, onto)
    return replace(f, concept=chosen, label=onto.label(chosen), sites=tuple(_ref(onto, x) for x in own),
                   rule_id=f"{f.rule_id}+topic")  # fmt: skip


#: Single organs that take no side from the section: a left renal mass does not make the spleen or the spinal
#: cord beside it left-sided. A side named with them still counts ("the left lobe of the liver").
UNSIDED_SITES = (
    "rg:Heart", "rg:Liver", "rg:Spleen", "rg:Pancreas", "rg:Stomach", "rg:Aorta", "rg:InferiorVenaCava",
    "rg:SuperiorMesentericArtery", "rg:SpinalCord", "rg:Uterus", "rg:UrinaryBladder", "rg:Prostate", "rg:Trachea",
    "rg:Esophagus", "rg:PituitaryGland",
)
#: Findings whose direction is no side of the body ("shift to the right").
_UNSIDED_FINDINGS = ("rg:MidlineShift",)


def _unsided(f: Finding, onto: Ontology | None) -> bool:
    """Tell whether a finding lies only in single organs, or is a shift, and so takes no side from the section."""
    if onto is None:
        return False
    if any(onto.is_a(f.concept, c) for c in _UNSIDED_FINDINGS if c in onto):
        return True
    return bool(f.sites) and all(_in_single_organ(s.concept, onto) for s in f.sites if s.concept in onto)


def _in_single_organ(site: Curie, onto: Ontology) -> bool:
    """Tell whether a site lies in one of the single organs of :data:`UNSIDED_SITES`."""
    return any(satisfies(site, u, LOCATED_IN, onto) for u in UNSIDED_SITES if u in onto)


def _carry_laterality(
    findings: list[Finding],
    side: dict[SectionCategory, Laterality | None],
    section: SectionCategory,
    onto: Ontology | None = None,
) -> list[Finding]:
    """Carry the side last stated in a findings section to later findings that state none.

    A report about a left knee describes left-sided findings throughout; a new explicit side
    (or "bilateral") takes over from there. Generic statements and a relative's findings neither take nor set a
    side; a pertinent negative ("no effusion") takes none.
    """
    if section is not SectionCategory.FINDINGS:
        return findings
    out: list[Finding] = []
    for f in findings:
        if f.subject is not Subject.PATIENT:
            out.append(f)
            continue
        explicit = f.laterality is not None and "plural-paired-site" not in f.rule_id
        if explicit:
            side[section] = f.laterality
        elif (
            f.laterality is None
            and side.get(section) is not None
            and f.assertion is not Assertion.ABSENT
            and not _unsided(f, onto)
        ):
            f = replace(f, laterality=side[section], rule_id=f"{f.rule_id}+side-of-section")
        out.append(f)
    return out


#: Refine a finding placed in the section's site by that site (see :func:`_carry_site`).
REFINE_CARRIED_SITE = True


def _carry_site(
    findings: list[Finding],
    site: dict[SectionCategory, tuple[ConceptRef, ...]],
    section: SectionCategory,
    onto: Ontology | None = None,
) -> list[Finding]:
    """Place findings that name no site in the site last named in a findings section.

    A findings section describes one lesion at a time: "a mass in the left parotid gland ...
    a thin hypointense capsule ... no restricted diffusion" are all about the parotid gland.
    The placed finding takes the concept its site defines, as one named there would ("a
    haematoma" after "the left putamen" is an intraparenchymal haematoma).
    """
    if section is not SectionCategory.FINDINGS:
        return findings
    out: list[Finding] = []
    for f in findings:
        growth = f.concept == "rg:Enlargement" and not f.sites and _GROWTH.match(f.text)
        if f.subject is not Subject.PATIENT or growth:
            out.append(f)  # the growth of a lesion is in no organ of the section ("the nodule has grown")
            continue
        if f.sites:
            site[section] = f.sites[:1]
        elif site.get(section) and f.assertion is not Assertion.ABSENT:
            f = replace(f, sites=site[section], rule_id=f"{f.rule_id}+site-of-section")
            if onto is not None and REFINE_CARRIED_SITE and not onto.is_a(f.concept, "rg:ClinicalFinding"):
                c = refine(f.concept, {"rg:locatedIn": [s.concept for s in f.sites]}, onto).curie
                if c != f.concept:
                    f = replace(f, concept=c, label=onto.label(c), rule_id=f"{f.rule_id}+refine:{c}")
        out.append(f)
    return out


def _rank(d: DiagnosisMention) -> tuple[bool, int, int]:
    return (d.role is Role.HISTORY and d.assertion is Assertion.ABSENT, _ROLE_ORDER[d.role], d.start)


def _dedupe(diagnoses: Sequence[DiagnosisMention]) -> list[DiagnosisMention]:
    """Keep one mention per concept and subject: the strongest role, then the first in the text.

    A denied history ("no history of vasculitis") yields to any mention that does not deny the disease (it is on the
    differential list). A final diagnosis that the differential list named keeps that mention too: the reader had it
    on the list.
    """
    best: dict[tuple[Curie, Subject], DiagnosisMention] = {}
    listed: dict[tuple[Curie, Subject], DiagnosisMention] = {}
    for d in diagnoses:
        key = (d.concept, d.subject)  # the patient's own disease is kept beside a relative's
        cur = best.get(key)
        if cur is None or _rank(d) < _rank(cur):
            best[key] = d
        if d.role is Role.DIFFERENTIAL and key not in listed:
            listed[key] = d
    kept = list(best.values())
    kept.extend(d for key, d in listed.items() if best[key].role is Role.FINAL)
    return sorted(kept, key=lambda d: (_ROLE_ORDER[d.role], d.start))
