"""Query-parameter parsing shared by the contracts.

Parsers raise `Invalid` with pydantic's error kinds and messages (FastAPI's wording), which
each contract then wraps in its own envelope. Lexical corner cases follow Python's `int`
closely: surrounding blanks and a sign are accepted, anything else that is not digits is not.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "HUGE",
    "Invalid",
    "Range",
    "boolean",
    "choice",
    "filter_value",
    "integer",
    "text",
    "to_int",
    "within",
]

_INTEGER = re.compile(r"\s*([+-]?)([0-9]+)\s*")
_TRUE = frozenset({"true", "1", "yes", "on", "t", "y"})
_FALSE = frozenset({"false", "0", "no", "off", "f", "n"})
# Longer digit strings are far outside every documented range; parsing them exactly would
# hit Python's int-size limit (ValueError) for no benefit.
_MAX_DIGITS = 18
HUGE = 10**19


class Invalid(Exception):
    """One parameter value that breaks a documented constraint."""

    def __init__(
        self,
        param: str,
        kind: str,
        message: str,
        value: str,
        ctx: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(f"{param}: {message}")
        self.param, self.kind, self.message, self.value = param, kind, message, value
        self.ctx = dict(ctx or {})


@dataclass(frozen=True)
class Range:
    lo: int | None
    hi: int | None
    clamp: bool = False  # True: pull out-of-range values into range instead of rejecting


def integer(query: Mapping[str, str], name: str, default: int, bounds: Range) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    value = to_int(raw)
    if value is None:
        raise Invalid(
            name,
            "int_parsing",
            "Input should be a valid integer, unable to parse string as an integer",
            raw,
        )
    return within(name, value, raw, bounds)


def to_int(raw: str) -> int | None:
    match = _INTEGER.fullmatch(raw)
    if match is None:
        return None
    sign, digits = match.groups()
    digits = digits.lstrip("0") or "0"
    magnitude = HUGE if len(digits) > _MAX_DIGITS else int(digits)
    return -magnitude if sign == "-" else magnitude


def within(name: str, value: int, raw: str, bounds: Range) -> int:
    if bounds.lo is not None and value < bounds.lo:
        if bounds.clamp:
            return bounds.lo
        message = f"Input should be greater than or equal to {bounds.lo}"
        raise Invalid(name, "greater_than_equal", message, raw, {"ge": bounds.lo})
    if bounds.hi is not None and value > bounds.hi:
        if bounds.clamp:
            return bounds.hi
        message = f"Input should be less than or equal to {bounds.hi}"
        raise Invalid(name, "less_than_equal", message, raw, {"le": bounds.hi})
    return value


def boolean(query: Mapping[str, str], name: str, default: bool | None) -> bool | None:
    raw = query.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    message = "Input should be a valid boolean, unable to interpret input"
    raise Invalid(name, "bool_parsing", message, raw)


def text(
    query: Mapping[str, str],
    name: str,
    default: str | None = None,
    *,
    max_length: int | None = None,
    pattern: str | None = None,
) -> str | None:
    raw = query.get(name)
    if raw is None:
        return default
    if max_length is not None and len(raw) > max_length:
        message = f"String should have at most {max_length} characters"
        raise Invalid(name, "string_too_long", message, raw, {"max_length": max_length})
    if pattern is not None and not _matches(pattern, raw):
        message = f"String should match pattern '{pattern}'"
        raise Invalid(name, "string_pattern_mismatch", message, raw, {"pattern": pattern})
    return raw


def choice(query: Mapping[str, str], name: str, options: tuple[str, ...], default: str) -> str:
    raw = query.get(name)
    if raw is None:
        return default
    if raw not in options:
        listed = " or ".join(repr(o) for o in options)
        raise Invalid(name, "enum", f"Input should be {listed}", raw, {"expected": listed})
    return raw


def filter_value(query: Mapping[str, str], name: str) -> str | None:
    """An exact-match filter; an empty value counts as absent (as `if value:` would)."""
    return query.get(name) or None


def _matches(pattern: str, raw: str) -> bool:
    # Python's `$` also matches before a final newline; pydantic's (Rust) regex does not.
    found = re.search(pattern, raw)
    return found is not None and (not pattern.endswith("$") or found.end() == len(raw))
