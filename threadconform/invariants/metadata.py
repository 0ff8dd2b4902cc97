"""Metadata invariants: what a page says about itself (page count, echoed page and limit,
has-more, first/last id, type markers, the opt-in total) against what it holds."""

from __future__ import annotations

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
    at,
    fail,
    numbered,
    pages_of,
    says,
    show,
    show_ids,
    shown,
    total_matches,
    total_needs,
)
from threadconform.invariants.readings import (
    Reading,
    Window,
    either,
    fitting,
    fraction_sent,
    limit_readings,
    plain,
    read_as,
    read_number,
    start_readings,
    windows,
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
        echoed = as_count(page.meta.page_size) or as_count(page.meta.limit)
        sizes = (Reading(echoed),) if echoed else limit_readings(pagination, page)
        sizes = tuple(size for size in sizes if size.value > 0)
        if not page.ok or count is None or total is None or not sizes:
            continue
        counts = [-(-total // size.value) for size in sizes]  # exact for any int total
        if count in counts:
            continue
        where = at(pagination, page, number)
        if plain(sizes):
            size = sizes[0].value
            message = (
                f"{where} reports {show(count)} pages for a total of {total} at {size} per "
                f"page; ceil({total} / {size}) = {counts[0]}."
            )
        else:  # a fraction sent, no size echoed: every reading of it
            tried = [f"{n} at {size}" for n, size in zip(counts, sizes, strict=True)]
            message = (
                f"{where} reports {show(count)} pages for a total of {total}, which no reading "
                f"of {fraction_sent(pagination, page)} explains: ceil({total} / limit) = "
                f"{either(tried)}."
            )
        expected = either(list(dict.fromkeys(map(str, counts))))
        violations += fail("META-PAGES", message, [page.request], expected, show(count))
    return violations[:CAP]


@invariant("META-ECHO", applies=documents("page", "limit"))
def meta_echo(pagination: Pagination, pages: Pages) -> list[Violation]:
    """(pages): any pages or walk; echoed page/limit equal the values in force."""
    violations = []
    for number, page in numbered(pages):
        if not page.ok:
            continue
        for name, echoed, options in _echo_pairs(pagination, page):
            values = [reading.value for reading in options]
            if echoed is None or not values or echoed in values:
                continue
            sent = page.param(name)
            if plain(options):
                told = f"the {name} in force is {values[0]} (sent: {sent or 'nothing'})"
            else:  # a fraction: any reading of it may be in force
                told = f"{name}={sent} reads as {read_as(options)}"
            message = f"{at(pagination, page, number)} echoes {name} = {show(echoed)}, but {told}."
            expected = either([str(value) for value in values])
            violations += fail("META-ECHO", message, [page.request], expected, show(echoed))
    return violations[:CAP]


def _echo_pairs(pagination: Pagination, page: Page) -> list[tuple[str, Any, tuple[Reading, ...]]]:
    """(parameter, echoed value, readings in force) for each echo the contract documents."""
    pairs: list[tuple[str, Any, tuple[Reading, ...]]] = []
    if pagination.response.limit:
        pairs.append((pagination.limit.param, page.meta.limit, limit_readings(pagination, page)))
    if pagination.response.page and pagination.page:
        default = pagination.page.default or pagination.page.minimum or 1
        sent = read_number(page.param(pagination.page.param), default)
        # page=0 is read as the default, as a server that treats 0 as "not given" does.
        readings = tuple(Reading(r.value or default, r.how) for r in sent)
        pairs.append((pagination.page.param, page.meta.page, readings))
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
            if total is None:
                out.append(None)
                continue
            starts = _starts(pagination, page, total) if pagination.style == "offset" else (0,)
            after = {start + len(page.items) < total for start in starts}
            # Readings of a fraction that disagree on what follows leave has-more unjudged.
            out.append(after.pop() if len(after) == 1 else None)
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


def _starts(pagination: Pagination, page: Page, total: int) -> tuple[int, ...]:
    """How many items precede an offset page: under the readings of its parameters that
    explain its length (`offset=40.5` truncated or rounded), else under every reading."""
    options = fitting(pagination, page, total) or windows(pagination, page)
    if not options:  # no limit sent and none documented: the offset alone says it
        return tuple(dict.fromkeys(r.value for r in start_readings(pagination, page, 0)))
    return tuple(dict.fromkeys(w.start.value for w in options))


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
        start = _starts(pagination, page, total)[0]
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
    """(pages): any pages or walk; page length from limit, position and the page's total.
    A page sent a fraction (`limit=8.48`) is judged by the reading that explains it."""
    violations = []
    for number, page in numbered(pages):
        total, options = as_count(page.meta.total), windows(pagination, page)
        if not page.ok or total is None or not options or fitting(pagination, page, total):
            continue
        expected = either(list(dict.fromkeys(str(w.length(total)) for w in options)))
        violations += fail(
            "META-LENGTH",
            _length_message(pagination, page, number, total, options),
            [page.request],
            expected,
            str(len(page.items)),
        )
    return violations[:CAP]


def _length_message(
    pagination: Pagination, page: Page, number: int | None, total: int, options: tuple[Window, ...]
) -> str:
    where, count = at(pagination, page, number), len(page.items)
    if len(options) == 1 and not (options[0].limit.how or options[0].start.how):
        limit, skipped = options[0].limit.value, options[0].start.value
        return (
            f"{where} holds {count} items; with limit {limit}, {skipped} items before it and "
            f"a total of {total} it should hold min({limit}, max(0, {total} - {skipped})) = "
            f"{options[0].length(total)}."
        )
    # A fraction was sent: say what every reading of it gives, so that a reader sees
    # which one the server would have had to use.
    starts = {w.start for w in options}
    if len(starts) == 1:
        skipped = options[0].start.value
        lead = f"with {skipped} items before it and a total of {total}"
        formula = f"min(limit, max(0, {total} - {skipped}))"
        tried = [f"{w.length(total)} for limit {w.limit}" for w in options]
    else:
        lead = f"with a total of {total}"
        formula = f"min(limit, max(0, {total} - before))"
        tried = [f"{w.length(total)} for limit {w.limit} and {_before(w.start)}" for w in options]
    echoed = as_count(page.meta.limit)
    echo = f" (it echoes limit {echoed})" if echoed is not None else ""
    return (
        f"{where} holds {count} items{echo}, which no reading of "
        f"{fraction_sent(pagination, page)} explains: {lead} it should hold {formula} = "
        f"{either(tried)}."
    )


def _before(start: Reading) -> str:
    how = f" ({start.how})" if start.how else ""
    return f"{start.value} items before it{how}"


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
