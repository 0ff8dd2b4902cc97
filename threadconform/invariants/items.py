"""Item invariants: declared fields agree, Unix-seconds fields hold plausible seconds, and
URL fields hold absolute http(s) URLs."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

from threadconform.invariants.base import Pages, invariant
from threadconform.invariants.helpers import at, fail, iso_time, pages_of, show, show_ids
from threadconform.ledger import Violation
from threadconform.model import Pagination

__all__ = [
    "item_absolute_url",
    "item_fields_agree",
    "item_unix_seconds",
]


_Y2000 = 946_684_800  # 2000-01-01T00:00:00Z


_YEAR = 366 * 86_400


@invariant(
    "ITEM-FIELDS-AGREE",
    applies=lambda p: None if p.items.agree else "no item fields are declared to agree",
)
def item_fields_agree(pagination: Pagination, pages: Pages) -> list[Violation]:
    """(pages): any pages or walk."""
    violations = []
    for rule in pagination.items.agree:
        wrong = [
            (item, page)
            for page in pages_of(pages)
            for item in page.items
            if (rule.when is None or item.get(rule.when, None) is not None)
            and item.get(rule.field) != item.get(rule.other)
        ]
        if wrong:
            item, page = wrong[0]
            a, b = show(item.get(rule.field)), show(item.get(rule.other))
            when = f" where {rule.when} is not null" if rule.when else ""
            message = (
                f"{len(wrong)} item(s) have {rule.field} != {rule.other}{when}, e.g. {item.id} on "
                f"{at(pagination, page)}: {a} vs {b}. All: {show_ids(i.id for i, _ in wrong)}."
            )
            violations += fail("ITEM-FIELDS-AGREE", message, [page.request], a, b)
    return violations


@invariant(
    "ITEM-UNIX-SECONDS",
    applies=lambda p: None if p.items.unix_seconds else "no item field holds Unix seconds",
)
def item_unix_seconds(
    pagination: Pagination, pages: Pages, now: float | None = None
) -> list[Violation]:
    """(pages, now=None): any pages or walk; `now` defaults to the current time."""
    latest = (time.time() if now is None else now) + _YEAR
    return _item_values(
        "ITEM-UNIX-SECONDS",
        pagination,
        pages,
        pagination.items.unix_seconds,
        lambda v: _seconds_problem(v, latest),
    )


def _seconds_problem(value: Any, latest: float) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"{show(value)} is not a number of seconds"
    if value > 1e11:
        as_ms = iso_time(value / 1000)
        return f"{value} looks like milliseconds ({as_ms} if divided by 1000), not seconds"
    if value < _Y2000:
        return f"{value} is before 2000-01-01 ({iso_time(float(value))})"
    if value > latest:
        return f"{value} is more than a year in the future ({iso_time(float(value))})"
    return None


@invariant(
    "ITEM-ABSOLUTE-URL",
    applies=lambda p: None if p.items.absolute_urls else "no item field is documented as a URL",
)
def item_absolute_url(pagination: Pagination, pages: Pages) -> list[Violation]:
    """(pages): any pages or walk."""
    return _item_values(
        "ITEM-ABSOLUTE-URL", pagination, pages, pagination.items.absolute_urls, _url_problem
    )


def _url_problem(value: Any) -> str | None:
    if not isinstance(value, str):
        return f"{show(value)} is not a string"
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f"{value!r} is not an absolute http(s) URL with a host"
    return None


def _item_values(
    rule: str,
    pagination: Pagination,
    pages: Pages,
    fields: Sequence[str],
    problem: Callable[[Any], str | None],
) -> list[Violation]:
    """One violation per field: how many items fail, the first one's problem, their ids."""
    violations = []
    for field in fields:
        wrong = [
            (item, page, why)
            for page in pages_of(pages)
            for item in page.items
            if (value := item.get(field, None)) is not None and (why := problem(value))
        ]
        if wrong:
            item, page, why = wrong[0]
            message = (
                f"{len(wrong)} item(s) have a bad {field}: e.g. {item.id} on "
                f"{at(pagination, page)}: {why}. All: {show_ids(i.id for i, _, _ in wrong)}."
            )
            violations += fail(rule, message, [page.request], "", why)
    return violations
