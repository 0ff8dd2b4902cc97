"""Filters: subset, superset and default semantics, compared over whole walks."""

from __future__ import annotations

from collections.abc import Iterator

from threadconform.engine import ProbeContext
from threadconform.ledger import Finding
from threadconform.model import Filter
from threadconform.probes import judge, judge_usable, probe
from threadconform.probes.walks import encode

# A value for a narrowing filter whose item field the contract does not return: the
# subset property must hold for any value, including one that matches nothing.
UNSEEN_VALUE = "threadconform-probe"


def _value(ctx: ProbeContext, flt: Filter) -> str:
    if flt.type == "boolean":
        return "true"
    values = ctx.samples().values.get(flt.param, [])
    schema = ctx.contract.parameters.get(flt.param, {})
    enum = (schema.get("items") if schema.get("type") == "array" else schema) or {}
    if not values and enum.get("enum"):  # a documented value beats an invented one
        values = list(enum["enum"])
    return encode(values[0]) if values else UNSEEN_VALUE


@probe(
    "filters",
    "FILTER-SUBSET",
    "FILTER-SUPERSET",
    "FILTER-DEFAULT",
    "FILTER-EXACT",
    "FILTER-TOTAL",
    "FILTER-ECHO",
)
def filters(ctx: ProbeContext) -> Iterator[Finding]:
    pagination = ctx.contract.pagination
    default_walk = ctx.reference()
    narrowing = [f for f in pagination.filters if f.match in ("subset", "exact")]
    widening = [f for f in pagination.filters if f.match == "superset"]
    total = pagination.response.total_requires
    opt_in = ((total, "true"),) if total else ()
    for flt in narrowing:
        narrowed = ctx.reference(((flt.param, _value(ctx, flt)), *opt_in))
        yield from judge(ctx.contract, "FILTER-SUBSET", narrowed, default_walk)
        if flt.match == "exact":
            yield from judge_usable(ctx.contract, "FILTER-EXACT", narrowed)
            yield from judge_usable(ctx.contract, "FILTER-TOTAL", narrowed)
            if flt.echo:
                yield from judge_usable(ctx.contract, "FILTER-ECHO", narrowed)
    for flt in widening:
        widened = ctx.reference(((flt.param, "true"),))
        yield from judge(ctx.contract, "FILTER-SUPERSET", widened, default_walk)
    if not widening:
        yield Finding.skipped("FILTER-SUPERSET", "the contract has no widening filter")
    defaulted = [f for f in pagination.filters if f.default is not None]
    if defaulted:
        yield from judge(ctx.contract, "FILTER-DEFAULT", default_walk)
    else:
        yield Finding.skipped("FILTER-DEFAULT", "no filter documents a default value")
