"""Walk invariants: a walk ends, names no id twice, and loses no item at page boundaries."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from threadconform.exchange import Request
from threadconform.invariants.base import Reason, invariant, needs_complete
from threadconform.invariants.helpers import (
    CAP,
    as_count,
    as_int,
    at,
    located_items,
    requests_of,
    show_ids,
)
from threadconform.ledger import Violation
from threadconform.model import Pagination
from threadconform.walk import Walk

__all__ = [
    "page_no_duplicates",
    "page_no_gaps",
    "walk_terminates",
]


# Styles whose pages carry a next-page token or link.
_NEXT_STYLES = ("token", "next-link", "link-header")


def _terminates_needs(pagination: Pagination, walk: Walk) -> Reason:
    if walk.stop in ("budget", "error", "off-origin"):
        return f"the walk stopped early ({walk.stop}: {walk.note})"
    if walk.stop == "page-cap" and not _overran(pagination, walk):
        return f"the walk reached the page cap before the end of the data ({walk.note})"
    return None


def _overran(pagination: Pagination, walk: Walk) -> str:
    """Why a capped walk proves the target promises pages forever ("" if it does not)."""
    seen = len(set(walk.ids))
    last = walk.pages[-1] if walk.pages else None
    if last is None:
        return ""
    total, pages = as_count(last.meta.total), as_count(last.meta.pages)
    if total is not None and seen >= total:
        return f"it had already yielded {seen} distinct items against a reported total of {total}"
    number = as_int(last.param(pagination.page.param)) if pagination.page else None
    if pages is not None and number is not None and number >= pages:
        return f"it had already reached page {number} of a reported {pages}"
    empty = [page for page in walk.pages[-3:] if page.ok and not page.items]
    if pagination.style in _NEXT_STYLES and len(empty) == 3 and last.meta.next:
        return "its last three pages were empty and each still carried a next page token or link"
    return ""


@invariant("WALK-TERMINATES", needs=_terminates_needs)
def walk_terminates(pagination: Pagination, walk: Walk) -> list[Violation]:
    """(walk): a full walk; fails on a cycle, or a page cap hit past the promised end."""
    if walk.stop == "cycle":
        message = (
            f"The walk never ends: {walk.note}. A walk over data that is not changing must "
            "move forward on every page. Check that the page/offset/cursor parameter is "
            "applied, and that the next-page cursor is the last item of the page."
        )
        return [
            Violation(
                "WALK-TERMINATES",
                message,
                requests_of(walk.pages[-2:]),
                "each page moves past the previous one",
                walk.note,
            )
        ]
    if walk.stop == "page-cap" and (why := _overran(pagination, walk)):
        message = (
            f"The walk never ends: it was stopped at the page cap after {len(walk.pages)} "
            f"pages, though {why}; the last page still promised more."
        )
        return [
            Violation(
                "WALK-TERMINATES",
                message,
                requests_of(walk.pages[-2:]),
                "the walk ends at the reported total",
                why,
            )
        ]
    return []


@invariant("PAGE-NO-DUPLICATES")
def page_no_duplicates(pagination: Pagination, walk: Walk) -> list[Violation]:
    """(walk): any walk, complete or not; no id twice."""
    located = located_items(walk)
    counts = Counter(item.id for item, _ in located)
    repeated = [ident for ident, n in counts.items() if n > 1]
    if not repeated:
        return []
    first = repeated[0]
    where = sorted({index for item, index in located if item.id == first})
    places = " and ".join(at(pagination, walk.pages[i], i + 1) for i in where[:CAP])
    message = (
        f"{len(repeated)} item(s) appear more than once in one walk, e.g. {first} "
        f"{counts[first]} times: on {places}. All repeated ids: {show_ids(repeated)}. "
        "Check that the sort order has a unique tie-breaker (e.g. created_at, then id), "
        "so that items with equal keys cannot move between pages."
    )
    return [
        Violation(
            "PAGE-NO-DUPLICATES",
            message,
            requests_of(walk.pages[i] for i in where),
            "every id at most once",
            f"{len(repeated)} ids repeated: {show_ids(repeated)}",
        )
    ]


@invariant("PAGE-NO-GAPS", needs=needs_complete)
def page_no_gaps(pagination: Pagination, small: Walk, large: Walk) -> list[Violation]:
    """(small, large): complete walks with a small limit and with the largest limit."""
    small_ids, large_ids = set(small.ids), set(large.ids)
    missing = [i for i in large.ids if i not in small_ids]
    extra = [i for i in small.ids if i not in large_ids]
    if not missing and not extra:
        return []
    limits = (small.param(pagination.limit.param), large.param(pagination.limit.param))
    found = []
    if missing:
        found.append(f"missing from the small-limit walk: {show_ids(missing)}")
    if extra:
        found.append(f"only in the small-limit walk: {show_ids(extra)}")
    message = (
        f"A walk with limit={limits[0]} yielded {len(small_ids)} distinct items, the walk "
        f"with limit={limits[1]} {len(large_ids)}; {' and '.join(found)}. Items are skipped "
        "or invented at page boundaries: check that the sort order is total (a unique "
        "tie-breaker) and that the next page starts right after the last item returned."
    )
    evidence = _near(small, large.ids, missing[0]) if missing else requests_of(small.pages)
    return [
        Violation(
            "PAGE-NO-GAPS",
            message,
            evidence,
            f"the same {len(large_ids)} ids",
            f"missing {show_ids(missing)}, extra {show_ids(extra)}",
        )
    ]


def _near(walk: Walk, order: Sequence[str], missing: str) -> tuple[Request, ...]:
    """The pages of `walk` around where `missing` should have appeared."""
    index = order.index(missing)
    before = set(order[:index])
    pages = [i for i, page in enumerate(walk.pages) if before & set(page.ids)]
    start = pages[-1] if pages else 0
    return requests_of(walk.pages[start : start + 2])
