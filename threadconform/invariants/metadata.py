"""Metadata invariants: what a page says about itself (page count, echoed page and limit,
has-more, first/last id, type markers, the opt-in total) against what it holds."""

from __future__ import annotations

import math
from typing import Any

from threadconform.invariants.base import (
    Pages,
    Reason,
    both,
    documents,
    for_styles,
    invariant,
    needs_complete,
)
from threadconform.invariants.helpers import (
    CAP,
    as_count,
    as_int,
    at,
    fail,
    items_before,
    limit_in_force,
    numbered,
    pages_of,
    says,
    show,
    show_ids,
    shown,
    total_matches,
    total_needs,
)
from threadconform.ledger import Violation
from threadconform.model import Pagination
from threadconform.walk import Page, Walk

__all__ = [
    "meta_echo",
    "meta_first_last_id",
    "meta_has_more",
    "meta_length",
    "meta_object",
    "meta_pages",
    "meta_total_opt_in",
]


@invariant("META-PAGES", applies=both(documents("pages"), documents("total")))
def meta_pages(pagination: Pagination, pages: Pages) -> list[Violation]:
    """(pages): any pages or walk; each page's page count against its own total."""
    violations = []
    for number, page in numbered(pages):
        total, count = as_count(page.meta.total), page.meta.pages
        size = (
            as_count(page.meta.page_size)
            or as_count(page.meta.limit)
            or limit_in_force(pagination, page)
        )
        if not page.ok or count is None or total is None or not size:
            continue
        expected = math.ceil(total / size)
        if count != expected:
            message = (
                f"{at(pagination, page, number)} reports {show(count)} pages for a total of "
                f"{total} at {size} per page; ceil({total} / {size}) = {expected}."
            )
            violations += fail("META-PAGES", message, [page.request], str(expected), show(count))
    return violations[:CAP]


@invariant("META-ECHO", applies=documents("page", "limit"))
def meta_echo(pagination: Pagination, pages: Pages) -> list[Violation]:
    """(pages): any pages or walk; echoed page/limit equal the values in force."""
    violations = []
    for number, page in numbered(pages):
        if not page.ok:
            continue
        for name, echoed, expected in _echo_pairs(pagination, page):
            if echoed is not None and echoed != expected:
                message = (
                    f"{at(pagination, page, number)} echoes {name} = {show(echoed)}, but the "
                    f"{name} in force is {expected} (sent: {page.param(name) or 'nothing'})."
                )
                violations += fail(
                    "META-ECHO", message, [page.request], str(expected), show(echoed)
                )
    return violations[:CAP]


def _echo_pairs(pagination: Pagination, page: Page) -> list[tuple[str, Any, int | None]]:
    """(parameter, echoed value, value in force) for each echo the contract documents."""
    pairs: list[tuple[str, Any, int | None]] = []
    if pagination.response.limit:
        pairs.append((pagination.limit.param, page.meta.limit, limit_in_force(pagination, page)))
    if pagination.response.page and pagination.page:
        sent = as_int(page.param(pagination.page.param))
        default = pagination.page.default or pagination.page.minimum or 1
        pairs.append((pagination.page.param, page.meta.page, sent or default))
    return pairs


def _has_more_needs(pagination: Pagination, pages: Pages, reference: Walk | None = None) -> Reason:
    if isinstance(pages, Walk) and pages.backward:
        if not (pagination.cursor and pagination.cursor.backward_has_more):
            return (
                "the contract does not document has-more on `before` pages "
                "(x-pagination cursor.backward_has_more)"
            )
        if not pages.complete:
            return needs_complete(pagination, pages)
    if pagination.style in ("page", "cursor") and not isinstance(pages, Walk):
        return "for this style has-more can only be judged on a walk"
    if reference is not None and not reference.complete:
        return needs_complete(pagination, reference)
    return None


@invariant("META-HAS-MORE", applies=documents("has_more"), needs=_has_more_needs)
def meta_has_more(
    pagination: Pagination, pages: Pages, reference: Walk | None = None
) -> list[Violation]:
    """(walk_or_pages, reference=None): offset/first-n from each page's total; page/cursor
    from what follows in the walk, or in a complete `reference` walk when given."""
    expectations = _more_expected(pagination, pages, reference)
    violations = []
    for (number, page), expected in zip(numbered(pages), expectations, strict=True):
        if not page.ok or expected is None or page.meta.has_more is expected:
            continue
        path, told = pagination.response.has_more, page.meta.has_more
        message = (
            f"{at(pagination, page, number)} {says(page, path, f'says has-more = {show(told)}')}, "
            f"but {'more items follow' if expected else 'no items follow'} it"
            f"{_more_why(pagination, page)}."
        )
        violations += fail(
            "META-HAS-MORE", message, [page.request], show(expected), shown(page, path, told)
        )
    return violations[:CAP]


def _more_expected(
    pagination: Pagination, pages: Pages, reference: Walk | None
) -> list[bool | None]:
    """For each page: must has-more be true (True), false (False), or unknown (None)?"""
    listed = pages_of(pages)
    if pagination.style in ("offset", "first-n"):
        out: list[bool | None] = []
        for page in listed:
            total = as_count(page.meta.total)
            start = items_before(pagination, page, 0) if pagination.style == "offset" else 0
            out.append(None if total is None else start + len(page.items) < total)
        return out
    if reference is not None:
        order = {ident: index for index, ident in enumerate(reference.ids)}
        if isinstance(pages, Walk) and pages.backward:
            return [_precedes_in(order, page) for page in listed]
        return [_follows_in(order, page) for page in listed]
    complete = isinstance(pages, Walk) and pages.complete
    out = []
    for index in range(len(listed)):
        follows = any(later.items for later in listed[index + 1 :])
        # Nothing after it in a walk that was cut short says nothing about the target.
        out.append(True if follows else (False if complete else None))
    return out


def _follows_in(order: dict[str, int], page: Page) -> bool | None:
    """Do items follow this page's last item in the reference order? None: not in it."""
    if not page.items:
        return False
    index = order.get(page.ids[-1])
    return None if index is None else index < len(order) - 1


def _precedes_in(order: dict[str, int], page: Page) -> bool | None:
    """Do items precede this page's first item in the reference order (a `before` page)?"""
    if not page.items:
        return False
    index = order.get(page.ids[0])
    return None if index is None else index > 0


def _more_why(pagination: Pagination, page: Page) -> str:
    total = as_count(page.meta.total)
    if pagination.style == "offset" and total is not None:
        start = items_before(pagination, page, 0)
        return f" ({start} + {len(page.items)} items against a total of {total})"
    if pagination.style == "first-n" and total is not None:
        return f" ({len(page.items)} items returned of a total of {total})"
    return " in the walk"


@invariant("META-FIRST-LAST-ID", applies=documents("first_id", "last_id"))
def meta_first_last_id(pagination: Pagination, pages: Pages) -> list[Violation]:
    """(pages): any pages or walk; first/last id name the first/last item, null when empty."""
    violations = []
    for number, page in numbered(pages):
        if not page.ok:
            continue
        checks = (
            ("first", pagination.response.first_id, page.meta.first_id, page.ids[:1]),
            ("last", pagination.response.last_id, page.meta.last_id, page.ids[-1:]),
        )
        for which, field, got, want in checks:
            expected = want[0] if want else None
            if field and got != expected:
                should = f"its {which} item is {show(expected)}" if want else "the page is empty"
                has = says(page, field, f"has {field} = {show(got)}")
                message = (
                    f"{at(pagination, page, number)} {has}, but {should} "
                    f"(expected {show(expected)})."
                )
                violations += fail(
                    "META-FIRST-LAST-ID",
                    message,
                    [page.request],
                    show(expected),
                    shown(page, field, got),
                )
    return violations[:CAP]


@invariant("META-LENGTH", applies=both(for_styles("offset", "first-n", "page"), documents("total")))
def meta_length(pagination: Pagination, pages: Pages) -> list[Violation]:
    """(pages): any pages or walk; page length from limit, position and the page's total."""
    violations = []
    for number, page in numbered(pages):
        total, limit = as_count(page.meta.total), limit_in_force(pagination, page)
        if not page.ok or total is None or limit is None:
            continue
        start = items_before(pagination, page, limit)
        expected = min(limit, max(0, total - start))
        if len(page.items) != expected:
            message = (
                f"{at(pagination, page, number)} holds {len(page.items)} items; with limit "
                f"{limit}, {start} items before it and a total of {total} it should hold "
                f"min({limit}, max(0, {total} - {start})) = {expected}."
            )
            violations += fail(
                "META-LENGTH", message, [page.request], str(expected), str(len(page.items))
            )
    return violations[:CAP]


@invariant("META-OBJECT", applies=documents("object", "item_object"))
def meta_object(pagination: Pagination, pages: Pages) -> list[Violation]:
    """(pages): any pages or walk; constant type markers on the body and every item."""
    body, each = pagination.response.object, pagination.response.item_object
    violations = []
    for number, page in numbered(pages):
        if not page.ok:
            continue
        where = at(pagination, page, number)
        if body and page.meta.object != body.value:
            got = shown(page, body.path, page.meta.object)
            has = says(page, body.path, f"has {body.path} = {got}")
            message = f"{where} {has}; it should be {show(body.value)}."
            violations += fail("META-OBJECT", message, [page.request], show(body.value), got)
        wrong = [i for i in page.items if each and i.get(each.path) != each.value]
        if each and wrong:
            got = show(wrong[0].get(each.path))
            message = (
                f"{where}: {len(wrong)} item(s) have {each.path} other than "
                f"{show(each.value)} (e.g. {wrong[0].id}: {got}): {show_ids(i.id for i in wrong)}."
            )
            violations += fail("META-OBJECT", message, [page.request], show(each.value), got)
    return violations[:CAP]


def _opt_in_needs(pagination: Pagination, without: Pages, with_total: Walk) -> Reason:
    """Only the walk with the opt-in is judged for its total; the pages without are not."""
    return total_needs(pagination, with_total)


@invariant(
    "META-TOTAL-OPT-IN",
    applies=both(documents("total_requires"), documents("total")),
    needs=_opt_in_needs,
)
def meta_total_opt_in(pagination: Pagination, without: Pages, with_total: Walk) -> list[Violation]:
    """(without, with_total): pages fetched without the opt-in; a complete walk with it."""
    flag = pagination.response.total_requires
    for number, page in numbered(without):
        if page.ok and page.param(flag or "") != "true" and page.meta.total is not None:
            message = (
                f"{at(pagination, page, number)} was fetched without {flag}=true but reports "
                f"total = {show(page.meta.total)}; the total must be null unless asked for."
            )
            return fail("META-TOTAL-OPT-IN", message, [page.request], "null", show(page.meta.total))
    return total_matches("META-TOTAL-OPT-IN", pagination, with_total)
