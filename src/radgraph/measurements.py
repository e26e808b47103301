r"""Measured values: a vital sign or laboratory value outside its reference range is a finding.

The spaCy component ``radgraph_measurements`` runs after ``radgraph_mentions``. A measurement
mention (``rg:OxygenSaturation``, ``rg:WhiteBloodCellCount``) followed in its sentence by a value
("SpO2 89% on room air", "WBC is 14 x 10^9/L") or a written result ("inflammatory markers were
normal", "platelets were low") becomes a mention of the finding the result names, spanning the
measurement and its value, so that context, assembly and the graph treat it like any other
finding. A normal written result names the finding as absent when the measurement is abnormal
one way only (raised inflammatory markers, a low haemoglobin). A value within the range, or one
that cannot be the measurement's (a pulse graded "2+", a heart rate of 3), leaves the mention a
measurement, which names nothing. The ranges are data: ``rules/measurements.jsonl``.

>>> from radgraph.nlp import build_nlp, extract
>>> from radgraph.model import Report
>>> ex = extract(build_nlp(), Report("t", "History\n\nTachycardic, SpO2 89% on room air, WBC 7.1."))
>>> [(f.concept, f.text) for f in ex.findings]
[('rg:Tachycardia', 'Tachycardic'), ('rg:Hypoxia', 'SpO2 89%')]
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from spacy.language import Language
from spacy.tokens import Doc, Span

from radgraph.demographics import patient_from_text
from radgraph.errors import OntologyError
from radgraph.extensions import MENTIONS_KEY, MentionTags, doc_text, mention_tags, register_extensions
from radgraph.model import MEASURED_RULE, Assertion, ConceptKind
from radgraph.ontology import Ontology
from radgraph.rules import MeasurementRule, load_rules
from radgraph.vocab import Curie

#: Units written as a ratio: "mg/dL", "mmol/L", "umol/L", "mm/h", "K/uL".
_PER = (
    r"(?:mg|g|mmol|[uµμ]mol|mcg|[uµμ]g|ng|pg|m?iu|u|meq|k|mm|cells)\s*/\s*(?:dl|l|ml|[uµμ]l|h|hr|hour|mm3|cumm)\b"
)
#: Words between a measurement and its value: "WBC is 14", "a heart rate of 118", "SpO2: 89%".
_LEAD = r"[\s:=(,-]*(?:(?:is|was|were|are|of|at|measured|measuring|reading|levels?|counts?|initially|now)\s*[:=(]?\s*)*"
_VALUE = re.compile(
    _LEAD + r"(?:(?P<above>(?:greater|more|higher)\s+than|above|over|exceeding|>|≥)|(?P<below>(?:less|lower)\s+than"
    r"|below|under|<|≤))?\s*(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?P<grade>\s*\+)?"
    r"(?:\s*/\s*\d+(?:\.\d+)?)?"  # a second value: diastolic pressure, haematocrit after "H/H"
    r"(?P<unit>\s*(?:%|°\s*[CF]?\b|(?:x|×)\s*10\s*\^?\s*\d+\s*/\s*[lµμu]l?\b|" + _PER + r"|mm\s*Hg|bpm|/min"
    r"|[CF]\b|K\b|k\b))?",
    re.I,
)
_EPSILON = 1e-6
#: A test of another specimen before the measurement: "CSF white count of 98", "UA: WBC of 13", or a metabolite
#: of MR spectroscopy ("MRS shows elevated lactate").
_OTHER_SPECIMEN = re.compile(
    r"\b(?:CSF|UA|urine|urinalysis|fluid|cell\s+counts?|pleural|peritoneal|ascitic|synovial|joint|aspirate|BAL|stool"
    r"|sputum|spectroscopy|MRS|ppm|peaks?|metabolites?|(?:necrotic|brain|tumou?r)\s+tissue|NAA|choline|Cho"
    r"|myo-?inositol)\b[^.;\n]*$",
    re.I,
)
#: A number that counts multiples of the upper limit ("5 x ULN") is no value of the test.
_MULTIPLE = re.compile(r"\s*(?:times|x|×|-?fold)\s+(?:the\s+)?(?:upper|ULN\b|normal)", re.I)
#: A blood specimen named with the test, which no other specimen before it changes ("Urine Glucose 500mg/dL Serum
#: Glucose 313mg/dL").
_BLOOD = re.compile(r"\b(?:serum|blood|plasma)\b", re.I)
#: Words that are results, never the name of a test in a list of tests that share one.
_RESULT_WORDS = (
    r"normal|wnl|unremarkable|elevated|raised|high|increased|prolonged|low|decreased|reduced|depressed|and|or|were|was"
    r"|is|are|all|both|elevations?|rise|not|no"
)
#: A test's name in a list of tests that share a result: one or two words ("lipid panel", "prothrombin time").
_WORD = r"(?!(?:" + _RESULT_WORDS + r")\b)[A-Za-z][A-Za-z0-9-]*"
_NAME = _WORD + r"(?:[ \t]+" + _WORD + r")?"
#: How the result is qualified between the copula and the result: "moderately elevated", "typically elevated".
_DEGREE = (
    r"(?:(?:mildly|moderately|markedly|significantly|slightly|severely|minimally|persistently|typically|usually"
    r"|often|still|also|further|only)\s+)?"
)
#: A written result after the measurement ("were normal", "is elevated") or before it ("raised CRP").
_RESULT_AFTER = re.compile(
    # tests named together share the result: "amylase and lipase were normal", "Amylase/Lipase normal",
    # "ESR, CRP, homocysteine, lipid panel all wnl"
    r"(?P<others>(?:\s*(?:/|,|,?\s*and|,?\s*or)\s*" + _NAME + r"){0,6})"
    r"[\s:,-]*(?:(?:levels?|counts?|values?)\s+)?(?:(?:is|was|were|are|remained|remains|came\s+back)\s+)?"
    r"(?:(?:both|all)\s+)?" + _DEGREE +
    r"(?:(?P<normal>normal|within\s+normal\s+limits|wnl|unremarkable)|(?P<high>elevated|raised|high|increased|prolonged"
    # a multiple of the upper limit: "more than ten times the upper limit of normal", "3 x ULN"
    r"|(?:(?:more\s+than|over|above|at\s+least|greater\s+than)\s+)?(?:\d+(?:\.\d+)?|two|three|four|five|ten|twenty"
    r"|a\s+hundred)\s*(?:times|x|×|-fold|fold)\s+(?:the\s+)?(?:upper\s+limit\s+of\s+(?:the\s+)?normal(?:\s+range)?|ULN"
    r"|normal))"
    r"|(?P<low>low|decreased|reduced|depressed))\b",
    re.I,
)
#: A result written before the test, which tests listed after it share: "raised CRP", "elevations of serum
#: bilirubin, transaminases and alkaline phosphatase". Only the first test's span takes the result's words.
_RESULT_BEFORE = re.compile(
    r"\b(?:(?P<normal>normal)|(?P<high>elevated|raised|high|increased|prolonged|(?:elevations?|rises?|increases?)"
    r"[ \t]+(?:of|in))|(?P<low>low|decreased|reduced))[ \t]+(?:(?:serum|blood|plasma)[ \t]+)?"
    r"(?P<others>(?:" + _NAME + r"[ \t]*(?:,|,?[ \t]+and|,?[ \t]+or)[ \t]+(?:of[ \t]+)?){0,6})$",
    re.I,
)
#: How far before a test its written result may start.
_BEFORE_REACH = 160


@dataclass(frozen=True, slots=True)
class Reading:
    """What a measurement mention says: the finding it names, and the characters it spans."""

    finding: str
    start: int
    end: int
    normal: bool = False
    #: the characters naming the other tests that share this one's written result, if any
    shared: tuple[int, int] | None = None


def _rule_for(concept: str, rules: Mapping[str, MeasurementRule], onto: Ontology) -> MeasurementRule | None:
    """The rule of a measurement or of its nearest ancestor that has one."""
    if concept in rules:
        return rules[concept]
    for a in sorted(onto.ancestors(concept), key=lambda c: -onto.depth(c)):
        if a in rules:
            return rules[a]
    return None


def read_measurement(
    rule: MeasurementRule, text: str, start: int, end: int, limit: int, age: int | None = None, sex: str | None = None
) -> Reading | None:
    """Read the result of the measurement at ``text[start:end]`` (up to *limit*, its sentence's end)."""
    # a child's ranges differ, so a number is read only from min_age on; a result in words is the author's reading
    child = rule.min_age is not None and age is not None and age < rule.min_age
    if _OTHER_SPECIMEN.search(text[max(0, start - 60) : start]) and not _BLOOD.search(text[max(0, start - 12) : end]):
        return None
    after = text[end:limit]
    m = _VALUE.match(after)
    if m is not None and not m.group("grade") and not _MULTIPLE.match(after, m.end("num")):
        if child:
            return None
        value = float(m.group("num").replace(",", ""))
        # "a ratio greater than 1.0" lies just past its bound
        value += _EPSILON * abs(value or 1.0) * (1 if m.group("above") else -1 if m.group("below") else 0)
        unit = m.group("unit") or ""
        if not rule.plausible_value(value, unit):
            return None
        finding = rule.finding(value, unit, sex)
        if finding is None:
            return None
        stop = end + (m.end("unit") if m.group("unit") else m.end("num"))
        return Reading(finding, start, stop)
    base = end  # where the text the result was read from starts
    written = _RESULT_AFTER.match(after)
    if written is None:
        base = max(0, start - _BEFORE_REACH)
        written = _RESULT_BEFORE.search(text[base:start])
        if written is None:
            return None
    shared = (base + written.start("others"), base + written.end("others")) if written.group("others") else None
    # a result shared with other tests belongs to the span of the one next to it: this one keeps its name alone;
    # otherwise the span covers the name and the result's words, on whichever side they stand
    span = (start, end) if shared else (min(start, base + written.start()), max(end, base + written.end()))
    if written.group("normal"):
        # "inflammatory markers were normal" rules out their elevation; a normal heart rate, which could
        # have been too fast or too slow, names no one finding
        if (rule.above is None) == (rule.below is None):
            return None
        return Reading(rule.above or rule.below, *span, normal=True, shared=shared)  # type: ignore[arg-type]
    finding = rule.above if written.group("high") else rule.below
    return Reading(finding, *span, shared=shared) if finding else None


def _repeats(reading: Reading, before: Span | None, concept: str | None, text: str) -> bool:
    """Tell whether the value only backs a finding (*concept*) named just before it: "tachycardic (HR 118)"."""
    if before is None or concept != reading.finding:
        return False
    return re.fullmatch(r"[\s,:(\[-]*", text[before.end_char : reading.start]) is not None


def _names_other_things(chars: tuple[int, int], spans: list[Span], tags: Mapping[tuple[int, int], MentionTags]) -> bool:
    """Tell whether a list of tests sharing a result names something that is no test.

    "Decreased pain and temperature" is about sensation, "normal liver and spleen, platelets" about organs.
    """
    lo, hi = chars
    # a mention that starts before the list holds the result's own words: "elevated BNP and troponin"
    for s in spans:
        if lo <= s.start_char < hi and tags[(s.start, s.end)].kind is not ConceptKind.MEASUREMENT:
            return True
    return False


class MeasurementReader:
    """spaCy component ``radgraph_measurements``: measurement mentions with an abnormal result → findings."""

    def __init__(self, nlp: Language, name: str, rules: str) -> None:
        register_extensions()
        self.nlp = nlp
        self.name = name
        self.rules_source = rules
        loaded = load_rules(rules, MeasurementRule.from_dict) if rules else []
        self.rules: dict[str, MeasurementRule] = {str(r.measure): r for r in loaded}
        self._checked: Ontology | None = None  # the ontology the rules were last checked against

    def _ontology(self) -> Ontology:
        """The mention matcher's ontology, with every rule's measure checked against it once."""
        matcher = self.nlp.get_pipe("radgraph_mentions")
        onto: Ontology | None = getattr(matcher, "ontology", None)
        if onto is None:
            raise OntologyError("radgraph_measurements needs radgraph_mentions with an ontology before it")
        if onto is not self._checked:
            for r in self.rules.values():
                if r.measure not in onto:
                    raise OntologyError(f"measurement rule {r.id!r} names unknown concept {r.measure!r}")
            self._checked = onto
        return onto

    def __call__(self, doc: Doc) -> Doc:
        """Replace measurement mentions that report an abnormal result by finding mentions."""
        spans = list(doc.spans[MENTIONS_KEY]) if MENTIONS_KEY in doc.spans else []
        tags = mention_tags(doc)
        measured = ConceptKind.MEASUREMENT
        if not any(t.kind is measured for t in tags.values()):
            return doc
        onto = self._ontology()
        text = doc_text(doc)
        patient = patient_from_text(text[:3000])
        age, sex = patient.age, patient.sex.value if patient.sex else None
        out: list[Span] = []
        added: dict[tuple[int, int], MentionTags] = {}
        drop: set[int] = set()
        for i, span in enumerate(spans):
            tag = tags[(span.start, span.end)]
            if tag.kind is not measured:
                continue
            rule = _rule_for(tag.concept, self.rules, onto)
            if rule is None:
                continue
            reading = read_measurement(rule, text, span.start_char, span.end_char, span.sent.end_char, age, sex)
            before = spans[i - 1] if i else None
            concept = tags[(before.start, before.end)].concept if before is not None else None
            if reading is None or _repeats(reading, before, concept, text):
                continue
            if reading.shared is not None and _names_other_things(reading.shared, spans, tags):
                continue
            new = doc.char_span(reading.start, reading.end, label="", alignment_mode="expand")
            if new is None:
                continue
            kind = onto.kind(reading.finding)
            new = Span(doc, new.start, new.end, label=kind)
            drop.add(i)
            drop.update(j for j, o in enumerate(spans) if j != i and o.start < new.end and new.start < o.end)
            lexical = Assertion.ABSENT if reading.normal else None
            out.append(new)
            rule_id = f"{MEASURED_RULE}{rule.id}"
            added[(new.start, new.end)] = MentionTags(Curie(reading.finding), kind, rule_id, lexical)
        if out:
            kept = [s for j, s in enumerate(spans) if j not in drop] + out
            doc._.rg_tags = {(s.start, s.end): added.get((s.start, s.end)) or tags[(s.start, s.end)] for s in kept}
            doc.spans[MENTIONS_KEY] = sorted(kept, key=lambda s: (s.start, s.end))
        return doc


@Language.factory(
    "radgraph_measurements",
    default_config={"rules": "builtin:measurements"},
    assigns=["doc.spans", "doc._.rg_tags"],
    requires=["doc.spans", "doc._.rg_tags"],
)
def make_measurements(nlp: Language, name: str, rules: str) -> MeasurementReader:
    """Create the measurement reader (registered as a spaCy factory)."""
    return MeasurementReader(nlp, name, rules)
