"""Custom spaCy attributes of radgraph, declared once and registered idempotently.

Registration happens when a radgraph component is created, never at ``import radgraph``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from spacy.tokens import Doc, Span

from radgraph.model import Assertion, ConceptKind, SectionCategory, Subject, Temporality
from radgraph.vocab import Curie

MENTIONS_KEY = "rg_mentions"

#: ``Doc.user_data`` key of the cached document text.
_TEXT_KEY = "rg_text"


def doc_text(doc: Doc) -> str:
    """Return ``doc.text``, built once per document.

    spaCy joins every token's text on each access of ``doc.text``; the stages that need the whole
    text share one copy, kept in ``doc.user_data`` with the token count it was built for.
    """
    cached = doc.user_data.get(_TEXT_KEY)
    if cached is not None and cached[0] == len(doc):
        return str(cached[1])
    text = doc.text
    doc.user_data[_TEXT_KEY] = (len(doc), text)
    return text


def share_text(doc: Doc, text: str) -> None:
    """Give a freshly tokenized *doc* the text it was made from, so that :func:`doc_text` need not rebuild it.

    spaCy's tokenizer keeps every character, so the text is the document's own.
    """
    doc.user_data[_TEXT_KEY] = (len(doc), text)


@dataclass(slots=True)
class MentionTags:
    """What the pipeline's stages say of one mention span.

    The tags of a document live in one dictionary, ``Doc._.rg_tags``, keyed by the span's token offsets
    (mentions never overlap), so that a stage reads or writes a mention's tags with one lookup. The
    ``Span._.rg_*`` attributes read and write the same records.
    """

    concept: Curie
    kind: ConceptKind
    rule: str
    lexical_assertion: Assertion | None = None
    assertion: Assertion = Assertion.PRESENT
    temporality: Temporality = Temporality.CURRENT
    subject: Subject = Subject.PATIENT
    section: SectionCategory | None = None


def mention_tags(doc: Doc) -> dict[tuple[int, int], MentionTags]:
    """Return the document's mention tags by (start, end) token offsets, creating the dictionary if needed."""
    tags: dict[tuple[int, int], MentionTags] | None = doc._.rg_tags
    if tags is None:
        tags = {}
        doc._.rg_tags = tags
    return tags


_SPAN_TAGS: dict[str, str | None] = {
    "rg_concept": None,
    "rg_kind": None,
    "rg_rule": None,
    "rg_assertion": Assertion.PRESENT,
    "rg_temporality": Temporality.CURRENT,
    "rg_subject": Subject.PATIENT,
    "rg_section": None,
    "rg_lexical_assertion": None,
}

#: How a value written through ``Span._`` becomes a tag (a plain string for an enumeration is checked).
_SPAN_TYPES: dict[str, Callable[[str], Any]] = {
    "kind": ConceptKind,
    "lexical_assertion": Assertion,
    "assertion": Assertion,
    "temporality": Temporality,
    "subject": Subject,
    "section": SectionCategory,
    "concept": Curie,
    "rule": str,
}


def _span_tag(name: str, default: str | None) -> tuple[Callable[[Span], str | None], Callable[[Span, str], None]]:
    field = name.removeprefix("rg_")

    def get(span: Span) -> str | None:
        tags = span.doc._.rg_tags
        found = tags.get((span.start, span.end)) if tags else None
        return default if found is None else getattr(found, field)

    def put(span: Span, value: str) -> None:
        tags = span.doc._.rg_tags
        found = tags.get((span.start, span.end)) if tags else None
        if found is None:
            raise AttributeError(f"span {span.text!r} ({span.start}-{span.end}) is not a radgraph mention")
        setattr(found, field, None if value is None else _SPAN_TYPES[field](value))

    return get, put


def register_extensions() -> None:
    """Declare radgraph's ``Doc._.rg_*`` and ``Span._.rg_*`` attributes (safe to call twice)."""
    if not Doc.has_extension("rg_sections"):
        Doc.set_extension("rg_sections", default=None)
    if not Doc.has_extension("rg_tags"):
        Doc.set_extension("rg_tags", default=None)
    for name, default in _SPAN_TAGS.items():
        if not Span.has_extension(name):
            get, put = _span_tag(name, default)
            Span.set_extension(name, getter=get, setter=put)
