"""Cursors: `after=X` and `before=X` against the reference walk, the last id."""

from __future__ import annotations

from collections.abc import Iterator

from threadconform.engine import ProbeContext
from threadconform.ledger import Finding
from threadconform.probes import judge, probe
from threadconform.probes.edges import page
from threadconform.walk import Walk

CURSOR_RULES = (
    "CURSOR-AFTER",
    "CURSOR-BEFORE",
    "CURSOR-BEFORE-PREVIOUS-PAGE",
    "CURSOR-AFTER-LAST",
)  # CURSOR-UNKNOWN / -MALFORMED: probes/cursor_errors.py


def positions(reference: Walk, limit: int) -> list[str]:
    """Cursor ids worth asking about: near the start, the middle, the end, at tied keys."""
    ids, items = reference.ids, reference.items
    chosen = [0, 1, limit, len(ids) // 2, len(ids) - 2]
    ties = [i for i in range(1, len(items)) if items[i].sort_key == items[i - 1].sort_key]
    chosen += ties[:2]
    return [ids[i] for i in dict.fromkeys(chosen) if 0 <= i < len(ids)]


def _direction_params(ctx: ProbeContext) -> list[tuple[tuple[tuple[str, str], ...], str | None]]:
    order = ctx.contract.pagination.order
    if order is None or not order.param:
        return [((), None)]
    return [(((order.param, order.values[d]),), d) for d in sorted(order.values)]


@probe("cursors", *CURSOR_RULES)
def cursors(ctx: ProbeContext) -> Iterator[Finding]:
    cursor = ctx.contract.pagination.cursor
    if cursor is None:
        for rule in CURSOR_RULES:
            yield Finding.skipped(rule, "the contract has no cursor parameters")
        return
    limit_param, limit = ctx.contract.pagination.limit.param, 5
    for order_params, direction in _direction_params(ctx):
        reference = ctx.reference(order_params, direction)
        if not reference.ids:
            yield Finding.skipped("CURSOR-AFTER", "needs threads to take cursors from, found 0")
            continue
        base = (*order_params, (limit_param, str(limit)))
        for item_id in positions(reference, limit):
            after = page(ctx, (*base, (cursor.after, item_id)))
            if after is not None:
                yield from judge(ctx.contract, "CURSOR-AFTER", after, reference)
                yield from judge(ctx.contract, "CURSOR-EXCLUSIVE", [after])
            if cursor.before:
                before = page(ctx, (*base, (cursor.before, item_id)))
                if before is not None:
                    yield from judge(ctx.contract, "CURSOR-BEFORE", before, reference)
                    yield from judge(ctx.contract, "CURSOR-BEFORE-PREVIOUS-PAGE", before, reference)
                    yield from judge(ctx.contract, "CURSOR-EXCLUSIVE", [before])
        if reference.complete:
            last = page(ctx, (*base, (cursor.after, reference.ids[-1])))
            if last is not None:
                yield from judge(ctx.contract, "CURSOR-AFTER-LAST", last)
