"""Live mode: a reference server whose data changes while a client walks the listing.

Staging servers are not frozen: other clients create, delete and update threads while a
conformance run pages through them. `Live(every=N, mode=...)` makes a reference server do
the same. Every N-th request to the contract's list route (counted across all tenants and
every outcome; on a server with every fault, each fault prefix counts its own requests and
changes its own copy of the data: `LiveGroup`) changes the data BEFORE that request is
answered, as another client of the main tenant (the one the default credentials belong to)
would:

  * insert: a new thread, newest of all: its created, updated and last-message instants are
    later than every instant the data holds. Every contract sorts by `(created_at, id)`, so
    the id never decides its place; it is random like every id of the data set, and unused
    (also in the 12- and 16-digit prefixes github and gmail show).
  * delete: the thread in the middle of the listing goes (hard delete: gone from every
    listing, with or without filters).
  * update: the thread in the middle of the listing gets new activity: `updated_at` and
    `last_message_at` become the latest instant. Contracts ordered by activity (github,
    whose `updated_at` is the data's `created_at` column) move it to the head; the others
    keep their order and show only the new updated field.

"The listing" is the main tenant's threads every contract lists by default (visible, not
deleted, project type general), newest first. Everything is deterministic: the same data,
`every` and sequence of list requests give the same changes (the clock is the data's own
latest instant, plus one second per change; new threads come from a seeded generator).

Consistency: a change is one SQLite transaction under the store's lock, made before the
request's handler reads anything. uvicorn runs every handler on one event loop thread and
no handler awaits between its reads (count, page, cursor look-up), so no change can land
between two reads of one request.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from random import Random
from typing import Literal, get_args

from threadconform.reference.data import PRIMARY, new_thread
from threadconform.reference.store import Store

__all__ = [
    "ACTIVITY_ORDERED",
    "CHANGE_LINE",
    "MODES",
    "Change",
    "Live",
    "LiveData",
    "LiveGroup",
    "Mode",
]

Mode = Literal["insert", "delete", "update"]
MODES: tuple[str, ...] = get_args(Mode)
# Contracts whose listing is sorted by activity, and where that sort key is the data's
# `created_at` column: github's notifications ("sorted by most recently updated").
ACTIVITY_ORDERED: frozenset[str] = frozenset({"github"})
# The stderr line a `serve --live` subprocess prints per change (a parent counts them).
CHANGE_LINE = "threadconform live change"
# Ids must stay unique in the shortened forms contracts show (github 12, gmail 16 digits).
_SHOWN_PREFIX = 12


@dataclass(frozen=True)
class Live:
    """Change the data every `every` list requests, by `mode`."""

    every: int
    mode: Mode = "insert"

    def __post_init__(self) -> None:
        if self.every < 1:
            raise ValueError(f"live: every must be >= 1, got {self.every}")
        if self.mode not in MODES:
            raise ValueError(f"live: unknown mode {self.mode!r}; valid: {', '.join(MODES)}")


@dataclass(frozen=True)
class Change:
    """One change: the `number`-th, made before answering list request `request`."""

    number: int
    request: int
    mode: Mode
    thread_id: str | None  # the 32-hex-digit id touched; None when no thread was left
    at: int  # the instant the change carries

    def line(self) -> str:
        stamp = datetime.fromtimestamp(self.at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return (
            f"{CHANGE_LINE} {self.number}: {self.mode} {self.thread_id or '(none)'} "
            f"before list request {self.request}, at {stamp}"
        )


class LiveData:
    """Counts a server's list requests and changes its store every `live.every`-th one."""

    def __init__(
        self,
        live: Live,
        store: Store,
        *,
        contract: str,
        seed: int = 0,
        report: Callable[[Change], None] | None = None,
    ) -> None:
        self.live = live
        self._store = store
        self._moves = contract in ACTIVITY_ORDERED
        self._rng = Random(f"threadconform-live-{seed}")
        self._report = report
        self._lock = threading.Lock()  # requests arrive from one loop; tests read elsewhere
        self._clock = 0
        self.requests = 0
        self.log: list[Change] = []

    @property
    def changes(self) -> int:
        return len(self.log)

    def on_list_request(self) -> Change | None:
        """Count one list request; make the change when it is the `every`-th."""
        with self._lock:
            self.requests += 1
            if self.requests % self.live.every:
                return None
            change = self._change()
            self.log.append(change)
        if self._report is not None:
            self._report(change)
        return change

    def change_now(self) -> Change:
        """Make one change at once, outside the request count: what a user's write hook
        does on staging (`--write-hook`), for the self-tests."""
        with self._lock:
            change = self._change()
            self.log.append(change)
        return change

    def _change(self) -> Change:
        self._clock = max(self._clock, self._store.latest_instant()) + 1
        at, mode = self._clock, self.live.mode
        if mode == "insert":
            touched: str | None = self._insert(at)
        else:
            listed = self._store.listed_ids(PRIMARY)
            touched = listed[len(listed) // 2] if listed else None
            if touched is not None and mode == "delete":
                self._store.delete_thread(touched)
            elif touched is not None:
                self._store.touch_thread(touched, at, created=self._moves)
        return Change(len(self.log) + 1, self.requests, mode, touched, at)

    def _insert(self, at: int) -> str:
        thread = new_thread(self._rng, PRIMARY, at)
        while self._store.id_prefix_taken(thread.id[:_SHOWN_PREFIX]):
            thread = new_thread(self._rng, PRIMARY, at)
        self._store.insert_thread(thread)
        return thread.id


class LiveGroup:
    """The live states of a server with every fault: one per variant, each counting its
    own list requests and changing its own copy of the data."""

    def __init__(self, members: list[LiveData]) -> None:
        self.members = members

    @property
    def changes(self) -> int:
        return sum(member.changes for member in self.members)

    def change_now(self) -> Change:
        """One change in every variant's data (a write hook on every variant's server);
        the conforming variant's change is returned."""
        made = [member.change_now() for member in self.members]
        return made[0]
