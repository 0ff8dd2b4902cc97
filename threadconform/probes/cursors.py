"""Cursors: `after=X` and `before=X` against the reference walk, the last id."""

from __future__ import annotations

from collections.abc import Iterator

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
    limit_param, limit = ctx.contract.pagination.limit.param, 5
    for order_params, direction in _direction_params(ctx):
        reference = ctx.reference(order_params, direction)
        if not reference.ids:
            yield Finding.skipped("CURSOR-AFTER", "needs threads to take cursors from, found 0")
            continue
        base = (*order_params, (limit_param, str(limit)))
        key = ReferenceKey(order_params, direction)
        try:
            yield from _judge_cursors(ctx, cursor, key, base, limit)
        except BudgetSpent:
            continue  # the run stopped; the next direction may still lack threads


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
    for item_id in chosen:

        def at(item_id: str = item_id) -> list[Finding]:
            return _at(ctx, cursor, key, base, item_id)

        yield from settled(ctx, at, key=key, where=f"the pages around {item_id}")

    def after_last() -> list[Finding]:
        reference = ctx.reference(key.params, key.direction)
        if not reference.complete or not reference.ids:
            return []
        last = page(ctx, (*base, (cursor.after, reference.ids[-1])))
        return judge(ctx.contract, "CURSOR-AFTER-LAST", last)

    yield from settled(ctx, after_last, key=key, where="the page after the last thread")


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
