"""Filters: subset, superset and default semantics, compared over whole walks.

An exact filter is tried with a value from the caller's own listing, and also with one
from the second tenant's listing and one from no listing at all: a filter that is simply
ignored (the real worker drops `user_id` for non-admin callers, whose own listing holds
only their own id) looks applied with the caller's own values alone.
"""

from __future__ import annotations

from collections.abc import Iterator

from threadconform.invariants.filters import filter_pages_cover, filter_pages_within
from threadconform.ledger import Finding, Violation
from threadconform.model import Filter
from threadconform.probes import judge, judge_usable, probe
from threadconform.probes.context import ProbeContext, ReferenceKey
from threadconform.probes.settle import settled
from threadconform.probes.walks import encode
from threadconform.walk import Walk

__all__ = ["DEFAULT", "UNSEEN_VALUE", "filters", "other_values"]

# A value for a narrowing filter whose item field the contract does not return: the
# subset property must hold for any value, including one that matches nothing.
UNSEEN_VALUE = "threadconform-probe"
DEFAULT = ReferenceKey((), None)  # the unfiltered listing: read first, re-read on a change


def _value(ctx: ProbeContext, flt: Filter) -> str:
    if flt.type == "boolean":
        return "true"
    values = ctx.samples().values.get(flt.param, [])
    schema = ctx.contract.parameters.get(flt.param, {})
    enum = (schema.get("items") if schema.get("type") == "array" else schema) or {}
    if not values and enum.get("enum"):  # a documented value beats an invented one
        values = list(enum["enum"])
    return encode(values[0]) if values else UNSEEN_VALUE


def other_values(ctx: ProbeContext, flt: Filter) -> list[str]:
    """Values of an exact filter the caller's listing does not hold: one from the second
    tenant's listing (when there is one), and one from no listing. A tenant-owned filter
    gets neither: naming another tenant's resource is TENANT-FILTER's business."""
    if flt.match != "exact" or flt.type == "boolean" or flt.tenant or flt.field is None:
        return []
    mine = {encode(v) for v in ctx.samples().values.get(flt.param, [])}
    values = []
    if ctx.second_token and ctx.second_token != ctx.client.credential:
        theirs = ctx.samples_for(ctx.second_token).values.get(flt.param, [])
        foreign = [encode(v) for v in theirs if encode(v) not in mine]
        values += foreign[:1]
    return [*values, UNSEEN_VALUE]


@probe(
    "filters",
    "FILTER-SUBSET",
    "FILTER-SUPERSET",
    "FILTER-DEFAULT",
    "FILTER-EXACT",
    "FILTER-TOTAL",
    "FILTER-ECHO",
    "PAGE-NO-DUPLICATES",  # of the paged filtered walk (also judged by walks)
    "PAGE-NO-GAPS",
    order=110,
)
def filters(ctx: ProbeContext) -> Iterator[Finding]:
    pagination = ctx.contract.pagination
    default_walk = ctx.reference()
    narrowing = [f for f in pagination.filters if f.match in ("subset", "exact")]
    widening = [f for f in pagination.filters if f.match == "superset"]
    total = pagination.response.total_requires
    opt_in = ((total, "true"),) if total else ()
    for flt in narrowing:
        narrowing_params = ((flt.param, _value(ctx, flt)), *opt_in)

        def subset(
            params: tuple[tuple[str, str], ...] = narrowing_params,
            exact: bool = flt.match == "exact",
        ) -> list[Finding]:
            narrowed = ctx.reference(params)
            found = judge(ctx.contract, "FILTER-SUBSET", narrowed, ctx.reference())
            if exact:
                # Its total against its items: a write between its pages moves one of
                # them, so it is judged inside the bracket like the rest.
                found += judge_usable(ctx.contract, "FILTER-TOTAL", narrowed)
            paged = _paged(ctx, narrowed)
            if paged is not None:
                found += _as_findings(
                    "FILTER-SUBSET", filter_pages_within(ctx.contract, paged, narrowed)
                )
                # The same filtered listing at two page sizes: the same threads, once each
                # (a filter forgotten after the first page cuts them differently).
                found += judge(ctx.contract, "PAGE-NO-DUPLICATES", paged)
                if paged.complete and narrowed.complete:
                    found += judge(ctx.contract, "PAGE-NO-GAPS", paged, narrowed)
                if exact:
                    found += judge_usable(ctx.contract, "FILTER-EXACT", paged)
            return found

        yield from settled(ctx, subset, key=DEFAULT, where=f"the walks filtered by {flt.param}")
        narrowed = ctx.reference(narrowing_params)
        if flt.match == "exact":
            yield from judge_usable(ctx.contract, "FILTER-EXACT", narrowed)
            if flt.echo:
                yield from judge_usable(ctx.contract, "FILTER-ECHO", narrowed)
        for value in other_values(ctx, flt):
            elsewhere = ctx.reference(((flt.param, value), *opt_in))
            yield from judge_usable(ctx.contract, "FILTER-EXACT", elsewhere)
    for flt in widening:
        widening_params = ((flt.param, "true"),)

        def superset(params: tuple[tuple[str, str], ...] = widening_params) -> list[Finding]:
            widened = ctx.reference(params)
            found = judge(ctx.contract, "FILTER-SUPERSET", widened, ctx.reference())
            paged = _paged(ctx, widened)
            if paged is not None and paged.complete:
                cover = filter_pages_cover(ctx.contract, paged, widened)
                found += _as_findings("FILTER-SUPERSET", cover)
            return found

        yield from settled(ctx, superset, key=DEFAULT, where=f"the walks with {flt.param}=true")
    if not widening:
        yield Finding.skipped("FILTER-SUPERSET", "the contract has no widening filter")
    defaulted = [f for f in pagination.filters if f.default is not None]
    if defaulted:
        yield from judge(ctx.contract, "FILTER-DEFAULT", default_walk)
    else:
        yield Finding.skipped("FILTER-DEFAULT", "no filter documents a default value")


def _paged(ctx: ProbeContext, reference: Walk) -> Walk | None:
    """The reference's filtered listing walked again in pages of about a third of it: a
    filter applied to the first page only shows on the pages after it (issue 20)."""
    if not reference.complete or len(reference.ids) < 2:
        return None
    limit = ctx.contract.pagination.limit
    size = max(limit.minimum or 1, len(reference.ids) // 3, 1)
    # Never the reference's own page size: a server that forgets the filter after the
    # first page serves both walks the same wrong pages, and they would agree.
    largest = limit.maximum or limit.default
    if largest is not None and size >= largest:
        size = max(limit.minimum or 1, largest - 1)
    params = tuple(p for p in reference.params if p[0] != limit.param)
    return ctx.walk((*params, (limit.param, str(size))))


def _as_findings(rule: str, violations: list[Violation]) -> list[Finding]:
    return [Finding(rule, v) for v in violations] or [Finding.held(rule)]
