"""A clamped answer is judged as the answer for the clamped value.

Where a spec lets a server clamp an out-of-range value instead of rejecting it (worker's
"(1-100)"), a 200 is only a clamp if it is exactly what the clamped request would get:
`offset=-1` served as offset 0 must report `hasMore` as offset 0 does, `limit=101` must
not hold 101 rows, `limit=-1` must not hold every thread. Anything else is a value that
was neither rejected nor clamped.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from threadconform.exchange import Response
from threadconform.probes.context import ProbeContext
from threadconform.walk import extract_page

__all__ = ["CLAMP_RULES", "clamp_problems", "clamp_query", "clamping_allowed", "describe"]

# What a page of the clamped request must obey, whatever the contract's style.
CLAMP_RULES = ("PAGE-LIMIT-RESPECTED", "META-LENGTH", "META-HAS-MORE")


def clamping_allowed(ctx: ProbeContext) -> bool:
    return ctx.contract.pagination.limit.out_of_range == "reject-or-clamp"


def clamp_query(
    ctx: ProbeContext, pairs: Sequence[tuple[str, str]]
) -> tuple[tuple[str, str], ...] | None:
    """The query with each out-of-range number pulled into its documented range; None
    when some value cannot be clamped (not a number, or a fraction for an integer)."""
    clamped = []
    for name, text in pairs:
        schema = ctx.contract.parameters.get(name, {})
        kind = _kind(schema)
        if kind not in ("integer", "number"):
            clamped.append((name, text))
            continue
        number = _number(text)
        if number is None or (kind == "integer" and not number.is_integer()):
            return None
        low, high = schema.get("minimum"), schema.get("maximum")
        value = max(number, low) if low is not None else number
        value = min(value, high) if high is not None else value
        if value == number:
            clamped.append((name, text))
        else:
            clamped.append((name, str(int(value)) if float(value).is_integer() else str(value)))
    return tuple(clamped)


def clamp_problems(
    ctx: ProbeContext, pairs: Sequence[tuple[str, str]], response: Response
) -> list[str] | None:
    """Why this 2xx is not the answer to the clamped request ([] when it is); None when
    clamping is not allowed here or some value cannot be clamped."""
    from threadconform.invariants import INVARIANTS

    if not clamping_allowed(ctx) or not response.ok:
        return None
    clamped = clamp_query(ctx, pairs)
    if clamped is None:
        return None
    if ctx.items_of(response) is None:
        return ["the body holds no list of items"]
    request = replace(response.request, params=clamped)
    page = extract_page(ctx.contract.pagination, request, response)
    problems = []
    for rule in CLAMP_RULES:
        invariant = INVARIANTS[rule]
        if invariant.skip_reason(ctx.contract, [page]):
            continue
        problems += [v.message for v in invariant(ctx.contract, [page])]
    return problems


def describe(pairs: Sequence[tuple[str, str]], clamped: Sequence[tuple[str, str]]) -> str:
    changed = [f"{n}={v}" for (n, v), (_, was) in zip(clamped, pairs, strict=True) if v != was]
    return ", ".join(changed) or "the same values"


def _kind(schema: dict[str, Any]) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, list):
        return next((k for k in kind if k != "null"), None)
    return kind if isinstance(kind, str) else None


def _number(text: str) -> float | None:
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None
