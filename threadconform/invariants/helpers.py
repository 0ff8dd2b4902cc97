"""Helpers the invariant modules share: reading pages and counts, naming pages and ids in
messages (at most `CAP` of each), building a violation, and judging a reported total.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from threadconform import paths
from threadconform.exchange import Request
from threadconform.invariants.base import Pages, Reason, needs_complete
from threadconform.invariants.readings import limit_readings, start_readings
from threadconform.ledger import Violation
from threadconform.model import Pagination
from threadconform.rules import BY_ID
from threadconform.walk import Item, Page, Walk, position

__all__ = [
    "CAP",
    "as_count",
    "as_int",
    "at",
    "fail",
    "first_difference",
    "iso_time",
    "items_before",
    "limit_in_force",
    "located_items",
    "numbered",
    "pages_of",
    "requests_of",
    "says",
    "short_pages_allowed",
    "show",
    "show_ids",
    "shown",
    "total_matches",
    "total_needs",
]


CAP = 5  # ids, pages or requests named in one message


def short_pages_allowed(pagination: Pagination) -> bool:
    """Whether the contract lets a page hold fewer than `limit` items before the end: its
    PAGE-FULL is SHOULD or off (Stripe's "up to 10 results"). Rules that assume full pages
    (a default page holds the default, `after=X` returns the next `limit` items) then
    judge only what short pages leave certain. A first-n list is one page: there PAGE-FULL
    is off because no page follows, not because the page may be short."""
    if pagination.style == "first-n":
        return False
    configured = pagination.rules.get("PAGE-FULL")
    severity = configured.severity if configured else BY_ID["PAGE-FULL"].default
    return severity != "MUST"


# -- reading pages -------------------------------------------------------------------------


def pages_of(pages: Pages) -> tuple[Page, ...]:
    if isinstance(pages, Walk):
        return pages.pages
    if isinstance(pages, Page):
        return (pages,)
    return tuple(pages)


def numbered(pages: Pages) -> list[tuple[int | None, Page]]:
    """Each page with its ordinal in a walk (from 1), for `at`; pages given on their own
    (single requests, a probe's sample) have no walk to count in, so None."""
    if isinstance(pages, Walk):
        return [(number, page) for number, page in enumerate(pages.pages, 1)]
    return [(None, page) for page in pages_of(pages)]


def as_count(value: Any) -> int | None:
    """An integer count, or None (null, absent, a boolean, a string)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def as_int(text: str | None) -> int | None:
    try:
        return None if text is None else int(text)
    except ValueError:
        return None


def limit_in_force(pagination: Pagination, page: Page) -> int | None:
    """The limit in force for a page: the one sent (clamped into range), else the default.
    For a fraction (`limit=8.48`), the reading the page evidently used: the one its echoed
    limit names, else the one its length equals, else the first (truncated)."""
    values = [reading.value for reading in limit_readings(pagination, page)]
    for evident in (as_count(page.meta.limit), len(page.items)):
        if evident in values:
            return evident
    return values[0] if values else None


def items_before(pagination: Pagination, page: Page, limit: int) -> int:
    """How many items precede this page, from its page or offset parameter (a fraction
    truncated: `start_readings` gives every reading of one)."""
    return start_readings(pagination, page, limit)[0].value


def located_items(walk: Walk) -> list[tuple[Item, int]]:
    """Each item of the walk in order, with the index of the page it came on."""
    order = range(len(walk.pages))
    if walk.backward:
        order = range(len(walk.pages) - 1, -1, -1)
    return [(item, index) for index in order for item in walk.pages[index].items]


# -- messages ------------------------------------------------------------------------------


def show(value: Any) -> str:
    if value is paths.MISSING:
        return "absent"
    return json.dumps(value, default=repr)


def shown(page: Page, path: str | None, value: Any) -> str:
    """A page-level value as the body had it: `absent` where the body lacks the key
    (`Meta` holds None for a missing key and for a null), else its JSON (`null` only for a
    null the server sent)."""
    if path is not None and path in page.meta.absent:
        return "absent"
    return show(value)


def says(page: Page, path: str | None, saying: str) -> str:
    """What a page says of a field: `saying` (`reports total 7`, `has first_id = null`), or
    `has no first_id (absent)` where the body lacks the key: a field the server never sent
    is not the null it may send."""
    if path is not None and path in page.meta.absent:
        return f"has no {path} (absent)"
    return saying


def show_ids(ids: Iterable[str], cap: int = CAP) -> str:
    listed = list(ids)
    shown = ", ".join(listed[:cap])
    more = f" (+{len(listed) - cap} more)" if len(listed) > cap else ""
    return f"[{shown}{more}]"


def at(pagination: Pagination, page: Page, number: int | None = None) -> str:
    """Where a page sits, so that a reader can fetch it again: by its own parameters where
    they say where it is (`page=3`, `offset=40`, `the first page`), else by its ordinal
    `number` in the walk and the opaque parameter that fetched it (`page #3 of the walk
    (after=thrd_9)`: a cursor, a page token or a next link says nothing of the position).

    A page or offset walk is not numbered: one that starts mid-listing (a window around a
    deep page boundary) counts its pages from 1, and `page #1 (page=3)` contradicts itself.
    """
    where = position(pagination, page)
    if number is None or _self_located(pagination, page):
        return where
    if where == FIRST_PAGE:  # no parameter at all: the walk's first page is the listing's
        return where if number == 1 else f"page #{number} of the walk"
    return f"page #{number} of the walk ({where})"


FIRST_PAGE = "the first page"  # what `position` says of a page sent without a position


def _self_located(pagination: Pagination, page: Page) -> bool:
    """Whether the page was sent with a page number or an offset: its own position."""
    names = (
        pagination.page.param if pagination.page else None,
        pagination.offset.param if pagination.offset else None,
    )
    return any(name and page.param(name) is not None for name in names)


def requests_of(pages: Iterable[Page]) -> tuple[Request, ...]:
    return tuple(page.request for page in pages)[:CAP]


def fail(
    rule: str, message: str, evidence: Iterable[Request] = (), expected: str = "", actual: str = ""
) -> list[Violation]:
    return [Violation(rule, message, tuple(evidence)[:CAP], expected, actual)]


def first_difference(a: Sequence[str], b: Sequence[str]) -> int:
    """The first index where the sequences differ (or where the shorter one ends)."""
    for index, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return index
    return min(len(a), len(b))


def iso_time(seconds: float | str | None) -> str:
    if not isinstance(seconds, float):
        return repr(seconds)
    try:
        return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")
    except (OverflowError, OSError, ValueError):
        return repr(seconds)


# -- totals (META-TOTAL, META-TOTAL-OPT-IN, FILTER-TOTAL) ----------------------------------


def total_needs(pagination: Pagination, walk: Walk, reference: Walk | None = None) -> Reason:
    if (
        pagination.response.total_requires
        and walk.param(pagination.response.total_requires) != "true"
    ):
        return f"the walk was made without {pagination.response.total_requires}=true"
    if pagination.style == "first-n" and walk.pages and _full(pagination, walk.pages[-1]):
        return "a full first-N page shows only the start of the listing, not all of it"
    return needs_complete(pagination, walk)


def _full(pagination: Pagination, page: Page) -> bool:
    limit = limit_in_force(pagination, page)
    return limit is not None and len(page.items) >= limit


def total_matches(
    rule: str, pagination: Pagination, walk: Walk, reference: Walk | None = None
) -> list[Violation]:
    """Every page of a complete walk reports the number of distinct items the walk saw.

    When the walk and a complete `reference` walk disagree (one repeated or lost items),
    the total is judged against every item either saw: a right total is not blamed for
    what PAGE-NO-GAPS / PAGE-NO-DUPLICATES report."""
    seen = len(set(walk.ids))
    allowed = range(seen, seen + 1)
    lost = ""
    others = set(reference.ids) if reference is not None and reference.complete else set(walk.ids)
    if others != set(walk.ids) or len(walk.ids) != seen:
        # A walk repeated or lost items: the total cannot be blamed on that evidence. It is
        # consistent if it counts at least every item either walk saw and at most as many
        # as either walk served (a repeat may stand in for an item no walk showed).
        seen = len(others | set(walk.ids))
        served = max(len(walk.ids), len(reference.ids) if reference is not None else 0)
        allowed = range(seen, max(seen, served) + 1)
        lost = (
            f" (this walk served {len(walk.ids)} items, {len(set(walk.ids))} distinct; the "
            f"largest-limit walk {len(others)} distinct: see PAGE-NO-GAPS and "
            f"PAGE-NO-DUPLICATES; a total from {seen} to {allowed[-1]} would be consistent)"
        )
    # A page/offset past the end is judged by PAGE-PAST-END-TOTAL (a SHOULD), not here.
    judged = [
        (number, page)
        for number, page in enumerate(walk.pages, 1)
        if page.items or len(walk.pages) == 1 or pagination.style == "cursor"
    ]
    wrong = [(n, p) for n, p in judged if p.ok and as_count(p.meta.total) not in allowed]
    if not wrong:
        return []
    number, page = wrong[0]
    path = pagination.response.total
    reports = says(page, path, f"reports total {show(page.meta.total)}")
    message = (
        f"{at(pagination, page, number)} {reports}, but the complete walk yielded {seen} "
        f"distinct items{lost} ({len(wrong)} of {len(judged)} pages disagree). Check that "
        "the total counts the same filtered set the pages list."
    )
    return fail(rule, message, [page.request], str(seen), shown(page, path, page.meta.total))
