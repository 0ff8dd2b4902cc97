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
existed throughout instead of being skipped. A page or offset walk promises nothing
across requests, but it is still judged when the writes seen are few: a unit that passes
`explain` has its walk rules decided by whether some order of those writes yields every
page it got (`threadconform.live.explain`), instead of being taken again.

With `--frozen` nothing is re-read: the user guarantees the target holds still, so every
violation stands as it did before live targets were considered.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from threadconform import rules
from threadconform.invariants import INVARIANTS
from threadconform.ledger import Finding, Violation
from threadconform.live import (
    Change,
    Snapshot,
    Window,
    compare,
    explain,
    owed_by,
    snapshot,
)
from threadconform.model import Pagination
from threadconform.probes.context import ProbeContext, ReferenceKey
from threadconform.walk import Page, Walk, position

__all__ = [
    "CHANGE_SENSITIVE",
    "EXPLAINED",
    "KEYSET_PROMISES",
    "PLACE_SIGNS",
    "TRIES",
    "keyset_gaps_of",
    "place_of",
    "positional",
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
# What `positional` judges of a page or offset walk allowing for the writes, and by what.
EXPLAINED = {
    "PAGE-NO-DUPLICATES": "items",
    "PAGE-NO-GAPS": "items",
    "META-TOTAL": "total",
    "META-HAS-MORE": "has_more",
}

Unit = Callable[[], list[Finding]]
# WALK-HOLDS-PLACE of a walk by token or link, from the reads before and after it.
Place = Callable[[Snapshot, Snapshot], list[Finding]]
# What a token that loses its place shows: a thread served twice, or one never served.
PLACE_SIGNS = frozenset({"PAGE-NO-DUPLICATES", "PAGE-NO-GAPS"})
KeysetGaps = Callable[[Snapshot, Snapshot], list[Finding]]
# Rule -> None when the writes explain what the unit saw, else why they cannot; None
# when that cannot be told (see `threadconform.live.explain`).
Explain = Callable[[Snapshot, Snapshot], dict[str, str | None] | None]


def settled(
    ctx: ProbeContext,
    unit: Unit,
    *,
    key: ReferenceKey,
    where: str,
    keyset_gaps: KeysetGaps | None = None,
    explain: Explain | None = None,
    place: Place | None = None,
) -> list[Finding]:
    """The unit's findings, judged only on reads that an unchanged listing bracketed.

    `key`: the reference walk the unit compares with (read again to tell a write from a
    fault); `where`: the unit in one phrase, for the change log; `keyset_gaps`: for a
    forward walk, PAGE-NO-GAPS judged against what existed before and after it;
    `explain`: for a positional walk, its rules judged allowing for the writes seen;
    `place`: for a walk by token or link, WALK-HOLDS-PLACE judged on the first try the
    listing changed under (a repeat or gap in such a walk asks for that read even where
    the contract's promise lets the violation stand without it)."""
    seen = Change()
    findings: list[Finding] = []
    placed: list[Finding] = []  # WALK-HOLDS-PLACE, once, from the first disturbed try
    judged: frozenset[str] = frozenset()
    for attempt in range(TRIES):
        # Once the listing has been seen to change, no other probe's request lands in
        # this try's bracket (probes/turn.py).
        with ctx.alone():
            judged = frozenset()
            # Pages read side by side came in no order `explain` could follow: a try that
            # began before the listing was seen to change, at --concurrency > 1, is taken
            # again (alone) rather than explained.
            in_order = ctx.live.changed or ctx.client.concurrency < 2
            if attempt:
                with ctx.lock:
                    ctx.live.repeated += 1
            # The bracket opens before the unit's first read: the reference in force (read
            # now if a change dropped it), so every read of the unit comes after it.
            before = ctx.reference(key.params, key.direction)
            findings = unit()
            suspects = _suspects(ctx, findings)
            asks = place is not None and not placed and _lost_place(findings)
            if not (suspects or asks) or ctx.frozen:
                return findings + placed
            if ctx.state.over:
                return _unread(ctx, findings, judged) + placed
            after, change = reread(ctx, key, snapshot(before))
            if ctx.state.over:  # the read was cut short: it tells nothing
                return _unread(ctx, findings, judged) + placed
            # A read again that stopped short of where the first one reached (an error: on
            # a keyset listing, the thread its next cursor named deleted meanwhile) cannot
            # say that the listing held still past its end, where the violation may lie.
            short = _short(before, after)
            if place is not None and not placed and change:
                placed = place(snapshot(before), snapshot(after))
            with ctx.lock:  # walks judged side by side share the references and the log
                if not suspects:  # the read was for WALK-HOLDS-PLACE: the violations stand
                    if change:
                        ctx.live.saw(where, change)
                        _renew(ctx, key, before, after)
                    return findings + placed
                if not change:
                    if short:
                        _drop_references(ctx)  # the next try opens on a fresh read
                        continue
                    if not _stale(ctx, key):
                        return findings + placed  # the listing held still: the server's violations
                    # The bracket held, but the unit may have compared with a reference read
                    # before it opened, on a listing already seen to change: read them all again.
                    _keep_only(ctx, key, before)
                    continue
                ctx.live.saw(where, change)
                seen = seen + change
                _renew(ctx, key, before, after)  # every other cached reference predates it
            if keyset_gaps is not None and _keyset(ctx):
                judged = frozenset({"PAGE-NO-GAPS"})
                findings = _with_keyset_gaps(
                    findings, keyset_gaps(snapshot(before), snapshot(after))
                )
                if not _suspects(ctx, findings, judged):
                    return findings + placed
            verdicts = explain(snapshot(before), snapshot(after)) if explain and in_order else None
            if verdicts is not None:
                judged = frozenset(verdicts)
                findings = _explained(ctx, findings, verdicts, change)
                stands = any(f.violation for f in findings if f.rule in judged)
                if stands or not _suspects(ctx, findings, judged):
                    return _excused(ctx, findings, _unjudged(where, 1, seen), judged) + placed
    return _excused(ctx, findings, _unjudged(where, TRIES, seen), judged) + placed


def _lost_place(findings: Sequence[Finding]) -> bool:
    """A repeat or gap in a walk: what a token that encodes a position shows under writes.
    A clean walk asks for no read: a token that keeps its place shows no sign of the
    threads that arrive behind it, so no read after the walk can tell whether a write
    landed during it or after it (`--write-hook` makes one land during it)."""
    return any(f.violation is not None and f.rule in PLACE_SIGNS for f in findings)


def _unread(ctx: ProbeContext, findings: list[Finding], judged: frozenset[str]) -> list[Finding]:
    """The run may send no more requests, so no read can tell a write from a fault. On a
    listing seen to change during the run, the violations a write could cause are doubts
    (a run that spends its budget on a busy staging server must not blame it for the
    writes it received); on one never seen to change they stand, as on a frozen one."""
    if not ctx.live.changed:
        return findings
    reason = (
        "not judged: the listing changed during the run, and the run could send no "
        f"request to read it again ({ctx.state.reason})"
    )
    return _excused(ctx, findings, reason, judged)


def _unjudged(where: str, tries: int, seen: Change) -> str:
    during = f"every one of {tries} tries of {where}" if tries > 1 else where
    if not seen:
        return (
            f"not judged: after {during}, the listing could not be read again to its "
            "end to tell a write from a fault"
        )
    return f"not judged: the listing changed during {during} ({seen.describe()})"


def _explained(
    ctx: ProbeContext, findings: list[Finding], verdicts: dict[str, str | None], change: Change
) -> list[Finding]:
    """A violation of a rule `explain` judged either held (the writes explain it) or stands
    with why no order of the writes does; the change is counted as judged through."""
    with ctx.lock:
        ctx.live.explained += 1
    out: list[Finding] = []
    for finding in findings:
        why = verdicts.get(finding.rule, "")
        if finding.violation is None or why == "":
            out.append(finding)
        elif why is None:
            out.append(Finding(finding.rule, walk=finding.walk))
        else:
            message = (
                f"{finding.violation.message} The listing changed during the walk "
                f"({change.describe()}), but {why}"
            )
            out.append(replace(finding, violation=replace(finding.violation, message=message)))
    return out


def reread(ctx: ProbeContext, key: ReferenceKey, before: Snapshot) -> tuple[Walk, Change]:
    """The reference read again, and how it differs from `before`. Bodies that changed
    under the same ids are a write only if a third read agrees with the second: a field
    that differs on every read is the target's own doing, not a write. (A third read
    that differs in its ids, keys or total is a write all the same.)"""
    with ctx.lock:
        ctx.live.checks += 1
    after = ctx.reread(key)
    change = compare(before, snapshot(after))
    if change.rewritten and not change.structural:
        again = ctx.reread(key)
        with ctx.lock:
            ctx.live.checks += 1
        third = compare(snapshot(after), snapshot(again))
        if third.structural:
            return again, compare(before, snapshot(again))
        if third:
            return after, Change()
    return after, change


def _short(before: Walk, after: Walk) -> bool:
    """Did the read again stop before the end the first read reached?"""
    return not after.complete and (before.complete or _served(after) < _served(before))


def _served(walk: Walk) -> int:
    return sum(page.ok for page in walk.pages)


def _stale(ctx: ProbeContext, key: ReferenceKey) -> bool:
    """On a listing seen to change during the run, is a cached reference older than the
    bracket's opening read? (On a target never seen to change, nothing is stale.)"""
    if not ctx.live.changed:
        return False
    opened = ctx.read_at.get(key, 0)
    return any(at < opened for other, at in ctx.read_at.items() if other != key)


def _drop_references(ctx: ProbeContext) -> None:
    ctx.references.clear()
    ctx.read_at.clear()


def _renew(ctx: ProbeContext, key: ReferenceKey, before: Walk, after: Walk) -> None:
    """After a change: `after` becomes the reference in force, every other dropped. A read
    cut short (`_short`) is kept by none: the next one reads the listing afresh."""
    if _short(before, after):
        _drop_references(ctx)
    else:
        _keep_only(ctx, key, after)


def _keep_only(ctx: ProbeContext, key: ReferenceKey, walk: Walk) -> None:
    """Drop every cached reference but `key`'s, which becomes `walk`."""
    _drop_references(ctx)
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
    ctx: ProbeContext, findings: Sequence[Finding], judged: frozenset[str] = frozenset()
) -> list[Finding]:
    """Violations a write could have caused (a rule already judged allowing for the
    writes, such as a keyset gap, is no longer one)."""
    return [
        f
        for f in findings
        if f.violation is not None and _sensitive(ctx, f.rule) and f.rule not in judged
    ]


def _with_keyset_gaps(findings: list[Finding], gaps: list[Finding]) -> list[Finding]:
    """PAGE-NO-GAPS as the keyset promise says, in place of the frozen-listing one."""
    kept = [f for f in findings if f.rule != "PAGE-NO-GAPS"]
    return kept + [replace(g, walk=True) if g.violation is None else g for g in gaps]


def _excused(
    ctx: ProbeContext, findings: list[Finding], reason: str, judged: frozenset[str]
) -> list[Finding]:
    """Violations a write could cause become doubts with the reason (the rule skips, even
    where other walks held: they cannot clear what this one saw); the rest stand."""
    suspects = {id(f) for f in _suspects(ctx, findings, judged)}
    out: list[Finding] = []
    for finding in findings:
        if id(finding) in suspects:
            ctx.live.unjudged.setdefault(finding.rule, reason)
            out.append(Finding.doubted(finding.rule, reason))
        else:
            out.append(finding)
    return out


def vanished_cursor(ctx: ProbeContext, sent: Sequence[tuple[str, str]]) -> str | None:
    """Why a refused cursor is no evidence: the thread it names was deleted since it was
    sampled (the listing read again, made only for a refused request that carries a
    cursor, and never with --frozen). None when the thread is still there.

    A read of a keyset listing that loses threads can itself end early (its own next
    cursor deleted): it is read again, up to TRIES times. Never read to its end, the
    thread is not known to be there; on a listing seen to change that is no evidence
    either way (as for a run out of requests, `_unread`), on one never seen to change the
    refusal stands."""
    cursor = ctx.contract.pagination.cursor
    names = {n for n in (cursor.after, cursor.before) if n} if cursor else set()
    named = [value for name, value in sent if name in names]
    if not named or ctx.frozen or ctx.state.over:
        return None
    key = ReferenceKey((), None)
    before = ctx.reference()
    for _ in range(TRIES):
        after, change = reread(ctx, key, snapshot(before))
        if any(ident in after.ids for ident in named):
            return None
        with ctx.lock:
            ctx.live.saw(f"the cursor {named[0]}", change)
            if change:
                _renew(ctx, key, before, after)
        if after.complete:
            return (
                f"the thread {named[0]} named by the cursor is no longer listed (deleted meanwhile)"
            )
        if ctx.state.over:
            break
    if not ctx.live.changed:
        return None
    return (
        f"the thread {named[0]} named by the cursor was not found in the listing as far as "
        "it could be read (each read ended early on a listing that kept changing)"
    )


def keyset_gaps_of(ctx: ProbeContext, small: Walk) -> KeysetGaps:
    """PAGE-NO-GAPS for a forward keyset walk on a changing listing: every thread in the
    listing both before and after the walk appears in it (within the prefix both reads
    and the walk reached)."""

    def judge(before: Snapshot, after: Snapshot) -> list[Finding]:
        owed = owed_by(small, before, after)
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


def positional(ctx: ProbeContext, walks: Callable[[], Walk | None]) -> Explain | None:
    """For a page or offset walk on a contract that promises nothing under writes, its
    walk rules judged allowing for the writes seen (`threadconform.live.explain`) on the
    walk `walks()` names when asked (the unit's last). None for any other style."""
    pagination = ctx.contract.pagination
    if pagination.style not in ("page", "offset") or _keyset(ctx):
        return None

    def judge(before: Snapshot, after: Snapshot) -> dict[str, str | None] | None:
        small = walks()
        windows = _windows(pagination, small) if small is not None else None
        if small is None or windows is None:
            return None
        found = explain(before, after, windows)
        if found is None:
            return None
        index = {"items": found.items, "total": found.total, "has_more": found.has_more}
        # A field some page does not report leaves its rule to the usual tries: its
        # violation may be about the field itself, which no write explains.
        reported = {
            "items": True,
            "total": all(w.total is not None for w in windows),
            "has_more": all(w.has_more is not None for w in windows),
        }
        verdicts: dict[str, str | None] = {}
        for rule, field in EXPLAINED.items():
            at = index[field]
            if reported[field]:
                verdicts[rule] = (
                    None if at is None else _unexplained(pagination, small, field, at, found.states)
                )
        return verdicts

    return judge


def place_of(ctx: ProbeContext, walks: Callable[[], Walk | None]) -> Place | None:
    """For a walk by token or link, WALK-HOLDS-PLACE judged on the walk `walks()` names
    when asked (the unit's last), from the reads before and after it. None for any other
    style: a page, offset or keyset walk says where it is in its own parameters."""
    check = INVARIANTS["WALK-HOLDS-PLACE"]
    off = rules.setting(ctx.contract, check.rule).severity == "off"
    if off or check.applies(ctx.contract.pagination) is not None:
        return None  # a rule the contract turns off asks for no read

    def judge(before: Snapshot, after: Snapshot) -> list[Finding]:
        small = walks()
        if small is None or check.skip_reason(ctx.contract, small, before, after):
            return []
        cause = "&".join(f"{k}={v}" for k, v in small.params)
        found = [replace(v, cause=cause) for v in check(ctx.contract, small, before, after)]
        with ctx.lock:
            ctx.live.explained += 1
        return [Finding(check.rule, v, walk=True) for v in found] or [
            Finding(check.rule, walk=True)
        ]

    return judge


def _windows(pagination: Pagination, small: Walk) -> list[Window] | None:
    """Each page of the walk as the window of the listing it should be, or None when one
    cannot be placed (an error page, a parameter that is not a number)."""
    windows = []
    for page in small.pages:
        if not page.ok:
            return None
        placed = _place(pagination, page)
        if placed is None:
            return None
        total = page.meta.total if _count(page.meta.total) else None
        more = page.meta.has_more if isinstance(page.meta.has_more, bool) else None
        windows.append(Window(placed[0], placed[1], page.ids, total, more))
    return windows


def _place(pagination: Pagination, page: Page) -> tuple[int, int] | None:
    """(index of the page's first item in the listing, items it may hold)."""
    try:
        size = int(page.param(pagination.limit.param) or pagination.limit.default or 0)
        if pagination.offset is not None:
            start = int(page.param(pagination.offset.param) or pagination.offset.default or 0)
        elif pagination.page is not None:
            bounds = pagination.page
            first = bounds.default if bounds.default is not None else bounds.minimum or 1
            start = (int(page.param(bounds.param) or first) - first) * size
        else:
            return None
    except ValueError:
        return None
    if pagination.limit.maximum is not None:
        size = min(size, pagination.limit.maximum)
    return (start, size) if size > 0 and start >= 0 else None


def _count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _unexplained(pagination: Pagination, small: Walk, field: str, index: int, states: int) -> str:
    """Why the writes do not explain a page, naming it by its own parameter."""
    page = small.pages[index]
    what = {"items": "items", "total": "total", "has_more": "has-more flag"}[field]
    return (
        f"no order of those writes gives {position(pagination, page)} its {what} "
        f"({states} states of the listing tried): the page is the server's doing."
    )
