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

from threadconform.ledger import Finding, Violation
from threadconform.live import compare, existed_throughout, snapshot
from threadconform.pages import Walk
from threadconform.probes.api import probe
from threadconform.probes.context import ProbeContext, ReferenceKey

__all__ = ["HOOK_SECONDS", "RULE", "command_hook", "keyset_under_writes", "write_hook"]

RULE = "WALK-KEYSET-UNDER-WRITES"
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


@probe("write-hook", RULE, order=95)
def write_hook(ctx: ProbeContext) -> Iterator[Finding]:
    pagination = ctx.contract.pagination
    cursor = pagination.cursor
    if ctx.write_hook is None:
        yield Finding.skipped(
            RULE, "not asked: give --write-hook CMD (a command that creates a thread)"
        )
        return
    if ctx.consistency == "none" or cursor is None:
        why = f"{pagination.style} pagination promises nothing across requests while threads arrive"
        yield Finding.skipped(RULE, why)
        return
    key = ReferenceKey((), None)
    before = ctx.reread(key)
    if len(before.ids) < 2:
        yield Finding.skipped(RULE, f"needs two threads or more to walk, found {len(before.ids)}")
        return
    size = max(pagination.limit.minimum or 1, len(before.ids) // 4, 1)
    limit = ((pagination.limit.param, str(size)),)
    first = ctx.walk(limit, max_pages=1)
    if not first.ids:
        yield Finding.skipped(RULE, f"the first page was empty or failed: {first.note}")
        return
    if failed := ctx.write_hook():
        yield Finding.skipped(RULE, failed)
        return
    rest = ctx.walk((*limit, (cursor.after, first.ids[-1])))
    after = ctx.reread(key)
    change = compare(snapshot(before), snapshot(after))
    ctx.live.saw("the write hook", change)
    if not change.new:
        yield Finding.skipped(
            RULE, "the write hook ran, but no new thread appeared: it proves nothing"
        )
        return
    found = keyset_under_writes(before, first, rest, after)
    yield from ([Finding(RULE, v) for v in found] or [Finding.held(RULE)])


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
