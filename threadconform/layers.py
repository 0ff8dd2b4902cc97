"""The client's stack: small layers of one job each, all with one seam,
`send(outgoing) -> Response`.

`Client` builds, from the top:

    InFlight -> Retrying -> Budget -> RateLimit -> RunDeadline -> Counting -> Observed
             -> Redacting -> HttpSender (threadconform.httpsend: the wire, the deadline)

A layer holds only what its job needs; `Counting` owns the count of requests sent, which
`RunDeadline` reads. The suite's two limits are exceptions (BudgetSpent, DeadlineSpent)
raised before a request is sent; everything the target does wrong is a Response.

Walks may run side by side (`--concurrency`), so every layer that keeps a count or a
clock does so under a lock, and `InFlight` bounds how many requests are out at once: a
429 halves that bound for the rest of the run.
"""

from __future__ import annotations

import email.utils
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from threadconform.exchange import Request, Response
from threadconform.outcomes import BudgetSpent, DeadlineSpent

__all__ = [
    "Budget",
    "Counting",
    "InFlight",
    "Layer",
    "Observed",
    "Outgoing",
    "RateLimit",
    "Redacting",
    "RetryPolicy",
    "Retrying",
    "RunDeadline",
    "retry_after",
]

Clock = Callable[[], float]
Sleep = Callable[[float], None]


@dataclass(frozen=True)
class Outgoing:
    """One request: as recorded (credentials redacted), and the headers really sent."""

    record: Request
    headers: dict[str, str] = field(default_factory=dict)


class Layer(Protocol):
    def send(self, outgoing: Outgoing) -> Response: ...


class Counting:
    """Counts the requests that go on to be sent (retries included)."""

    def __init__(self, inner: Layer) -> None:
        self.inner = inner
        self.sent = 0
        self._lock = threading.Lock()

    def send(self, outgoing: Outgoing) -> Response:
        with self._lock:
            self.sent += 1
        return self.inner.send(outgoing)


class Budget:
    """Raises BudgetSpent instead of sending request `limit + 1` (None: no limit)."""

    def __init__(self, inner: Layer, limit: int | None, counter: Counting) -> None:
        self.inner = inner
        self.limit = limit
        self.counter = counter
        # Requests let through: checked and counted in one step, so requests sent side by
        # side never pass the budget together (Counting counts them later, as sent).
        self._admitted = 0
        self._lock = threading.Lock()

    @property
    def left(self) -> int | None:
        if self.limit is None:
            return None
        return max(0, self.limit - max(self._admitted, self.counter.sent))

    def send(self, outgoing: Outgoing) -> Response:
        with self._lock:
            if self.limit is not None and max(self._admitted, self.counter.sent) >= self.limit:
                raise BudgetSpent(
                    f"the request budget of {self.limit} requests is spent "
                    "(raise --max-requests to check further)"
                )
            self._admitted += 1
        return self.inner.send(outgoing)


class RateLimit:
    """Keeps at least 1/max_rps seconds between requests (a bucket of one token)."""

    def __init__(self, inner: Layer, max_rps: float | None, clock: Clock, sleep: Sleep) -> None:
        self.inner = inner
        self.max_rps = max_rps
        self._clock = clock
        self._sleep = sleep
        self._next_slot: float | None = None
        self._lock = threading.Lock()

    def send(self, outgoing: Outgoing) -> Response:
        self.wait()
        return self.inner.send(outgoing)

    def wait(self) -> None:
        if not self.max_rps:
            return
        with self._lock:  # each request takes the next slot; the wait is outside the lock
            now = self._clock()
            slot = now if self._next_slot is None else max(now, self._next_slot)
            self._next_slot = slot + 1.0 / self.max_rps
        if slot > now:
            self._sleep(slot - now)


class RunDeadline:
    """Raises DeadlineSpent instead of sending once the run's deadline (--max-time, an
    instant on `clock`; None: none) has passed."""

    def __init__(
        self, inner: Layer, deadline: float | None, clock: Clock, counter: Counting
    ) -> None:
        self.inner = inner
        self.deadline = deadline
        self._clock = clock
        self.counter = counter

    def time_for(self, delay: float) -> bool:
        """True when a wait of `delay` seconds still ends before the run's deadline."""
        return self.deadline is None or self._clock() + delay < self.deadline

    def send(self, outgoing: Outgoing) -> Response:
        if self._passed():
            raise self._spent()
        response = self.inner.send(outgoing)
        if response.status is None and self._passed():
            # The exchange was cut at the run's deadline (HttpSender ends every exchange by
            # then): the run's own limit, not an answer of the target's to judge.
            raise self._spent()
        return response

    def _passed(self) -> bool:
        return self.deadline is not None and self._clock() >= self.deadline

    def _spent(self) -> DeadlineSpent:
        return DeadlineSpent(
            f"the run deadline (--max-time) passed after {self.counter.sent} requests "
            "(raise --max-time to check further)"
        )


class Observed:
    """Tells `on_exchange` of every response that comes back (retries included)."""

    def __init__(self, inner: Layer, on_exchange: Callable[[Response], None] | None) -> None:
        self.inner = inner
        self.on_exchange = on_exchange

    def send(self, outgoing: Outgoing) -> Response:
        response = self.inner.send(outgoing)
        if self.on_exchange is not None:
            self.on_exchange(response)
        return response


class Redacting:
    """Scrubs known credentials from a response's text and error line."""

    def __init__(self, inner: Layer, redact: Callable[[Response], Response]) -> None:
        self.inner = inner
        self.redact = redact

    def send(self, outgoing: Outgoing) -> Response:
        return self.redact(self.inner.send(outgoing))


@dataclass
class RetryPolicy:
    """How often and how long to wait on a 429 or 503 before sending again."""

    max_retries: int = 2
    cap: float = 5.0  # seconds: the longest single wait, whatever Retry-After says
    wait_left: float | None = None  # seconds the whole run may still wait (None: no limit)

    def delay(self, response: Response, attempt: int) -> float:
        backoff = 0.1 * 2**attempt
        hinted = retry_after(response.headers.get("retry-after"))
        return min(self.cap, backoff if hinted is None else hinted)


class Retrying:
    """Sends again on 429 and 503, after Retry-After (capped) or a short backoff; gives up
    after `max_retries`, when the budget is spent, when the run's retry wait is spent, or
    when the wait would outlast the run's deadline. Gives back the last response."""

    def __init__(
        self,
        inner: Layer,
        policy: RetryPolicy,
        *,
        budget_left: Callable[[], int | None],
        time_for: Callable[[float], bool],
        sleep: Sleep,
    ) -> None:
        self.inner = inner
        self.policy = policy
        self._budget_left = budget_left
        self._time_for = time_for
        self._sleep = sleep
        self._lock = threading.Lock()

    def send(self, outgoing: Outgoing) -> Response:
        response = self.inner.send(outgoing)
        for attempt in range(self.policy.max_retries):
            if response.status not in (429, 503) or self._budget_left() == 0:
                break
            delay = self._wait(response, attempt)
            if delay is None:
                break
            self._sleep(delay)
            response = self.inner.send(outgoing)
        return response

    def _wait(self, response: Response, attempt: int) -> float | None:
        """Seconds to wait before the next attempt; None: give up and report this one."""
        policy = self.policy
        delay = policy.delay(response, attempt)
        with self._lock:
            if policy.wait_left is not None:
                if policy.wait_left <= 0:
                    return None  # the retry budget is spent
                delay = min(delay, policy.wait_left)
                policy.wait_left -= delay
        if not self._time_for(delay):
            return None  # the wait would outlast the run's deadline
        return delay


class InFlight:
    """At most `limit` requests out at once (1: one after another, as a run always was).
    A 429 halves the limit for the rest of the run (never below 1): the target said it
    was asked too much, and the walks still waiting take turns."""

    def __init__(self, inner: Layer, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"concurrency must be at least 1, got {limit}")
        self.inner = inner
        self.limit = limit
        self.lowered: list[int] = []  # the limit after each 429 that lowered it
        self._out = 0
        self._turn = threading.Condition()

    def send(self, outgoing: Outgoing) -> Response:
        with self._turn:
            self._turn.wait_for(lambda: self._out < self.limit)
            self._out += 1
        try:
            response = self.inner.send(outgoing)
        finally:
            with self._turn:
                self._out -= 1
                self._turn.notify_all()
        if response.status == 429:
            self._lower()
        return response

    def _lower(self) -> None:
        with self._turn:
            if self.limit > 1:
                self.limit = max(1, self.limit // 2)
                self.lowered.append(self.limit)


def retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None if absent."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
