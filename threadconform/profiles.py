"""Run profiles: how many examples and requests a run may spend per contract."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PROFILES", "Profile"]


@dataclass(frozen=True)
class Profile:
    name: str
    fuzz_examples: int  # Schemathesis cases per generation mode
    walk_examples: int  # Hypothesis-chosen walks per pagination property
    max_pages: int  # pages one walk may fetch before it counts as capped
    max_requests: int  # hard request budget per contract
    # Items one walk may read: with a large limit, a few pages already hold thousands of
    # items, and a 100,000-thread target must cost about what a 1,000-thread one does.
    max_items: int = 1000
    # Cursor positions inside tie groups the cursor probe asks `after`/`before` about.
    cursor_positions: int = 16
    # Requests the planned walks may spend (before Hypothesis explores); None: a share of
    # the budget only (see probes/walks.py).
    plan_requests: int | None = 400
    # Page/offset/cursor walks at every limit up to the total, as far as the budget goes:
    # plan flips in real databases show at limits no rule of thumb predicts.
    sweep_limits: bool = False

    def pages_for(self, limit: int | None) -> int:
        """The page cap of one walk with this limit: whichever of the two caps bites first."""
        if not limit or limit <= 0:
            return self.max_pages
        return max(2, min(self.max_pages, -(-self.max_items // limit)))


PROFILES: dict[str, Profile] = {
    profile.name: profile
    for profile in (
        Profile("quick", 25, 4, 40, 600, 600, cursor_positions=6, plan_requests=150),
        # The default's walks: 250 planned requests, 40 pages a walk. With 400 and 80 the
        # limit-1 and limit-2 walks alone took 160 of worker's 632 requests, and the plan's
        # last 150 requests were tie groups like the ones before them: the mutation matrix
        # catches the same 94/94 faults (0/45 false alarms) on its three datasets either
        # way, with a quarter fewer requests (worker 632 -> 491; issue 21). `thorough`
        # sweeps every limit.
        Profile("default", 60, 10, 40, 2000, 1000, cursor_positions=16, plan_requests=250),
        Profile(
            "thorough",
            300,
            40,
            400,
            12000,
            30000,
            cursor_positions=200,
            plan_requests=None,
            sweep_limits=True,
        ),
    )
}
