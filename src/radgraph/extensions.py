"""Custom spaCy attributes of radgraph, declared once and registered idempotently.

Registration happens when a radgraph component is created, never at ``import radgraph``.
"""

from __future__ import annotations

from spacy.tokens import Doc, Span

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


def register_extensions() -> None:
    """Declare radgraph's ``Doc._.rg_*`` and ``Span._.rg_*`` attributes (safe to call twice)."""
    if not Doc.has_extension("rg_sections"):
        Doc.set_extension("rg_sections", default=None)
    for name, default in (
        ("rg_concept", None),
        ("rg_kind", None),
        ("rg_rule", None),
        ("rg_assertion", "present"),
        ("rg_temporality", "current"),
        ("rg_subject", "patient"),
        ("rg_section", None),
        ("rg_lexical_assertion", None),
    ):
        if not Span.has_extension(name):
            Span.set_extension(name, default=default)
