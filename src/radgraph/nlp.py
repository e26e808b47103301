"""Pipeline assembly and extraction: the only place a radgraph spaCy pipeline is built.

>>> nlp = build_nlp()
>>> ex = extract(nlp, Report("demo", "Findings\\n\\nBilateral paravertebral masses. No calcification."))
>>> [(f.label, f.assertion.value, f.laterality and f.laterality.value) for f in ex.findings]
[('paravertebral mass', 'present', 'bilateral'), ('calcification', 'absent', None)]
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import spacy
from spacy.language import Language
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc
from spacy.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex

from radgraph import context as _context  # noqa: F401  (registers the factory)
from radgraph import measurements as _measurements  # noqa: F401
from radgraph import mentions as _mentions  # noqa: F401
from radgraph import sections as _sections  # noqa: F401
from radgraph.assemble import assemble
from radgraph.demographics import patient_from_text
from radgraph.errors import InputError
from radgraph.extensions import MENTIONS_KEY, doc_text, mention_tags, share_text
from radgraph.mentions import MentionMatcher, span_is_anaphoric, span_is_plural
from radgraph.model import (
    MEASURED_RULE,
    Extraction,
    Mention,
    Patient,
    Report,
    SectionCategory,
)
from radgraph.ontology import Ontology, load_ontology
from radgraph.sections import sentence_starts

#: Largest text the pipeline takes in one piece (spaCy's own default limit is 1,000,000).
MAX_CHARS = 2_000_000


@dataclass(frozen=True, slots=True)
class PipelineConfig:
    """Plain-data configuration of :func:`build_nlp`."""

    section_rules: str = "builtin:sections"
    context_rules: str = "builtin:context"
    finding_rules: str = "builtin:findings"
    measurement_rules: str = "builtin:measurements"
    discussion_gap: int = 3


#: Extra infixes for report text: "edema.(old", "mass(es)", "T1/T2", "L4-L5"; a dash between a test's name of two or
#: more letters and its value ("WBC-13.4", "Na-145"), not a one-letter level ("C-1").
_INFIXES = (
    r"(?<=[A-Za-z]{2})-(?=\d)",
    r"(?<=[A-Za-z])[.;:,](?=[(A-Za-z])",
    r"(?<=[A-Za-z0-9.])[()](?=[A-Za-z0-9])",
    r"(?<=[A-Za-z0-9])[()](?=[.,;:])",
)


#: Extra prefixes: a list item's dash or dashes before a word ("-ataxia", "--dilated cardiomyopathy").
_PREFIXES = (r"-+(?=[A-Za-z])",)

#: Extra suffixes: a dash hanging after a word or level ("Lobar Emphysema- radiographic findings", "T11- T12").
#: A sentence's full stop after a ratio unit or shorthand ("10^9/L.", "mg/dL.", "no m/r/g.").
#: A slash after a number.
_SUFFIXES = (
    r"(?<=[A-Za-z0-9])[-\u2013\u2014]",
    r"(?<=/[A-Za-z])\.",
    r"(?<=/[A-Za-z]{2})\.",
    r"(?<=/[A-Za-z]{3})\.",
    r"(?<=[0-9])/",  # a value before a slash that separates results ("AST 233/ ALT 91")
    r"(?<=[0-9][A-Z])\.",  # a full stop after a sequence or level name ends the sentence ("on T2W.")
)


def _tune_tokenizer(nlp: Language) -> None:
    tokenizer = nlp.tokenizer
    if not isinstance(tokenizer, Tokenizer):
        raise TypeError(f"expected spaCy's rule-based tokenizer, got {type(tokenizer).__name__}")
    infixes = list(nlp.Defaults.infixes or []) + list(_INFIXES)
    tokenizer.infix_finditer = compile_infix_regex(infixes).finditer
    prefixes = list(nlp.Defaults.prefixes or []) + list(_PREFIXES)
    tokenizer.prefix_search = compile_prefix_regex(prefixes).search
    suffixes = list(nlp.Defaults.suffixes or []) + list(_SUFFIXES)
    tokenizer.suffix_search = compile_suffix_regex(suffixes).search
    # a single letter with a full stop ends a sentence more often than it abbreviates ("no m/r/g.", "5 mm/h.")
    rules = tokenizer.rules or {}
    tokenizer.rules = {k: v for k, v in rules.items() if not re.fullmatch(r"[a-z]\.", k)}


def build_nlp(ontology: Ontology | None = None, config: PipelineConfig = PipelineConfig()) -> Language:
    """Assemble the pipeline: sentencizer, sections, normalizer, mentions, measurements, context.

    With no *ontology* the packaged one is used; a custom ontology is stored with the pipeline
    by ``nlp.to_disk`` and restored by ``spacy.load``.
    """
    nlp = spacy.blank("en")
    nlp.max_length = MAX_CHARS
    _tune_tokenizer(nlp)
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("radgraph_sections", config={"rules": config.section_rules, "gap": config.discussion_gap})
    nlp.add_pipe("radgraph_normalizer")
    source = "builtin" if ontology is None else "custom"
    matcher = nlp.add_pipe("radgraph_mentions", config={"ontology": source, "rules": config.finding_rules})
    if ontology is not None:
        assert isinstance(matcher, MentionMatcher)
        matcher.set_ontology(ontology)
    nlp.add_pipe("radgraph_measurements", config={"rules": config.measurement_rules})
    nlp.add_pipe("radgraph_context", config={"rules": config.context_rules})
    return nlp


def pipeline_ontology(nlp: Language) -> Ontology:
    """Return the ontology a pipeline's mention matcher uses."""
    matcher = nlp.get_pipe("radgraph_mentions")
    assert isinstance(matcher, MentionMatcher)
    return matcher.ontology if matcher.ontology is not None else load_ontology()


def _doc(nlp: Language, report: Report) -> Doc:
    doc = nlp.make_doc(report.text)
    share_text(doc, report.text)
    if report.sections:
        doc._.rg_sections = list(report.sections)
    for _, proc in nlp.pipeline:
        doc = proc(doc)
    return doc


def mentions_of(doc: Doc) -> list[Mention]:
    """Turn a processed doc's mention spans into :class:`Mention` records (character offsets)."""
    sent_starts = sentence_starts(doc)
    text = doc_text(doc)
    out: list[Mention] = []
    tags = mention_tags(doc)
    for span in doc.spans[MENTIONS_KEY] if MENTIONS_KEY in doc.spans else []:
        tag = tags[(span.start, span.end)]
        start, end = span.start_char, span.end_char
        if tag.rule.startswith(MEASURED_RULE) and text[end - 1] == ".":
            end -= 1  # a unit with the sentence's full stop is one token ("10^9/L.")
        out.append(
            Mention(
                start=start,
                end=end,
                text=text[start:end],
                concept=tag.concept,
                kind=tag.kind,
                rule_id=tag.rule,
                sentence=bisect.bisect_right(sent_starts, span.start) - 1,
                section=tag.section or SectionCategory.OTHER,
                assertion=tag.assertion,
                temporality=tag.temporality,
                subject=tag.subject,
                plural=span_is_plural(span),
                anaphoric=span_is_anaphoric(span),
            )
        )
    return out


def _patient(report: Report, doc: Doc) -> Patient:
    sections = doc._.rg_sections or []
    order = (SectionCategory.PATIENT, SectionCategory.TITLE, SectionCategory.CLINICAL)
    texts = [report.text[s.start : s.end] for cat in order for s in sections if s.category is cat]
    found = Patient()
    for t in texts or [report.text[:2000]]:
        p = patient_from_text(t)
        found = Patient(found.age if found.age is not None else p.age, found.sex or p.sex)
        if found.age is not None and found.sex is not None:
            break
    return found


def extract(nlp: Language, report: Report) -> Extraction:
    """Extract findings, diagnoses and demographics from one report.

    Raises :class:`~radgraph.errors.InputError` for a text longer than ``MAX_CHARS``.
    """
    if len(report.text) > MAX_CHARS:
        raise InputError(
            f"{report.meta.source or report.id}: case text too long ({len(report.text):,} characters; "
            f"the limit is {MAX_CHARS:,})"
        )
    doc = _doc(nlp, report)
    onto = pipeline_ontology(nlp)
    mentions = mentions_of(doc)
    sections = tuple(doc._.rg_sections or ())
    findings, diagnoses, statements = assemble(mentions, report.text, sections, onto)
    return Extraction(
        report=report,
        patient=_patient(report, doc),
        sections=sections,
        findings=tuple(findings),
        diagnoses=tuple(diagnoses),
        statements=tuple(statements),
        mentions=tuple(mentions),
    )


def extract_many(nlp: Language, reports: Iterable[Report]) -> Iterator[Extraction]:
    """Extract every report in turn."""
    for r in reports:
        yield extract(nlp, r)
