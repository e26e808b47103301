"""Synthetic teaching cases drawn from the curated knowledge, for benchmarks and tests.

Each case follows the template of the bundled teaching files (title line, "Patient's
Information", "Case Section", "Clinical Summary", "Imaging Procedures and Findings",
"Discussion", "Final Diagnosis", "Differential Diagnosis", "Reference"). The generator draws
a diagnosis from :func:`radgraph.knowledge.load_curated`, samples its findings by their curated
frequency, and writes them with the ontology's labels and synonyms, so that the text goes
through the real matcher, context rules and concept refinement:

* present findings, with the side the knowledge records (``bilateral paravertebral masses``),
  and a site or an imaging technique when one fits without changing the concept;
* one or two pertinent negatives (findings the diagnosis rarely has, or that only other
  diagnoses have), negated in varied ways (``no``, ``without``, ``X is not seen``);
* sometimes an uncertain finding (``X cannot be excluded``);
* a history condition when the knowledge links one (``history of thalassemia``);
* a discussion of what the diagnosis typically shows (generic statements), the final
  diagnosis, and a differential list of diagnoses that share findings with it.

Nothing here names a diagnosis: everything comes from the knowledge and the ontology, so the
cases follow the knowledge as it grows. The output is deterministic for a given seed (and a
given knowledge and ontology): case ``i`` draws from its own ``random.Random`` seeded with
``(seed, i)``, so any slice of a corpus can be regenerated on its own.

>>> cases = list(generate_cases(2, seed=7))
>>> [c.report.id for c in cases]
['synth-000001', 'synth-000002']
>>> cases[0].report.text == next(generate(1, seed=7)).text
True
>>> "Final Diagnosis" in cases[0].report.text
True
"""

from __future__ import annotations

import random
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from radgraph.concepts import implied_qualifiers, refine
from radgraph.knowledge import Knowledge, load_curated
from radgraph.model import Assertion, ConceptKind, Laterality, Report, Sex
from radgraph.normalize import norm
from radgraph.ontology import Ontology, load_ontology
from radgraph.reports import report_from_text
from radgraph.vocab import Curie

ID_PREFIX = "synth-"
RARE = 0.1  # curated frequencies at or below this are "rare" (rg:Rare is 0.05)
_MAX_PRESENT = 5
_NARROW = 40  # a parent with at most this many descendants makes its children "related"
_TRIES = 40  # candidates drawn when looking for an unrelated finding
_LOCATED_IN = "rg:locatedIn"
_OBSERVED_ON = "rg:observedOn"
_CLINICAL = "rg:ClinicalFinding"
_COUNTABLE = frozenset(
    {"mass", "lesion", "tumor", "tumour", "nodule", "cyst", "fracture", "collection", "abscess", "focus",
     "effusion", "deposit", "opacity", "hematoma", "aneurysm", "infarct", "stone", "calculus", "polyp"}
)  # fmt: skip
_ES_PLURAL = ("s", "x", "z", "ch", "sh")
_ADJECTIVE_ENDINGS = ("ense", "ic", "ed", "ous", "al", "ive", "bright", "dark", "ing")
_WORDS = re.compile(r"[a-z0-9]+")
_SURFACE = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ',-]*")
_SOURCE_NOTE = re.compile(r":\s+(?=[a-z])")  # "Author. Book, 2015: usually a single mass"

#: Anatomical roots (when the ontology has them), most specific first, and the case section.
_SYSTEMS: tuple[tuple[str, str], ...] = (
    ("rg:Spine", "Spine"),
    ("rg:Brain", "Neuroradiology"),
    ("rg:Head", "Neuroradiology"),
    ("rg:Neck", "Head and Neck"),
    ("rg:Breast", "Breast"),
    ("rg:Heart", "Cardiovascular"),
    ("rg:Thorax", "Chest"),
    ("rg:Abdomen", "Gastrointestinal"),
    ("rg:Pelvis", "Genitourinary"),
    ("rg:Back", "Musculoskeletal System"),
    ("rg:Bone", "Musculoskeletal System"),
)
_COMPLAINTS = {
    "Spine": (
        "back pain",
        "low back pain",
        "neck pain",
        "progressive weakness of both legs",
        "radicular pain",
    ),
    "Neuroradiology": ("headache", "a first seizure", "blurred vision", "confusion", "dizziness"),
    "Head and Neck": ("a neck lump", "hoarseness", "difficulty swallowing"),
    "Breast": ("a palpable breast lump", "nipple discharge"),
    "Cardiovascular": ("chest pain", "palpitations", "shortness of breath"),
    "Chest": ("cough", "chest pain", "shortness of breath", "weight loss"),
    "Gastrointestinal": ("abdominal pain", "nausea and vomiting", "weight loss", "jaundice"),
    "Genitourinary": ("flank pain", "pelvic pain", "blood in the urine"),
    "Musculoskeletal System": ("bone pain", "back pain", "a painful swelling", "limited range of motion"),
    "General": ("pain", "fatigue", "weight loss", "an incidental finding on imaging"),
}
_FEMALE_WORDS = ("ovar", "uter", "endometri", "cervix", "vagin", "vulv", "fallopian", "pregnan", "placent")
_MALE_WORDS = ("prostat", "testi", "scrot", "epididym", "penile", "semin")
_DURATIONS = (
    "two weeks",
    "three weeks",
    "several weeks",
    "two months",
    "four months",
    "six months",
    "a year",
)
_VIEWS = ("Axial", "Sagittal", "Coronal", "")
_SHOW = ("shows", "demonstrates", "reveals")
_SHOW_PLURAL = ("show", "demonstrate", "reveal")
_CLINICAL_FILLERS = (
    "Vital signs were stable on admission.",
    "Routine blood tests were within normal limits.",
    "The symptoms did not respond to simple analgesics.",
    "The patient was referred to the radiology department for further evaluation.",
    "Inflammatory markers were mildly raised.",
)
_FINDING_FILLERS = (
    "The remaining images are otherwise unremarkable.",
    "The study is of good diagnostic quality.",
    "All imaging findings were reviewed together with the clinical data.",
    "The visualized soft tissues are otherwise within normal limits.",
)
_OPENERS = (
    "{Dx} is an important consideration in this setting.",
    "Imaging plays a central role in the diagnosis of {dx}.",
    "Recognizing the imaging pattern of {dx} helps to avoid an unnecessary biopsy.",
    "{Dx} is a well-recognized entity that every radiologist should know.",
)
_TYPICAL = (
    "{Dx} typically presents with {listed}.",
    "On imaging, {dx} characteristically manifests as {listed}.",
    "Patients with {dx} usually show {listed}.",
    "The most common imaging features of {dx} are {listed}.",
)
_EPIDEMIOLOGY = (
    "It most commonly affects adults between the third and the sixth decades of life.",
    "There is no strong sex predilection in most published series.",
    "Its incidence increases with age in most populations.",
    "Most cases are encountered in adults, and it is uncommon in childhood.",
)
_TECHNIQUE_NOTES = (
    "Cross-sectional imaging is the method of choice to define the extent of disease.",
    "Magnetic resonance imaging is superior to computed tomography for soft tissue characterization.",
    "Computed tomography remains useful to assess the bony margins and to guide biopsy.",
)
_FIRST_NAMES = ("Samira", "Morteza", "Anna", "David", "Leila", "Tomas", "Grace", "Omar", "Mei", "Jonas")
_LAST_NAMES = (
    "Taheri",
    "Nakamura",
    "Okafor",
    "Lindqvist",
    "Moreau",
    "Haddad",
    "Kowalski",
    "Silva",
    "Brennan",
)
_CLOSERS = (
    "Management depends on the underlying cause and on the extent of disease.",
    "Correlation with the clinical history and laboratory results is essential.",
    "Follow-up imaging is useful to document the response to therapy.",
    "Tissue sampling is reserved for cases in which the imaging appearance is atypical.",
    "Knowledge of these features allows a confident diagnosis in most patients.",
)


@dataclass(frozen=True, slots=True)
class IntendedFinding:
    """A finding the generator wrote into a case, and how it should be read back."""

    concept: Curie
    assertion: Assertion
    laterality: Laterality | None = None
    site: Curie | None = None
    text: str = ""


@dataclass(frozen=True, slots=True)
class SynthCase:
    """A generated case: the report and what it was written to say."""

    report: Report
    diagnosis: Curie
    findings: tuple[IntendedFinding, ...]
    history: tuple[Curie, ...] = ()
    differentials: tuple[Curie, ...] = ()
    age: int = 0
    sex: Sex = Sex.FEMALE

    def with_assertion(self, assertion: Assertion) -> tuple[IntendedFinding, ...]:
        """Return the intended findings with one assertion status."""
        return tuple(f for f in self.findings if f.assertion is assertion)


@dataclass(frozen=True, slots=True)
class _Profile:
    """What the knowledge says about one diagnosis, prepared once."""

    diagnosis: Curie
    findings: tuple[tuple[Curie, float, Laterality | None], ...]  # (finding, frequency, side), sorted
    conditions: tuple[Curie, ...]
    rivals: tuple[Curie, ...]  # other diagnoses sharing findings, most shared first
    reference: str
    region: Curie | None  # the anatomical root its findings point to
    system: str  # the "Case Section" it belongs to


def _is_related(onto: Ontology, a: str, b: str, narrow: Callable[[Curie], bool]) -> bool:
    """Tell whether two findings are the same, one refines the other, or they share a narrow parent."""
    if onto.is_a(a, b) or onto.is_a(b, a):
        return True
    pa = set(onto.concept(a).parents) if a in onto else set()
    pb = set(onto.concept(b).parents) if b in onto else set()
    return any(narrow(p) for p in pa & pb)


def _key(text: str) -> tuple[str, ...]:
    """How the matcher sees a name: normalized words, hyphens and case ignored."""
    return tuple(norm(w) for w in _WORDS.findall(text.lower()))


def _is_noun(text: str) -> bool:
    """Tell whether a synonym reads as a noun phrase (``T2 hyperintense`` does not)."""
    last = text.rsplit(" ", 1)[-1].lower()
    return " on " not in text and not last.endswith(_ADJECTIVE_ENDINGS)


class CaseGenerator:
    """Builds synthetic cases from a knowledge record and an ontology (the packaged ones by default).

    Args:
        knowledge: the knowledge to draw diagnoses, findings and condition links from; only its
            curated layer is used.
        ontology: the ontology whose labels and synonyms name the concepts.

    Raises:
        ValueError: when no diagnosis of the knowledge has a finding that is not rare.
    """

    def __init__(self, knowledge: Knowledge | None = None, ontology: Ontology | None = None) -> None:
        self.knowledge = knowledge if knowledge is not None else load_curated()
        self.onto = ontology if ontology is not None else load_ontology()
        self._surfaces: dict[tuple[Curie, bool], tuple[str, ...]] = {}
        self._sites: dict[tuple[Curie, Curie | None], tuple[Curie, ...]] = {}
        self._related: dict[tuple[Curie, Curie], bool] = {}
        self._kept: dict[tuple[Curie, str, Curie], bool] = {}
        self._narrow_cache: dict[Curie, bool] = {}
        self._all_sites = tuple(sorted(self.onto.by_kind(ConceptKind.SITE)))
        self._names: dict[tuple[str, ...], set[Curie]] = defaultdict(set)
        for entry in self.onto.lexicon():
            self._names[_key(entry.text)].add(entry.concept)
        self.profiles = self._build_profiles()
        if not self.profiles:
            raise ValueError("the knowledge has no diagnosis with a finding that is not rare")
        self.diagnoses = tuple(sorted(self.profiles))
        self.findings = tuple(sorted({f for p in self.profiles.values() for f, _, _ in p.findings}))
        self.sequences = tuple(
            c for c in sorted(self.onto.by_kind(ConceptKind.SEQUENCE)) if self.surfaces(c, technique=True)
        )
        self.modalities = tuple(
            c for c in sorted(self.onto.by_kind(ConceptKind.MODALITY)) if self.surfaces(c, technique=True)
        )

    # ---- preparation ---------------------------------------------------------------------

    def _build_profiles(self) -> dict[Curie, _Profile]:
        onto = self.onto
        best: dict[Curie, dict[Curie, tuple[float, Laterality | None]]] = defaultdict(dict)
        refs: dict[Curie, list[str]] = defaultdict(list)
        for a in self.knowledge.associations:
            if a.layer != "curated" or a.diagnosis not in onto or a.finding not in onto:
                continue
            if not self.surfaces(a.finding):
                continue
            cur = best[a.diagnosis].get(a.finding)
            if cur is None or a.frequency > cur[0]:
                best[a.diagnosis][a.finding] = (a.frequency, a.laterality or (cur[1] if cur else None))
            refs[a.diagnosis].extend(e.source for e in a.evidence if e.source)
        conds: dict[Curie, set[Curie]] = defaultdict(set)
        for link in self.knowledge.conditions:
            if link.condition in onto and self.surfaces(link.condition):
                conds[link.diagnosis].add(link.condition)
        usable = {
            d: fs
            for d, fs in best.items()
            if self.surfaces(d)
            and onto.kind(d) is ConceptKind.CONDITION
            and any(p > RARE for p, _ in fs.values())
        }
        # which diagnoses have each (not rare) finding, and the known findings below each concept
        having: dict[Curie, list[Curie]] = defaultdict(list)
        for d, fs in sorted(usable.items()):
            for f, (p, _) in fs.items():
                if p > RARE:
                    having[f].append(d)
        below: dict[Curie, set[Curie]] = defaultdict(set)
        for f in having:
            for anc in onto.ancestors(f, include_self=True):
                below[anc].add(f)
        out: dict[Curie, _Profile] = {}
        for d, fs in sorted(usable.items()):
            mine = {f for f, (p, _) in fs.items() if p > RARE}
            related: set[Curie] = set()
            for m in mine:  # known findings that are m, above m or below m
                related |= below[m] | (onto.ancestors(m) & having.keys())
            counts: Counter[Curie] = Counter()
            for f in related:
                counts.update(having[f])
            counts.pop(d, None)
            shared = sorted((-n, other) for other, n in counts.items())
            region, system = self._region(list(fs))
            reference = _SOURCE_NOTE.split(sorted(refs[d])[0], 1)[0].strip() if refs[d] else ""
            out[d] = _Profile(
                diagnosis=d,
                findings=tuple((f, p, lat) for f, (p, lat) in sorted(fs.items())),
                conditions=tuple(sorted(c for c in conds.get(d, ()) if c != d)),
                rivals=tuple(o for _, o in sorted(shared)),
                reference=reference,
                region=region,
                system=system,
            )
        return out

    def _region(self, findings: Sequence[Curie]) -> tuple[Curie | None, str]:
        """The anatomical root most of the findings' implied sites belong to, and its section."""
        onto = self.onto
        votes: Counter[int] = Counter()
        for f in findings:
            for s in implied_qualifiers(f, onto).get(_LOCATED_IN, []):
                closure = onto.part_of_closure(s) | {s}
                for i, (root, _) in enumerate(_SYSTEMS):
                    if root in closure:
                        votes[i] += 1
                        break
        if not votes:
            return None, "General"
        i = min(votes, key=lambda k: (-votes[k], k))
        root, name = _SYSTEMS[i]
        return Curie(root), name

    def surfaces(self, concept: Curie, *, technique: bool = False) -> tuple[str, ...]:
        """Return the label and synonyms that name *concept* unambiguously (label first).

        Findings keep only noun phrases, and a plural synonym is dropped when its singular is
        there; imaging techniques (*technique*) may also use their abbreviations (``T2WI``).
        """
        key = (concept, technique)
        if key not in self._surfaces:
            onto = self.onto
            out: list[str] = []
            if concept in onto:
                c = onto.concept(concept)
                finding = onto.kind(concept) is ConceptKind.FINDING
                texts = (c.label, *c.alt_labels, *(c.abbreviations if technique else ()))
                if not c.deprecated and not c.abstract:
                    for i, text in enumerate(texts):
                        if len(text) < 2 or not _SURFACE.fullmatch(text) or text in out:
                            continue
                        if i and finding and not _is_noun(text):
                            continue
                        if self._names.get(_key(text)) == {concept}:
                            out.append(text)
            plural = {t for t in out if t.endswith("s") and (t[:-1] in out or t[:-2] in out)}
            self._surfaces[key] = tuple(t for t in out if t not in plural)
        return self._surfaces[key]

    def site_options(self, finding: Curie, region: Curie | None) -> tuple[Curie, ...]:
        """Sites that may qualify *finding* in a case about *region* without changing its concept.

        For a finding that implies a site (a paravertebral mass, vertebral collapse), the sites
        one level inside it; otherwise the sites one level inside the region. Either way only
        sites within the region are kept.
        """
        key = (finding, region)
        if key not in self._sites:
            onto = self.onto
            implied = implied_qualifiers(finding, onto).get(_LOCATED_IN, [])
            bases = implied or ([region] if region is not None else [])
            found: set[Curie] = set()
            for s in bases:
                found.update(onto.children(s))
                found.update(c for c in self._all_sites if s in onto.concept(c).part_of)
            ok = sorted(
                c
                for c in found
                if self.surfaces(c)
                and (region is None or onto.is_a(c, region) or region in onto.part_of_closure(c))
                and self.keeps(finding, _LOCATED_IN, c)
            )
            self._sites[key] = tuple(ok)
        return self._sites[key]

    def keeps(self, finding: Curie, prop: str, value: Curie) -> bool:
        """Tell whether qualifying *finding* by ``prop value`` leaves its concept unchanged."""
        key = (finding, prop, value)
        if key not in self._kept:
            self._kept[key] = refine(finding, {prop: [value]}, self.onto).curie == finding
        return self._kept[key]

    def related(self, a: Curie, b: Curie) -> bool:
        """Tell whether two findings are the same, one refines the other, or they are siblings.

        Siblings count only under a narrow parent (``soft tissue mass`` and ``paravertebral
        mass`` under ``mass``), not under a broad one (``imaging finding``).
        """
        key = (a, b) if a <= b else (b, a)
        if key not in self._related:
            self._related[key] = _is_related(self.onto, a, b, self._narrow)
        return self._related[key]

    def _narrow(self, concept: Curie) -> bool:
        if concept not in self._narrow_cache:
            self._narrow_cache[concept] = len(self.onto.descendants(concept)) <= _NARROW
        return self._narrow_cache[concept]

    # ---- one case --------------------------------------------------------------------------

    def case(self, index: int, *, seed: int = 0) -> SynthCase:
        """Generate case number *index* (1-based) of the corpus for *seed*."""
        rng = random.Random(f"radgraph-synth:{seed}:{index}")
        return _Writer(self, rng, f"{ID_PREFIX}{index:06d}").write()


_Present = tuple[Curie, Laterality | None, Curie | None]


class _Writer:
    """Writes one case (holds the per-case random state)."""

    def __init__(self, gen: CaseGenerator, rng: random.Random, case_id: str) -> None:
        self.gen = gen
        self.onto = gen.onto
        self.rng = rng
        self.case_id = case_id

    # ---- words --------------------------------------------------------------------------

    def surface(self, concept: Curie, *, prefer_label: float = 0.6, technique: bool = False) -> str:
        options = self.gen.surfaces(concept, technique=technique)
        if len(options) == 1 or self.rng.random() < prefer_label:
            return options[0]
        return self.rng.choice(options[1:])

    @staticmethod
    def countable(text: str) -> bool:
        return text.rsplit(" ", 1)[-1].lower() in _COUNTABLE

    @classmethod
    def plural(cls, text: str) -> str:
        if not cls.countable(text):
            return text
        return text + ("es" if text.endswith(_ES_PLURAL) else "s")

    @staticmethod
    def article(text: str) -> str:
        return ("an " if text[:1].lower() in "aeiou" else "a ") + text

    @staticmethod
    def cap(text: str) -> str:
        return text[:1].upper() + text[1:] if text[:1].islower() else text

    # ---- the case -----------------------------------------------------------------------

    def write(self) -> SynthCase:
        gen, onto, rng = self.gen, self.onto, self.rng
        dx = rng.choice(gen.diagnoses)
        prof = gen.profiles[dx]
        present = self._present(prof)
        complaint = rng.choice(_COMPLAINTS[prof.system])
        complaint_concept = onto.lookup(complaint, strict=False)
        blocked = [f for f, _, _ in present] + ([complaint_concept] if complaint_concept else [])
        negatives = self._negatives(prof, blocked)
        uncertain = self._others(prof, blocked + negatives, 1) if rng.random() < 0.25 else []
        history = [rng.choice(prof.conditions)] if prof.conditions and rng.random() < 0.7 else []
        sex = self._sex(dx)
        age = max(18, min(88, round(rng.gauss(52, 16))))
        man = "man" if sex is Sex.MALE else "woman"
        intended: list[IntendedFinding] = []

        title = rng.choice(
            (f"A {age}-year-old {man} with {complaint}", f"A {age}Y/O {man} with {complaint}",
             f"{self.cap(complaint)} in a {age}-year-old {man}")
        )  # fmt: skip
        lines: list[str] = [title, ""]
        if rng.random() < 0.4:
            lines += ["Doctor's Information", "", f"Name : {rng.choice(_FIRST_NAMES)}",
                      f"Family : {rng.choice(_LAST_NAMES)}", "Academic Degree: Radiologist", ""]  # fmt: skip
        lines += ["Patient's Information", "", f"Gender : {sex.value.capitalize()}", f"Age : {age}", ""]
        lines += ["Case Section", "", prof.system, ""]
        clinical = [p for p in present if onto.is_a(p[0], _CLINICAL)]
        summary, written = self._summary(age, man, sex, complaint, clinical, history)
        intended.extend(written)
        lines += ["Clinical Summary", "", summary, ""]
        imaging = [p for p in present if not onto.is_a(p[0], _CLINICAL)]
        findings, written = self._findings(prof, imaging, negatives, uncertain)
        intended.extend(written)
        lines += ["Imaging Procedures and Findings", "", findings, ""]
        rivals = self._rivals(prof)
        lines += ["Discussion", "", self._discussion(prof, rivals), ""]
        lines += ["Final Diagnosis", "", self.cap(self.surface(dx, prefer_label=0.7)), ""]
        if rivals:
            lines += ["Differential Diagnosis", ""]
            lines += [f"- {self.cap(self.surface(r, prefer_label=0.8))}" for r in rivals]
            lines.append("")
        if prof.reference:
            lines += ["Reference", "", prof.reference, ""]
        report = report_from_text("\n".join(lines), self.case_id, source=f"synth:{self.case_id}")
        return SynthCase(report, dx, tuple(intended), tuple(history), tuple(rivals), age, sex)

    # ---- what the case says -------------------------------------------------------------

    def _present(self, prof: _Profile) -> list[_Present]:
        rng, onto = self.rng, self.onto
        chosen = [(f, lat) for f, p, lat in prof.findings if p > RARE and rng.random() < p]
        if not chosen:
            top = max(p for _, p, _ in prof.findings)
            chosen = [rng.choice([(f, lat) for f, p, lat in prof.findings if p == top])]
        # keep the more specific of two related findings
        kept = [c for c in chosen if not any(o[0] != c[0] and onto.is_a(o[0], c[0]) for o in chosen)]
        rng.shuffle(kept)
        out: list[_Present] = []
        for f, lat in kept[:_MAX_PRESENT]:
            side: Laterality | None = None
            if lat is Laterality.BILATERAL:
                side = Laterality.BILATERAL
            elif lat is not None:
                side = rng.choice((Laterality.LEFT, Laterality.RIGHT))
            sites = self.gen.site_options(f, prof.region)
            site = rng.choice(sites) if sites and rng.random() < 0.4 else None
            out.append((f, side, site))
        return out

    def _others(self, prof: _Profile, blocked: Sequence[Curie], k: int) -> list[Curie]:
        """Up to *k* findings the diagnosis is not known for, unrelated to *blocked* ones."""
        known = [f for f, _, _ in prof.findings]
        avoid = [*blocked, *known]
        found: list[Curie] = []
        for f in self.rng.sample(self.gen.findings, min(_TRIES, len(self.gen.findings))):
            if len(found) == k:
                break
            if not any(self.gen.related(f, b) for b in (*avoid, *found)):
                found.append(f)
        return found

    def _negatives(self, prof: _Profile, blocked: Sequence[Curie]) -> list[Curie]:
        rng = self.rng
        k = rng.choice((1, 1, 2))
        common = [f for f, p, _ in prof.findings if p > RARE]
        avoid = [*blocked, *common]
        rare = [
            f for f, p, _ in prof.findings if p <= RARE and not any(self.gen.related(f, b) for b in avoid)
        ]
        rng.shuffle(rare)
        chosen = rare[:k]
        if len(chosen) < k:
            chosen += self._others(prof, [*blocked, *chosen], k - len(chosen))
        out: list[Curie] = []
        for f in chosen:  # two related negatives would read as one
            if not any(self.gen.related(f, o) for o in out):
                out.append(f)
        return out

    def _sex(self, dx: Curie) -> Sex:
        onto = self.onto
        words = " ".join(onto.label(c).lower() for c in onto.ancestors(dx, include_self=True) if c in onto)
        if any(w in words for w in _FEMALE_WORDS):
            return Sex.FEMALE
        if any(w in words for w in _MALE_WORDS):
            return Sex.MALE
        return self.rng.choice((Sex.MALE, Sex.FEMALE))

    def _rivals(self, prof: _Profile) -> list[Curie]:
        rivals = list(prof.rivals[:6]) or [d for d in self.gen.diagnoses if d != prof.diagnosis]
        k = min(len(rivals), self.rng.randint(2, 4))
        return sorted(self.rng.sample(rivals, k), key=rivals.index)

    # ---- sections -----------------------------------------------------------------------

    def _summary(
        self,
        age: int,
        man: str,
        sex: Sex,
        complaint: str,
        clinical: Sequence[_Present],
        history: Sequence[Curie],
    ) -> tuple[str, list[IntendedFinding]]:
        rng = self.rng
        pron = "He" if sex is Sex.MALE else "She"
        out = [
            rng.choice(
                (f"A {age}-year-old {man} presents with {complaint} of {rng.choice(_DURATIONS)}.",
                 f"A {age}-year-old {man} complains of {complaint} for {rng.choice(_DURATIONS)}.",
                 f"This {age}-year-old {man} was seen in the clinic because of {complaint}.")
            )
        ]  # fmt: skip
        written: list[IntendedFinding] = []
        for f, _, _ in clinical:
            text = self.surface(f)
            out.append(rng.choice((f"On examination there is {text}.", f"{pron} also reports {text}.")))
            written.append(IntendedFinding(f, Assertion.PRESENT, None, None, text))
        if history:
            cond = self.surface(history[0])
            out.append(
                rng.choice(
                    (f"{pron} has a history of {cond}.", f"Past medical history of {cond}.",
                     f"{pron} is a known case of {cond}.", f"{pron} has a known history of {cond}.")
                )
            )  # fmt: skip
        out += rng.sample(_CLINICAL_FILLERS, rng.randint(2, 3))
        return " ".join(out), written

    def _modality(self, imaging: Sequence[_Present]) -> Curie | None:
        """The case's imaging modality: MRI when a finding implies an MR sequence, else mostly MRI or CT."""
        onto, rng, gen = self.onto, self.rng, self.gen
        implies_mr = any(
            onto.kind(s) is ConceptKind.SEQUENCE
            for f, _, _ in imaging
            for s in implied_qualifiers(f, onto).get(_OBSERVED_ON, [])
        )
        by_label = {onto.label(m).casefold(): m for m in gen.modalities}
        mri = next((m for label, m in by_label.items() if "magnetic" in label), None)
        ct = next((m for label, m in by_label.items() if "computed" in label), None)
        if implies_mr or (mri is not None and rng.random() < 0.6):
            return mri
        if ct is not None and rng.random() < 0.75:
            return ct
        return rng.choice(gen.modalities) if gen.modalities else None

    def _technique(self, findings: Sequence[Curie], modality: Curie | None) -> tuple[str, bool]:
        """An imaging technique opening a sentence about *findings* ("" for none), and its number.

        On MRI a sentence names a sequence; a finding that implies one (a T1 hyperintensity)
        allows only that sequence. Other modalities are named as such. Either way the technique
        must leave every finding's concept unchanged.
        """
        onto, rng, gen = self.onto, self.rng, self.gen
        if modality is None or rng.random() < 0.35:
            return "", False
        implied = {
            s for f in findings for s in implied_qualifiers(f, onto).get(_OBSERVED_ON, [])
            if onto.kind(s) is ConceptKind.SEQUENCE
        }  # fmt: skip
        if len(implied) > 1:
            return "", False
        mri = "magnetic" in onto.label(modality).casefold()
        options = sorted(implied) if implied else (list(gen.sequences) if mri else [modality])
        options = [t for t in options if all(gen.keeps(f, _OBSERVED_ON, t) for f in findings)]
        if not options:
            return "", False
        tech = rng.choice(options)
        words = self.surface(tech, prefer_label=0.3, technique=True)
        if words.endswith("imaging"):
            words = words[: -len("imaging")] + "images"
        elif onto.kind(tech) is ConceptKind.SEQUENCE and not words.endswith(("image", "images", "WI")):
            words += " images"
        view = rng.choice(_VIEWS) if onto.kind(tech) is ConceptKind.SEQUENCE else ""
        return f"{view} {words}".strip(), words.endswith("images")

    def _noun_phrase(self, f: Curie, side: Laterality | None, site: Curie | None) -> tuple[str, str]:
        """Return (noun phrase, the finding's own words) for a present finding."""
        text = self.surface(f)
        words = text
        if side is Laterality.BILATERAL:
            words = self.plural(text)
            np = f"bilateral {words}"
        elif side is not None:
            np = f"{side.value} {text}"
            np = self.article(np) if self.countable(text) else np
        else:
            np = self.article(text) if self.countable(text) else text
        if site is not None:
            prep = self.rng.choice(("in the", "involving the", "at the level of the"))
            np = f"{np} {prep} {self.surface(site, prefer_label=0.7)}"
        return np, words

    def _groups(self, imaging: Sequence[_Present]) -> list[list[_Present]]:
        """Findings by sentence: one or two each; only a sentence's last finding keeps its site.

        A site written after the first of two findings would qualify the second (the nearer
        head), so the first finding of a pair is written without one.
        """
        rng = self.rng
        groups: list[list[_Present]] = []
        items = list(imaging)
        while items:
            size = 2 if len(items) > 1 and rng.random() < 0.4 else 1
            group = items[:size]
            if size == 2:
                f, side, _ = group[0]
                group[0] = (f, side, None)
            groups.append(group)
            items = items[size:]
        return groups

    def _findings(
        self,
        prof: _Profile,
        imaging: Sequence[_Present],
        negatives: Sequence[Curie],
        uncertain: Sequence[Curie],
    ) -> tuple[str, list[IntendedFinding]]:
        rng, onto = self.rng, self.onto
        sentences: list[str] = []
        written: list[IntendedFinding] = []
        modality = self._modality(imaging)
        if modality is not None:
            where = ""
            if prof.region is not None and prof.region in onto and self.gen.surfaces(prof.region):
                where = f" of the {self.surface(prof.region, prefer_label=0.8)}"
            words = self.surface(modality, prefer_label=0.3, technique=True)
            sentences.append(
                rng.choice(
                    (f"{self.cap(words)}{where} was performed.", f"The patient underwent {words}{where}.")
                )
            )
        pending = list(negatives)
        measured = False
        for group in self._groups(imaging):
            nps = []
            own = ""
            for f, side, site in group:
                np, own = self._noun_phrase(f, side, site)
                nps.append(np)
                written.append(IntendedFinding(f, Assertion.PRESENT, side, site, own))
            body = " and ".join(nps)
            tail = ""
            # a site right before "without X" would qualify X instead
            if pending and group[-1][2] is None and rng.random() < 0.3:
                neg = pending.pop(0)
                words = self.surface(neg)
                tail = f", without {words}"
                written.append(IntendedFinding(neg, Assertion.ABSENT, None, None, words))
            technique, plural = self._technique([f for f, _, _ in group], modality)
            if technique:
                verb = rng.choice(_SHOW_PLURAL if plural else _SHOW)
                sentences.append(f"{self.cap(technique)} {verb} {body}{tail}.")
            else:
                be = "are" if len(group) > 1 or body.startswith("bilateral") else "is"
                sentences.append(
                    rng.choice((f"There {be} {body}{tail}.", f"{self.cap(body)} {be} noted{tail}.",
                                f"Imaging {rng.choice(_SHOW)} {body}{tail}."))
                )  # fmt: skip
            if not measured and self.countable(own) and rng.random() < 0.6:
                a, b = rng.randint(12, 60), rng.randint(8, 45)
                sentences.append(f"It measures {a / 10:.1f} x {b / 10:.1f} cm.")
                measured = True
        for neg in pending:
            words = self.surface(neg)
            sentences.append(
                rng.choice(
                    (f"There is no {words}.", f"No {words} is seen.", f"{self.cap(words)} is not seen.",
                     f"{self.cap(words)} is not identified.", f"There is no evidence of {words}.")
                )
            )  # fmt: skip
            written.append(IntendedFinding(neg, Assertion.ABSENT, None, None, words))
        for unc in uncertain:
            words = self.surface(unc)
            sentences.append(
                rng.choice(
                    (f"{self.cap(words)} cannot be excluded.", f"{self.cap(words)} cannot be ruled out.")
                )
            )
            written.append(IntendedFinding(unc, Assertion.UNCERTAIN, None, None, words))
        sentences.append(rng.choice(_FINDING_FILLERS))
        return " ".join(sentences), written

    def _discussion(self, prof: _Profile, rivals: Sequence[Curie]) -> str:
        rng, gen = self.rng, self.gen
        dx = self.surface(prof.diagnosis, prefer_label=0.8)
        fmt = {"dx": dx, "Dx": self.cap(dx)}
        out = [rng.choice(_OPENERS).format(**fmt)]
        common = [f for f, p, _ in prof.findings if p > RARE]
        rng.shuffle(common)
        if common:
            listed = " and ".join(self.surface(f) for f in common[:2])
            out.append(rng.choice(_TYPICAL).format(listed=listed, **fmt))
        if len(common) > 2:
            out.append(f"{self.cap(self.surface(common[2]))} can be seen in patients with {dx}.")
        if prof.conditions:
            cond = self.surface(rng.choice(prof.conditions))
            out.append(f"{self.cap(dx)} is commonly seen in patients with {cond}.")
        for rival in rivals[:2]:
            theirs = [f for f, p, _ in gen.profiles[rival].findings if p > RARE]
            if theirs:
                name = self.surface(rival, prefer_label=0.8)
                out.append(f"{self.cap(name)} typically shows {self.surface(rng.choice(theirs))}.")
        out.insert(1, rng.choice(_EPIDEMIOLOGY))
        out.append(rng.choice(_TECHNIQUE_NOTES))
        out += rng.sample(_CLOSERS, 3)
        return " ".join(out)


# ---- public API ------------------------------------------------------------------------------


def generate_cases(
    n: int, *, seed: int = 0, start: int = 1, generator: CaseGenerator | None = None
) -> Iterator[SynthCase]:
    """Yield *n* synthetic cases, numbered from *start*, with what each was written to say."""
    gen = generator or CaseGenerator()
    for i in range(start, start + n):
        yield gen.case(i, seed=seed)


def generate(n: int, *, seed: int = 0) -> Iterator[Report]:
    """Yield *n* synthetic teaching cases as reports (``synth-000001``, …); same seed, same text."""
    for case in generate_cases(n, seed=seed):
        yield case.report


def write_cases(n: int, out_dir: str | Path, seed: int = 0) -> list[Path]:
    """Write *n* synthetic cases as ``{id}.txt`` files into *out_dir* and return their paths."""
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for report in generate(n, seed=seed):
        path = folder / f"{report.id}.txt"
        path.write_text(report.text, encoding="utf-8")
        paths.append(path)
    return paths


__all__ = ["CaseGenerator", "IntendedFinding", "SynthCase", "generate", "generate_cases", "write_cases"]
