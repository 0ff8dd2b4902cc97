"""WALK-KEYSET-UNDER-WRITES: a keyset walk proven stable under an insert made on purpose.

The suite only reads. A user who can create threads on staging gives `--write-hook CMD`:
a command that creates one thread by the user's own means (a curl with a write token, a
script). Between the first and second page of a forward walk the suite runs it once, then
checks what a keyset promises (docs/contracts.md#live-targets): every thread in the
listing before and after the walk appears in it exactly once and in order. Without the
hook, or for a contract whose pagination promises nothing under writes, the rule skips.
"""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from threadconform.invariants import INVARIANTS
from threadconform.ledger import Finding, Violation
from threadconform.live import Change, compare, existed_throughout, snapshot
from threadconform.pages import Walk
from threadconform.probes.api import probe
from threadconform.probes.context import ProbeContext, ReferenceKey
from threadconform.walk import follow

__all__ = [
    "HOOK_SECONDS",
    "PLACE_RULE",
    "RULE",
    "command_hook",
    "keyset_under_writes",
    "write_hook",
]

RULE = "WALK-KEYSET-UNDER-WRITES"
PLACE_RULE = "WALK-HOLDS-PLACE"  # the same proof for a walk by page token or next link
HOOK_SECONDS = 60.0  # a write hook that takes longer is stopped and judged nothing


def command_hook(command: str) -> Callable[[], str | None]:
    """The user's command as a hook: None when it exited 0, else one line saying why not.
    Its output is not shown (it may echo a write token)."""
    argv = shlex.split(command)

    def run() -> str | None:
        try:
            done = subprocess.run(
                argv, capture_output=True, timeout=HOOK_SECONDS, stdin=subprocess.DEVNULL
            )
        except (OSError, subprocess.SubprocessError) as error:
            return f"the write hook could not run: {type(error).__name__}"
        if done.returncode != 0:
            return f"the write hook exited {done.returncode} (its output is not shown)"
        return None

    return run


@probe("write-hook", RULE, PLACE_RULE, order=95)
def write_hook(ctx: ProbeContext) -> Iterator[Finding]:
    pagination = ctx.contract.pagination
    hook = ctx.write_hook
    if hook is None:
        for rule in (RULE, PLACE_RULE):
            yield Finding.skipped(
                rule, "not asked: give --write-hook CMD (a command that creates a thread)"
            )
        return
    if INVARIANTS[PLACE_RULE].applies(pagination) is None:
        yield from _token_walk(ctx, hook)
    if ctx.consistency == "none" or pagination.cursor is None:
        why = f"{pagination.style} pagination promises nothing across requests while threads arrive"
        yield Finding.skipped(RULE, why)
        return
    hooked = _hooked_walk(ctx, hook, RULE, _after_last)
    if isinstance(hooked, Finding):
        yield hooked
        return
    found = keyset_under_writes(hooked.before, hooked.first, hooked.rest, hooked.after)
    yield from ([Finding(RULE, v) for v in found] or [Finding.held(RULE)])


@dataclass(frozen=True)
class Hooked:
    """A walk with the write hook run between its first page and the rest, and the reads
    of the listing before and after it."""

    before: Walk
    first: Walk
    rest: Walk
    after: Walk
    change: Change


# The parameters that continue a walk after its first page, or why it cannot go on.
Resume = Callable[[ProbeContext, Walk], tuple[tuple[str, str], ...] | str]


def _hooked_walk(
    ctx: ProbeContext, hook: Callable[[], str | None], rule: str, resume: Resume
) -> Hooked | Finding:
    """The first page (a quarter of the listing), the hook, the rest of the walk; or the
    skip that says why the hook proves nothing (too few threads, the hook failed, no new
    thread appeared)."""
    pagination = ctx.contract.pagination
    key = ReferenceKey((), None)
    before = ctx.reread(key)
    if len(before.ids) < 2:
        return Finding.skipped(rule, f"needs two threads or more to walk, found {len(before.ids)}")
    size = max(pagination.limit.minimum or 1, len(before.ids) // 4, 1)
    first = ctx.walk(((pagination.limit.param, str(size)),), max_pages=1)
    following = resume(ctx, first)
    if isinstance(following, str):
        return Finding.skipped(rule, following)
    if failed := hook():
        return Finding.skipped(rule, failed)
    rest = ctx.walk(following)
    after = ctx.reread(key)
    change = compare(snapshot(before), snapshot(after))
    ctx.live.saw("the write hook", change)
    if not change.new:
        return Finding.skipped(
            rule, "the write hook ran, but no new thread appeared: it proves nothing"
        )
    return Hooked(before, first, rest, after, change)


def _after_last(ctx: ProbeContext, first: Walk) -> tuple[tuple[str, str], ...] | str:
    """A keyset walk goes on after the first page's last thread."""
    cursor = ctx.contract.pagination.cursor
    if not first.ids or cursor is None:
        return f"the first page was empty or failed: {first.note}"
    return (*first.params, (cursor.after, first.ids[-1]))


def keyset_under_writes(before: Walk, first: Walk, rest: Walk, after: Walk) -> list[Violation]:
    """Every thread present before and after the walk exactly once, in the earlier
    read's order; a thread created meanwhile at most once."""
    walked = [*first.ids, *rest.ids]
    evidence = (*first.requests[:1], *rest.requests[:2])
    owed = existed_throughout(snapshot(before), snapshot(after))
    found: list[Violation] = []
    repeated = sorted({i for i in walked if walked.count(i) > 1})
    if repeated:
        message = (
            f"the walk repeated {len(repeated)} thread(s) after a thread was created: "
            f"{repeated[:5]}"
        )
        found.append(Violation(RULE, message, evidence, "each thread once", str(repeated[:5])))
    missing = [i for i in owed if i not in set(walked)] if rest.complete else []
    if missing:
        message = (
            f"{len(missing)} thread(s) that existed before and after the walk never appeared "
            f"once a thread was created between its pages: {missing[:5]}"
        )
        found.append(Violation(RULE, message, evidence, "no missing thread", str(missing[:5])))
    order = [i for i in walked if i in set(owed)]
    expected = [i for i in owed if i in set(order)]
    if order != expected and not repeated:
        message = (
            "the threads came back in another order than the listing's once a thread was created"
        )
        found.append(Violation(RULE, message, evidence, "the listing's order", "another order"))
    return found


def _token_walk(ctx: ProbeContext, hook: Callable[[], str | None]) -> Iterator[Finding]:
    """WALK-HOLDS-PLACE on purpose: the first page of a walk by token or link, the hook,
    then the rest of the walk from the token (or link) the first page handed out. A
    thread created ahead of the walk's position is what a token that encodes an offset
    cannot survive; one that landed behind it proves nothing and the rule skips."""
    hooked = _hooked_walk(ctx, hook, PLACE_RULE, _resume)
    if isinstance(hooked, Finding):
        yield hooked
        return
    if not _ahead(hooked.change.new, hooked.first.ids[-1], hooked.after):
        why = "the thread the write hook created sorts after the walk's first page: no token shifts"
        yield Finding.skipped(PLACE_RULE, why)
        return
    first, rest = hooked.first, hooked.rest
    if not rest.pages or not rest.pages[0].ok or not rest.ids:
        why = f"the walk did not go on after the write hook: {rest.note}"
        yield Finding.skipped(PLACE_RULE, why)
        return
    whole = Walk(first.params, first.direction, (*first.pages, *rest.pages), rest.stop, rest.note)
    before, after = snapshot(hooked.before), snapshot(hooked.after)
    check = INVARIANTS[PLACE_RULE]
    if declined := check.skip_reason(ctx.contract, whole, before, after, ahead=True):
        yield Finding.skipped(PLACE_RULE, declined)
        return
    found = check(ctx.contract, whole, before, after, ahead=True)
    yield from ([Finding(PLACE_RULE, v) for v in found] or [Finding.held(PLACE_RULE)])


def _resume(ctx: ProbeContext, first: Walk) -> tuple[tuple[str, str], ...] | str:
    """The parameters that continue a walk after its first page, or why it cannot be."""
    pagination = ctx.contract.pagination
    if not first.ids or len(first.pages) != 1:
        return f"the first page was empty or failed: {first.note}"
    following = first.pages[0].meta.next
    if not isinstance(following, str) or not following:
        return "the first page handed out no next page token or link: one page holds every thread"
    if pagination.token is not None:
        return (*first.params, (pagination.token.param, following))
    step = follow(first.pages[0].request, following)
    if not isinstance(step, tuple):
        return step.note
    return tuple(step[1])


def _ahead(new: tuple[str, ...], last: str, after: Walk) -> bool:
    """Does a new thread sort before `last` (the first page's last thread) in the later
    read: where an offset would count it and shift the next page?"""
    place = {ident: n for n, ident in enumerate(after.ids)}
    return last in place and any(place.get(ident, len(place)) < place[last] for ident in new)
