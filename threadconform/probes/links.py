"""Next links (styles next-link and link-header): walks that follow them with a filter
and a small limit, judged for staying on the target (LINK-SAME-ORIGIN) and for carrying
the walk's parameters (LINK-KEEPS-PARAMS)."""

from __future__ import annotations

from collections.abc import Iterator

from threadconform.ledger import Finding
from threadconform.probes import judge_usable, probe
from threadconform.probes.context import ProbeContext
from threadconform.probes.walks import encode

__all__ = ["LINK_LIMIT", "RULES", "links"]

RULES = ("LINK-SAME-ORIGIN", "LINK-KEEPS-PARAMS")
LINK_LIMIT = 7  # small and odd: several pages, boundaries inside runs of ties


@probe("links", *RULES, order=100)
def links(ctx: ProbeContext) -> Iterator[Finding]:
    pagination = ctx.contract.pagination
    if pagination.link is None:
        for rule in RULES:
            yield Finding.skipped(rule, f"style {pagination.style} has no next links")
        return
    limit = ((pagination.limit.param, str(LINK_LIMIT)),)
    for params in (limit, *((flt, *limit) for flt in _filters(ctx))):
        walked = ctx.walk(params)
        for rule in RULES:
            yield from judge_usable(ctx.contract, rule, walked)


def _filters(ctx: ProbeContext) -> list[tuple[str, str]]:
    """One value per documented filter: `true` for booleans, else one the target returned,
    else the first documented enum value (a filter whose item field is not modelled, such
    as an OData `$filter` expression, still has to travel along the links)."""
    samples = ctx.samples()
    chosen = []
    for flt in ctx.contract.pagination.filters:
        enum = ctx.contract.parameters.get(flt.param, {}).get("enum") or []
        if flt.type == "boolean":
            chosen.append((flt.param, "true"))
        elif values := samples.values.get(flt.param):
            chosen.append((flt.param, encode(values[0])))
        elif enum:
            chosen.append((flt.param, encode(enum[0])))
    return chosen
