"""Rule files: section headings, ConText triggers and extra finding patterns, validated on load.

Rules are JSON Lines in ``radgraph/resources/rules/`` (or any path). Each line is checked by
its rule class's ``from_dict``: unknown keys, missing ids and bad values raise
:class:`~radgraph.errors.RuleError` naming ``path:line``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from enum import StrEnum
from importlib.resources import files
from pathlib import Path
from typing import Any, TypeVar

from radgraph.errors import RuleError
from radgraph.model import SectionCategory
from radgraph.vocab import Curie, is_curie


class ContextCategory(StrEnum):
    """What a ConText trigger says about the targets in its scope."""

    NEGATED = "negated"
    POSSIBLE = "possible"
    HISTORICAL = "historical"
    HYPOTHETICAL = "hypothetical"
    GENERIC = "generic"
    PSEUDO = "pseudo"
    TERMINATE = "terminate"


class Direction(StrEnum):
    """Which way a trigger's scope extends from it."""

    FORWARD = "forward"
    BACKWARD = "backward"
    BIDIRECTIONAL = "bidirectional"
    NONE = "none"


def _check_keys(cls: type, data: dict[str, Any], where: str) -> None:
    allowed = {f.name for f in fields(cls)}
    unknown = set(data) - allowed
    if unknown:
        raise RuleError(f"{where}: unknown key(s) {sorted(unknown)!r}; allowed: {sorted(allowed)}")
    if not isinstance(data.get("id"), str) or not data["id"]:
        raise RuleError(f"{where}: every rule needs a non-empty string 'id'")


@dataclass(frozen=True, slots=True)
class SectionRule:
    """A heading that opens a section of some category.

    ``pattern`` is a case-insensitive regular expression matched against a whole heading line
    (without a trailing colon), or against the start of a line followed by ``:`` when ``inline``
    is true (``FINDINGS: The lungs are clear``). ``after_gap`` names the category of unlabelled
    text that follows the section's first block after a run of blank lines (teaching-file pages
    put the discussion after the findings without a heading).
    """

    id: str
    pattern: str
    category: SectionCategory
    inline: bool = False
    after_gap: SectionCategory | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str) -> SectionRule:
        """Validate and build a rule from one JSON object."""
        _check_keys(cls, data, where)
        try:
            re.compile(data["pattern"])
            category = SectionCategory(data["category"])
            after = SectionCategory(data["after_gap"]) if data.get("after_gap") else None
        except KeyError as exc:
            raise RuleError(f"{where}: missing key {exc}") from None
        except (re.error, ValueError, TypeError) as exc:
            raise RuleError(f"{where}: {exc}") from None
        return cls(data["id"], data["pattern"], category, bool(data.get("inline", False)), after)


@dataclass(frozen=True, slots=True)
class ContextRule:
    """A ConText trigger phrase, its category, scope direction and maximum scope in tokens."""

    id: str
    literal: str
    category: ContextCategory
    direction: Direction = Direction.FORWARD
    max_scope: int | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str) -> ContextRule:
        """Validate and build a rule from one JSON object."""
        _check_keys(cls, data, where)
        try:
            literal = data["literal"]
            if not isinstance(literal, str) or not literal.strip():
                raise ValueError("'literal' must be a non-empty string")
            category = ContextCategory(data["category"])
            direction = Direction(data.get("direction", "forward"))
            scope = data.get("max_scope")
            if scope is not None and (not isinstance(scope, int) or scope < 1):
                raise ValueError(f"'max_scope' must be a positive integer, got {scope!r}")
        except KeyError as exc:
            raise RuleError(f"{where}: missing key {exc}") from None
        except ValueError as exc:
            raise RuleError(f"{where}: {exc}") from None
        return cls(data["id"], literal, category, direction, scope)


@dataclass(frozen=True, slots=True)
class FindingRule:
    """An extra phrase for a concept that its ontology labels cannot express.

    ``literal`` is matched like a label; ``concept`` is the CURIE it names; ``assertion`` fixes the
    assertion a word carries in itself ("afebrile" is fever, absent).
    """

    id: str
    concept: Curie
    literal: str
    case_sensitive: bool = False
    assertion: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str) -> FindingRule:
        """Validate and build a rule from one JSON object."""
        _check_keys(cls, data, where)
        concept = data.get("concept")
        if not isinstance(concept, str) or not is_curie(concept):
            raise RuleError(f"{where}: 'concept' must be a CURIE with a known prefix, got {concept!r}")
        literal = data.get("literal")
        if not isinstance(literal, str) or not literal.strip():
            raise RuleError(f"{where}: 'literal' must be a non-empty string")
        assertion = data.get("assertion")
        if assertion not in (None, "present", "absent", "uncertain"):
            raise RuleError(f"{where}: 'assertion' must be present, absent or uncertain, got {assertion!r}")
        return cls(data["id"], Curie(concept), literal, bool(data.get("case_sensitive", False)), assertion)


R = TypeVar("R")


def _lines(source: str) -> tuple[str, str]:
    """Return (display path, text) of a rule source: ``builtin:NAME`` or a file path."""
    if source.startswith("builtin:"):
        name = source.removeprefix("builtin:")
        res = files("radgraph.resources").joinpath("rules", f"{name}.jsonl")
        if not res.is_file():
            raise RuleError(f"no built-in rule set {name!r}")
        return f"radgraph/resources/rules/{name}.jsonl", res.read_text(encoding="utf-8")
    path = Path(source)
    try:
        return str(path), path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RuleError(f"cannot read rule file {source!r}: {exc.strerror}") from None


def load_rules(source: str, factory: Callable[[dict[str, Any], str], R]) -> list[R]:
    """Load a JSON Lines rule file, validating each line with *factory* (``Rule.from_dict``)."""
    display, text = _lines(source)
    out: list[R] = []
    ids: set[str] = set()
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("//"):
            continue
        where = f"{display}:{n}"
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise RuleError(f"{where}: invalid JSON: {exc.msg}") from None
        if not isinstance(data, dict):
            raise RuleError(f"{where}: a rule must be a JSON object")
        rule = factory(data, where)
        rid = data["id"]
        if rid in ids:
            raise RuleError(f"{where}: duplicate rule id {rid!r}")
        ids.add(rid)
        out.append(rule)
    return out


def iter_builtin_rule_sets() -> Iterator[str]:
    """Yield the names of the packaged rule sets."""
    folder = files("radgraph.resources").joinpath("rules")
    for p in sorted(folder.iterdir(), key=lambda p: p.name):
        if p.name.endswith(".jsonl"):
            yield p.name.removesuffix(".jsonl")
