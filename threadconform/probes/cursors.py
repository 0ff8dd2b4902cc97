"""Cursors: `after=X` and `before=X` against the reference walk, the last id."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from threadconform.ledger import Finding
from threadconform.model import Cursor
from threadconform.outcomes import BudgetSpent
from threadconform.plan import tie_groups
from threadconform.probes import judge, probe
from threadconform.probes.context import ProbeContext, ReferenceKey
from threadconform.probes.edges import page
from threadconform.probes.settle import settled
from threadconform.walk import Walk

__all__ = ["CURSOR_RULES", "cursors", "positions"]

CURSOR_RULES = (
    "CURSOR-AFTER",
    "CURSOR-BEFORE",
    "CURSOR-BEFORE-PREVIOUS-PAGE",
    "CURSOR-AFTER-LAST",
)  # CURSOR-UNKNOWN / -MALFORMED: probes/cursor_errors.py


def positions(reference: Walk, limit: int, inside: int = 16) -> list[str]:
    """Cursor ids worth asking about: near the start, the middle, the end, and inside tie
    groups (a cursor on a tied item, with tied items after it): the first, a middle and
    the last group at their first, middle and second-to-last item, then one position in
    each other group, `inside` positions in all."""
    ids = reference.ids
    chosen = [0, 1, limit, len(ids) // 2, len(ids) - 2]
    groups = tie_groups([item.sort_key for item in reference.items])
    tied: list[int] = []
    if groups:
        for first, last in (groups[0], groups[len(groups) // 2], groups[-1]):
            tied += [first, (first + last) // 2, last - 1]
        tied += [(first + last) // 2 for first, last in groups]
    chosen += list(dict.fromkeys(tied))[:inside]
    return [ids[i] for i in dict.fromkeys(chosen) if 0 <= i < len(ids)]


def _direction_params(ctx: ProbeContext) -> list[tuple[tuple[tuple[str, str], ...], str | None]]:
    order = ctx.contract.pagination.order
    if order is None or not order.param:
        return [((), None)]
    return [(((order.param, order.values[d]),), d) for d in sorted(order.values)]


@probe("cursors", *CURSOR_RULES, "CURSOR-EXCLUSIVE", order=70)  # also judged by walks
def cursors(ctx: ProbeContext) -> Iterator[Finding]:
    cursor = ctx.contract.pagination.cursor
    if cursor is None:
        for rule in CURSOR_RULES:
            yield Finding.skipped(rule, "the contract has no cursor parameters")
        return
    # The directions side by side where the run allows (ProbeContext.together), as each
    # direction's positions are (ProbeContext.each): every unit is judged on its own.
    directions = [
        partial(_direction, ctx, cursor, params, direction)
        for params, direction in _direction_params(ctx)
    ]
    for found in ctx.together(directions):
        yield from found


def _direction(
    ctx: ProbeContext,
    cursor: Cursor,
    order_params: tuple[tuple[str, str], ...],
    direction: str | None,
) -> list[Finding]:
    limit_param, limit = ctx.contract.pagination.limit.param, 5
    found: list[Finding] = []
    try:
        reference = ctx.reference(order_params, direction)
        if not reference.ids:
            return [Finding.skipped("CURSOR-AFTER", "needs threads to take cursors from, found 0")]
        base = (*order_params, (limit_param, str(limit)))
        key = ReferenceKey(order_params, direction)
        for finding in _judge_cursors(ctx, cursor, key, base, limit):
            found.append(finding)
    except BudgetSpent:
        pass  # the run stopped: what was judged before stands; the rest is skipped
    return found


def _judge_cursors(
    ctx: ProbeContext,
    cursor: Cursor,
    key: ReferenceKey,
    base: tuple[tuple[str, str], ...],
    limit: int,
) -> Iterator[Finding]:
    """`after` and `before` at each chosen position, and `after` the last id, each
    judged against the reference walk in force (a fresh one once the listing changed)."""
    chosen = positions(
        ctx.reference(key.params, key.direction), limit, ctx.profile.cursor_positions
    )
    units = [
        partial(
            settled,
            ctx,
            partial(_at, ctx, cursor, key, base, item_id),
            key=key,
            where=f"the pages around {item_id}",
        )
        for item_id in chosen
    ]

    def after_last() -> list[Finding]:
        reference = ctx.reference(key.params, key.direction)
        if not reference.complete or not reference.ids:
            return []
        last = page(ctx, (*base, (cursor.after, reference.ids[-1])))
        return judge(ctx.contract, "CURSOR-AFTER-LAST", last)

    units.append(partial(settled, ctx, after_last, key=key, where="the page after the last thread"))
    yield from ctx.each(units)


def _at(
    ctx: ProbeContext,
    cursor: Cursor,
    key: ReferenceKey,
    base: tuple[tuple[str, str], ...],
    item_id: str,
) -> list[Finding]:
    reference = ctx.reference(key.params, key.direction)
    if item_id not in reference.ids:  # deleted by another client since it was chosen
        return []
    after = page(ctx, (*base, (cursor.after, item_id)))
    findings = judge(ctx.contract, "CURSOR-AFTER", after, reference)
    findings += judge(ctx.contract, "CURSOR-EXCLUSIVE", [after])
    if cursor.before:
        before = page(ctx, (*base, (cursor.before, item_id)))
        findings += judge(ctx.contract, "CURSOR-BEFORE", before, reference)
        findings += judge(ctx.contract, "CURSOR-BEFORE-PREVIOUS-PAGE", before, reference)
        findings += judge(ctx.contract, "CURSOR-EXCLUSIVE", [before])
    return findings
