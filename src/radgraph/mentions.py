"""Concept mentions: a phrase matcher built from the ontology lexicon (spaCy components).

``radgraph_normalizer`` sets ``Token.norm_`` to :func:`radgraph.normalize.norm` (spelling
variants and plurals); ``radgraph_mentions`` matches every label, synonym and misspelling of
the ontology on those norms, abbreviations case-sensitively on the exact text, and keeps the
longest, most specific match where matches overlap. Each match becomes a span in
``doc.spans["rg_mentions"]``; its tags (:class:`~radgraph.extensions.MentionTags`: concept CURIE,
kind, rule) go to ``doc._.rg_tags`` and read as ``span._.rg_concept``, ``span._.rg_kind``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy
from spacy.attrs import IDX, IS_PUNCT, IS_SPACE, LOWER, NORM, ORTH
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.strings import get_string_id
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc, Span
from spacy.util import ensure_path

from radgraph.errors import OntologyError
from radgraph.extensions import MENTIONS_KEY, MentionTags, register_extensions
from radgraph.model import Assertion, ConceptKind
from radgraph.normalize import is_plural, norm
from radgraph.ontology import LexEntry, Ontology, build_ontology, load_ontology
from radgraph.rules import FindingRule, load_rules
from radgraph.vocab import new_graph
from radgraph.wrapped import phrase_matches

#: Whitespace-delimited chunks the tokenizer may remember (each some tens of bytes).
TOKENIZER_CACHE = 500_000

_SOURCE_RANK = {"rule": -1, "label": 0, "altLabel": 1, "abbreviation": 2, "hiddenLabel": 3}
_DETERMINERS = {"the", "this", "these", "that", "those", "said", "such"}
_AGE_UNITS = {"year", "years", "yr", "yrs", "y", "month", "months", "mo", "week", "weeks", "day", "days"}


def _in_age_phrase(doc: Doc, start: int) -> bool:
    """Tell whether the token at *start* is the "old" of "29-year-old"."""
    i = start - 1
    while i >= 0 and doc[i].text in ("-", "/"):
        i -= 1
    return i >= 0 and doc[i].lower_ in _AGE_UNITS


def normalize_doc(doc: Doc) -> Doc:
    """Give every token radgraph's normalized form as its ``norm_``.

    The norm is stored on the vocabulary's lexeme (which tokens inherit), once per word type;
    a token-level norm set by a tokenizer exception wins. No state is kept outside the vocabulary
    but a bounded memo of each word's wanted norm (a function of its spelling alone).
    """
    vocab = doc.vocab
    strings = vocab.strings
    rows = doc.to_array([ORTH, NORM, IS_SPACE, IS_PUNCT])
    # one row per word type, and no spaces or punctuation, read as numbers: only a lexeme whose norm must
    # change becomes an object
    rows = rows[numpy.unique(rows[:, 0], return_index=True)[1]]
    rows = rows[(rows[:, 2] == 0) & (rows[:, 3] == 0)]
    memo = _WANTED_NORM
    for orth, current in rows[:, :2].tolist():
        want = memo.get(orth)
        if want is None:
            if len(memo) >= _WANTED_NORM_SIZE:
                memo.clear()
            want = memo[orth] = get_string_id(norm(strings[orth]))
        if current != want:
            wanted = norm(strings[orth])
            lex = vocab[orth]
            if lex.norm_ != wanted:
                lex.norm_ = wanted
    return doc


#: Word (orth hash) → hash of its normalized form; string hashes are the same in every vocabulary.
_WANTED_NORM: dict[int, int] = {}
_WANTED_NORM_SIZE = 500_000


@Language.component("radgraph_normalizer", assigns=["token.norm"])
def make_normalizer(doc: Doc) -> Doc:
    """SpaCy component ``radgraph_normalizer`` (see :func:`normalize_doc`)."""
    return normalize_doc(doc)


_SIDE_SHORT = {"right": ("R", "rt"), "left": ("L", "lt")}


def _variants(text: str) -> set[str]:
    """Spelling variants of a lexicon string.

    Hyphen and space forms, "X ca" for a named cancer, and "R"/"L", "rt"/"lt" for a side that opens a longer
    name ("R upper quadrant", "L lower lobe").
    """
    out = {text}
    if "-" in text:
        out.add(text.replace("-", " "))
        out.add(text.replace("-", ""))
    words = text.split()
    if 1 < len(words) <= 3 and all(w.isalpha() for w in words):
        out.add("-".join(words))
    # clinical shorthand for a named cancer: "breast CA", "pancreatic ca"
    if len(words) > 1 and words[-1].lower() in ("cancer", "carcinoma"):
        out.add(" ".join([*words[:-1], "ca"]))
    side = _SIDE_SHORT.get(words[0].lower()) if len(words) > 1 else None
    for short in side or ():
        out.add(" ".join([short, *words[1:]]))
    return {re.sub(r"\s+", " ", v).strip() for v in out if v.strip()}


@dataclass(frozen=True, slots=True)
class _Entry:
    """A lexicon entry as the matcher ranks it: its concept's kind, rule name, source rank and depth."""

    entry: LexEntry
    kind: ConceptKind
    rule: str
    lexical: Assertion | None
    rank: int
    depth: int  # negated, so that the deepest concept sorts first


_OLD = get_string_id("old")


class MentionMatcher:
    """spaCy component ``radgraph_mentions``: ontology lexicon → mention spans."""

    def __init__(self, nlp: Language, name: str, ontology: str, rules: str) -> None:
        register_extensions()
        self.nlp = nlp
        self.name = name
        self.source = ontology
        self.rules_source = rules
        self.ontology: Ontology | None = None
        self._by_match: dict[int, _Entry] = {}
        self._norm_matcher = PhraseMatcher(nlp.vocab, attr="NORM")
        self._orth_matcher = PhraseMatcher(nlp.vocab, attr="ORTH")
        if ontology == "builtin":
            self.set_ontology(load_ontology())
        elif ontology not in ("custom", ""):
            paths = [Path(p) for p in ontology.split(",")]
            from radgraph.ontology import load_graph

            self.set_ontology(build_ontology(load_graph(paths)))

    # ---- building --------------------------------------------------------------------------

    def set_ontology(self, ontology: Ontology) -> None:
        """Build the matcher from an ontology's lexicon and the extra finding rules."""
        self.ontology = ontology
        entries = list(ontology.lexicon())
        if self.rules_source:
            for rule in load_rules(self.rules_source, FindingRule.from_dict):
                if rule.concept not in ontology:
                    raise OntologyError(f"finding rule {rule.id!r} names unknown concept {rule.concept!r}")
                entries.append(LexEntry(rule.literal, rule.concept, "rule", rule.case_sensitive, rule.assertion))
        self._norm_matcher = PhraseMatcher(self.nlp.vocab, attr="NORM")
        self._orth_matcher = PhraseMatcher(self.nlp.vocab, attr="ORTH")
        norm_patterns: dict[str, list[Doc]] = {}
        orth_patterns: dict[str, list[Doc]] = {}
        self._by_match = {}
        seen: set[tuple[str, str, bool]] = set()
        for i, e in enumerate(entries):
            name = f"{e.concept}|{i}"
            for text in _variants(e.text):
                key = (text if e.case_sensitive else text.lower(), e.concept, e.case_sensitive)
                if key in seen:
                    continue
                seen.add(key)
                pattern = self.nlp.make_doc(text)
                if e.case_sensitive:
                    orth_patterns.setdefault(name, []).append(pattern)
                else:
                    normalize_doc(pattern)
                    norm_patterns.setdefault(name, []).append(pattern)
            if name in norm_patterns or name in orth_patterns:
                lexical = Assertion(e.assertion) if e.assertion else None
                rank, depth = _SOURCE_RANK[e.source], -ontology.depth(e.concept)
                found = _Entry(e, ontology.kind(e.concept), f"lexicon:{e.source}", lexical, rank, depth)
                self._by_match[get_string_id(name)] = found
        # spaCy's tokenizer stops caching new chunks once it holds max_cache_size (10,000) of them; the
        # patterns above fill that, after which every word of every report would be split by the affix
        # rules again (half of tokenizing time)
        tokenizer = self.nlp.tokenizer
        if isinstance(tokenizer, Tokenizer) and tokenizer.max_cache_size < TOKENIZER_CACHE:
            tokenizer.max_cache_size = TOKENIZER_CACHE
        for name, docs in norm_patterns.items():
            self._norm_matcher.add(name, docs)
        for name, docs in orth_patterns.items():
            self._orth_matcher.add(name, docs)

    # ---- matching -------------------------------------------------------------------------

    def _candidates(self, doc: Doc) -> list[tuple[int, int, _Entry]]:
        by_match = self._by_match
        return [
            (start, end, by_match[match_id])
            for matcher, norms in ((self._norm_matcher, True), (self._orth_matcher, False))
            for match_id, start, end in phrase_matches(matcher, doc, norms)
        ]

    def __call__(self, doc: Doc) -> Doc:
        """Find mentions and store them in ``doc.spans["rg_mentions"]``."""
        if self.ontology is None:
            raise OntologyError("radgraph_mentions has no ontology: call set_ontology() or load from disk")
        cands = self._candidates(doc)
        # longest first, then by source, the deepest concept, position and CURIE
        cands.sort(key=lambda c: (c[0] - c[1], c[2].rank, c[2].depth, c[0], c[2].entry.concept))
        punct, lower, idx = doc.to_array([IS_PUNCT, LOWER, IDX]).T.tolist()
        taken = [False] * len(doc)
        spans: list[Span] = []
        tags: dict[tuple[int, int], MentionTags] = {}
        for start, end, found in cands:
            if any(taken[start:end]):
                continue
            if end - start == 1 and (punct[start] or (lower[start] == _OLD and _in_age_phrase(doc, start))):
                continue
            for k in range(start, end):
                taken[k] = True
            entry = found.entry
            spans.append(Span(doc, start, end, label=found.kind))
            tags[(start, end)] = MentionTags(entry.concept, found.kind, found.rule, found.lexical)
        headings = [(s.start, s.body_start) for s in doc._.rg_sections or [] if s.body_start > s.start]
        if headings:
            spans = [s for s in spans if not any(a <= idx[s.start] < b for a, b in headings)]
        spans.sort(key=lambda s: s.start)
        doc._.rg_tags = {(s.start, s.end): tags[(s.start, s.end)] for s in spans}
        doc.spans[MENTIONS_KEY] = spans
        return doc

    # ---- serialization --------------------------------------------------------------------

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        """Save a custom ontology next to the pipeline (the built-in one is a package resource)."""
        p = ensure_path(path)
        p.mkdir(parents=True, exist_ok=True)
        if self.source == "custom" and self.ontology is not None:
            self.ontology.graph.serialize(p / "ontology.ttl", format="turtle")

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> MentionMatcher:
        """Load a custom ontology saved by :meth:`to_disk`."""
        p = ensure_path(path) / "ontology.ttl"
        if self.source == "custom" and p.exists():
            g = new_graph()
            g.parse(p, format="turtle")
            self.set_ontology(build_ontology(g))
        return self


@Language.factory(
    "radgraph_mentions",
    default_config={"ontology": "builtin", "rules": "builtin:findings"},
    assigns=["doc.spans", "doc._.rg_tags"],
    requires=["token.norm"],
)
def make_mentions(nlp: Language, name: str, ontology: str, rules: str) -> MentionMatcher:
    """Create the mention matcher (registered as a spaCy factory).

    ``ontology`` is ``"builtin"`` (the packaged ontology), ``"custom"`` (set later with
    :meth:`MentionMatcher.set_ontology`, saved with the pipeline) or comma-separated Turtle paths.
    """
    return MentionMatcher(nlp, name, ontology, rules)


def span_is_plural(span: Span) -> bool:
    """Tell whether a mention's head (last word) is plural."""
    words = [t for t in span if t.is_alpha]
    return bool(words) and is_plural(words[-1].text)


def span_is_anaphoric(span: Span) -> bool:
    """Tell whether a mention is introduced by a definite determiner (``the mass``).

    Sizes and adjectives may stand between them: "the 3 x 2 cm lesion", "this well-circumscribed mass".
    """
    doc = span.doc
    i = span.start - 1
    while i >= 0 and span.start - i <= _ANAPHOR_REACH:
        tok = doc[i]
        if tok.lower_ in _DETERMINERS:
            return True
        if not (tok.like_num or tok.text in _NOUN_PHRASE_PUNCT or tok.lower_ in _UNITS or _is_modifier(tok.lower_)):
            return False
        i -= 1
    return False


_ANAPHOR_REACH = 6
_NOUN_PHRASE_PUNCT = frozenset({",", "-", "x", "×", "."})
_UNITS = frozenset({"mm", "cm", "m", "ml"})
_MODIFIER_SUFFIXES = ("ed", "al", "ic", "ous", "ive", "ar", "ly", "ent", "ant", "ing")


def _is_modifier(word: str) -> bool:
    """Tell whether a word looks like an adjective or adverb ("lobulated", "hypodense", "large")."""
    return word.isalpha() and (word.endswith(_MODIFIER_SUFFIXES) or word in _PLAIN_ADJECTIVES)


_PLAIN_ADJECTIVES = frozenset(
    {"large", "small", "big", "huge", "tiny", "dense", "hypodense", "hyperdense", "isodense", "solid", "left", "right",
     "same", "whole", "entire", "known", "index", "dominant", "main", "new", "old", "well", "ill", "poorly"}
)


def mention_attrs(span: Span) -> dict[str, Any]:
    """Return the radgraph attributes of a mention span (for debugging and display)."""
    return {
        "text": span.text,
        "concept": span._.rg_concept,
        "kind": span._.rg_kind,
        "assertion": span._.rg_assertion,
        "temporality": span._.rg_temporality,
        "subject": span._.rg_subject,
    }
