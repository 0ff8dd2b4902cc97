"""The edges of a listing: defaults, the page past the end, totals, repeats, directions."""

from __future__ import annotations

import math
from collections.abc import Iterator

from threadconform.ledger import Finding
from threadconform.probes import judge, judge_usable, probe, unusable
from threadconform.probes.context import ProbeContext
from threadconform.probes.walks import empty_listing
from threadconform.walk import Page, Walk, extract_page


def page(ctx: ProbeContext, params: tuple[tuple[str, str], ...]) -> Page:
    """One page; raises the run's stop (BudgetSpent) once it has stopped."""
    response = ctx.fetch(params)
    return extract_page(ctx.contract.pagination, response.request, response)


DEFAULTS_RULES = ("PAGE-DEFAULT-LIMIT", "DETERMINISM", "META-TOTAL", "META-LENGTH")


@probe("defaults", *DEFAULTS_RULES, order=20)
def defaults(ctx: ProbeContext) -> Iterator[Finding]:
    flag = ctx.contract.pagination.response.total_requires
    reference = ctx.reference(((flag, "true"),) if flag else ())
    if reason := empty_listing(ctx, reference):  # 0 of 0 items would "hold" every rule
        yield from (Finding.skipped(rule, reason) for rule in DEFAULTS_RULES)
        return
    yield from judge_usable(ctx.contract, "META-TOTAL", reference)
    yield from judge_usable(ctx.contract, "META-LENGTH", reference)
    total = len(reference.ids) if reference.complete else None
    first = page(ctx, ())
    again = page(ctx, ())
    yield from judge(ctx.contract, "PAGE-DEFAULT-LIMIT", first, total)
    yield from _determinism(ctx, first, again)
    limit = ctx.contract.pagination.limit.param
    deeper = _second_page_params(ctx, first)
    if deeper is not None:
        one, two = page(ctx, (*deeper, (limit, "7"))), page(ctx, (*deeper, (limit, "7")))
        yield from _determinism(ctx, one, two)


def _determinism(ctx: ProbeContext, one: Page, two: Page) -> list[Finding]:
    """Two failures with one status (the same HTML page twice) prove nothing about
    determinism; a status that changes between them still does."""
    if (reason := unusable(one, two)) and one.status == two.status:
        return [Finding.skipped("DETERMINISM", reason)]
    return judge(ctx.contract, "DETERMINISM", [one], [two])


def _second_page_params(ctx: ProbeContext, first: Page) -> tuple[tuple[str, str], ...] | None:
    pagination = ctx.contract.pagination
    if pagination.page is not None:
        return ((pagination.page.param, str((pagination.page.minimum or 1) + 1)),)
    if pagination.offset is not None:
        return ((pagination.offset.param, "7"),)
    if pagination.cursor is not None and first.items:
        return ((pagination.cursor.after, first.items[-1].id),)
    return None


@probe("past-end", "PAGE-PAST-END", "PAGE-PAST-END-TOTAL", order=40)
def past_end(ctx: ProbeContext) -> Iterator[Finding]:
    pagination = ctx.contract.pagination
    reference = ctx.reference()
    total = _known_total(reference)
    if total is None:
        reason = f"needs the end of the listing, but the reference walk stopped: {reference.note}"
        yield Finding.skipped("PAGE-PAST-END", reason)
        yield Finding.skipped("PAGE-PAST-END-TOTAL", reason)
        return
    limit = 10
    if pagination.page is not None:
        first = pagination.page.minimum or 1
        beyond = first + math.ceil(total / limit) + 1
        params = ((pagination.page.param, str(beyond)), (pagination.limit.param, str(limit)))
    elif pagination.offset is not None:
        params = ((pagination.offset.param, str(total + 3)), (pagination.limit.param, str(limit)))
    else:
        reason = f"{pagination.style} pagination has no page past the end to ask for"
        yield Finding.skipped("PAGE-PAST-END", reason)
        yield Finding.skipped("PAGE-PAST-END-TOTAL", reason)
        return
    beyond_page = page(ctx, params)
    yield from judge(ctx.contract, "PAGE-PAST-END", beyond_page)
    yield from judge(ctx.contract, "PAGE-PAST-END-TOTAL", beyond_page, total)


def _known_total(reference: Walk) -> int | None:
    """How many items there are: counted when the walk ended, else as the target reports."""
    if reference.complete:
        return len(reference.ids)
    first = reference.pages[0] if reference.pages else None
    total = first.meta.total if first is not None else None
    return total if isinstance(total, int) and not isinstance(total, bool) else None


@probe("totals", "META-TOTAL-OPT-IN", order=50)
def totals(ctx: ProbeContext) -> Iterator[Finding]:
    flag = ctx.contract.pagination.response.total_requires
    if flag is None:
        yield Finding.skipped("META-TOTAL-OPT-IN", "the contract's total needs no opt-in")
        return
    without = page(ctx, ())
    with_total = ctx.reference(((flag, "true"),))
    yield from judge(ctx.contract, "META-TOTAL-OPT-IN", [without], with_total)


@probe("directions", "ORDER-STABLE", "ORDER-REVERSE", "ORDER-PREFIX", order=60)
def directions(ctx: ProbeContext) -> Iterator[Finding]:
    pagination = ctx.contract.pagination
    if reason := empty_listing(ctx, ctx.reference()):
        for rule in ("ORDER-STABLE", "ORDER-REVERSE", "ORDER-PREFIX"):
            yield Finding.skipped(rule, reason)
        return
    limit = pagination.limit.param
    # Ties straddle page boundaries most often with a small odd limit.
    small = ((limit, "7"),)
    yield from judge(ctx.contract, "ORDER-STABLE", ctx.walk(small), ctx.walk(small))
    order = pagination.order
    if order is not None and order.param and {"asc", "desc"} <= set(order.values):
        asc = ctx.reference(((order.param, order.values["asc"]),), "asc")
        desc = ctx.reference(((order.param, order.values["desc"]),), "desc")
        yield from judge(ctx.contract, "ORDER-REVERSE", asc, desc)
    else:
        yield Finding.skipped("ORDER-REVERSE", "the contract has no asc/desc order parameter")
    if pagination.style == "first-n":
        smaller = page(ctx, ((limit, "5"),))
        larger = page(ctx, ((limit, "40"),))
        yield from judge(ctx.contract, "ORDER-PREFIX", smaller, larger)
    else:
        yield Finding.skipped("ORDER-PREFIX", "only first-N listings are compared by prefix")
