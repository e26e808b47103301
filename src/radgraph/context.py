"""ConText-style assertion: negation, uncertainty, history, hypotheticals and generic statements.

The algorithm (Harkema et al., J Biomed Inform 2009;42:839-51) is a pure function over token
offsets (:func:`assign_context`): a trigger phrase modifies the targets within its scope, which
runs forward, backward or both ways from the trigger to the end of the sentence, a terminator,
or ``max_scope`` tokens. Pseudo-triggers ("no change", "year-old") block the shorter triggers
they contain. The trigger lexicon is data (``rules/context.jsonl``).

The spaCy component ``radgraph_context`` adapts a ``Doc``: it runs the algorithm per sentence
on the mention spans and sets their assertion, temporality and subject in ``doc._.rg_tags`` (read as
``span._.rg_assertion``, ``rg_temporality`` and ``rg_subject``);
mentions in a discussion section are generic (textbook knowledge) whatever their triggers.

>>> rules = [ContextRule("neg", "no", ContextCategory.NEGATED)]
>>> t = Trigger(0, 1, rules[0])
>>> assign_context([(1, 2)], [t])[0].assertion.value
'absent'
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace

from spacy.attrs import IDX, IS_SPACE, LOWER, ORTH
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.strings import StringStore, get_string_id
from spacy.tokens import Doc

from radgraph.extensions import MentionTags, doc_text, mention_tags, register_extensions
from radgraph.model import MEASURED_RULE, Assertion, ConceptKind, SectionCategory, Subject, Temporality
from radgraph.rules import ContextCategory, ContextRule, Direction, load_rules
from radgraph.sections import section_finder, sentence_starts
from radgraph.wrapped import phrase_matches

GENERIC_SECTIONS = frozenset({SectionCategory.DISCUSSION})

#: Relatives whose own conditions a history may name ("her mother had breast cancer"), each also in the plural
#: ("sisters"), and the words that may stand before one ("maternal grandmother", "half-sister").
_RELATIVES = (
    "mother father mom dad sister brother sibling sib aunt uncle grandmother grandfather grandparent cousin parent son "
    "daughter twin niece nephew relative"
).split()
_RELATIVE_PREFIXES = "maternal paternal older younger elder identical twin half".split()
_RELATIVE = (
    rf"(?:(?:{'|'.join(_RELATIVE_PREFIXES)})[ -])?(?:(?:{'|'.join(_RELATIVES)})s?|family[ -]members?)"
)
#: A verb after "had"/"has" that makes the relative a reporter, not an experiencer ("mother had noticed a lump").
_REPORTER = r"(?!\s+(?:noticed|noted|observed|reported|seen|brought|taken|found|felt|heard|said|told|described))"
#: A relative followed by what links them to a condition: "mother had", "brother (smoker) diagnosed with",
#: "sister with a history of", "father's history of", "mother and sister with".
_FAMILY_MEMBER = re.compile(
    _RELATIVE + r"(?:(?:\s*,\s*|\s+and\s+|\s*,\s*and\s+)(?:(?:his|her|their|a)\s+)?" + _RELATIVE + r")*"
    r"(?:\s*\([^()\n]{0,40}\))?"  # "sister (non-smoker) died of"
    r"(?:'s\s+|\s*,?\s+(?:who\s+)?)"
    r"(?:with|(?:had|has|have)" + _REPORTER + r"|died\s+(?:of|from)|passed\s+away\s+from"
    r"|(?:(?:was|were|is|are)\s+)?diagnosed\s+with|suffer(?:s|ed)\s+from|history\s+of|hx\s+of|h/o)\b",
    re.I,
)
#: The words a relative's name starts with, as lowercase string ids of spaCy tokens (see :func:`family_triggers`).
_RELATIVE_IDS = frozenset(
    get_string_id(w) for w in [*_RELATIVE_PREFIXES, *_RELATIVES, *(f"{r}s" for r in _RELATIVES), "family"]
)
#: What before a relative makes them the one who brings or speaks for the patient ("brought in by his mother
#: with fever", "per mother").
_ESCORT = re.compile(r"\b(?:by|per|accompanied|according\s+to)\s+(?:(?:his|her|their|the|a)\s+)?$", re.I)
#: ", and" that opens a new clause with its own subject and verb ("no restricted diffusion, and ADC values are
#: high"): a negation before it ends there. Not when the verb only says the whole list exists or not ("no fracture,
#: dislocation, and effusion is seen").
_NEW_CLAUSE = re.compile(
    r",\s+and\s+(?=(?:there\s+(?:is|are|was|were)\b|(?:the\s+|its\s+)?(?:[A-Za-z-]+\s+){1,3}(?:is|are|was|were)\s+"
    r"(?!(?:not\s+)?(?:seen|identified|noted|present|demonstrated|visualized|visible|evident|appreciated)\b)))",
    re.I,
)
#: The terminator a new clause makes: it ends the negations that reach across it.
CLAUSE_RULE = ContextRule("clause-and", ", and <clause>", ContextCategory.TERMINATE, Direction.NONE,
                          ends=ContextCategory.NEGATED)  # fmt: skip
#: "the differential (diagnosis) of/for <what is seen> includes <candidates>": what the differential is for is the
#: patient's finding, only the candidates after the verb or colon are in question. Not after "a" ("has a differential
#: diagnosis of lymphoma"), where the candidates follow at once (a rule of its own in ``rules/context.jsonl``).
_DIFFERENTIAL_OF = re.compile(
    r"(?<![Aa] )\b(?:differential(?:\s+diagnos[ie]s)?|ddx)\s+(?:of|for)\s+[^.;:\n]{1,100}?"
    r"(?P<verb>\s+(?:includes?|included|including|is|are|was|were|consists?\s+of|comprises?)\b|\s*:)",
    re.I,
)
#: The trigger that verb makes: the candidates after it are uncertain.
DIFFERENTIAL_RULE = ContextRule("differential-of-includes", "differential of <finding> includes",
                                ContextCategory.POSSIBLE, Direction.FORWARD, max_scope=25)  # fmt: skip
#: "Distinguish X from Y": what X is told apart from is a possibility, X itself is what the sentence is about (as
#: for a differential, whose candidates only are uncertain). The trigger is the "from".
_TOLD_APART_FROM = re.compile(
    r"\b(?:distinguish(?:es|ed|ing)?|differentiat(?:e|es|ed|ing)|separat(?:e|es|ing)|tell(?:ing)?\s+apart)\b"
    r"[^.;:\n]{1,80}?\b(?P<from>from)\b(?P<what>[^.;:(\n]{1,80}?)"
    r"(?=[.;:(\n]|,?\s+(?:as|by|because|since|which|that|when|based|using|is|are|was|were|may|might|can|will|"
    r"should|helps?|in\s+most|on\s+the\s+basis)\b|,\s+(?:the|a|an|this|these|it|they|there)\b"
    r"|\s+(?:causes?|etiolog(?:y|ies)|sources?)\s+of\b|$)",
    re.I,
)
#: The trigger that "from" makes.
TOLD_APART_RULE = ContextRule("told-apart-from", "distinguish <finding> from", ContextCategory.POSSIBLE,
                              Direction.FORWARD, max_scope=12)  # fmt: skip
#: A comma before the conclusion drawn from what precedes it ("no enhancement, indicating simple cysts"): a negation
#: before it ends there, and the conclusion keeps its own context ("..., suggesting a cyst" is uncertain).
_CONCLUSION = re.compile(
    r",(?=\s+(?:indicating|indicative\s+of|consistent\s+with|compatible\s+with|in\s+keeping\s+with|suggesting|"
    r"suggestive\s+of|representing|diagnostic\s+of|typical\s+of|characteristic\s+of)\b)",
    re.I,
)
#: The terminator that comma makes.
CONCLUSION_RULE = ContextRule("comma-conclusion", ", <conclusion>", ContextCategory.TERMINATE, Direction.FORWARD,
                              ends=ContextCategory.NEGATED)  # fmt: skip
#: The trigger a family member's phrase makes: what follows in the sentence is the relative's.
FAMILY_RULE = ContextRule("family-member", "<relative> with/had/died of", ContextCategory.FAMILY)
#: Words that only open a noun phrase: "likely areas of necrosis" questions the necrosis.
_BRIDGES = frozenset({"a", "an", "the", "of", "area", "areas", "focus", "foci", "region", "regions", "zone", "zones"})
_BRIDGE_IDS = frozenset(get_string_id(w) for w in _BRIDGES)


@dataclass(frozen=True, slots=True)
class Trigger:
    """A matched trigger phrase: token offsets and its rule."""

    start: int
    end: int
    rule: ContextRule
    #: For a closing parenthesis: the token of the "(" it closes. A scope of uncertainty that opens before it runs
    #: through the parenthesis ("the differential includes subarachnoid haemorrhage (SAH), aneurysm"); one opened
    #: inside it ends there.
    opens: int | None = None


@dataclass(frozen=True, slots=True)
class ContextResult:
    """The context of one target."""

    assertion: Assertion = Assertion.PRESENT
    temporality: Temporality = Temporality.CURRENT
    subject: Subject = Subject.PATIENT
    triggers: tuple[str, ...] = ()
    #: uncertain only by a "possible" trigger ("rule out", "suspected"), not by a hypothetical ("if")
    only_possible: bool = False


def resolve_triggers(candidates: Sequence[Trigger]) -> list[Trigger]:
    """Keep the longest trigger where triggers overlap; drop pseudo-triggers after they block."""
    ordered = sorted(candidates, key=lambda t: (-(t.end - t.start), t.start))
    kept: list[Trigger] = []
    owner: dict[int, tuple[int, int]] = {}  # token → the kept span over it (kept spans differ or are disjoint)
    for t in ordered:
        span = (t.start, t.end)
        if any(owner.get(i, span) != span for i in range(t.start, t.end)):
            continue
        kept.append(t)
        for i in range(t.start, t.end):
            owner[i] = span
    return sorted((t for t in kept if t.rule.category is not ContextCategory.PSEUDO), key=lambda t: t.start)


def _ends(terminator: Trigger, rule: ContextRule, way: Direction) -> bool:
    """Tell whether a terminator ends a scope of *rule* running *way* (its ``ends`` and ``direction``)."""
    t = terminator.rule
    return t.ends in (None, rule.category) and t.direction in (way, Direction.NONE, Direction.BIDIRECTIONAL)


def _in_scope(target: tuple[int, int], trig: Trigger, terminators: Sequence[Trigger]) -> bool:
    ts, te = target
    if ts <= trig.start and trig.end <= te:
        return False  # a trigger inside the target is part of its name
    rule = trig.rule
    limit = rule.max_scope
    # a trigger that overlaps the target's edge ("no focal" before "focal deficit") still scopes over it
    forward = trig.start < ts and rule.direction in (Direction.FORWARD, Direction.BIDIRECTIONAL)
    backward = trig.end > te and rule.direction in (Direction.BACKWARD, Direction.BIDIRECTIONAL)
    if trig.start < te and ts < trig.end:
        return forward or backward
    forward = forward and trig.end <= ts
    backward = backward and trig.start >= te
    if forward:
        if limit is not None and ts - trig.end > limit:
            return False
        return not any(
            trig.end <= x.start and x.end <= ts and _ends(x, rule, Direction.FORWARD)
            and (x.opens is None or x.opens < trig.start or rule.category not in _THROUGH_PARENTHESES)
            for x in terminators
        )  # fmt: skip
    if backward:
        if limit is not None and trig.start - te > limit:
            return False
        return not any(
            te <= x.start and x.end <= trig.start and _ends(x, rule, Direction.BACKWARD) for x in terminators
        )
    return False


def _complement(t: Trigger) -> Trigger:
    """Turn a backward uncertainty trigger into one over the target right after it."""
    if t.rule.category is not ContextCategory.POSSIBLE or t.rule.direction is not Direction.BACKWARD:
        return t
    return Trigger(t.start, t.end, replace(t.rule, direction=Direction.FORWARD, max_scope=2))


def _leads_to(t: Trigger, s: int, bridges: AbstractSet[int]) -> bool:
    """Tell whether a target at token *s* follows trigger *t* at once or over words opening a noun phrase.

    "likely metastases", "likely areas of necrosis".
    """
    if t.end <= s <= t.end + 1:
        return True
    return t.end < s <= t.end + 4 and all(i in bridges for i in range(t.end, s))


def assign_context(
    targets: Sequence[tuple[int, int]], triggers: Sequence[Trigger], bridges: AbstractSet[int] = frozenset()
) -> list[ContextResult]:
    """Return the context of each target (token offsets) given the triggers of its sentence.

    *bridges* are the tokens that only open a noun phrase ("areas of"), which a trigger's complement may
    begin with.
    """
    terminators = [t for t in triggers if t.rule.category is ContextCategory.TERMINATE]
    # "the nodules are likely metastases": an uncertainty verb followed at once by a target qualifies
    # that target (its complement), not the subject before it
    starts = [s for s, _ in targets]
    active = [
        _complement(t) if any(_leads_to(t, s, bridges) for s in starts) else t
        for t in triggers
        if t.rule.category is not ContextCategory.TERMINATE
    ]
    out: list[ContextResult] = []
    for target in targets:
        cats: set[ContextCategory] = set()
        ids: list[str] = []
        for trig in active:
            if _in_scope(target, trig, terminators):
                cats.add(trig.rule.category)
                ids.append(trig.rule.id)
        if ContextCategory.NEGATED in cats:
            assertion = Assertion.ABSENT
        elif cats & {ContextCategory.POSSIBLE, ContextCategory.HYPOTHETICAL}:
            assertion = Assertion.UNCERTAIN
        else:
            assertion = Assertion.PRESENT
        if ContextCategory.GENERIC in cats:
            subject = Subject.GENERIC
        elif ContextCategory.FAMILY in cats:
            subject = Subject.FAMILY
        else:
            subject = Subject.PATIENT
        out.append(
            ContextResult(
                assertion=assertion,
                # a relative's condition is their history, not the patient's
                temporality=(Temporality.HISTORICAL if ContextCategory.HISTORICAL in cats
                             and subject is not Subject.FAMILY else Temporality.CURRENT),
                subject=subject,
                triggers=tuple(ids),
                only_possible=assertion is Assertion.UNCERTAIN and ContextCategory.HYPOTHETICAL not in cats,
            )
        )
    return out


#: Scopes that run through a parenthesis opened after their trigger. A negation does not: a list closed by a
#: parenthesis often ends it ("lack of symptoms (fatigue, infections), and laboratory abnormalities (hypercalcemia)").
_THROUGH_PARENTHESES = frozenset({ContextCategory.POSSIBLE, ContextCategory.HYPOTHETICAL})
#: How far back a closing parenthesis looks for the one it closes (tokens).
_PAREN_REACH = 40


def _paired(triggers: list[Trigger], doc: Doc) -> list[Trigger]:
    """Give each closing-parenthesis terminator the "(" it closes, when that lies shortly before it."""
    closing = [
        k for k, t in enumerate(triggers) if t.rule.category is ContextCategory.TERMINATE and t.rule.literal == ")"
    ]
    if not closing:
        return triggers
    orth, space = doc.to_array([ORTH, IS_SPACE]).T.tolist()
    strings = doc.vocab.strings
    out = list(triggers)
    for k in closing:
        t = triggers[k]
        for i in range(t.start - 1, max(-1, t.start - 1 - _PAREN_REACH), -1):
            if orth[i] == _CLOSE or (space[i] and "\n" in strings[orth[i]]):
                break
            if orth[i] == _OPEN:
                out[k] = replace(t, opens=i)
                break
    return out


_OPEN = get_string_id("(")
_CLOSE = get_string_id(")")


def _regex_triggers(
    doc: Doc, text: str, pattern: re.Pattern[str], rule: ContextRule, group: int | str = 0
) -> list[Trigger]:
    """One trigger of *rule* over the tokens of each match of *pattern* (or of its *group*) in the text."""
    out: list[Trigger] = []
    for m in pattern.finditer(text):
        span = doc.char_span(m.start(group), m.end(group), alignment_mode="expand")
        if span is not None:
            out.append(Trigger(span.start, span.end, rule))
    return out


def clause_terminators(doc: Doc) -> list[Trigger]:
    """Terminators at ", and" that opens a new clause (see ``_NEW_CLAUSE``)."""
    text = doc_text(doc)
    return _regex_triggers(doc, text, _NEW_CLAUSE, CLAUSE_RULE) if ", and" in text else []


def conclusion_terminators(doc: Doc) -> list[Trigger]:
    """Terminators at the comma before a conclusion (see ``_CONCLUSION``)."""
    text = doc_text(doc)
    return _regex_triggers(doc, text, _CONCLUSION, CONCLUSION_RULE) if "," in text else []


def differential_triggers(doc: Doc) -> list[Trigger]:
    """Uncertainty triggers at the verb after "the differential diagnosis of <finding>" (see ``_DIFFERENTIAL_OF``)."""
    text = doc_text(doc)
    lowered = text.lower()
    if "differential" not in lowered and "ddx" not in lowered:
        return []
    return _regex_triggers(doc, text, _DIFFERENTIAL_OF, DIFFERENTIAL_RULE, group="verb")


def told_apart_triggers(doc: Doc) -> list[Trigger]:
    """Uncertainty triggers at the "from" of "distinguish X from Y" (see ``_TOLD_APART_FROM``)."""
    text = doc_text(doc)
    lowered = text.lower()
    if "from" not in lowered or not ("distingu" in lowered or "differentia" in lowered or "separat" in lowered
                                     or "apart" in lowered):
        return []
    out: list[Trigger] = []
    for m in _TOLD_APART_FROM.finditer(text):
        trig = doc.char_span(m.start("from"), m.end("from"), alignment_mode="expand")
        what = doc.char_span(m.start("what"), m.end("what"), alignment_mode="expand")
        if trig is not None and what is not None:
            # the scope is what "from" names, up to the reason or means that follows ("..., as it has calcifications")
            rule = replace(TOLD_APART_RULE, max_scope=max(0, len(what) - 1))
            out.append(Trigger(trig.start, trig.end, rule))
    return out


def family_triggers(doc: Doc) -> list[Trigger]:
    """Triggers of relatives linked to a condition ("her mother had", "sister (smoker) died of").

    Only tokens that name a relative are tried, so a text without one costs a set lookup per token.
    """
    lower, idx = doc.to_array([LOWER, IDX]).T.tolist()
    starts = [i for i, w in enumerate(lower) if w in _RELATIVE_IDS]
    if not starts:
        return []
    text = doc_text(doc)
    out: list[Trigger] = []
    end = -1
    for i in starts:
        if idx[i] < end:
            continue  # a relative inside the last match ("mother and sister with")
        m = _FAMILY_MEMBER.match(text, idx[i])
        if m is None or _ESCORT.search(text, max(0, m.start() - 24), m.start()):
            continue
        end = m.end()
        span = doc.char_span(m.start(), m.end(), alignment_mode="expand")
        if span is not None:
            out.append(Trigger(span.start, span.end, FAMILY_RULE))
    return out


class ContextComponent:
    """spaCy component ``radgraph_context``."""

    def __init__(self, nlp: Language, name: str, rules: str) -> None:
        register_extensions()
        self.name = name
        self.rules_source = rules
        self.rules = load_rules(rules, ContextRule.from_dict)
        self.matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        self._by_key: dict[str, ContextRule] = {}
        for rule in self.rules:
            self._by_key[rule.id] = rule
            self.matcher.add(rule.id, [nlp.make_doc(rule.literal)])

    def triggers(self, doc: Doc) -> list[Trigger]:
        """Return the resolved triggers of a document."""
        strings = doc.vocab.strings
        cands = [Trigger(s, e, self._by_key[strings[m]]) for m, s, e in phrase_matches(self.matcher, doc)]
        cands.extend(family_triggers(doc))
        cands.extend(clause_terminators(doc))
        cands.extend(differential_triggers(doc))
        cands.extend(told_apart_triggers(doc))
        cands.extend(conclusion_terminators(doc))
        return _paired(resolve_triggers(cands), doc)

    def __call__(self, doc: Doc) -> Doc:
        """Set assertion, temporality and subject on every mention span."""
        tags = mention_tags(doc)
        if not tags:
            return doc
        mentions = sorted(tags)  # token offsets of the mention spans
        lower, idx = doc.to_array([LOWER, IDX]).T.tolist()
        triggers = _absent_structures(self.triggers(doc), mentions, tags, lower, doc.vocab.strings)
        by_sent: dict[int, list[Trigger]] = {}
        sent_starts = sentence_starts(doc)
        for t in triggers:
            by_sent.setdefault(bisect.bisect_right(sent_starts, t.start) - 1, []).append(t)
        groups: dict[int, list[tuple[int, int]]] = {}
        for m in mentions:
            groups.setdefault(bisect.bisect_right(sent_starts, m[0]) - 1, []).append(m)
        n = len(doc)
        bridges = {i for t in triggers for i in range(t.end, min(t.end + 4, n)) if lower[i] in _BRIDGE_IDS}
        section_of = section_finder(doc._.rg_sections or [])
        for sent, targets in groups.items():
            results = assign_context(targets, by_sent.get(sent, []), bridges)
            end = sent_starts[sent + 1] if sent + 1 < len(sent_starts) else n
            about_patient = _names_the_patient(lower, sent_starts[sent], end)
            for target, res in zip(targets, results, strict=True):
                tag = tags[target]
                sec = section_of(idx[target[0]])
                category = sec.category if sec else SectionCategory.OTHER
                tag.section = category
                lexical = tag.lexical_assertion
                assertion = res.assertion
                if res.only_possible and tag.rule.startswith(MEASURED_RULE):
                    assertion = Assertion.PRESENT  # a result is a fact, whatever the work-up looked for
                tag.assertion = lexical if lexical and assertion is Assertion.PRESENT else assertion
                tag.temporality = res.temporality
                # a discussion is about the disease, except where it speaks of this patient ("in this case, the CT
                # showed no bleeding", "the patient's blood pressure was elevated")
                generic = res.subject is Subject.GENERIC or (category in GENERIC_SECTIONS and not about_patient)
                tag.subject = Subject.GENERIC if generic else res.subject
        return doc


#: Words that make a sentence speak of the case's own patient: "this/our patient", "in this case", "he", "her"
#: ("the patient" is also how textbooks speak of any patient, and "he or she" of anyone).
_PATIENT_WORDS = frozenset(get_string_id(w) for w in ("he", "she", "his", "him", "her", "hers"))
_THE_PATIENT = frozenset(get_string_id(w) for w in ("patient", "pt", "child", "boy", "girl", "man", "woman", "case"))
_THIS = frozenset(get_string_id(w) for w in ("this", "our"))
_OR = get_string_id("or")
_THE = get_string_id("the")
#: What "the patient" does in a case's own story, in the past ("the patient had no history of hypertension").
_PAST = frozenset(get_string_id(w) for w in (
    "was", "had", "did", "presented", "underwent", "developed", "received", "reported", "denied", "remained",
    "returned", "became", "improved", "recovered", "required", "complained", "initially", "subsequently", "then",
    "later", "also", "never",
))


def _names_the_patient(lower: Sequence[int], start: int, end: int) -> bool:
    """Tell whether the tokens [start, end) speak of the case's own patient."""
    for i in range(start, end):
        w = lower[i]
        if w in _PATIENT_WORDS:
            either = (i + 2 < end and lower[i + 1] == _OR and lower[i + 2] in _PATIENT_WORDS) or (
                i - 2 >= start and lower[i - 1] == _OR and lower[i - 2] in _PATIENT_WORDS
            )
            if not either:
                return True
        elif w in _THE_PATIENT and i > start and (
            lower[i - 1] in _THIS or (lower[i - 1] == _THE and i + 1 < end and lower[i + 1] in _PAST)
        ):
            return True
    return False


#: Negations that can name a missing structure rather than deny a finding: "absence of the septum pellucidum".
_ABSENCE_LITERALS = frozenset({"absence of", "absent"})


def _absent_structures(
    triggers: list[Trigger],
    mentions: Sequence[tuple[int, int]],
    tags: dict[tuple[int, int], MentionTags],
    lower: Sequence[int],
    strings: StringStore,
) -> list[Trigger]:
    """Drop an "absence of" that names a missing structure: it denies no finding after it.

    "Absence of the septum pellucidum as well as hypoplasia of the optic tracts": the septum is missing, and the
    hypoplasia is present. The structure's name must end there (a full stop, comma, conjunction or preposition
    follows it); a site that opens a longer name keeps the negation ("absence of liver lesions", "absence of renal
    insufficiency", "absent lower extremity pulses").
    """
    dropped: set[int] = set()
    for k, t in enumerate(triggers):
        if t.rule.category is not ContextCategory.NEGATED or t.rule.literal not in _ABSENCE_LITERALS:
            continue
        after = [m for m in mentions if t.end <= m[0] <= t.end + 2 and tags[m].kind is not ConceptKind.LATERALITY]
        if not after or tags[after[0]].kind is not ConceptKind.SITE:
            continue
        end = after[0][1]
        if end >= len(lower) or lower[end] in _NAME_ENDS or "\n" in strings[lower[end]]:
            dropped.add(k)
    return [t for k, t in enumerate(triggers) if k not in dropped] if dropped else triggers


#: Words after which a structure's name has ended.
NAME_END_WORDS = (".", ",", ";", ":", ")", "and", "or", "as", "with", "without", "in", "of", "on", "is", "was", "are",
                   "were", "but", "which", "that")  # fmt: skip
_NAME_ENDS = frozenset(get_string_id(w) for w in NAME_END_WORDS)


@Language.factory(
    "radgraph_context",
    default_config={"rules": "builtin:context"},
    assigns=["doc._.rg_tags"],
    requires=["doc.spans", "doc._.rg_tags", "doc._.rg_sections"],
)
def make_context(nlp: Language, name: str, rules: str) -> ContextComponent:
    """Create the ConText component (registered as a spaCy factory)."""
    return ContextComponent(nlp, name, rules)
