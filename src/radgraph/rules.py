"""Rule files: section headings, ConText triggers, extra finding patterns and measurement ranges, validated on load.

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
    FAMILY = "family"  # the experiencer is a relative: "family history of", "her mother had"
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
    """A ConText trigger phrase, its category, scope direction and maximum scope in tokens.

    ``max_scope`` is the most tokens that may stand between the trigger and its target; 0 keeps the
    trigger to a target right next to it ("resolved pneumothorax", not "resolved, pneumothorax").

    A terminator (category ``terminate``) ends every scope it lies in, or with ``direction``
    ``forward`` only the scopes running forward, and with ``ends`` only those of one category
    ("is" ends the scope of a negation before it, not that of "if").
    """

    id: str
    literal: str
    category: ContextCategory
    direction: Direction = Direction.FORWARD
    max_scope: int | None = None
    ends: ContextCategory | None = None

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
            if scope is not None and (isinstance(scope, bool) or not isinstance(scope, int) or scope < 0):
                raise ValueError(f"'max_scope' must be a whole number of tokens (0: next to it), got {scope!r}")
            ends = ContextCategory(data["ends"]) if data.get("ends") is not None else None
            if ends is not None and category is not ContextCategory.TERMINATE:
                raise ValueError("'ends' is for terminators only")
        except KeyError as exc:
            raise RuleError(f"{where}: missing key {exc}") from None
        except ValueError as exc:
            raise RuleError(f"{where}: {exc}") from None
        return cls(data["id"], literal, category, direction, scope, ends)


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


@dataclass(frozen=True, slots=True)
class Rescale:
    """A unit conversion applied to a value before it is compared with a range.

    It applies when the value lies in ``[min, max)`` and, with ``unit``, when the unit written after
    the value matches that case-insensitive regular expression; the value becomes
    ``(value + offset) * factor``.
    """

    factor: float
    offset: float = 0.0
    min: float | None = None
    max: float | None = None
    unit: str | None = None

    def applies(self, value: float, unit_text: str) -> bool:
        """Tell whether this conversion applies to a value written with *unit_text* after it."""
        if self.min is not None and value < self.min:
            return False
        if self.max is not None and value >= self.max:
            return False
        return self.unit is None or re.search(self.unit, unit_text, re.I) is not None


@dataclass(frozen=True, slots=True)
class MeasurementRule:
    """The reference range of a measurement and the findings a value outside it names.

    A value below ``low`` names ``below`` and one above ``high`` names ``above`` (in the unit of the
    range, after the first applicable ``rescale``); a rule without a range reads written results only
    ("inflammatory markers were raised"). ``min_age`` keeps the numeric range to patients at least
    that old when the case states an age (a child's normal heart rate is an adult's tachycardia); a result
    in words ("alkaline phosphatase is elevated") is read at any age.
    ``plausible`` bounds the values the measurement can take; others are not its value (a pulse
    graded 2). ``by_sex`` gives other bounds for one sex (haemoglobin). ``reference`` says where the
    range comes from.
    """

    id: str
    measure: Curie
    reference: str
    low: float | None = None
    high: float | None = None
    below: Curie | None = None
    above: Curie | None = None
    rescale: tuple[Rescale, ...] = ()
    min_age: int | None = None
    plausible: tuple[float, float] | None = None
    #: Bounds for one sex where they differ: ``(("male", 13.0, None),)``; the others keep ``low``/``high``.
    by_sex: tuple[tuple[str, float | None, float | None], ...] = ()

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str) -> MeasurementRule:
        """Validate and build a rule from one JSON object."""
        _check_keys(cls, data, where)
        curies = {k: data.get(k) for k in ("measure", "below", "above")}
        for k, v in curies.items():
            if (v is not None or k == "measure") and (not isinstance(v, str) or not is_curie(v)):
                raise RuleError(f"{where}: {k!r} must be a CURIE with a known prefix, got {v!r}")
        if not isinstance(data.get("reference"), str) or not data["reference"].strip():
            raise RuleError(f"{where}: every measurement rule needs a 'reference'")
        low, high = data.get("low"), data.get("high")
        for k, v in (("low", low), ("high", high), ("min_age", data.get("min_age"))):
            if v is not None and (isinstance(v, bool) or not isinstance(v, int | float)):
                raise RuleError(f"{where}: {k!r} must be a number, got {v!r}")
        if (low is not None and data.get("below") is None) or (high is not None and data.get("above") is None):
            raise RuleError(f"{where}: 'low' needs 'below' and 'high' needs 'above'")
        if data.get("below") is None and data.get("above") is None:
            raise RuleError(f"{where}: a measurement rule names a finding 'below' or 'above' its range")
        if low is not None and high is not None and low >= high:
            raise RuleError(f"{where}: 'low' ({low}) must be below 'high' ({high})")
        rescale: list[Rescale] = []
        for i, r in enumerate(data.get("rescale") or []):
            try:
                if not isinstance(r, dict) or set(r) - {"factor", "offset", "min", "max", "unit"}:
                    raise ValueError("each 'rescale' entry is an object with factor, offset, min, max, unit")
                if r.get("unit") is not None:
                    re.compile(r["unit"])
                rescale.append(Rescale(float(r["factor"]), float(r.get("offset", 0.0)), r.get("min"), r.get("max"),
                                       r.get("unit")))  # fmt: skip
            except (KeyError, ValueError, TypeError, re.error) as exc:
                raise RuleError(f"{where}: rescale[{i}]: {exc}") from None
        plausible = data.get("plausible")
        if plausible is not None:
            ok = isinstance(plausible, list) and len(plausible) == 2
            if not ok or not all(isinstance(v, int | float) for v in plausible) or plausible[0] >= plausible[1]:
                raise RuleError(f"{where}: 'plausible' must be [lowest, highest], got {plausible!r}")
        by_sex: list[tuple[str, float | None, float | None]] = []
        for sex, bounds in (data.get("by_sex") or {}).items():
            if sex not in ("male", "female") or not isinstance(bounds, dict) or set(bounds) - {"low", "high"}:
                raise RuleError(f"{where}: 'by_sex' maps male or female to {{'low': …, 'high': …}}, got {sex!r}")
            if any(isinstance(v, bool) or not isinstance(v, int | float) for v in bounds.values()):
                raise RuleError(f"{where}: 'by_sex' bounds must be numbers")
            by_sex.append((sex, bounds.get("low", low), bounds.get("high", high)))
        return cls(
            data["id"], Curie(data["measure"]), data["reference"], low, high,
            Curie(data["below"]) if data.get("below") else None,
            Curie(data["above"]) if data.get("above") else None,
            tuple(rescale), data.get("min_age"),
            (float(plausible[0]), float(plausible[1])) if plausible is not None else None,
            tuple(by_sex),
        )  # fmt: skip

    def convert(self, value: float, unit_text: str = "") -> float:
        """Return *value* in the unit of the range."""
        for r in self.rescale:
            if r.applies(value, unit_text):
                return (value + r.offset) * r.factor
        return value

    def plausible_value(self, value: float, unit_text: str = "") -> bool:
        """Tell whether a value can be this measurement's (in the range's unit): "pulse 2" is a grade."""
        if self.plausible is None:
            return True
        v = self.convert(value, unit_text)
        return self.plausible[0] <= v <= self.plausible[1]

    def finding(self, value: float, unit_text: str = "", sex: str | None = None) -> Curie | None:
        """Return the finding a value names, or ``None`` within the range (of the patient's sex, if given)."""
        v = self.convert(value, unit_text)
        low, high = next(((lo, hi) for s, lo, hi in self.by_sex if s == sex), (self.low, self.high))
        if low is not None and v < low:
            return self.below
        if high is not None and v > high:
            return self.above
        return None


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
