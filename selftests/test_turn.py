"""One unit at a time once the listing has been seen to change (probes/turn.py).

At --concurrency above 1, probes run side by side. On a listing that changes, a unit's
bracket must not stretch over other probes' requests: they would put more of the
target's writes inside it, and fewer walks could be judged.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext

import httpx
import pytest

from selftests.factories import contract, mock_client, offset_pagination, offset_server, threads
from selftests.guard import scaled
from threadconform.ledger import Finding, Violation
from threadconform.live import Change
from threadconform.probes.context import ProbeContext, ReferenceKey
from threadconform.probes.settle import settled
from threadconform.probes.turn import Turn, sharing
from threadconform.profiles import PROFILES

WAIT = scaled(5.0)  # a hang guard, not a timing assertion


def _in_thread(call: Callable[[], None]) -> threading.Thread:
    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    return thread


def _held_by_other(turn: Turn) -> Iterator[threading.Event]:
    """A thread that holds the turn until the yielded event is set."""
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with turn.taken(True):
            holding.set()
            release.wait(WAIT)

    thread = _in_thread(hold)
    assert holding.wait(WAIT)
    yield release
    release.set()
    thread.join(WAIT)


@pytest.fixture
def turn() -> Turn:
    return Turn()


@pytest.fixture
def other(turn: Turn) -> Iterator[threading.Event]:
    yield from _held_by_other(turn)


def _waits(
    turn: Turn,
    *,
    needed: bool = True,
    wrap: Callable[[], AbstractContextManager[None]] = nullcontext,
) -> bool:
    """Does a fresh thread asking for the turn (`needed`) wait? It is given a moment."""
    entered = threading.Event()

    def ask() -> None:
        with wrap(), turn.taken(needed):
            entered.set()

    _in_thread(ask)
    return not entered.wait(0.3)


def test_a_held_turn_makes_every_other_context_wait(turn: Turn, other: threading.Event) -> None:
    assert _waits(turn)


def test_the_turn_is_asked_for_only_when_needed(turn: Turn, other: threading.Event) -> None:
    assert not _waits(turn, needed=False)


def test_a_shared_read_begun_without_the_turn_does_not_wait_for_it(
    turn: Turn, other: threading.Event
) -> None:
    # A unit holding the turn may be waiting for that very read.
    assert not _waits(turn, wrap=sharing)


def test_the_holder_may_take_it_again_and_so_may_the_calls_it_hands_out(turn: Turn) -> None:
    entered: list[str] = []
    with turn.taken(True), turn.taken(True):
        entered.append("again")
        with ThreadPoolExecutor(2) as pool:
            copies = [contextvars.copy_context() for _ in range(2)]
            futures = [
                pool.submit(copy.run, lambda: _enter(turn, entered, "call")) for copy in copies
            ]
            for future in futures:
                future.result(WAIT)
    assert entered == ["again", "call", "call"]
    assert not _waits(turn)  # released after the last exit


def _enter(turn: Turn, entered: list[str], name: str) -> None:
    with turn.taken(True):
        entered.append(name)


def test_the_turn_passes_when_its_holder_is_done(turn: Turn) -> None:
    release = _held_by_other(turn)
    event = next(release)
    order: list[str] = []
    waiter = _in_thread(lambda: _enter(turn, order, "waiter"))
    time.sleep(0.1)
    order.append("holder done")
    event.set()
    waiter.join(WAIT)
    assert order == ["holder done", "waiter"]


# --- the probes' context: a bracket on a changed listing holds only its own requests ---


def _recording(log: list[str]) -> Callable[[httpx.Request], httpx.Response]:
    serve = offset_server(threads(60, "offset"))

    def handle(request: httpx.Request) -> httpx.Response:
        log.append(request.url.query.decode())
        time.sleep(0.002)  # long enough for requests of other threads to interleave
        return serve(request)

    return handle


def _context(log: list[str], *, changed: bool) -> ProbeContext:
    client = mock_client(_recording(log), concurrency=4)
    ctx = ProbeContext(contract(offset_pagination()), client, PROFILES["default"], 0)
    if changed:
        ctx.live.saw("an earlier walk", Change(new=("t-new",)))
    return ctx


def _bracketed_and_busy(ctx: ProbeContext) -> None:
    """One thread walks a unit under `settled` while another sends single requests."""
    ctx.reference()  # cached, so the unit's own requests are its walk and the re-read

    def unit() -> list[Finding]:
        for offset in range(0, 60, 7):  # a walk that judges each page as it comes
            ctx.fetch((("limit", "7"), ("offset", str(offset))))
            time.sleep(0.002)
        # A violation a write could cause: the bracket closes with the reference re-read.
        return [Finding("PAGE-NO-GAPS", Violation("PAGE-NO-GAPS", "a gap", (), "", ""))]

    def busy() -> None:
        for _ in range(30):
            ctx.fetch((("limit", "3"),))
            time.sleep(0.001)  # a probe judges between its requests

    def judged() -> None:
        settled(ctx, unit, key=ReferenceKey((), None), where="a walk")

    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(busy)
        time.sleep(0.01)
        second = pool.submit(judged)
        first.result(WAIT)
        second.result(WAIT)


def _interleaved(log: list[str]) -> bool:
    """Did a busy request (limit=3) go out between the unit's first request and its
    bracket's last (the re-read of the reference, limit=100)?"""
    first = log.index("limit=7&offset=0")
    last = max(n for n, query in enumerate(log) if query.startswith("limit=100"))
    return any(query.startswith("limit=3") for query in log[first:last])


def test_a_unit_on_a_changed_listing_has_its_bracket_to_itself() -> None:
    log: list[str] = []
    _bracketed_and_busy(_context(log, changed=True))
    assert not _interleaved(log), "\n".join(log)
    assert log.count("limit=3") == 30  # the busy thread was not starved either


def test_on_a_listing_that_held_still_probes_stay_side_by_side() -> None:
    # The same run on an unchanged listing interleaves: the turn costs a frozen run nothing.
    log: list[str] = []
    _bracketed_and_busy(_context(log, changed=False))
    assert _interleaved(log), "\n".join(log)
