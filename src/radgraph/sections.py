"""Section detection: headings to :class:`~radgraph.model.Section` records.

The algorithm is a pure function over text (:func:`detect_sections`); the spaCy component
``radgraph_sections`` only adapts a ``Doc``: it stores the sections in ``Doc._.rg_sections``
(when an importer already set them, it only splits off a bibliography inside one,
:func:`split_references`) and starts a sentence at every section body, blank line and list item.

>>> from radgraph.rules import SectionRule, load_rules
>>> rules = load_rules("builtin:sections", SectionRule.from_dict)
>>> [s.category.value for s in detect_sections("Title\\n\\nFindings\\n\\nA mass.\\n\\nImpression: tumor", rules)]
['title', 'findings', 'impression']
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy
from spacy.attrs import IDX, IS_SPACE, SENT_START
from spacy.language import Language
from spacy.tokens import Doc

from radgraph.extensions import doc_text, register_extensions
from radgraph.model import Section, SectionCategory
from radgraph.rules import SectionRule, load_rules

_LINE = re.compile(r"[^\n]*(?:\n|$)")
_MAX_HEADING_WORDS = 7
_LIST_ITEM = re.compile(r"^(?:[-•*]|\d+[.)])$")
#: A question mark that opens what it questions ("? pneumonia", "2. ?early herniation", "opacity ? infection"):
#: after a space or a line start and before a word, it ends no sentence. A mark after a number is a character lost
#: in encoding ("1 ? weeks" for one and a half weeks).
_QUERY_MARK = re.compile(r"\?[ \t]*(?=[A-Za-z])")
_NEWLINE = re.compile("\n")


@dataclass(frozen=True, slots=True)
class _Heading:
    start: int
    body_start: int
    title: str
    rule: SectionRule


@lru_cache(maxsize=32)
def _compile(rules: tuple[SectionRule, ...]) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
    """One pattern for a whole heading line and one for an inline heading, each an alternation of the rules.

    An anchored alternation matches with the first rule, in order, that matches at all, as trying the rules
    one by one would; the named group that took part says which rule it was (``r3`` is ``rules[3]``).
    """
    alternatives = "|".join(f"(?P<r{i}>{r.pattern})" for i, r in enumerate(rules))
    inline = "|".join(f"(?P<r{i}>{r.pattern})" for i, r in enumerate(rules) if r.inline)
    return (
        re.compile(rf"^\s*(?:{alternatives})\s*:?\s*$", re.IGNORECASE) if rules else None,
        re.compile(rf"^\s*(?:{inline})\s*:[ \t]*(?=\S)", re.IGNORECASE) if inline else None,
    )


def _rule_of(m: re.Match[str], rules: Sequence[SectionRule]) -> SectionRule:
    return rules[int(next(k for k, v in m.groupdict().items() if v is not None)[1:])]


def _headings(text: str, rules: Sequence[SectionRule]) -> list[_Heading]:
    whole, inline = _compile(tuple(rules))
    found: list[_Heading] = []
    for m in _LINE.finditer(text):
        line = m.group(0)
        if not line:
            break
        start, stripped = m.start(), line.strip()
        if stripped and len(stripped.split()) <= _MAX_HEADING_WORDS:
            wm = whole.match(stripped) if whole is not None else None
            if wm is not None:
                found.append(_Heading(start, m.end(), stripped.rstrip(":").strip(), _rule_of(wm, rules)))
            else:
                stripped = ""
        if stripped == "" or not found or found[-1].start != start:
            im = inline.match(line) if inline is not None else None
            if im is not None:
                title = line[: im.end()].strip().rstrip(":").strip()
                found.append(_Heading(start, start + im.end(), title, _rule_of(im, rules)))
    return found


def _split_gap(text: str, start: int, end: int, gap: int) -> int | None:
    """Return where unlabelled text begins after the first block of a section body, if any."""
    body = text[start:end]
    lead = len(body) - len(body.lstrip())
    m = re.search(r"\n(?:[ \t]*\n){%d,}" % (gap - 1), body[lead:])
    if m is None:
        return None
    rest = start + lead + m.end()
    return rest if text[rest:end].strip() else None


def detect_sections(text: str, rules: Sequence[SectionRule], *, gap: int = 3) -> list[Section]:
    """Split *text* into sections by heading rules.

    Text before the first heading is the title (when short) or ``other``. A run of *gap* or more
    line breaks inside a section whose rule has ``after_gap`` starts an unlabelled section of
    that category.
    """
    heads = _headings(text, rules)
    sections: list[Section] = []
    first = heads[0].start if heads else len(text)
    if text[:first].strip():
        lead = text[:first]
        s = len(lead) - len(lead.lstrip())
        category = SectionCategory.TITLE if len(lead.strip().splitlines()) <= 2 and heads else SectionCategory.OTHER
        sections.append(Section(category, "", s, s, len(lead.rstrip())))
    for i, h in enumerate(heads):
        end = heads[i + 1].start if i + 1 < len(heads) else len(text)
        end = h.body_start + len(text[h.body_start:end].rstrip())
        split = _split_gap(text, h.body_start, end, gap) if h.rule.after_gap else None
        if split is not None and h.rule.after_gap is not None:
            first_end = h.body_start + len(text[h.body_start:split].rstrip())
            sections.append(Section(h.rule.category, h.title, h.start, h.body_start, first_end))
            sections.append(Section(h.rule.after_gap, "", split, split, max(end, split)))
        else:
            sections.append(Section(h.rule.category, h.title, h.start, h.body_start, max(end, h.body_start)))
    return sections


#: A line of a bibliography: a year, "et al", a URL, a volume or page range, a journal or publisher word.
_CITATION_LINE = re.compile(
    r"\b(?:19|20)\d{2}\b|\bet al\b|www\.|https?:|\baccessed\b|\bvol\.|\bjournal\b|\bpmid\b|\bdoi\b|\bedition\b"
    r"|\bpublishers?\b|\bpress\b|\blecture\b|\bpp?\.\s*\d|\d+\s*[-\u2013]\s*\d+|^\s*\d+[.)]\s",
    re.I,
)


def _bibliography_end(text: str, start: int, end: int) -> int:
    """Where a bibliography that starts at *start* ends: at the first line that cites nothing."""
    for m in _LINE.finditer(text, start, end):
        line = m.group(0)
        if not line:
            break
        if line.strip() and not _CITATION_LINE.search(line):
            return m.start()
    return end


def split_references(text: str, sections: Sequence[Section], rules: Sequence[SectionRule]) -> list[Section]:
    """Split a bibliography off the sections an importer made ("REFERENCES:" inside a discussion field).

    The bibliography runs from its heading over the lines that cite something; text after it
    (a teaching file may go on with more of the case) keeps the section's category.
    """
    refs = [r for r in rules if r.category is SectionCategory.REFERENCE]
    heads = _headings(text, refs) if refs else []
    if not heads:
        return list(sections)
    out: list[Section] = []
    for s in sections:
        inside = [h for h in heads if s.body_start <= h.start < s.end]
        if s.category is SectionCategory.REFERENCE or not inside:
            out.append(s)
            continue
        h = inside[0]
        stop = _bibliography_end(text, h.body_start, s.end)
        out.append(replace(s, end=s.body_start + len(text[s.body_start : h.start].rstrip())))
        out.append(Section(SectionCategory.REFERENCE, h.title, h.start, h.body_start, max(stop, h.body_start)))
        if text[stop : s.end].strip():
            out.append(Section(s.category, "", stop, stop, s.end))
    return out


def _reach(s: Section) -> int:
    """Where a section stops containing offsets: its end, or one past its start when it is empty."""
    return s.end if s.end > s.start else s.start + 1


def section_at(sections: Sequence[Section], offset: int) -> Section | None:
    """Return the section containing character *offset* (the first one, should sections overlap)."""
    for s in sections:
        if s.start <= offset < _reach(s):
            return s
    return None


def section_finder(sections: Sequence[Section]) -> Callable[[int], Section | None]:
    """Return :func:`section_at` for *sections*, by binary search when they are in order and disjoint."""
    ends = [_reach(s) for s in sections]
    starts = [s.start for s in sections]
    if any(starts[i + 1] < ends[i] for i in range(len(sections) - 1)):
        return lambda offset: section_at(sections, offset)

    def find(offset: int) -> Section | None:
        i = bisect.bisect_right(starts, offset) - 1
        return sections[i] if i >= 0 and offset < ends[i] else None

    return find


class SectionComponent:
    """spaCy component ``radgraph_sections``: detects sections and marks sentence starts."""

    def __init__(self, nlp: Language, name: str, rules: str, gap: int) -> None:
        register_extensions()
        self.name = name
        self.rules_source = rules
        self.gap = gap
        self.rules = load_rules(rules, SectionRule.from_dict)

    def __call__(self, doc: Doc) -> Doc:
        """Set ``doc._.rg_sections`` and sentence boundaries."""
        text = doc_text(doc)
        if not doc._.rg_sections:
            doc._.rg_sections = detect_sections(text, self.rules, gap=self.gap)
        else:
            doc._.rg_sections = split_references(text, doc._.rg_sections, self.rules)
        for i in query_marks(doc, text):
            doc[i].is_sent_start = False
        for i in sentence_breaks(doc, text, doc._.rg_sections):
            doc[i].is_sent_start = True
        return doc


def query_marks(doc: Doc, text: str) -> list[int]:
    """Token indices right after a question mark that questions what follows it, not a sentence's end."""
    if "?" not in text:
        return []
    out: list[int] = []
    for m in _QUERY_MARK.finditer(text):
        at = m.start()
        before = text[at - 1] if at else "\n"
        if not (before in ":(" or (before.isspace() and not (at >= 2 and text[at - 2].isdigit()))):
            continue
        span = doc.char_span(m.start(), m.start() + 1, alignment_mode="expand")
        if span is not None and span.end < len(doc) and span.text == "?":
            out.append(span.end)
    return out


def sentence_starts(doc: Doc) -> list[int]:
    """Token indices where sentences start (without building Span objects)."""
    flags = doc.to_array([SENT_START])
    starts = [int(i) for i in (flags == 1).nonzero()[0]]
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    return starts


def sentence_breaks(doc: Doc, text: str, sections: Sequence[Section]) -> list[int]:
    """Token indices that must start a sentence: a section heading or body, a blank line, a list item.

    Works on token offsets as arrays, so that only the tokens returned become ``Token`` objects.
    """
    if len(doc) < 2:
        return []
    arr = doc.to_array([IDX, IS_SPACE])
    idx, space = arr[:, 0], arr[:, 1].astype(bool)
    prev_idx, cur_idx = idx[:-1], idx[1:]
    bounds = numpy.array(sorted({s.start for s in sections} | {s.body_start for s in sections}), dtype=idx.dtype)
    # a boundary in (previous token's start, this token's start]
    crosses = numpy.searchsorted(bounds, cur_idx, "right") > numpy.searchsorted(bounds, prev_idx, "right")
    newlines = numpy.array([m.start() for m in _NEWLINE.finditer(text)], dtype=idx.dtype)
    # line breaks between the previous token's start and this token's (its text and trailing space)
    breaks = numpy.searchsorted(newlines, cur_idx) - numpy.searchsorted(newlines, prev_idx)
    blank_line = space[:-1] & (breaks >= 2)
    wanted = ~space[1:] & (crosses | blank_line | (breaks >= 1))
    out: list[int] = []
    for k in numpy.nonzero(wanted)[0].tolist():
        i = k + 1
        if crosses[k] or blank_line[k] or _LIST_ITEM.match(doc[i].text) is not None or _line_item(doc, i):
            out.append(i)
    return out


#: Words that end a line in the middle of a sentence wrapped onto the next ("a mass in the\nRight lower lobe").
_CONTINUES = frozenset(
    "a an the of in on at to with without and or nor by for from into onto within than as is are was were , - / ( :"
    .split()
)  # fmt: skip


def _line_item(doc: Doc, i: int) -> bool:
    """Tell whether token *i*, first on its line, opens an item of a list of lines ("Mass on CT abutting ...").

    A line that starts with a capital after one that ends in no continuation word is a new item: findings listed
    one a line ("Indistinct LV heart border on lateral CXR" / "Mass on CT abutting mediastinum") are sentences.
    """
    first = doc[i].text
    if not first[:1].isupper():
        return False
    prev = doc[i - 1]
    if prev.is_space:
        prev = doc[i - 2] if i >= 2 else prev
    return prev.lower_ not in _CONTINUES


@Language.factory(
    "radgraph_sections",
    default_config={"rules": "builtin:sections", "gap": 3},
    assigns=["doc._.rg_sections", "token.is_sent_start"],
    requires=["token.is_sent_start"],
)
def make_sections(nlp: Language, name: str, rules: str, gap: int) -> SectionComponent:
    """Create the section component (registered as a spaCy factory)."""
    return SectionComponent(nlp, name, rules, gap)
