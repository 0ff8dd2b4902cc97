"""Order invariants: items sorted by the documented key and tie-breakers, ascending order,
the same order on every request, and a smaller limit listing a prefix of a larger one."""

from __future__ import annotations

import dataclasses
import math
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise

from threadconform.invariants.base import Pages, Reason, for_styles, invariant, needs_complete
from threadconform.invariants.helpers import (
    CAP,
    at,
    fail,
    first_difference,
    iso_time,
    located_items,
    pages_of,
    requests_of,
    show,
    show_ids,
)
from threadconform.ledger import Violation
from threadconform.model import Pagination
from threadconform.pages import MOMENT_NAME
from threadconform.walk import Item, Walk

__all__ = [
    "order_asc",
    "order_prefix",
    "order_reverse",
    "order_sorted",
    "order_stable",
]


def _order_needs(pagination: Pagination, walk: Walk, direction: str | None = None) -> Reason:
    if (direction or walk.direction) not in ("asc", "desc"):
        return "no sort direction is documented or was requested"
    return None


def _has_order(pagination: Pagination) -> Reason:
    return None if pagination.order else "the contract documents no order"


def _has_asc(pagination: Pagination) -> Reason:
    order = pagination.order
    if order and order.param and "asc" in order.values:
        return None
    return "the contract has no parameter that selects ascending order"


@invariant("ORDER-SORTED", applies=_has_order, needs=_order_needs)
def order_sorted(
    pagination: Pagination, walk: Walk, direction: str | None = None
) -> list[Violation]:
    """(walk, direction=None): any walk; keys sorted in its direction across pages."""
    return _sorted("ORDER-SORTED", pagination, walk, direction or walk.direction or "desc")


@invariant("ORDER-ASC", applies=_has_asc)
def order_asc(pagination: Pagination, walk: Walk) -> list[Violation]:
    """(walk): any walk made with the ascending order selected."""
    return _sorted("ORDER-ASC", pagination, walk, "asc")


def _sorted(
    rule: str, pagination: Pagination, walk: Walk, direction: str, *, ties_only: bool = False
) -> list[Violation]:
    """Adjacent items out of the documented order: the full key (primary key, then each
    documented tie-breaker), or with `ties_only` only pairs whose primary keys are equal."""
    located = located_items(walk)
    ways = pagination.order.directions(direction) if pagination.order else (direction,)
    inverted = [
        index
        for index, (first, second) in enumerate(pairwise(located))
        if (not ties_only or _tied(first[0], second[0]))
        and _inverted_key(first[0].full_key, second[0].full_key, ways)
    ]
    bad = [(located[index], located[index + 1]) for index in inverted]
    violations = [_unsorted(rule, pagination, walk, ways, *pair) for pair in bad[:CAP]]
    if len(bad) > CAP:
        last = violations[-1]
        note = f"{last.message} ({len(bad) - CAP} more such pairs in this walk)"
        violations[-1] = Violation(last.rule, note, last.evidence, last.expected, last.actual)
    # Tie-break slips say nothing of which field the listing sorts by: no hint for those.
    other = None if ties_only else _other_order(pagination, [i for i, _ in located], inverted)
    if other is not None:
        violations = [dataclasses.replace(v, message=v.message + other.hint) for v in violations]
    return violations


def _tied(a: Item, b: Item) -> bool:
    return a.sort_key is not None and a.sort_key == b.sort_key


def _inverted(a: float | str | None, b: float | str | None, direction: str) -> bool:
    if not isinstance(a, float) or not isinstance(b, float):
        return False  # an unparseable key is the schema check's finding, not an order one
    return a < b if direction == "desc" else a > b


def _inverted_key(
    a: tuple[float | str | None, ...],
    b: tuple[float | str | None, ...],
    ways: tuple[str | None, ...],
) -> bool:
    """Does `a` come after `b` under the keys' directions? The primary key compares as a
    number (a date or a count); tie-breakers compare as numbers or as strings."""
    for index, (x, y, way) in enumerate(zip(a, b, ways, strict=False)):
        if x == y:
            continue
        if index == 0 or type(x) is not type(y) or x is None or way is None:
            return index == 0 and way is not None and _inverted(x, y, way)
        return x < y if way == "desc" else x > y  # type: ignore[operator]
    return False


def _unsorted(
    rule: str,
    pagination: Pagination,
    walk: Walk,
    ways: tuple[str | None, ...],
    first: tuple[Item, int],
    second: tuple[Item, int],
) -> Violation:
    (a, page_a), (b, page_b) = first, second
    here = at(pagination, walk.pages[page_a], page_a + 1)
    if page_a == page_b:
        where = f"on {here}"
    else:
        there = at(pagination, walk.pages[page_b], page_b + 1)
        where = f"across the boundary between {here} and {there}"
    keys = pagination.order.keys if pagination.order else ()
    key = keys[0].path if keys else "the sort key"
    when_a, when_b = iso_time(a.sort_key), iso_time(b.sort_key)
    if _tied(a, b) and len(keys) > 1:
        documented = ", then ".join(f"{k.path} {w}" for k, w in zip(keys, ways, strict=False))
        index = next(
            i for i, (x, y) in enumerate(zip(a.full_key, b.full_key, strict=False)) if x != y
        )
        tie = keys[index].path
        message = (
            f"Items tied on {key} ({when_a}) are not in the documented tie-break order "
            f"{where}: {a.id} ({tie} {show(a.full_key[index])}) comes before {b.id} "
            f"({tie} {show(b.full_key[index])}); the documented order is {documented}."
        )
        evidence = tuple(dict.fromkeys([walk.pages[page_a].request, walk.pages[page_b].request]))
        actual = f"{tie} {show(a.full_key[index])} then {show(b.full_key[index])}"
        return Violation(rule, message, evidence, documented, actual)
    direction = ways[0] or "desc"
    message = (
        f"Items are not sorted by {key} {direction} {where}: {a.id} ({when_a}) comes "
        f"before {b.id} ({when_b})."
    )
    evidence = tuple(dict.fromkeys([walk.pages[page_a].request, walk.pages[page_b].request]))
    return Violation(rule, message, evidence, f"{key} {direction}", f"{when_a} then {when_b}")


@dataclass(frozen=True, slots=True)
class OtherOrder:
    """Another timestamp-like field of the items that orders them as the server returned
    them: the likely cause of an ORDER-* failure (the listing sorts by the wrong column)."""

    field: str
    direction: str  # "ascending" or "descending"

    @property
    def hint(self) -> str:
        return f" The items are in `{self.field}` order ({self.direction})."


def _other_order(
    pagination: Pagination, items: Sequence[Item], inverted: Sequence[int]
) -> OtherOrder | None:
    """The timestamp-like field, other than the documented keys, whose values order
    `items` as returned in one direction, and strictly at every inverted pair (indices
    into `items`: the pair is `index`, `index + 1`). None unless one explains them all,
    or when the field holds fewer than 3 distinct values (two values order anything)."""
    if not inverted:
        return None
    documented = {key.path for key in pagination.order.keys} if pagination.order else set()
    for path in _moment_fields(items, documented):
        moments = [_moment(item.get(path)) for item in items]
        known = [moment for moment in moments if moment is not None]
        if len(known) < len(moments) or len(set(known)) < 3:
            continue
        for direction, before in (("descending", operator.gt), ("ascending", operator.lt)):
            ordered = all(a == b or before(a, b) for a, b in pairwise(known))
            if ordered and all(before(known[i], known[i + 1]) for i in inverted):
                return OtherOrder(path, direction)
    return None


def _moment_fields(items: Sequence[Item], documented: set[str]) -> list[str]:
    """The item paths every item has, named like a moment (`pages.MOMENT_NAME`; walks keep
    such fields), that are not documented keys. Their values must also all be numbers or
    ISO-8601 date-times (`_moment`)."""
    names = [{name for name, _ in item.fields} for item in items]
    common = set.intersection(*names) if names else set()
    return sorted(
        path for path in common - documented if MOMENT_NAME.search(path.rsplit(".", 1)[-1])
    )


def _moment(value: object) -> float | None:
    """A number as it is, an ISO-8601 date-time as POSIX seconds; else None (also for a
    number no float holds: a target may send a 400-digit integer)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            number = float(value)
        except OverflowError:
            return None
        return number if math.isfinite(number) else None
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


@invariant("ORDER-STABLE", needs=needs_complete)
def order_stable(pagination: Pagination, first: Walk, second: Walk) -> list[Violation]:
    """(first, second): two complete walks with the same parameters; where the contract
    documents tie-breakers, ties in the first walk also follow them."""
    violations = _same_sequence(
        "ORDER-STABLE",
        pagination,
        first.ids,
        second.ids,
        "the second walk with the same parameters",
    )
    order = pagination.order
    direction = first.direction or (order.direction if order else None)
    if order is not None and order.ties and direction in ("asc", "desc"):
        violations += _sorted("ORDER-STABLE", pagination, first, direction, ties_only=True)
    return violations[:CAP]


@invariant("ORDER-REVERSE", applies=_has_asc, needs=needs_complete)
def order_reverse(pagination: Pagination, asc: Walk, desc: Walk) -> list[Violation]:
    """(asc, desc): complete walks in both directions, otherwise the same parameters."""
    return _same_sequence(
        "ORDER-REVERSE",
        pagination,
        tuple(reversed(desc.ids)),
        asc.ids,
        "the ascending walk (compared with the descending walk reversed)",
    )


def _same_sequence(
    rule: str, pagination: Pagination, want: Sequence[str], got: Sequence[str], what: str
) -> list[Violation]:
    if tuple(want) == tuple(got):
        return []
    index = first_difference(want, got)
    expected = want[index] if index < len(want) else "the end"
    actual = got[index] if index < len(got) else "the end"
    message = (
        f"The id sequences differ at position {index}: expected {expected}, but {what} has "
        f"{actual} ({len(want)} vs {len(got)} items). Expected from there: "
        f"{show_ids(want[index:])}; got {show_ids(got[index:])}. Check that ties in the sort key "
        "are broken by a unique column, the same way on every request."
    )
    return fail(rule, message, (), show_ids(want[index:]), show_ids(got[index:]))


@invariant("ORDER-PREFIX", applies=for_styles("first-n"))
def order_prefix(pagination: Pagination, smaller: Pages, larger: Pages) -> list[Violation]:
    """(smaller, larger): the first page(s) for a smaller limit and for a larger one."""
    short = [i for page in pages_of(smaller) for i in page.ids]
    long = [i for page in pages_of(larger) for i in page.ids]
    if short == long[: len(short)]:
        return []
    index = first_difference(short, long)
    message = (
        f"The list for the smaller limit is not a prefix of the list for the larger one: at "
        f"position {index} it has {short[index]}, the larger list "
        f"{long[index] if index < len(long) else 'ends'}. Smaller: {show_ids(short)}; larger: "
        f"{show_ids(long)}. The order is not deterministic; sort by a unique key."
    )
    evidence = requests_of([*pages_of(smaller)[:1], *pages_of(larger)[:1]])
    return fail("ORDER-PREFIX", message, evidence, show_ids(long[: len(short)]), show_ids(short))
