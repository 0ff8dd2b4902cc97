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

from threadconform.ledger import Finding, Violation
from threadconform.live import Change, Snapshot, compare, existed_throughout, snapshot
from threadconform.probes.context import ProbeContext, ReferenceKey
from threadconform.walk import Walk

__all__ = ["CHANGE_SENSITIVE", "KEYSET_PROMISES", "TRIES", "keyset_gaps_of", "reread", "settled"]

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
        findings = unit()
        suspects = _suspects(ctx, findings)
        if not suspects or ctx.frozen or ctx.state.over:
            return findings
        before = ctx.references.get(key)
        if before is None:
            return findings
        after, change = reread(ctx, key, snapshot(before))
        if not change:
            return findings  # the listing held still: the violations are the server's
        ctx.live.saw(where, change)
        seen = seen + change
        ctx.references.clear()  # every cached reference predates the change
        ctx.references[key] = after
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


def _keyset(ctx: ProbeContext) -> bool:
    return ctx.consistency in ("keyset", "snapshot")


def _sensitive(ctx: ProbeContext, rule: str) -> bool:
    if _keyset(ctx) and rule in KEYSET_PROMISES:
        return False
    return rule in CHANGE_SENSITIVE


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


def keyset_gaps_of(ctx: ProbeContext, small: Walk) -> KeysetGaps:
    """PAGE-NO-GAPS for a forward keyset walk on a changing listing: every thread in the
    listing both before and after the walk appears in it (within the prefix both reads
    and the walk reached)."""

    def judge(before: Snapshot, after: Snapshot) -> list[Finding]:
        owed = existed_throughout(before, after)
        if not small.complete:
            owed = owed[: len(small.ids)]
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
