"""Custom spaCy attributes of radgraph, declared once and registered idempotently.

Registration happens when a radgraph component is created, never at ``import radgraph``.
"""

from __future__ import annotations

from spacy.tokens import Doc, Span

MENTIONS_KEY = "rg_mentions"


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
