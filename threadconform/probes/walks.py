"""Walk properties: the planned walks first, then Hypothesis exploring beyond them.

The reference walk (largest limit) gives the total and every item's sort key; the planner
(`threadconform.plan`) chooses from it the walks most likely to show a page-boundary bug
on this data (limit 1, total - 1, a full last page, the default, a boundary inside every
tie group, shallow and deep). Each is judged by every invariant that reads one walk and
compared with the reference walk. Then Hypothesis draws more walks (a filter, a
direction, a limit biased below the total); only a MUST violation stops its search, and
that failure is shrunk to the smallest limit that still shows it. SHOULD violations are
recorded and the exploration goes on.

A rule a walk cannot speak to is skipped with the reason, never "held": an empty
listing, a walk of a single page (no boundary to judge), fewer than two items to order.

Against a large target the walks stop at the page cap; completeness is then compared on
the prefix both walks reached, and the finding says so.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from hypothesis.errors import HypothesisException

from threadconform import plan, rules
from threadconform.invariants import INVARIANTS
from threadconform.ledger import Finding, Violation
from threadconform.model import Pagination
from threadconform.probes import judge, probe, unusable
from threadconform.probes.context import ProbeContext, ReferenceKey
from threadconform.probes.settle import keyset_gaps_of, place_of, positional, settled
from threadconform.walk import Walk, position

__all__ = [
    "BOUNDARY_RULES",
    "ONE_WALK_RULES",
    "ORDER_RULES",
    "PLAN_SHARE",
    "WALK_BUDGET_SHARE",
    "WALK_RULES",
    "WINDOW_RULES",
    "WalkFailed",
    "base_params",
    "caused",
    "cut_by_page_count",
    "empty_listing",
    "encode",
    "ends_anyway",
    "explore",
    "gaps",
    "judge_planned",
    "judge_walk",
    "judge_window",
    "limits",
    "must",
    "planned",
    "vacuous",
    "walk_params",
    "walks",
    "window_gaps",
]

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
PLACE_RULE = "WALK-HOLDS-PLACE"  # judged only on a token walk the writes disturbed
WALK_RULES = (
    *ONE_WALK_RULES,
    "FILTER-TOTAL",
    "META-HAS-MORE",
    "ORDER-SORTED",
    "ORDER-ASC",
    "PAGE-NO-GAPS",
    PLACE_RULE,
)
# Rules about what happens at a page boundary: a walk of one page has none to show.
BOUNDARY_RULES = ("PAGE-NO-DUPLICATES", "PAGE-NO-GAPS", "PAGE-FULL", "WALK-TERMINATES")
ORDER_RULES = ("ORDER-SORTED", "ORDER-ASC")
# Rules a window (two pages from the middle of the listing) can be judged by.
WINDOW_RULES = tuple(r for r in ONE_WALK_RULES if r not in ("WALK-TERMINATES", "META-TOTAL"))
# Share of the contract's request budget the walks may spend, so that the probes after
# this one still have requests left; the planned walks take PLAN_SHARE of that.
WALK_BUDGET_SHARE = 0.45
PLAN_SHARE = 0.7


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
    """A limit, mostly below the total (a walk of two pages or more); sometimes any.

    Hypothesis shrinks integers towards the lowest value, so a failure is reported at the
    smallest limit that still shows it."""
    maximum = pagination.limit.maximum or max(pagination.limit.default or 100, 1)
    lowest = max(pagination.limit.minimum or 1, 1)
    anything = st.integers(min_value=lowest, max_value=maximum)
    below = min(maximum, total - 1)
    if below < lowest:
        return anything
    # Mostly walks of at most about ten pages: the plan already walked the small limits.
    walkable = max(lowest, min(below, -(-total // min(10, max(max_pages, 1)))))
    under = st.integers(min_value=lowest, max_value=below)
    cheap = st.integers(min_value=walkable, max_value=below)
    return st.one_of(cheap, cheap, cheap, under, anything)


def judge_walk(ctx: ProbeContext, small: Walk, large: Walk) -> list[Finding]:
    contract = ctx.contract
    if reason := unusable(small):
        return [Finding.skipped(rule, reason) for rule in WALK_RULES]
    findings: list[Finding] = []
    for rule in ONE_WALK_RULES:
        if rule == "META-TOTAL":
            findings += judge(contract, rule, small, reference=large)
        elif rule == "WALK-TERMINATES" and (reason := ends_anyway(small, large)):
            findings.append(Finding.skipped(rule, reason))
        else:
            findings += judge(contract, rule, small)
    findings += judge(contract, "FILTER-TOTAL", small)
    findings += judge(contract, "META-HAS-MORE", small, large if large.complete else None)
    direction = small.direction
    order_rule = "ORDER-ASC" if direction == "asc" and _non_default(contract, direction) else None
    findings += judge(contract, order_rule or "ORDER-SORTED", small)
    findings += gaps(ctx, small, large)
    return vacuous(ctx.contract.pagination, small, findings)


def ends_anyway(small: Walk, large: Walk) -> str | None:
    """Why a walk stopped at the page cap is no evidence of an endless listing: it served
    only distinct items of a largest-limit walk that did end. (A total smaller than what
    it served is then META-TOTAL's to report, not WALK-TERMINATES'.)"""
    if small.stop != "page-cap" or not large.complete:
        return None
    if len(set(small.ids)) != len(small.ids) or not set(small.ids) <= set(large.ids):
        return None
    return (
        f"the walk stopped at the page cap while still inside the {len(large.ids)} items "
        "of a largest-limit walk that ended"
    )


def vacuous(pagination: Pagination, small: Walk, findings: list[Finding]) -> list[Finding]:
    """Holds that saw nothing become skips with the reason: a walk of one page has no
    boundary to judge, one item no order."""
    limit = small.param(pagination.limit.param)
    filled = [page for page in small.pages if page.items]
    reasons = {}
    if len(filled) < 2:
        why = f"the walk with limit={limit} fetched {len(filled)} non-empty page(s)"
        reasons.update(dict.fromkeys(BOUNDARY_RULES, f"{why}: no page boundary to judge"))
    if len(small.ids) < 2:
        why = f"the walk with limit={limit} yielded {len(small.ids)} item(s): nothing to order"
        reasons.update(dict.fromkeys(ORDER_RULES, why))
    return [
        Finding.skipped(f.rule, reasons[f.rule])
        if f.rule in reasons and f.violation is None and f.skip is None
        else f
        for f in findings
    ]


def judge_window(
    ctx: ProbeContext, small: Walk, large: Walk, start: int, at_end: bool = False
) -> list[Finding]:
    """Two pages from the middle of the listing: duplicates across them are definite; an
    item missing counts only when its tie group lies wholly inside the window. A window
    at the end (its first page the exactly full last page) also judges has-more there."""
    if reason := unusable(small):
        return [Finding.skipped(rule, reason) for rule in WINDOW_RULES]
    findings: list[Finding] = []
    for rule in WINDOW_RULES:
        findings += judge(ctx.contract, rule, small)
    if at_end and large.complete:
        findings += judge(ctx.contract, "META-HAS-MORE", small, large)
    findings += judge(ctx.contract, "ORDER-SORTED", small)
    findings += window_gaps(ctx, small, large, start)
    return vacuous(ctx.contract.pagination, small, findings)


def window_gaps(ctx: ProbeContext, small: Walk, large: Walk, start: int) -> list[Finding]:
    end = start + len(small.ids)
    keys = [item.sort_key for item in large.items]
    if end > len(keys) or not small.ids:
        return [Finding.skipped("PAGE-NO-GAPS", "the window reaches past the reference walk")]
    # A tie group cut by the window's edges may be split differently: not judged.
    cut = {keys[start] if start and keys[start - 1] == keys[start] else None}
    cut.add(keys[end - 1] if end < len(keys) and keys[end] == keys[end - 1] else None)
    expected = [
        ident
        for ident, key in zip(large.ids[start:end], keys[start:end], strict=True)
        if key is None or key not in cut
    ]
    missing = [ident for ident in expected if ident not in set(small.ids)]
    if not missing:
        return [Finding.held("PAGE-NO-GAPS")]
    pagination = ctx.contract.pagination
    where = " and ".join(position(pagination, page) for page in small.pages)
    message = (
        f"The two pages {where} with {pagination.limit.param}="
        f"{small.param(pagination.limit.param)} should hold items {start}..{end - 1} of the "
        f"largest-limit walk; {len(missing)} of them never appear: {missing[:5]} (their tie "
        "groups lie wholly inside these pages, so no tie order excuses it). Check that the "
        "sort order has a unique tie-breaker and that each page starts right after the "
        "previous one."
    )
    violation = Violation(
        "PAGE-NO-GAPS", message, small.requests[:2], "no missing ids", str(missing[:5])
    )
    return [Finding("PAGE-NO-GAPS", violation)]


def _non_default(contract: Any, direction: str) -> bool:
    order = contract.pagination.order
    return order is not None and order.direction != direction


def cut_by_page_count(pagination: Pagination, small: Walk, large: Walk) -> str | None:
    """Why items missing only at the end are not a gap: the walk stopped where the target's
    own page count said the listing ends (META-PAGES judges that count)."""
    if not _ended_at_page_count(pagination, small):
        return None
    seen = set(small.ids)
    missing = [ident for ident in large.ids if ident not in seen]
    if not missing or any(ident not in set(large.ids) for ident in seen):
        return None
    if set(missing) != set(large.ids[-len(missing) :]):
        return None
    return (
        f"the walk stopped where the reported page count said ({small.note}), before the "
        f"last {len(missing)} item(s): see META-PAGES and META-TOTAL"
    )


def _ended_at_page_count(pagination: Pagination, small: Walk) -> bool:
    """The walk's last page was the last of the page count it reported (the page walker
    stops there: `walk._page_steps`)."""
    if pagination.page is None or not small.pages:
        return False
    last = small.pages[-1]
    pages, number = last.meta.pages, last.param(pagination.page.param)
    counted = isinstance(pages, int) and not isinstance(pages, bool)
    return counted and number is not None and number.isdigit() and int(number) >= pages


def gaps(ctx: ProbeContext, small: Walk, large: Walk) -> list[Finding]:
    """PAGE-NO-GAPS: on complete walks exactly; on capped ones over the common prefix."""
    if small.complete and large.complete:
        if reason := cut_by_page_count(ctx.contract.pagination, small, large):
            return [Finding.skipped("PAGE-NO-GAPS", reason)]
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
        f"{'&'.join(f'{k}={v}' for k, v in small.params)}: {missing[:5]}"
    )
    evidence = small.requests[:2] + large.requests[:1]
    violation = Violation("PAGE-NO-GAPS", message, evidence, "no missing ids", str(missing[:5]))
    return [Finding("PAGE-NO-GAPS", violation)]


def must(ctx: ProbeContext, rule: str) -> bool:
    return rules.setting(ctx.contract, rule).severity == "MUST"


def caused(findings: list[Finding], walk: Walk) -> list[Finding]:
    """Tag each violation with the walk's parameters: the ledger shows distinct causes."""
    cause = "&".join(f"{k}={v}" for k, v in walk.params)
    return [
        replace(f, walk=True, violation=replace(f.violation, cause=cause) if f.violation else None)
        if f.skip is None
        else f
        for f in findings
    ]


def planned(
    ctx: ProbeContext, params: tuple[tuple[str, str], ...], large: Walk
) -> Iterator[Finding]:
    """Judge the walks the planner chose from the reference walk. When the listing
    changes under them (a fresh reference after a change), the rest is planned again on
    the listing as it is now: a boundary chosen inside a tie group has moved with it."""
    left = ctx.client.budget_left or 0
    budget = int(left * WALK_BUDGET_SHARE * PLAN_SHARE) if ctx.client.budget_left else 10**6
    budget = min(budget, ctx.profile.plan_requests or budget)
    key = ReferenceKey(params, None)
    started = ctx.client.requests_sent
    done: set[str] = set()
    chosen = _plan(ctx, large, budget, done)
    while chosen:
        if ctx.state.over:
            return
        batch = _batch(ctx, chosen)
        done.update(walk_plan.aim for walk_plan in batch)
        for findings in _judged_side_by_side(ctx, params, batch):
            yield from findings
        current = ctx.references.get(key)
        if current is not None and current is not large:
            large = current
            rest = budget - (ctx.client.requests_sent - started)
            chosen = _plan(ctx, large, max(0, rest), done)


def _batch(ctx: ProbeContext, chosen: list[plan.Planned]) -> list[plan.Planned]:
    """The walks to take now, taken off `chosen`: all of them side by side while the
    listing has held still (their requests do not depend on each other's), else the next
    one alone (a change re-plans the rest on the listing as it is then)."""
    count = len(chosen) if ctx.client.concurrency > 1 and not ctx.live.changed else 1
    batch = chosen[:count]
    del chosen[:count]
    return batch


def _judged_side_by_side(
    ctx: ProbeContext, params: tuple[tuple[str, str], ...], batch: list[plan.Planned]
) -> list[list[Finding]]:
    """Each planned walk judged, in the plan's order whatever order they finish in; up
    to `--concurrency` of them at once (each walk's own pages stay in order)."""
    if len(batch) == 1:
        return [judge_planned(ctx, params, batch[0])]
    with ThreadPoolExecutor(ctx.client.concurrency, thread_name_prefix="walk") as pool:
        return list(pool.map(lambda walk_plan: judge_planned(ctx, params, walk_plan), batch))


def _plan(ctx: ProbeContext, large: Walk, budget: int, done: set[str]) -> list[plan.Planned]:
    """The planner on this reference walk, within `budget` requests, but the aims `done`."""
    pagination = ctx.contract.pagination
    keys = [item.sort_key for item in large.items]
    if not large.complete:
        # A listing longer than one walk may read: plan within the half a walk reaches in
        # two pages, so a 100,000-thread target costs what a 1,000-thread one does.
        keys = keys[: max(2, ctx.profile.max_items // 2)]
        budget //= 2  # each walk reads up to twice the planned prefix before its cap
    return plan.plan(
        keys,
        complete=large.complete,
        minimum=pagination.limit.minimum,
        maximum=pagination.limit.maximum,
        default=pagination.limit.default,
        style=pagination.style,
        budget=budget,
        max_pages=ctx.profile.max_pages,
        sweep=ctx.profile.sweep_limits,
        done=done,
    )


def judge_planned(
    ctx: ProbeContext, params: tuple[tuple[str, str], ...], walk_plan: plan.Planned
) -> list[Finding]:
    """One planned walk, judged against a reference walk of the same listing; on a target
    that changes meanwhile, taken again until an unchanged listing brackets it."""
    pagination = ctx.contract.pagination
    limit = ((pagination.limit.param, str(walk_plan.limit)),)
    taken: list[Walk] = []

    def unit() -> list[Finding]:
        large = ctx.reference(params, None)
        chosen = _in_force(walk_plan, len(large.ids))
        if chosen is None:  # the listing shrank under the plan: nothing left to judge here
            return []
        if chosen.window:
            where = _window_param(pagination, large, chosen)
            small = ctx.walk((*params, *limit, *where), None, max_pages=chosen.pages)
            findings = judge_window(ctx, small, large, chosen.start, chosen.at_end)
        else:
            small = ctx.walk((*params, *limit), None)
            findings = judge_walk(ctx, small, large)
        taken.append(small)
        return caused(findings, small)

    findings = settled(
        ctx,
        unit,
        key=ReferenceKey(params, None),
        where=f"the walk with {pagination.limit.param}={walk_plan.limit} ({walk_plan.why})",
        keyset_gaps=None if walk_plan.window else _last_gaps(ctx, taken),
        explain=positional(ctx, lambda: taken[-1] if taken else None),
        place=None if walk_plan.window else place_of(ctx, lambda: taken[-1] if taken else None),
    )
    with ctx.lock:
        ctx.walk_stats.add(walk_plan.limit)
    return findings


def _in_force(walk_plan: plan.Planned, total: int) -> plan.Planned | None:
    """The planned walk on the listing as it is now: a window at the end starts `limit`
    from the current end; a window past the current end is dropped (None)."""
    if walk_plan.at_end:
        start = total - walk_plan.limit
        return replace(walk_plan, start=start) if start >= 1 else None
    if walk_plan.window and walk_plan.start > total:
        return None
    return walk_plan


def _last_gaps(ctx: ProbeContext, taken: list[Walk]) -> Any:
    """PAGE-NO-GAPS of the walk taken last, as the keyset promise says."""

    def judge(before: Any, after: Any) -> list[Finding]:
        return keyset_gaps_of(ctx, taken[-1])(before, after)

    return judge


def _window_param(
    pagination: Pagination, large: Walk, walk_plan: plan.Planned
) -> tuple[tuple[str, str], ...]:
    if pagination.style == "page" and pagination.page:
        return ((pagination.page.param, str(walk_plan.page)),)
    if pagination.style == "offset" and pagination.offset:
        return ((pagination.offset.param, str(walk_plan.start)),)
    if pagination.style == "cursor" and pagination.cursor and walk_plan.start:
        return ((pagination.cursor.after, large.ids[walk_plan.start - 1]),)
    return ()


def empty_listing(ctx: ProbeContext, large: Walk) -> str | None:
    """Why no walk rule can be judged: the caller's listing holds nothing (said once)."""
    if large.items or unusable(large):
        return None
    reason = (
        "the first listing is empty (0 threads for this credential): no walk, order or "
        "metadata rule can be judged; give the suite an account with threads"
    )
    ctx.empty_listing = reason
    return reason


@probe("walks", *WALK_RULES, order=30)
def walks(ctx: ProbeContext) -> Iterator[Finding]:
    pagination = ctx.contract.pagination
    default = base_params(pagination, {"filter": None, "direction": None})
    large = ctx.reference(default, None)
    if reason := empty_listing(ctx, large):
        for rule in WALK_RULES:
            yield Finding.skipped(rule, reason)
        return
    judged = yield from _watching(PLACE_RULE, *_planned_and_explored(ctx, default, large))
    if not judged and INVARIANTS[PLACE_RULE].applies(pagination) is None:
        yield Finding.skipped(PLACE_RULE, _place_unjudged(ctx))


def _planned_and_explored(
    ctx: ProbeContext, params: tuple[tuple[str, str], ...], large: Walk
) -> tuple[Iterator[Finding], Iterator[Finding]]:
    """The planned walks' findings, then Hypothesis' walks'. With requests allowed out at
    once and a listing that has held still, Hypothesis walks while the plan's walks do
    (across a network the two chains of round trips overlap instead of adding up); their
    findings enter the ledger in the same order either way."""
    if ctx.client.concurrency < 2 or ctx.live.changed:
        return planned(ctx, params, large), explore(ctx)
    return _alongside(planned(ctx, params, large), lambda: list(explore(ctx)))


def _alongside(
    first: Iterator[Finding], second: Callable[[], list[Finding]]
) -> tuple[Iterator[Finding], Iterator[Finding]]:
    """`first` consumed here while `second` runs in a thread of its own."""
    pool = ThreadPoolExecutor(1, thread_name_prefix="explore")
    later = pool.submit(second)
    pool.shutdown(wait=False)  # the thread ends with `second`

    def rest() -> Iterator[Finding]:
        yield from later.result()

    return first, rest()


def _watching(rule: str, *streams: Iterator[Finding]) -> Generator[Finding, None, bool]:
    """Every finding of the streams, in order; returns whether one was about `rule`."""
    seen = False
    for stream in streams:
        for finding in stream:
            seen = seen or (finding.rule == rule and finding.skip is None)
            yield finding
    return seen


def _place_unjudged(ctx: ProbeContext) -> str:
    """Why WALK-HOLDS-PLACE saw nothing: a token's place shows only under writes."""
    if ctx.frozen:
        return "the target is declared frozen (--frozen): no write to hold a place through"
    return (
        "no write was seen to land ahead of a walk by page token or link (a thread created "
        "or deleted before the page it was on), so nothing showed whether the token names a "
        "thread or a position (on a listing that holds still the two look alike); "
        "--write-hook CMD creates a thread during a walk to test it on purpose"
    )


def explore(ctx: ProbeContext) -> Iterator[Finding]:
    """Hypothesis draws walks beyond the plan; a MUST failure is shrunk, a SHOULD noted."""
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
        if ctx.state.over or (ctx.client.budget_left or 0) < floor:
            return  # out of budget: no verdict from this example
        params = base_params(pagination, choice)
        direction = choice["direction"]
        total = len(ctx.reference(params, direction).ids)
        limit = data.draw(limits(pagination, total, ctx.profile.max_pages), label="limit")
        taken: list[Walk] = []

        def unit() -> list[Finding]:
            large = ctx.reference(params, direction)
            small = ctx.walk((*params, (pagination.limit.param, str(limit))), direction)
            taken.append(small)
            return caused(judge_walk(ctx, small, large), small)

        findings = settled(
            ctx,
            unit,
            key=ReferenceKey(params, direction),
            where=f"the walk with {pagination.limit.param}={limit}",
            keyset_gaps=_last_gaps(ctx, taken),
            place=place_of(ctx, lambda: taken[-1] if taken else None),
        )
        ctx.walk_stats.add(limit)
        if any(f.violation and must(ctx, f.rule) for f in findings):
            failing.append(findings)  # the last one appended is Hypothesis' shrunk example
            raise WalkFailed(f"{len([f for f in findings if f.violation])} violation(s)")
        passed.extend(findings)  # SHOULD violations included: recorded, never shrunk

    # The findings are recorded as the examples run; Hypothesis' own report (or a Flaky
    # verdict when the budget ran out mid-shrink) would only repeat them.
    with contextlib.suppress(WalkFailed, HypothesisException, ExceptionGroup):
        property_()
    yield from passed
    if failing:
        yield from failing[-1]
