"""Did the listing change while the run read it? TARGET-FROZEN, after every other probe.

The run's first reference walk is read once more at the end and compared with what it
read first; the changes the other probes noticed along the way (`ProbeContext.live`) are
added. A target the user declared frozen (`--frozen`) fails the rule when it changed; any
other target is only told: the rule is skipped with what changed, since the other rules
already judged only what an unchanged listing bracketed. Cost: one reference walk.
"""

from __future__ import annotations

from collections.abc import Iterator

from threadconform.ledger import Finding, Violation
from threadconform.probes import unusable
from threadconform.probes.api import probe
from threadconform.probes.context import ProbeContext, ReferenceKey
from threadconform.probes.settle import reread

__all__ = ["listing_change"]

RULE = "TARGET-FROZEN"


@probe("listing-change", RULE, order=200, last=True)
def listing_change(ctx: ProbeContext) -> Iterator[Finding]:
    if ctx.live.first is None:
        ctx.reference()
    first = ctx.live.first
    if first is None or not isinstance(first[0], ReferenceKey):
        yield Finding.skipped(RULE, "no listing was read: nothing to compare")
        return
    if reason := unusable(ctx.reference(first[0].params, first[0].direction)):
        yield Finding.skipped(RULE, reason)  # two failed reads agree about nothing
        return
    if not ctx.state.over:
        _, change = reread(ctx, first[0], first[1])
        ctx.live.saw("the run's last read against its first", change)
    if not ctx.live.changed:
        yield Finding.held(RULE)
        return
    what = ctx.live.describe()
    if not ctx.frozen:
        yield Finding.skipped(RULE, f"not a frozen target: {what}")
        return
    message = (
        f"The target was declared frozen (--frozen), but {what}. Stop the writes to this "
        "deployment during the run, or run without --frozen: then only reads an unchanged "
        "listing bracketed are judged, and the change is reported."
    )
    yield Finding(RULE, Violation(RULE, message, (), "an unchanged listing", what))
