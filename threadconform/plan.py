"""Which walks to judge, chosen from the target's own listing.

A page-boundary bug shows only when a walk puts a page boundary where the bug lives: in
the middle of a run of equal sort keys (a tie group), at the last full page, one short of
the total. Which limits do that depends on the data, so the planner reads the reference
walk (the largest limit: the total and every item's sort key, in order) and returns the
walks worth judging, most telling first:

  * the edges: limit 1, total - 1, a limit that leaves the last page exactly full, the
    documented default, and the limits either side of each;
  * windows that start where the last page is exactly full, for several limits (a
    has-more that counts a full page as "more" shows only there);
  * for tie groups (the first, a middle and the last before the others): a limit whose
    first page ends strictly inside the group (shallow), and a small limit whose k-th page
    ends inside it (deep). Deep boundaries in page/offset styles are judged on the two
    pages around them (a window) instead of a whole walk;
  * with `sweep` (the thorough profile), every other limit from 1 to total - 1, spread so
    that a sweep cut short by the budget still covers the range evenly.

Every planned walk spans at least two pages (a limit at or above the total proves nothing
about page boundaries), except the windows at the end, whose boundary is the end itself.
The plan never costs more than `budget` requests (estimated).

Pure: no I/O, no Hypothesis; the walks probe runs the plan.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

__all__ = ["Planned", "plan", "spread", "tie_groups", "walk_cost"]


@dataclass(frozen=True)
class Planned:
    """One walk to judge: its limit, why it was chosen, and which pages to fetch."""

    limit: int
    why: str
    start: int = 0  # index of the first item of the first page fetched
    pages: int | None = None  # pages to fetch: None for the whole walk, 2 for a window
    at_end: bool = False  # a window whose first page is the exactly full last page

    @property
    def aim(self) -> str:
        """What the walk is for, without the figures of this listing ("one short of the
        total", "first page ends inside tie group #2"): a listing that changed is planned
        again, and a walk whose aim was judged on it before is not taken twice."""
        return _FIGURES.sub("", self.why)

    @property
    def window(self) -> bool:
        return self.pages is not None

    @property
    def page(self) -> int:
        """The 1-based page number the walk starts at (page style)."""
        return self.start // self.limit + 1


# Parenthesised figures in a walk's reason: "(167)", "(168 = 2 x 84)", "(items 26..27)".
_FIGURES = re.compile(r"\s*\([^)]*\)")


def tie_groups(keys: Sequence[object]) -> list[tuple[int, int]]:
    """Runs of equal, non-null sort keys: (first index, last index), two items or more."""
    groups: list[tuple[int, int]] = []
    start = 0
    for index in range(1, len(keys) + 1):
        if index == len(keys) or keys[index] != keys[start]:
            if index - start >= 2 and keys[start] is not None:
                groups.append((start, index - 1))
            start = index
    return groups


def walk_cost(total: int, limit: int, max_pages: int) -> int:
    """Requests a whole walk costs: its pages, one more to see the end, at most the cap."""
    return min(math.ceil(total / limit) + 1, max_pages + 1)


def spread(low: int, high: int) -> list[int]:
    """low..high, the biggest untried gaps first (a sweep cut short still covers the range)."""
    if high < low:
        return []
    order = [low, high]
    intervals = [(low, high)]
    while intervals:
        widest = max(intervals, key=lambda pair: pair[1] - pair[0])
        intervals.remove(widest)
        a, b = widest
        if b - a < 2:
            continue
        middle = (a + b) // 2
        order.append(middle)
        intervals += [(a, middle), (middle, b)]
    return list(dict.fromkeys(order))


def plan(
    keys: Sequence[object],
    *,
    complete: bool,
    minimum: int | None,
    maximum: int | None,
    default: int | None,
    style: str,
    budget: int,
    max_pages: int,
    sweep: bool = False,
    done: Collection[str] = (),
) -> list[Planned]:
    """The walks to judge, most telling first, within `budget` requests (see module doc).

    `keys`: every item's sort key in the reference walk's order; `complete`: whether that
    walk reached the end (if not, `keys` is a prefix and the total is unknown); `done`:
    aims already judged (on an earlier state of a listing that changed), left out without
    spending the budget on them.
    """
    total = len(keys)
    if total < 2 or style not in ("page", "offset", "cursor"):
        return []
    low = max(minimum or 1, 1)
    # Below the total, so that every walk has two pages or more.
    high = min(maximum if maximum is not None else total - 1, total - 1)
    if high < low:
        return []
    chosen: list[Planned] = []
    spent = 0
    seen: set[tuple[int, int, int | None]] = set()

    def add(
        limit: int, why: str, start: int = 0, pages: int | None = None, at_end: bool = False
    ) -> None:
        nonlocal spent
        if not low <= limit <= high or _FIGURES.sub("", why) in done:
            return
        key = (limit, start, pages)
        if key in seen:
            return
        cost = pages if pages is not None else walk_cost(total, limit, max_pages)
        if spent + cost > budget:
            return
        seen.add(key)
        spent += cost
        chosen.append(Planned(limit, why, start, pages, at_end))

    for limit, why in _edges(total, low, high, default, complete):
        add(limit, why)
    for limit, why, start in _last_pages(total, low, high, default, style, complete):
        add(limit, why, start, 2, at_end=True)
    for limit, why, start, pages in _ties(keys, low, high, style, max_pages):
        add(limit, why, start, pages)
    if sweep:
        for limit in spread(low, high):
            add(limit, "sweep")
    return chosen


def _edges(
    total: int, low: int, high: int, default: int | None, complete: bool
) -> list[tuple[int, str]]:
    edges: list[tuple[int, str]] = [(1, "limit 1"), (low, "the minimum limit")]
    if high < total - 1:
        edges.append((high, "the largest limit"))
    if complete:
        edges.append((total - 1, f"one short of the total ({total})"))
        full = [d for d in range(high, max(low, 2) - 1, -1) if total % d == 0]
        if full:
            pages = total // full[0]
            edges.append((full[0], f"the last page exactly full ({total} = {pages} x {full[0]})"))
        else:
            edges.append((1, f"the last page exactly full ({total} is prime)"))
    if default is not None:
        edges.append((default, "the documented default"))
    around: list[tuple[int, str]] = []
    for limit, why in edges:
        around += [(limit - 1, f"one below {why}"), (limit + 1, f"one above {why}")]
    return edges + around


def _last_pages(
    total: int, low: int, high: int, default: int | None, style: str, complete: bool
) -> list[tuple[int, str, int]]:
    """Windows that start where the last page comes out exactly full, for several limits.

    A has-more computed as `len(page) == limit` is wrong only on an exactly full last
    page, and a whole walk ends on one only where the limit divides the total (on a prime
    total: limit 1, the costliest walk). A cursor or an offset lets a walk start there
    instead (`after` the item `limit + 1` from the end; `offset = total - limit`), and a
    page number does for limit 1 (`page = total`). Two pages at most: the full last page,
    and the one after it only if the target claims there is more."""
    if not complete:
        return []
    if style == "page":
        limits = [1]
    elif style in ("offset", "cursor"):
        limits = [d for d in (default, 2, 3, 7, high) if d is not None]
    else:
        return []
    out: list[tuple[int, str, int]] = []
    for limit in dict.fromkeys(limits):
        if low <= limit < total:
            why = f"the last page exactly full: limit {limit} (from item {total - limit})"
            out.append((limit, why, total - limit))
    return out


def _ties(
    keys: Sequence[object], low: int, high: int, style: str, max_pages: int
) -> list[tuple[int, str, int, int | None]]:
    """Walks putting a page boundary strictly inside each tie group, shallow and deep."""
    groups = tie_groups(keys)
    if not groups:
        return []
    # The first, a middle and the last group first: they are judged even on a small budget.
    order = list(dict.fromkeys([0, len(groups) // 2, len(groups) - 1, *range(len(groups))]))
    out: list[tuple[int, str, int, int | None]] = []
    for rank, index in enumerate(order):
        first, last = groups[index]
        name = f"tie group #{index + 1} (items {first}..{last})"
        # Shallow: the first page ends inside the group, at its start and at its middle.
        out.append((first + 1, f"first page ends inside {name}", 0, None))
        if rank < 3:
            out.append(((first + last + 1) // 2, f"first page ends mid-{name}", 0, None))
        deep = _deep(first, last, low, high)[: 2 if rank < 3 else 1]
        for label, (limit, boundary) in zip(
            ("a deep page", "the deepest page"), deep, strict=False
        ):
            why = f"{label} (page {boundary // limit} of limit {limit}) ends inside {name}"
            if style in ("page", "offset") or boundary // limit > max_pages:
                # The two pages around the boundary: cheap at any depth.
                out.append((limit, why, boundary - limit, 2))
            else:
                out.append((limit, why, 0, None))
    return out


def _deep(first: int, last: int, low: int, high: int) -> list[tuple[int, int]]:
    """Limits whose k-th boundary, k >= 2, falls strictly inside the group, with that
    boundary: the largest such limit below half the depth, then the smallest above 1
    (the deepest page): [(limit, boundary index), ...]."""
    found: list[tuple[int, int]] = []
    candidates = range(min(high, max((first + 1) // 2, low)), low - 1, -1)
    for limits in (candidates, range(max(low, 2), min(high, first + 1) + 1)):
        for limit in limits:
            boundary = math.ceil((first + 1) / limit) * limit
            if boundary <= last and boundary // limit >= 2:
                found.append((limit, boundary))
                break
    return list(dict.fromkeys(found))
