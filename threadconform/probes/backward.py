"""Backward walks: from the last item back to the start with `before`.

The union and the order must be the forward walk's (WALK-BACKWARD), and where the
contract documents has-more on `before` pages (`cursor.backward_has_more`) it is judged
in that direction of travel (META-HAS-MORE).
"""

from __future__ import annotations

from collections.abc import Iterator

from threadconform.engine import ProbeContext
from threadconform.ledger import Finding
from threadconform.probes import judge, probe
from threadconform.walk import walk_backward

# A small odd limit puts page boundaries inside runs of tied keys.
BACKWARD_LIMIT = 7


def _directions(ctx: ProbeContext) -> list[tuple[tuple[tuple[str, str], ...], str | None]]:
    order = ctx.contract.pagination.order
    if order is None or not order.param:
        return [((), None)]
    return [(((order.param, order.values[d]),), d) for d in sorted(order.values)]


@probe("backward", "WALK-BACKWARD", "META-HAS-MORE")
def backward(ctx: ProbeContext) -> Iterator[Finding]:
    pagination = ctx.contract.pagination
    cursor = pagination.cursor
    if cursor is None or cursor.before is None:
        yield Finding.skipped("WALK-BACKWARD", "the contract has no `before` cursor")
        return
    for order_params, direction in _directions(ctx):
        forward = ctx.reference(order_params, direction)
        if not forward.complete or not forward.ids:
            reason = f"needs a complete forward walk with items ({forward.stop}: {forward.note})"
            yield Finding.skipped("WALK-BACKWARD", reason)
            continue
        if ctx.exhausted:
            return
        params = (*order_params, (pagination.limit.param, str(BACKWARD_LIMIT)))
        back = walk_backward(
            ctx.client_for(ctx.client.credential),
            pagination,
            params,
            start=forward.ids[-1],
            max_pages=ctx.profile.pages_for(BACKWARD_LIMIT),
            direction=direction,
        )
        yield from judge(ctx.contract, "WALK-BACKWARD", back, forward)
        yield from judge(ctx.contract, "META-HAS-MORE", back, forward)
