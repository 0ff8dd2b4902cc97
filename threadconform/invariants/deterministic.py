"""The determinism invariant: the same request sent twice gets the same answer."""

from __future__ import annotations

from threadconform.invariants.base import Pages, invariant
from threadconform.invariants.helpers import (
    at,
    fail,
    first_difference,
    numbered,
    pages_of,
    requests_of,
    show_ids,
)
from threadconform.ledger import Violation
from threadconform.model import Pagination
from threadconform.walk import Page

__all__ = [
    "determinism",
]


@invariant("DETERMINISM")
def determinism(pagination: Pagination, first: Pages, second: Pages) -> list[Violation]:
    """(first, second): the same request(s) sent twice; page by page."""
    ones, twos = pages_of(first), pages_of(second)
    if len(ones) != len(twos):
        message = f"Repeating the same requests gave {len(twos)} pages instead of {len(ones)}."
        return fail("DETERMINISM", message, requests_of(ones[-1:]), str(len(ones)), str(len(twos)))
    for (number, one), two in zip(numbered(first), twos, strict=True):
        if (one.status, one.ids, one.body_digest) != (two.status, two.ids, two.body_digest):
            return fail(
                "DETERMINISM",
                _changed(pagination, one, two, number),
                [one.request, two.request],
                _answer(one),
                _answer(two),
            )
    return []


def _answer(page: Page) -> str:
    return f"HTTP {page.status}, {show_ids(page.ids)}"


def _changed(pagination: Pagination, one: Page, two: Page, number: int | None) -> str:
    where = f"The same GET of {at(pagination, one, number)} answered differently the second time"
    if one.status != two.status:
        return f"{where}: HTTP {one.status}, then HTTP {two.status}."
    if one.ids != two.ids:
        index = first_difference(one.ids, two.ids)
        return (
            f"{where}: the items differ from position {index}: first {show_ids(one.ids[index:])}, "
            f"then {show_ids(two.ids[index:])}. Check that the order has a unique tie-breaker."
        )
    return (
        f"{where}: same items in the same order, but other body fields changed. If a field "
        "is legitimately volatile (a request id, a timing), list it under `volatile` in the spec."
    )
