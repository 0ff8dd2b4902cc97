"""The values a server may have used for the numbers a page was sent with.

A whole number is read as sent (a limit clamped into its documented range), a missing or
unparseable one as the documented default. A fraction is not a failure where the
parameter is a `number`: docs/contracts.md#worker lets a server truncate it (the worker
reads `limit=8.48` as 8) or reject it, and other frameworks round it or ignore it. So a
page sent `limit=8.48` is judged by the reading that explains it (truncated, rounded,
rounded up, or the default, each clamped into range), and fails only when none does.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from threadconform.model import Pagination
from threadconform.walk import Page

__all__ = [
    "Reading",
    "Window",
    "either",
    "fitting",
    "fraction_sent",
    "limit_readings",
    "plain",
    "read_as",
    "read_number",
    "start_readings",
    "windows",
]


@dataclass(frozen=True, slots=True)
class Reading:
    """One value a server may have used for a number it was sent, and how it got there."""

    value: int
    how: str = ""  # "truncated or rounded", "rounded up", "the default"; "" when as sent

    def __str__(self) -> str:
        return f"{self.value} ({self.how})" if self.how else str(self.value)


@dataclass(frozen=True, slots=True)
class Window:
    """One reading of a page: the limit a server used and how many items it skipped."""

    limit: Reading
    start: Reading

    def length(self, total: int) -> int:
        """How many items the page holds under this reading of a listing of `total`."""
        return min(self.limit.value, max(0, total - self.start.value))


# How servers turn a fraction into a whole number: parseInt and int() truncate, Math.round
# rounds half up, a few round up. A server that cannot parse it uses the default.
_WAYS: tuple[tuple[str, Callable[[float], int]], ...] = (
    ("truncated", math.trunc),
    ("rounded", lambda number: math.floor(number + 0.5)),
    ("rounded up", math.ceil),
)


def read_number(
    text: str | None, default: int | None, low: int | None = None, high: int | None = None
) -> tuple[Reading, ...]:
    """Each value a server may have used for `text`, clamped into `low..high`: one for a
    whole number or none at all, one per way (merged where they agree) for a fraction."""
    whole = _whole(text)
    if whole is not None:
        return (Reading(_clamp(whole, low, high)),)
    number = _fraction(text)
    if number is None:  # absent or no number at all: the default, as a server falls back
        return () if default is None else (Reading(default),)
    found: dict[int, list[str]] = {}
    for how, way in _WAYS:
        value = _clamp(way(number), low, high)
        found.setdefault(value, []).append(how if value == way(number) else f"{how} and clamped")
    if default is not None:
        found.setdefault(default, []).append("the default")
    return tuple(Reading(value, either(hows)) for value, hows in found.items())


def limit_readings(pagination: Pagination, page: Page) -> tuple[Reading, ...]:
    """The limits a server may have used for this page (none: no limit sent, no default)."""
    limit = pagination.limit
    return read_number(page.param(limit.param), limit.default, limit.minimum, limit.maximum)


def start_readings(pagination: Pagination, page: Page, limit: int) -> tuple[Reading, ...]:
    """How many items precede this page, under each reading of its offset or page number.
    Neither is clamped: an offset out of range is PARAM-INVALID-REJECTED's business."""
    if pagination.offset:
        offset = pagination.offset
        return read_number(page.param(offset.param), offset.default or 0)
    if pagination.page:
        first = pagination.page.minimum if pagination.page.minimum is not None else 1
        numbers = read_number(page.param(pagination.page.param), pagination.page.default or first)
        return tuple(Reading((number.value - first) * limit, number.how) for number in numbers)
    return (Reading(0),)


def windows(pagination: Pagination, page: Page) -> tuple[Window, ...]:
    """Every (limit, items before) a server may have used for this page."""
    return tuple(
        Window(limit, start)
        for limit in limit_readings(pagination, page)
        for start in start_readings(pagination, page, limit.value)
    )


def fitting(pagination: Pagination, page: Page, total: int) -> tuple[Window, ...]:
    """The readings that explain the page: its length under a listing of `total`, and its
    echoed limit where it reports one that some reading gives (an echo no reading gives is
    META-ECHO's finding, so it does not decide the length)."""
    options = windows(pagination, page)
    echo = page.meta.limit
    counted = isinstance(echo, int) and not isinstance(echo, bool)
    if counted and any(w.limit.value == echo for w in options):
        options = tuple(w for w in options if w.limit.value == echo)
    return tuple(w for w in options if w.length(total) == len(page.items))


def fraction_sent(pagination: Pagination, page: Page) -> str:
    """`limit=8.48` (and `offset=40.5`): the numbers sent as fractions, "" when none was."""
    names = [pagination.limit.param]
    names += [pagination.offset.param] if pagination.offset else []
    names += [pagination.page.param] if pagination.page else []
    sent = [(name, page.param(name)) for name in names]
    return " and ".join(
        f"{name}={text}"
        for name, text in sent
        if _whole(text) is None and _fraction(text) is not None
    )


def plain(options: Sequence[Reading]) -> bool:
    """Whether a number was read one way only, as sent or as the default: no fraction."""
    return len(options) == 1 and not options[0].how


def read_as(options: Sequence[Reading]) -> str:
    """`8 (truncated or rounded), 9 (rounded up) or 50 (the default)`."""
    return either([str(reading) for reading in options])


def either(words: Sequence[str]) -> str:
    """`a`, `a or b`, `a, b or c`."""
    if len(words) < 2:
        return "".join(words)
    return f"{', '.join(words[:-1])} or {words[-1]}"


def _whole(text: str | None) -> int | None:
    try:
        return None if text is None else int(text)
    except ValueError:
        return None


def _fraction(text: str | None) -> float | None:
    """The number a text spells when it is no whole number (`8.48`, `5.0`, `1e1`)."""
    try:
        number = float(text) if text is not None else math.nan
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _clamp(value: int, low: int | None, high: int | None) -> int:
    if high is not None:
        value = min(value, high)
    if low is not None:
        value = max(value, low)
    return value
