"""Ingest: files and strings to :class:`~radgraph.model.Report` records.

The importer is chosen by content, not by file name:

* **MedPix 2.0 JSON Lines** (one case per line: ``U_id``, ``Case``, ``Topic``) — each field becomes
  a section with exact offsets; the topic's disease discussion is a discussion section (generic
  knowledge); ACR code, category, diagnosis and differential list are kept in the metadata;
* **HTML** saved from a browser — scripts, styles, navigation and site boilerplate are dropped,
  block elements become line breaks, then it is read as text;
* **text** — teaching-file pages in the seed's template, radiology reports with the usual
  headings, or plain text with no headings (sections are detected later, with offsets into
  the text as given).

Batches (:func:`iter_reports`) go on past a bad file or line: each failure is reported with
its source and reason.
"""

from __future__ import annotations

import glob
import json
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from radgraph.errors import InputError
from radgraph.model import Report, ReportMeta, Section, SectionCategory

log = logging.getLogger(__name__)

#: Files larger than this are refused (a teaching case is a few kB; see docs/errors).
MAX_BYTES = 64 * 1024 * 1024
SUFFIXES = (".txt", ".text", ".html", ".htm", ".jsonl", ".json", ".md")
_BOILERPLATE = re.compile(
    r"(this email address is being protected from spambots.*|you need javascript enabled to view it\.?|"
    r"^\s*go to top\s*$|^\s*back to top\s*$|^\s*skip to (main )?content\s*$)",
    re.IGNORECASE | re.MULTILINE,
)


@dataclass(frozen=True, slots=True)
class ImportFailure:
    """A source that could not be imported, and why."""

    source: str
    reason: str


@dataclass(frozen=True, slots=True)
class ImportResult:
    """One item of a batch: a report, or the failure that replaced it."""

    report: Report | None = None
    failure: ImportFailure | None = None


# ---- decoding ------------------------------------------------------------------------------


def decode(data: bytes, source: str) -> str:
    """Decode file bytes: UTF-8 (with or without BOM), UTF-16 with BOM, else Latin-1.

    Raises :class:`InputError` for empty, blank or binary content.
    """
    if not data:
        raise InputError(f"{source}: empty file")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16")
    else:
        if b"\x00" in data[:8192]:
            raise InputError(f"{source}: binary content (NUL bytes), not a text case")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
            log.warning("%s: not UTF-8, read as Latin-1", source)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise InputError(f"{source}: only whitespace, no case text")
    return text


# ---- HTML ----------------------------------------------------------------------------------

_BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "ul", "ol",
          "table", "pre", "blockquote", "dt", "dd", "hr"}  # fmt: skip
_SKIP = {"script", "style", "nav", "header", "footer", "noscript", "template", "svg", "form", "button", "iframe",
         "head", "aside"}  # fmt: skip


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip += 1
        elif tag in _BLOCK and not self.skip:
            self.parts.append("\n\n" if tag.startswith("h") or tag in ("p", "div", "section") else "\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag in _BLOCK and not self.skip:
            self.parts.append("\n\n" if tag.startswith("h") or tag in ("p", "div", "section") else "\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Return the readable text of an HTML page, without scripts, styles, navigation or boilerplate."""
    p = _TextExtractor()
    p.feed(html)
    p.close()
    text = "".join(p.parts).replace("\xa0", " ")
    text = _BOILERPLATE.sub("", text)
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{4,}", "\n\n\n", text).strip() + "\n"


def looks_like_html(text: str) -> bool:
    """Tell whether text is an HTML document or fragment."""
    head = text[:4096].lower()
    return bool(re.search(r"<(!doctype html|html|body|div|p|table|h[1-6])[\s>]", head))


# ---- text ----------------------------------------------------------------------------------


def report_from_text(text: str, report_id: str, *, source: str = "", fmt: str = "text") -> Report:
    """Build a report from text (sections are detected by the pipeline)."""
    if not text.strip():
        raise InputError(f"{source or report_id}: no case text")
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return Report(id=report_id, text=text, meta=ReportMeta(source=source, format=fmt, title=first[:200]))


# ---- MedPix --------------------------------------------------------------------------------

_MEDPIX_FIELDS: tuple[tuple[str, str, SectionCategory], ...] = (
    ("Case", "History", SectionCategory.CLINICAL),
    ("Case", "Exam", SectionCategory.CLINICAL),
    ("Case", "Findings", SectionCategory.FINDINGS),
    ("Case", "Differential Diagnosis", SectionCategory.DIFFERENTIAL),
    ("Case", "Case Diagnosis", SectionCategory.FINAL_DIAGNOSIS),
    ("Case", "Diagnosis By", SectionCategory.OTHER),
    ("Case", "Discussion", SectionCategory.DISCUSSION),
    ("Case", "Treatment & Follow Up", SectionCategory.TREATMENT),
    ("Topic", "Disease Discussion", SectionCategory.DISCUSSION),
)


def _field(obj: dict[str, Any], group: str, key: str) -> str:
    part = obj.get(group)
    value = part.get(key) if isinstance(part, dict) else None
    return value.strip() if isinstance(value, str) else ""


def split_list(text: str) -> tuple[str, ...]:
    """Split a differential list written as bullets, numbers, lines or commas."""
    items = re.split(r"\n+|•|;|(?:^|\s)\d+[.)]\s", text)
    out = [re.sub(r"^[\s\-*•]+", "", i).strip(" .,") for i in items]
    if len([o for o in out if o]) <= 1 and "," in text:
        out = [o.strip(" .") for o in text.split(",")]
    return tuple(o for o in out if o)


def report_from_medpix(obj: dict[str, Any], source: str) -> Report:
    """Build a report from one MedPix 2.0 record, with sections at exact offsets."""
    uid = obj.get("U_id")
    if not isinstance(uid, str) or not uid.strip():
        raise InputError(f"{source}: MedPix record without a 'U_id'")
    if not isinstance(obj.get("Case"), dict):
        raise InputError(f"{source}: MedPix record {uid!r} has no 'Case' object")
    title = _field(obj, "Case", "Title") or _field(obj, "Topic", "Title")
    parts: list[str] = []
    sections: list[Section] = []
    pos = 0
    if title:
        parts.append(title + "\n\n")
        sections.append(Section(SectionCategory.TITLE, "", 0, 0, len(title)))
        pos = len(parts[0])
    for group, key, category in _MEDPIX_FIELDS:
        body = _field(obj, group, key)
        if not body:
            continue
        heading = key if group == "Case" else f"{key} ({_field(obj, 'Topic', 'Title') or 'topic'})"
        block = f"{heading}\n\n{body}\n\n"
        start, body_start = pos, pos + len(heading) + 2
        sections.append(Section(category, heading, start, body_start, body_start + len(body)))
        parts.append(block)
        pos += len(block)
    text = "".join(parts)
    if not any(s.category is SectionCategory.FINDINGS or s.category is SectionCategory.CLINICAL for s in sections):
        log.info("%s: MedPix record %s has neither history nor findings", source, uid)
    if not text.strip():
        raise InputError(f"{source}: MedPix record {uid!r} has no text")
    meta = ReportMeta(
        source=source,
        format="medpix",
        title=title,
        system=_field(obj, "Topic", "Category"),
        acr_code=_field(obj, "Topic", "ACR Code"),
        category=_field(obj, "Topic", "Category"),
        final_diagnosis=_field(obj, "Case", "Case Diagnosis"),
        differentials=split_list(_field(obj, "Case", "Differential Diagnosis")),
        reference=_field(obj, "Topic", "Reference"),
    )
    return Report(id=uid.strip(), text=text, meta=meta, sections=tuple(sections))


def _jsonl(text: str, source: str) -> Iterator[ImportResult]:
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{source}:{n}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield ImportResult(failure=ImportFailure(where, f"malformed JSON: {exc.msg} (column {exc.colno})"))
            continue
        if not isinstance(obj, dict):
            yield ImportResult(failure=ImportFailure(where, "a line must hold a JSON object"))
            continue
        try:
            yield ImportResult(report=report_from_medpix(obj, where))
        except InputError as exc:
            yield ImportResult(failure=ImportFailure(where, str(exc).removeprefix(f"{where}: ")))


def looks_like_jsonl(text: str) -> bool:
    """Tell whether text is JSON Lines (its first non-blank character opens an object)."""
    return text.lstrip()[:1] == "{"


# ---- files and batches ---------------------------------------------------------------------


def read_source(text: str, report_id: str, source: str) -> Iterator[ImportResult]:
    """Import one decoded source (a file's text): JSON Lines, HTML or text."""
    if looks_like_jsonl(text):
        stripped = text.strip()
        if "\n" not in stripped:
            try:
                obj = json.loads(stripped)
            except json.JSONDecodeError:
                obj = None
            if isinstance(obj, list):
                for i, item in enumerate(obj):
                    if isinstance(item, dict):
                        yield ImportResult(report=report_from_medpix(item, f"{source}[{i}]"))
                return
        yield from _jsonl(text, source)
    elif looks_like_html(text):
        yield ImportResult(report=report_from_text(html_to_text(text), report_id, source=source, fmt="html"))
    else:
        yield ImportResult(report=report_from_text(text, report_id, source=source))


def read_file(path: Path) -> Iterator[ImportResult]:
    """Import one file; failures are yielded, not raised."""
    source = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InputError(f"{source}: file too large ({size:,} bytes; the limit is {MAX_BYTES:,})")
        data = path.read_bytes()
        text = decode(data, source)
        yield from read_source(text, path.stem, source)
    except InputError as exc:
        yield ImportResult(failure=ImportFailure(source, str(exc).removeprefix(f"{source}: ")))
    except FileNotFoundError:
        yield ImportResult(failure=ImportFailure(source, "file not found (it may have been removed during the batch)"))
    except IsADirectoryError:
        yield ImportResult(failure=ImportFailure(source, "is a directory"))
    except PermissionError:
        yield ImportResult(failure=ImportFailure(source, "permission denied"))
    except OSError as exc:
        yield ImportResult(failure=ImportFailure(source, f"cannot read: {exc.strerror or exc}"))


def expand_paths(paths: Iterable[str | Path]) -> tuple[list[Path], list[ImportFailure]]:
    """Expand folders (recursively, known suffixes) and globs into a sorted list of files."""
    files: list[Path] = []
    missing: list[ImportFailure] = []
    for raw in paths:
        p = Path(raw)
        if any(ch in str(raw) for ch in "*?["):
            matches = sorted(Path(m) for m in glob.glob(str(raw), recursive=True))
            if not matches:
                missing.append(ImportFailure(str(raw), "no file matches this pattern"))
            files.extend(m for m in matches if m.is_file())
        elif p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in SUFFIXES)
            if not found:
                missing.append(ImportFailure(str(raw), f"folder has no case files ({', '.join(SUFFIXES)})"))
            files.extend(found)
        elif p.exists():
            files.append(p)
        else:
            missing.append(ImportFailure(str(raw), "no such file or folder"))
    return list(dict.fromkeys(files)), missing


def iter_reports(paths: Iterable[str | Path]) -> Iterator[ImportResult]:
    """Import every file and record under *paths*, yielding failures alongside reports."""
    files, missing = expand_paths(paths)
    for m in missing:
        yield ImportResult(failure=m)
    for f in files:
        yield from read_file(f)
