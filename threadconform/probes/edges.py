"""The edges of a listing: defaults, the page past the end, totals, repeats, directions."""

from __future__ import annotations

import math
from collections.abc import Iterator
from functools import partial

from threadconform.invariants.helpers import as_count
from threadconform.ledger import Finding
from threadconform.model import Pagination
from threadconform.probes import judge, judge_usable, probe, unusable
from threadconform.probes.context import ProbeContext, ReferenceKey
from threadconform.probes.settle import settled
from threadconform.probes.walks import empty_listing
from threadconform.walk import Page, Walk, extract_page

__all__ = ["DEFAULTS_RULES", "defaults", "directions", "page", "past_end", "totals"]


def page(ctx: ProbeContext, params: tuple[tuple[str, str], ...]) -> Page:
    """One page; raises the run's stop (BudgetSpent) once it has stopped."""
    response = ctx.fetch(params)
    return extract_page(ctx.contract.pagination, response.request, response)


DEFAULTS_RULES = ("PAGE-DEFAULT-LIMIT", "DETERMINISM", "META-TOTAL", "META-LENGTH")


@probe("defaults", *DEFAULTS_RULES, order=20)
def defaults(ctx: ProbeContext) -> Iterator[Finding]:
    flag = ctx.contract.pagination.response.total_requires
    params = ((flag, "true"),) if flag else ()
    if reason := empty_listing(ctx, ctx.reference(params)):  # 0 of 0 items "hold" all
        yield from (Finding.skipped(rule, reason) for rule in DEFAULTS_RULES)
        return
    key = ReferenceKey(params, None)

    def first_pages() -> list[Finding]:
        reference = ctx.reference(params)
        findings = judge_usable(ctx.contract, "META-TOTAL", reference)
        findings += judge_usable(ctx.contract, "META-LENGTH", reference)
        total = len(reference.ids) if reference.complete else None
        first, again = page(ctx, ()), page(ctx, ())
        if as_count(first.meta.total) is None:  # counted against the reference: a write can move it
            findings += judge(ctx.contract, "PAGE-DEFAULT-LIMIT", first, total)
        findings += _determinism(ctx, first, again)
        found.append(first)
        return findings

    found: list[Page] = []
    yield from settled(ctx, first_pages, key=key, where="the default page read twice")
    if found and as_count(found[-1].meta.total) is not None:
        # The page's own total: one response, which no write between two reads explains.
        yield from judge(ctx.contract, "PAGE-DEFAULT-LIMIT", found[-1])
    limit = ctx.contract.pagination.limit.param
    deeper = _second_page_params(ctx, found[-1])
    if deeper is not None:
        deeper_params = (*deeper, (limit, "7"))

        def second_pages() -> list[Finding]:
            return _determinism(ctx, page(ctx, deeper_params), page(ctx, deeper_params))

        yield from settled(ctx, second_pages, key=key, where="a deeper page read twice")


def _determinism(ctx: ProbeContext, one: Page, two: Page) -> list[Finding]:
    """Two failures with one status (the same HTML page twice) prove nothing about
    determinism, nor does a read that got no answer (a timeout: the target's state, not
    its order); a status that changes between two answers still does."""
    silent = next((p for p in (one, two) if p.status is None), None)
    if silent is not None:
        return [
            Finding.skipped("DETERMINISM", f"not judged: a read got no answer ({silent.error})")
        ]
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
    if _past(pagination, total) is None:
        reason = f"{pagination.style} pagination has no page past the end to ask for"
        yield Finding.skipped("PAGE-PAST-END", reason)
        yield Finding.skipped("PAGE-PAST-END-TOTAL", reason)
        return

    def beyond() -> list[Finding]:
        # The total as the reference walk now in force counts it (a fresh one after a
        # change): the page past the end of the listing as it is.
        counted = _known_total(ctx.reference()) or total
        beyond_page = page(ctx, _past(pagination, counted) or ())
        findings = judge(ctx.contract, "PAGE-PAST-END", beyond_page)
        if counted == 0:
            # A total counted over the page's own rows is 0 here too: nothing told apart.
            reason = (
                "the listing is empty, so a total counted over the page's own rows would also "
                "be 0 past its end: nothing to tell apart"
            )
            return [*findings, Finding.skipped("PAGE-PAST-END-TOTAL", reason)]
        return findings + judge(ctx.contract, "PAGE-PAST-END-TOTAL", beyond_page, counted)

    key = ReferenceKey((), None)
    yield from settled(ctx, beyond, key=key, where="the page past the end")


def _past(pagination: Pagination, total: int) -> tuple[tuple[str, str], ...] | None:
    """The page past the end of a listing of `total` items, limit 10."""
    limit = 10
    if pagination.page is not None:
        beyond = (pagination.page.minimum or 1) + math.ceil(total / limit) + 1
        return ((pagination.page.param, str(beyond)), (pagination.limit.param, str(limit)))
    if pagination.offset is not None:
        return ((pagination.offset.param, str(total + 3)), (pagination.limit.param, str(limit)))
    return None


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
    params = ((flag, "true"),)

    def opt_in() -> list[Finding]:
        with_total = ctx.reference(params)
        without = page(ctx, ())
        return judge(ctx.contract, "META-TOTAL-OPT-IN", [without], with_total)

    key = ReferenceKey(params, None)
    yield from settled(ctx, opt_in, key=key, where="the page without its total")


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
    key = ReferenceKey((), None)

    def stable() -> list[Finding]:
        ctx.reference()
        # The two walks side by side where the run allows: a cursor walk is one chain of
        # round trips, and these two do not depend on each other.
        first, second = ctx.together([partial(ctx.walk, small), partial(ctx.walk, small)])
        return judge(ctx.contract, "ORDER-STABLE", first, second)

    yield from settled(ctx, stable, key=key, where=f"two walks with {limit}=7")
    order = pagination.order
    if order is not None and order.param and {"asc", "desc"} <= set(order.values):
        ascending = ((order.param, order.values["asc"]),)
        descending = ((order.param, order.values["desc"]),)

        def reverse() -> list[Finding]:
            asc = ctx.reference(ascending, "asc")
            desc = ctx.reference(descending, "desc")
            return judge(ctx.contract, "ORDER-REVERSE", asc, desc)

        where = "the walks in both directions"
        # Both references read side by side where the run allows (each is read once and
        # kept, so the unit's requests are the same either way).
        ctx.together(
            [partial(ctx.reference, ascending, "asc"), partial(ctx.reference, descending, "desc")]
        )
        yield from settled(ctx, reverse, key=ReferenceKey(ascending, "asc"), where=where)
    else:
        yield Finding.skipped("ORDER-REVERSE", "the contract has no asc/desc order parameter")
    if pagination.style == "first-n":

        def prefix() -> list[Finding]:
            ctx.reference()
            smaller = page(ctx, ((limit, "5"),))
            larger = page(ctx, ((limit, "40"),))
            return judge(ctx.contract, "ORDER-PREFIX", smaller, larger)

        yield from settled(ctx, prefix, key=key, where=f"{limit}=5 against {limit}=40")
    else:
        yield Finding.skipped("ORDER-PREFIX", "only first-N listings are compared by prefix")
