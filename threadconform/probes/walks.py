"""Walk properties, with Hypothesis choosing the walks.

Hypothesis picks a limit (any from 1 to the maximum, or one that divides the total, so
the last page is exactly full), a direction where the contract has one, and a filter
with a value the target itself returned. Every walk is judged by every invariant that
reads one walk, and compared with the reference walk (largest limit, same filter and
direction). A failing walk is shrunk to the smallest one that still fails; that one is
what the report shows.

Against a large target the walks stop at the page cap; completeness is then compared on
the prefix both walks reached, and the finding says so.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from hypothesis.errors import HypothesisException

from threadconform.engine import ProbeContext
from threadconform.ledger import Finding, Violation
from threadconform.model import Pagination
from threadconform.probes import judge, probe, unusable
from threadconform.walk import Walk

ONE_WALK_RULES = (
    "WALK-TERMINATES",
    "PAGE-NO-DUPLICATES",
    "PAGE-LIMIT-RESPECTED",
    "PAGE-FULL",
    "META-TOTAL",
    "META-PAGES",
    "META-ECHO",
    "META-FIRST-LAST-ID",
    "META-LENGTH",
    "META-OBJECT",
    "CURSOR-EXCLUSIVE",
    "FILTER-EXACT",
    "FILTER-ECHO",
    "ITEM-FIELDS-AGREE",
    "ITEM-UNIX-SECONDS",
    "ITEM-ABSOLUTE-URL",
)
WALK_RULES = (
    *ONE_WALK_RULES,
    "FILTER-TOTAL",
    "META-HAS-MORE",
    "ORDER-SORTED",
    "ORDER-ASC",
    "PAGE-NO-GAPS",
)
# Share of the contract's request budget the Hypothesis walks may spend, so that the
# probes after this one still have requests left.
WALK_BUDGET_SHARE = 0.45


class WalkFailed(AssertionError):
    """Raised inside the Hypothesis test so it shrinks the walk; never escapes the probe."""


def walk_params(ctx: ProbeContext) -> st.SearchStrategy[dict[str, Any]]:
    """A filter (or none) and a direction (or the default) for one walk."""
    pagination = ctx.contract.pagination
    samples = ctx.samples()
    choices: list[tuple[str, Any]] = []
    for flt in pagination.filters:
        if flt.match != "exact":
            continue
        values = [True, False] if flt.type == "boolean" else samples.values.get(flt.param, [])[:6]
        choices += [(flt.param, value) for value in values]
    filters = st.none() | st.sampled_from(choices) if choices else st.none()
    order = pagination.order
    directions: list[str | None] = [None]
    if order is not None and order.param:
        directions += sorted(order.values)
    return st.fixed_dictionaries({"filter": filters, "direction": st.sampled_from(directions)})


def encode(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def base_params(pagination: Pagination, choice: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    params: list[tuple[str, str]] = []
    if choice["filter"] is not None:
        name, value = choice["filter"]
        params.append((name, encode(value)))
    if choice["direction"] is not None and pagination.order and pagination.order.param:
        params.append((pagination.order.param, pagination.order.values[choice["direction"]]))
    if pagination.response.total_requires:  # walks check the total, so ask for it
        params.append((pagination.response.total_requires, "true"))
    return tuple(params)


def limits(pagination: Pagination, total: int, max_pages: int) -> st.SearchStrategy[int]:
    """Any limit, or one whose pages end exactly full (the has-more edge)."""
    maximum = pagination.limit.maximum or max(pagination.limit.default or 100, 1)
    lowest = pagination.limit.minimum or 1
    divisors = [d for d in range(max(lowest, 2), maximum + 1) if total and total % d == 0]
    walkable = [d for d in divisors if total // d <= max_pages] or divisors
    anything = st.integers(min_value=lowest, max_value=maximum)
    return st.sampled_from(walkable) | anything if walkable else anything


def judge_walk(ctx: ProbeContext, small: Walk, large: Walk) -> list[Finding]:
    contract = ctx.contract
    if reason := unusable(small):
        return [Finding.skipped(rule, reason) for rule in WALK_RULES]
    findings: list[Finding] = []
    for rule in ONE_WALK_RULES:
        findings += judge(contract, rule, small)
    findings += judge(contract, "FILTER-TOTAL", small)
    findings += judge(contract, "META-HAS-MORE", small, large if large.complete else None)
    direction = small.direction
    order_rule = "ORDER-ASC" if direction == "asc" and _non_default(contract, direction) else None
    findings += judge(contract, order_rule or "ORDER-SORTED", small)
    findings += gaps(ctx, small, large)
    return findings


def _non_default(contract: Any, direction: str) -> bool:
    order = contract.pagination.order
    return order is not None and order.direction != direction


def gaps(ctx: ProbeContext, small: Walk, large: Walk) -> list[Finding]:
    """PAGE-NO-GAPS: on complete walks exactly; on capped ones over the common prefix."""
    if small.complete and large.complete:
        return judge(ctx.contract, "PAGE-NO-GAPS", small, large)
    if small.stop not in ("end", "page-cap") or large.stop not in ("end", "page-cap"):
        return [Finding.skipped("PAGE-NO-GAPS", f"a walk did not finish: {small.note}")]
    reach = min(len(small.ids), len(large.ids))
    missing = sorted(set(large.ids[:reach]) - set(small.ids))
    if not missing:
        return [Finding.held("PAGE-NO-GAPS")]
    message = (
        f"bounded comparison (a walk stopped at the page cap): of the first {reach} items of "
        f"the largest-limit walk, {len(missing)} never appeared in the walk with "
        f"{small.params}: {missing[:5]}"
    )
    evidence = small.requests[:2] + large.requests[:1]
    violation = Violation("PAGE-NO-GAPS", message, evidence, "no missing ids", str(missing[:5]))
    return [Finding("PAGE-NO-GAPS", violation)]


@probe("walks", *WALK_RULES)
def walks(ctx: ProbeContext) -> Iterator[Finding]:
    pagination = ctx.contract.pagination
    passed: list[Finding] = []
    failing: list[list[Finding]] = []
    floor = ctx.client.budget_left * (1 - WALK_BUDGET_SHARE) if ctx.client.budget_left else 0

    @hypothesis_seed(ctx.seed)
    @settings(
        max_examples=ctx.profile.walk_examples,
        database=None,
        deadline=None,
        phases=(Phase.explicit, Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @given(choice=walk_params(ctx), data=st.data())
    def property_(choice: dict[str, Any], data: st.DataObject) -> None:
        if ctx.exhausted or (ctx.client.budget_left or 0) < floor:
            return  # out of budget: no verdict from this example
        params = base_params(pagination, choice)
        large = ctx.reference(params, choice["direction"])
        total = len(large.ids) if large.complete else 0
        limit = data.draw(limits(pagination, total, ctx.profile.max_pages), label="limit")
        small = ctx.walk((*params, (pagination.limit.param, str(limit))), choice["direction"])
        findings = judge_walk(ctx, small, large)
        if any(f.violation for f in findings):
            failing.append(findings)  # the last one appended is Hypothesis' shrunk example
            raise WalkFailed(f"{len([f for f in findings if f.violation])} violation(s)")
        passed.extend(findings)

    # The findings are recorded as the examples run; Hypothesis' own report (or a Flaky
    # verdict when the budget ran out mid-shrink) would only repeat them.
    with contextlib.suppress(WalkFailed, HypothesisException, ExceptionGroup):
        property_()
    yield from passed
    if failing:
        yield from failing[-1]
