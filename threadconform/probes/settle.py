"""Judging on a target that changes while it is read: a violation stands only if the
listing held still, or if the change cannot explain it (docs/DESIGN.md, "Live targets").

A probe hands `settled` one unit of work (its requests and its judgement). On a frozen
target that costs nothing more: a unit whose findings hold is taken as it is. A unit
that shows a violation a write could cause (`CHANGE_SENSITIVE`) is checked once: the
reference walk it was compared with is read again. Unchanged, the violation stands
(the fault is the server's). Changed, the change is logged, every cached reference is
dropped, and the unit runs again against a fresh reference, at most `TRIES` times; if
the listing moved under every try, those rules are skipped with the reason, never passed.

What each style still promises under writes (`x-pagination.consistency`, see
`threadconform.live`): a keyset walk (`after=<id>`) must still yield each thread that
existed before and after it exactly once and in order, so for such a contract a
duplicate or an order inversion is never excused, and a gap is judged against what
existed throughout instead of being skipped.

With `--frozen` nothing is re-read: the user guarantees the target holds still, so every
violation stands as it did before live targets were considered.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from threadconform import rules
from threadconform.ledger import Finding, Violation
from threadconform.live import Change, Snapshot, compare, existed_throughout, snapshot
from threadconform.probes.context import ProbeContext, ReferenceKey
from threadconform.walk import Walk

__all__ = [
    "CHANGE_SENSITIVE",
    "KEYSET_PROMISES",
    "TRIES",
    "keyset_gaps_of",
    "reread",
    "settled",
    "vanished_cursor",
]

TRIES = 3  # reads of a unit on a listing that keeps changing, before its rules are skipped
# Rules that compare reads taken at different moments (two walks, a walk and a total, two
# reads of one page, a page and the reference): a write between them can break them.
CHANGE_SENSITIVE = frozenset(
    {
        "PAGE-NO-DUPLICATES",
        "PAGE-NO-GAPS",
        "PAGE-PAST-END",
        "PAGE-PAST-END-TOTAL",
        "PAGE-DEFAULT-LIMIT",
        "META-TOTAL",
        "META-TOTAL-OPT-IN",
        "META-HAS-MORE",
        "META-PAGES",
        "DETERMINISM",
        "ORDER-SORTED",
        "ORDER-ASC",
        "ORDER-STABLE",
        "ORDER-REVERSE",
        "ORDER-PREFIX",
        "CURSOR-AFTER",
        "CURSOR-BEFORE",
        "CURSOR-BEFORE-PREVIOUS-PAGE",
        "CURSOR-AFTER-LAST",
        "FILTER-SUBSET",
        "FILTER-SUPERSET",
        "FILTER-TOTAL",
        "WALK-BACKWARD",
    }
)
# What a forward keyset walk still promises while threads arrive: no thread twice, in
# order. (Its gaps are judged against what existed throughout: `keyset_gaps`.)
KEYSET_PROMISES = frozenset({"PAGE-NO-DUPLICATES", "ORDER-SORTED", "ORDER-ASC"})

Unit = Callable[[], list[Finding]]
KeysetGaps = Callable[[Snapshot, Snapshot], list[Finding]]


def settled(
    ctx: ProbeContext,
    unit: Unit,
    *,
    key: ReferenceKey,
    where: str,
    keyset_gaps: KeysetGaps | None = None,
) -> list[Finding]:
    """The unit's findings, judged only on reads that an unchanged listing bracketed.

    `key`: the reference walk the unit compares with (read again to tell a write from a
    fault); `where`: the unit in one phrase, for the change log; `keyset_gaps`: for a
    forward walk, PAGE-NO-GAPS judged against what existed before and after it."""
    seen = Change()
    findings: list[Finding] = []
    for attempt in range(TRIES):
        if attempt:
            ctx.live.repeated += 1
        # The bracket opens before the unit's first read: the reference in force (read
        # now if a change dropped it), so every read of the unit comes after it.
        before = ctx.reference(key.params, key.direction)
        findings = unit()
        suspects = _suspects(ctx, findings)
        if not suspects or ctx.frozen or ctx.state.over:
            return findings
        after, change = reread(ctx, key, snapshot(before))
        if not change and not _stale(ctx, key):
            return findings  # the listing held still: the violations are the server's
        if not change:
            # The bracket held, but the unit may have compared with a reference read
            # before it opened, on a listing already seen to change: read them all again.
            _keep_only(ctx, key, before)
            continue
        ctx.live.saw(where, change)
        seen = seen + change
        _keep_only(ctx, key, after)  # every other cached reference predates the change
        if keyset_gaps is not None and _keyset(ctx):
            findings = _with_keyset_gaps(findings, keyset_gaps(snapshot(before), snapshot(after)))
            if not _suspects(ctx, findings, judged_gaps=True):
                return findings
    reason = (
        f"not judged: the listing changed during every one of {TRIES} tries of {where} "
        f"({seen.describe()})"
    )
    return _excused(ctx, findings, reason, judged_gaps=keyset_gaps is not None and _keyset(ctx))


def reread(ctx: ProbeContext, key: ReferenceKey, before: Snapshot) -> tuple[Walk, Change]:
    """The reference read again, and how it differs from `before`. Bodies that changed
    under the same ids are a write only if a third read agrees with the second: a field
    that differs on every read is the target's own doing, not a write."""
    ctx.live.checks += 1
    after = ctx.reread(key)
    change = compare(before, snapshot(after))
    if change.rewritten and not change.structural:
        again = ctx.reread(key)
        ctx.live.checks += 1
        if compare(snapshot(after), snapshot(again)):
            return after, Change()
    return after, change


def _stale(ctx: ProbeContext, key: ReferenceKey) -> bool:
    """On a listing seen to change during the run, is a cached reference older than the
    bracket's opening read? (On a target never seen to change, nothing is stale.)"""
    if not ctx.live.changed:
        return False
    opened = ctx.read_at.get(key, 0)
    return any(at < opened for other, at in ctx.read_at.items() if other != key)


def _keep_only(ctx: ProbeContext, key: ReferenceKey, walk: Walk) -> None:
    """Drop every cached reference but `key`'s, which becomes `walk`."""
    ctx.references.clear()
    ctx.read_at.clear()
    ctx.references[key] = walk
    ctx.read_at[key] = ctx.client.requests_sent


def _keyset(ctx: ProbeContext) -> bool:
    return ctx.consistency in ("keyset", "snapshot")


def _sensitive(ctx: ProbeContext, rule: str) -> bool:
    if _keyset(ctx) and rule in KEYSET_PROMISES:
        return False
    # A rule the contract turns off is reported n/a whatever it saw: no re-read for it.
    return rule in CHANGE_SENSITIVE and rules.setting(ctx.contract, rule).severity != "off"


def _suspects(
    ctx: ProbeContext, findings: Sequence[Finding], *, judged_gaps: bool = False
) -> list[Finding]:
    """Violations a write could have caused (a keyset gap, once judged as the keyset
    promise says, is no longer one)."""
    return [
        f
        for f in findings
        if f.violation is not None
        and _sensitive(ctx, f.rule)
        and not (judged_gaps and f.rule == "PAGE-NO-GAPS")
    ]


def _with_keyset_gaps(findings: list[Finding], gaps: list[Finding]) -> list[Finding]:
    """PAGE-NO-GAPS as the keyset promise says, in place of the frozen-listing one."""
    kept = [f for f in findings if f.rule != "PAGE-NO-GAPS"]
    return kept + [replace(g, walk=True) if g.violation is None else g for g in gaps]


def _excused(
    ctx: ProbeContext, findings: list[Finding], reason: str, *, judged_gaps: bool
) -> list[Finding]:
    """Violations a write could cause become skips with the reason; the rest stand."""
    suspects = {id(f) for f in _suspects(ctx, findings, judged_gaps=judged_gaps)}
    out: list[Finding] = []
    for finding in findings:
        if id(finding) in suspects:
            ctx.live.unjudged.setdefault(finding.rule, reason)
            out.append(Finding.skipped(finding.rule, reason))
        else:
            out.append(finding)
    return out


def _reached(owed: tuple[str, ...], before: Snapshot, small: Walk) -> tuple[str, ...]:
    """What a walk that stopped early (page cap, an error) owes: the threads up to the
    last one it reached, by their place in the earlier read (not by count: threads
    deleted meanwhile were walked but are not owed)."""
    place = {ident: n for n, ident in enumerate(before.ids)}
    reached = [place[ident] for ident in small.ids if ident in place]
    if not reached:
        return ()
    last = max(reached)
    return tuple(ident for ident in owed if place[ident] <= last)


def vanished_cursor(ctx: ProbeContext, sent: Sequence[tuple[str, str]]) -> str | None:
    """Why a refused cursor is no evidence: the thread it names was deleted since it was
    sampled (one read of the listing, made only for a refused request that carries a
    cursor, and never with --frozen). None when the thread is still there."""
    cursor = ctx.contract.pagination.cursor
    names = {n for n in (cursor.after, cursor.before) if n} if cursor else set()
    named = [value for name, value in sent if name in names]
    if not named or ctx.frozen or ctx.state.over:
        return None
    key = ReferenceKey((), None)
    before = ctx.reference()
    after, change = reread(ctx, key, snapshot(before))
    if any(ident in after.ids for ident in named) or not after.complete:
        return None
    ctx.live.saw(f"the cursor {named[0]}", change)
    if change:
        _keep_only(ctx, key, after)
    return f"the thread {named[0]} named by the cursor is no longer listed (deleted meanwhile)"


def keyset_gaps_of(ctx: ProbeContext, small: Walk) -> KeysetGaps:
    """PAGE-NO-GAPS for a forward keyset walk on a changing listing: every thread in the
    listing both before and after the walk appears in it (within the prefix both reads
    and the walk reached)."""

    def judge(before: Snapshot, after: Snapshot) -> list[Finding]:
        owed = existed_throughout(before, after)
        if not small.complete:
            owed = _reached(owed, before, small)
        seen = set(small.ids)
        missing = [ident for ident in owed if ident not in seen]
        if not missing:
            return [Finding.held("PAGE-NO-GAPS")]
        limit = ctx.contract.pagination.limit.param
        message = (
            f"The listing changed during the walk with {limit}={small.param(limit)}, but a "
            f"keyset walk still owes every thread that existed before and after it: "
            f"{len(missing)} of {len(owed)} never appeared: {missing[:5]}. Check that each "
            "page starts right after the previous page's last item."
        )
        violation = Violation(
            "PAGE-NO-GAPS", message, small.requests[:3], "no missing ids", str(missing[:5])
        )
        return [Finding("PAGE-NO-GAPS", violation)]

    return judge
