"""One unit at a time once the listing has been seen to change.

Probes side by side (`--concurrency`) judge a listing that holds still exactly as one
after another would. On a listing that changes, they would not: a unit's bracket (the
reference before it, the read after it, probes/settle.py) would stretch over the other
probes' requests, so more of the target's writes would land inside it and fewer units
could be judged (the live matrix missed 2 of 39 faults at 4 before this).

So from the first change seen, a unit takes the turn for its whole bracket, and every
other request waits for its own turn: the run's requests go out one at a time, as at
`--concurrency 1`, and a bracket spans only the requests of its own unit.

Who holds the turn is a context variable, not a thread: the calls a unit runs side by
side (`ProbeContext.together`) run in copies of its context and so share its turn. A read
the probes share (a reference walk, read once under its own lock) that began before the
change finishes without waiting for the turn, so that a unit holding the turn and waiting
for that read cannot wait forever.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

__all__ = ["Turn", "sharing"]

# Who this context is, as far as the turn is concerned (set the first time it asks).
_holder: ContextVar[object | None] = ContextVar("threadconform_turn_holder", default=None)
# Inside a shared read that began without the turn (see the module's last paragraph).
_sharing: ContextVar[bool] = ContextVar("threadconform_turn_sharing", default=False)


@dataclass
class Turn:
    """A lock held by a context (and the copies it hands its calls), re-entrantly."""

    _condition: threading.Condition = field(default_factory=threading.Condition, repr=False)
    _owner: object | None = None
    _depth: int = 0

    @contextmanager
    def taken(self, needed: bool) -> Iterator[None]:
        """The turn held for the block when `needed`; else nothing is held or waited for.
        A context inside a shared read that began without the turn does not wait."""
        if not needed or (_sharing.get() and not self._mine()):
            yield
            return
        me = _holder.get()
        if me is None:
            me = object()
            _holder.set(me)
        with self._condition:
            while self._owner is not None and self._owner is not me:
                self._condition.wait()
            self._owner = me
            self._depth += 1
        try:
            yield
        finally:
            with self._condition:
                self._depth -= 1
                if self._depth == 0:
                    self._owner = None
                    self._condition.notify_all()

    def _mine(self) -> bool:
        with self._condition:
            return self._owner is not None and self._owner is _holder.get()


@contextmanager
def sharing() -> Iterator[None]:
    """Marks a read the probes share (held under its own lock) for the block."""
    token = _sharing.set(True)
    try:
        yield
    finally:
        _sharing.reset(token)
