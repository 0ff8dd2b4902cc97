"""Backward walks: from the last item back to the start with `before`.

The union and the order must be the forward walk's (WALK-BACKWARD), and where the
contract documents has-more on `before` pages (`cursor.backward_has_more`) it is judged
in that direction of travel (META-HAS-MORE).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from threadconform.ledger import Finding
from threadconform.probes import judge, probe
from threadconform.probes.context import ProbeContext, ReferenceKey
from threadconform.probes.settle import settled

__all__ = ["BACKWARD_LIMIT", "backward"]

# A small odd limit puts page boundaries inside runs of tied keys.
BACKWARD_LIMIT = 7


def _directions(ctx: ProbeContext) -> list[tuple[tuple[tuple[str, str], ...], str | None]]:
    order = ctx.contract.pagination.order
    if order is None or not order.param:
        return [((), None)]
    return [(((order.param, order.values[d]),), d) for d in sorted(order.values)]


@probe("backward", "WALK-BACKWARD", "META-HAS-MORE", order=90)
def backward(ctx: ProbeContext) -> Iterator[Finding]:
    pagination = ctx.contract.pagination
    cursor = pagination.cursor
    if cursor is None or cursor.before is None:
        yield Finding.skipped("WALK-BACKWARD", "the contract has no `before` cursor")
        return
    # The directions side by side where the run allows (ProbeContext.each): a walk back
    # is one chain of round trips, and one direction's does not depend on the other's.
    yield from ctx.each(
        [partial(_walked_back, ctx, params, direction) for params, direction in _directions(ctx)]
    )


def _walked_back(
    ctx: ProbeContext, order_params: tuple[tuple[str, str], ...], direction: str | None
) -> list[Finding]:
    # The forward walk may be a prefix (a large target, cut at the page cap): walking
    # back from its last item must still give exactly the items before it.
    pagination = ctx.contract.pagination
    forward = ctx.reference(order_params, direction)
    if forward.stop not in ("end", "page-cap") or not forward.ids:
        reason = f"needs a forward walk with items ({forward.stop}: {forward.note})"
        return [Finding.skipped("WALK-BACKWARD", reason)]
    if ctx.state.over:
        return []
    limit = _limit(ctx, len(forward.ids))
    key = ReferenceKey(order_params, direction)

    def unit() -> list[Finding]:
        forward = ctx.reference(key.params, key.direction)
        back = ctx.walk(
            (*key.params, (pagination.limit.param, str(limit))),
            key.direction,
            max_pages=ctx.profile.pages_for(limit) + 1,  # and the empty page that ends it
            beyond_cap=True,
            credential=ctx.client.credential,
            backward_from=forward.ids[-1],
        )
        findings = judge(ctx.contract, "WALK-BACKWARD", back, forward)
        return findings + judge(ctx.contract, "META-HAS-MORE", back)

    return settled(ctx, unit, key=key, where=f"the walk back with limit={limit}")


def _limit(ctx: ProbeContext, items: int) -> int:
    """The small odd limit when the walk back fits the page cap, else the largest one."""
    if items <= BACKWARD_LIMIT * ctx.profile.pages_for(BACKWARD_LIMIT):
        return BACKWARD_LIMIT
    limit = ctx.contract.pagination.limit
    return limit.maximum or limit.default or BACKWARD_LIMIT
