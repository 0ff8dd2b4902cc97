"""What a fault is: a named, realistic defect a reference server can be started with
(`--fault NAME`).

Each fault is a `Hooks` object (see `hooks.py`) that changes one or two well-named points of
the conforming handler: what a real vendor bug looks like, kept small so that it breaks the
rules in its `breaks` and, as far as possible, nothing else.

`breaks[0]` is the rule a conformance suite must report for the fault; the other entries
are rules it may report as well (one bug often shows through several checks). A `tolerated`
fault departs only from a SHOULD (listed in `breaks`) or from nothing: a suite must pass it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from threadconform.reference.auth import Credentials
from threadconform.reference.hooks import CONFORMING, Hooks

__all__ = ["Fault"]


@dataclass(frozen=True)
class Fault:
    name: str
    contracts: tuple[str, ...]
    description: str
    breaks: tuple[str, ...]
    tolerated: bool = False
    # Shows only while the listing changes (a token that encodes an offset): on a frozen
    # target the server conforms, so only a live run can catch it.
    live_only: bool = False
    hooks: Hooks = field(default=CONFORMING, repr=False, compare=False)
    # Demo credentials the fault makes the server demand (None: the contract's own).
    credentials: Credentials | None = None

    def __post_init__(self) -> None:
        # The catalogue builds `breaks` from shared groups; keep the first of each id.
        object.__setattr__(self, "breaks", tuple(dict.fromkeys(self.breaks)))
