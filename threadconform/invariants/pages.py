"""Page invariants: the total a walk reports, the limit a page honours, full pages, and
pages requested past the end."""

from __future__ import annotations

from threadconform.invariants.base import Pages, Reason, both, documents, for_styles, invariant
from threadconform.invariants.helpers import (
    CAP,
    as_count,
    at,
    fail,
    items_before,
    numbered,
    says,
    short_pages_allowed,
    show,
    show_ids,
    shown,
    total_matches,
    total_needs,
)
from threadconform.invariants.readings import either, limit_readings, plain, read_as
from threadconform.ledger import Violation
from threadconform.model import Pagination
from threadconform.walk import Page, Walk

__all__ = [
    "meta_total",
    "page_default_limit",
    "page_full",
    "page_limit_respected",
    "page_past_end",
    "page_past_end_total",
]


@invariant("META-TOTAL", applies=documents("total"), needs=total_needs)
def meta_total(
    pagination: Pagination, walk: Walk, reference: Walk | None = None
) -> list[Violation]:
    """(walk, reference=None): a complete walk (with the total opt-in parameter, if the
    contract has one); a complete largest-limit `reference` walk judges the total when the
    walk repeated or lost items."""
    return total_matches("META-TOTAL", pagination, walk, reference)


@invariant("PAGE-LIMIT-RESPECTED")
def page_limit_respected(pagination: Pagination, pages: Pages) -> list[Violation]:
    """(pages): any pages or walk; none holds more items than asked for."""
    violations = []
    for number, page in numbered(pages):
        options = limit_readings(pagination, page)
        # A fraction sent (`limit=8.48`) bounds the page by its most lenient reading.
        bound = max((reading.value for reading in options), default=None)
        if bound is not None and len(page.items) > bound:
            sent = page.param(pagination.limit.param)
            asked = f"{pagination.limit.param}={sent}" if sent else f"the default {bound}"
            if not plain(options):
                asked += f", which reads as {read_as(options)}"
            message = (
                f"{at(pagination, page, number)} holds {len(page.items)} items with {asked}; "
                f"a page must never hold more than {bound}. First ids: {show_ids(page.ids)}."
            )
            violations += fail(
                "PAGE-LIMIT-RESPECTED", message, [page.request], f"<= {bound}", str(len(page.items))
            )
    return violations[:CAP]


def _default_limit_needs(pagination: Pagination, page: Page, total: int | None = None) -> Reason:
    if page.param(pagination.limit.param) is not None:
        return "the page was fetched with a limit"
    if not page.ok:
        return f"the page could not be fetched ({page.error})"
    cursor = pagination.cursor
    if cursor and any(page.param(n) for n in (cursor.after, cursor.before) if n):
        return "the page was fetched with a cursor"
    if as_count(page.meta.total) is None and total is None:
        return "the number of items is unknown (no total, and no reference walk given)"
    return None


@invariant(
    "PAGE-DEFAULT-LIMIT",
    applies=lambda p: None if p.limit.default else "the contract documents no default limit",
    needs=_default_limit_needs,
)
def page_default_limit(
    pagination: Pagination, page: Page, total: int | None = None
) -> list[Violation]:
    """(page, total=None): a page fetched without a limit; total from the page or a full walk."""
    default = pagination.limit.default or 0
    known = as_count(page.meta.total)
    count = known if known is not None else total or 0
    expected = min(default, max(0, count - items_before(pagination, page, default)))
    if len(page.items) == expected:
        return []
    if short_pages_allowed(pagination):
        # "Up to" the default: any non-empty page within it, when items remain.
        if 0 < len(page.items) <= expected:
            return []
        message = (
            f"Without {pagination.limit.param}, {at(pagination, page)} holds "
            f"{len(page.items)} items; the documented default limit is {default} and there "
            f"are {count} items, so it should hold between 1 and {expected} (pages may be "
            "short: PAGE-FULL is not a MUST here)."
        )
        expected_text = f"1..{expected}" if expected else "0"
        return fail(
            "PAGE-DEFAULT-LIMIT", message, [page.request], expected_text, str(len(page.items))
        )
    message = (
        f"Without {pagination.limit.param}, {at(pagination, page)} holds {len(page.items)} "
        f"items; the documented default limit is {default} and there are {count} items, so "
        f"it should hold {expected}."
    )
    return fail("PAGE-DEFAULT-LIMIT", message, [page.request], str(expected), str(len(page.items)))


@invariant("PAGE-FULL", applies=for_styles("page", "offset", "cursor"))
def page_full(pagination: Pagination, walk: Walk) -> list[Violation]:
    """(walk): any walk; every page before the last non-empty one is full."""
    filled = [i for i, page in enumerate(walk.pages) if page.items]
    last = filled[-1] if filled else -1
    violations = []
    for index, page in enumerate(walk.pages[:last]):
        options = limit_readings(pagination, page)
        values = [reading.value for reading in options]
        if not values or len(page.items) in values:
            continue
        limit = f"the limit, {values[0]}"
        if not plain(options):  # a fraction: full under any reading of it
            sent = f"{pagination.limit.param}={page.param(pagination.limit.param)}"
            limit = f"the limit: {sent} reads as {read_as(options)}"
        message = (
            f"{at(pagination, page, index + 1)} holds {len(page.items)} items, but it is "
            f"not the last page (more came after it), so it should hold {limit}."
        )
        violations += fail(
            "PAGE-FULL",
            message,
            [page.request],
            either([str(value) for value in values]),
            str(len(page.items)),
        )
    return violations[:CAP]


@invariant("PAGE-PAST-END", applies=for_styles("page", "offset"))
def page_past_end(pagination: Pagination, page: Page) -> list[Violation]:
    """(page): one page requested past the last page (page=pages+1, offset=total)."""
    if page.ok and not page.items:
        return []
    got = f"HTTP {page.status}" if page.status is not None else "no response"
    if page.ok:
        got = f"{len(page.items)} items: {show_ids(page.ids)}"
    elif page.error and page.status is not None and 200 <= page.status < 300:
        got = page.error
    message = (
        f"{at(pagination, page)} lies past the end of the data and should be answered with "
        f"a 2xx and an empty list (not an error); it got {got}."
    )
    return fail("PAGE-PAST-END", message, [page.request], "2xx with no items", got)


def _past_end_total_needs(pagination: Pagination, page: Page, total: int) -> Reason:
    return None if page.ok else f"the page failed ({page.error})"


@invariant(
    "PAGE-PAST-END-TOTAL",
    applies=both(for_styles("page", "offset"), documents("total")),
    needs=_past_end_total_needs,
)
def page_past_end_total(pagination: Pagination, page: Page, total: int) -> list[Violation]:
    """(page, total): a page past the end, and the real total (from a complete walk)."""
    if page.meta.total == total:
        return []
    path = pagination.response.total
    reports = says(page, path, f"reports total {show(page.meta.total)}")
    message = (
        f"{at(pagination, page)} lies past the end and {reports}; the real total is "
        f"{total}. (A total counted with a window function over the page's own rows gives 0 "
        "on an empty page.)"
    )
    got = shown(page, path, page.meta.total)
    return fail("PAGE-PAST-END-TOTAL", message, [page.request], str(total), got)
