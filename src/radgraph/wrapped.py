r"""Phrases that a hard line break splits ("paraspinal soft\ntissues", "cannot be\nentirely excluded").

spaCy keeps a line break as a token of its own, so a phrase matcher never matches across it. Text wrapped at a
fixed width (e-mail, PDF, teaching files typed in an editor) breaks phrases at random. :func:`phrase_matches`
matches on the document without its wrapping line breaks and maps the matches back; a document without one is
matched as it is. A wrap joins a word or comma to a lowercase word; a line break before a list item ("-", "1."),
a capital or a number, and a blank line, are no wrap. Extra spaces between two words ("Multiple  sclerosis") are
matched as one space.

>>> import spacy
>>> from spacy.matcher import PhraseMatcher
>>> nlp = spacy.blank("en")
>>> m = PhraseMatcher(nlp.vocab, attr="LOWER")
>>> m.add("x", [nlp.make_doc("soft tissues")])
>>> doc = nlp.make_doc("paraspinal soft\ntissues")
>>> [(s, e) for _, s, e in phrase_matches(m, doc)]
[(1, 4)]
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import cast

from spacy.attrs import IS_SPACE, NORM
from spacy.tokens import Doc
from thinc.types import Ints2d

_WRAP = re.compile(r"[ \t]*\n[ \t]*")
_EXTRA_SPACES = re.compile(r"[ \t]+")

Match = tuple[int, int, int]


#: ``Doc.user_data`` key of the wrap tokens, found once per document.
_WRAPS_KEY = "rg_wraps"


def wrap_tokens(doc: Doc) -> list[int]:
    """Token indices of line breaks that wrap a line in the middle of running text (found once per document)."""
    cached = doc.user_data.get(_WRAPS_KEY)
    if cached is not None and cached[0] == len(doc):
        return list(cached[1])
    found = _wrap_tokens(doc)
    doc.user_data[_WRAPS_KEY] = (len(doc), tuple(found))
    return found


def _wrap_tokens(doc: Doc) -> list[int]:
    spaces = doc.to_array([IS_SPACE]).tolist()
    if not any(spaces):
        return []
    n = len(doc)
    out: list[int] = []
    for i, sp in enumerate(spaces):
        if not sp or i == 0 or i + 1 >= n:
            continue
        if _EXTRA_SPACES.fullmatch(doc[i].text):
            # extra spaces between two words ("Multiple  sclerosis", typed to justify a line) break no phrase
            if doc[i - 1].text[-1:].isalnum() and doc[i + 1].text[:1].isalnum():
                out.append(i)  # not after a full stop or comma: "... lesion.  The mass" joins no phrase
            continue
        if not _WRAP.fullmatch(doc[i].text):
            continue
        # running text goes on: a word or comma before, a lowercase word after (not a new item, heading or space)
        before, after = doc[i - 1].text, doc[i + 1].text
        if not (before[-1:].isalpha() or before == ",") or not after[:1].islower():
            continue
        out.append(i)
    return out


def phrase_matches(matcher: Callable[[Doc], list[Match]], doc: Doc, norms: bool = False) -> list[Match]:
    """Run a phrase *matcher* on *doc* as if its wrapping line breaks were spaces.

    Match offsets are the document's own; a match across a wrap includes the line-break token. With *norms*,
    the tokens keep the norms that earlier stages gave them (for a matcher on ``NORM``).
    """
    wraps = wrap_tokens(doc)
    if not wraps:
        return list(matcher(doc))
    compact, keep = _compact(doc, wraps)
    if norms:
        compact.from_array([NORM], cast(Ints2d, doc.to_array([NORM])[keep]))
    return [(mid, keep[s], keep[e - 1] + 1) for mid, s, e in matcher(compact)]


#: The last document's copy without its wraps: (document, its length, the copy, kept token indices). The stages
#: of one pipeline run match the same document one after another; the copy is built once for them all.
_LAST: tuple[Doc, int, Doc, list[int]] | None = None


def _compact(doc: Doc, wraps: list[int]) -> tuple[Doc, list[int]]:
    """The document without its wrapping line breaks, and the index in *doc* of each of its tokens."""
    global _LAST
    last = _LAST
    if last is not None and last[0] is doc and last[1] == len(doc):
        return last[2], last[3]
    skip = set(wraps)
    words: list[str] = []
    spaces: list[bool] = []
    keep: list[int] = []
    for tok in doc:
        i = tok.i
        if i in skip:
            if spaces:
                spaces[-1] = True
            continue
        keep.append(i)
        words.append(tok.text)
        spaces.append(bool(tok.whitespace_))
    compact = Doc(doc.vocab, words=words, spaces=spaces)
    _LAST = (doc, len(doc), compact, keep)
    return compact, keep
