"""Live reference servers: the data changes every N list requests, as on a staging server."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from threadconform import cli
from threadconform.reference import (
    CONTRACTS,
    Live,
    RunningServer,
    faults,
    header,
    start,
    start_subprocess,
)
from threadconform.reference.live import LiveData
from threadconform.reference.store import open_store

PATHS = {
    "kortix": "/threads",
    "chat": "/api/chat/threads",
    "aitronos": "/v1/threads",
    "freddy": "/v1/threads",
    "worker": "/api/threads",
    "github": "/notifications",
}
# Enough to hold the whole default listing of a 30-thread server on one page.
WHOLE = {
    "kortix": {"limit": "1000"},
    "chat": {"limit": "1000"},
    "aitronos": {"limit": "100"},
    "freddy": {"limit": "100"},
    "worker": {"limit": "100"},
    "github": {"per_page": "50"},
}
# The field a thread's activity shows in (worker shows none).
UPDATED = {
    "kortix": "updated_at",
    "chat": "lastMessageAt",
    "aitronos": "updated_at",
    "freddy": "updatedAt",
    "worker": None,
    "github": "updated_at",
}
# Contracts whose listing is ordered by activity: an update moves the thread to the head.
BY_ACTIVITY = {"github"}
THREADS = 30
EVERY = 3

CLIENT = httpx.Client(timeout=10)


@pytest.fixture(scope="module", autouse=True)
def client() -> Iterator[httpx.Client]:
    yield CLIENT
    CLIENT.close()


Listing = list[tuple[str, Any]]  # (id, activity field or None), in listing order


def items(contract: str, body: Any) -> list[dict[str, Any]]:
    if contract in ("kortix", "chat", "worker"):
        found: list[dict[str, Any]] = body["threads"]
        return found
    if contract == "github":
        return list(body)
    return list(body["data"])


def listing(server: RunningServer, url: str | None = None) -> Listing:
    """The main tenant's whole default listing (one list request)."""
    contract = server.contract
    token = server.credentials.primary
    headers = header(contract, token) if token is not None else {}
    base = url or server.url
    reply = CLIENT.get(base + PATHS[contract], params=WHOLE[contract], headers=headers)
    assert reply.status_code == 200, reply.text
    field = UPDATED[contract]
    key = "thread_id" if contract == "kortix" else "threadId" if contract == "chat" else "id"
    return [(t[key], t[field] if field else None) for t in items(contract, reply.json())]


def walk(server: RunningServer, requests: int) -> list[Listing]:
    return [listing(server) for _ in range(requests)]


@pytest.mark.parametrize("contract", CONTRACTS)
def test_insert_puts_a_new_thread_at_the_head(contract: str) -> None:
    with start(contract, threads=THREADS, live=Live(EVERY, "insert")) as server:
        first, second, third = walk(server, EVERY)
        assert first == second and server.changes == 1
        ids = [i for i, _ in third]
        assert ids[0] not in {i for i, _ in second}
        assert ids[1:] == [i for i, _ in second]
        walk(server, EVERY)
        assert server.changes == 2


@pytest.mark.parametrize("contract", CONTRACTS)
def test_delete_removes_one_thread(contract: str) -> None:
    with start(contract, threads=THREADS, live=Live(EVERY, "delete")) as server:
        _, second, third = walk(server, EVERY)
        before, after = [i for i, _ in second], [i for i, _ in third]
        gone = set(before) - set(after)
        assert len(gone) == 1 and len(after) == len(before) - 1
        assert [i for i in before if i not in gone] == after
        assert 0 < before.index(gone.pop()) < len(before) - 1  # from the middle
        assert server.changes == 1


@pytest.mark.parametrize("contract", [*CONTRACTS, "github"])
def test_update_gives_a_thread_new_activity(contract: str) -> None:
    with start(contract, threads=THREADS, live=Live(EVERY, "update")) as server:
        _, second, third = walk(server, EVERY)
        assert server.changes == 1
        before, after = [i for i, _ in second], [i for i, _ in third]
        assert sorted(before) == sorted(after)
        if contract in BY_ACTIVITY:
            moved = after[0]
            assert moved != before[0] and after[1:] == [i for i in before if i != moved]
        else:
            assert after == before
        if UPDATED[contract] is None:
            return
        changed = [(b, a) for b, a in zip(sorted(second), sorted(third), strict=True) if b != a]
        assert len(changed) == 1
        (_, old), (touched, new) = changed[0]
        assert new > old
        assert new == max(stamp for _, stamp in third)  # the latest activity of all
        assert contract not in BY_ACTIVITY or touched == after[0]


@pytest.mark.parametrize("contract", CONTRACTS)
def test_a_frozen_server_never_changes(contract: str) -> None:
    with start(contract, threads=THREADS) as server:
        seen = walk(server, 4 * EVERY)
        assert all(one == seen[0] for one in seen) and server.changes == 0


def test_same_requests_give_the_same_data() -> None:
    runs = []
    for _ in range(2):
        with start("aitronos", threads=THREADS, live_every=2, live_mode="insert") as server:
            runs.append(walk(server, 7))
    assert runs[0] == runs[1]


@pytest.mark.parametrize("contract", CONTRACTS)
def test_every_fault_answers_as_on_a_frozen_server(contract: str) -> None:
    """Live mode changes the data, not what a fault does: each fault's prefix answers with
    the status it answers with when frozen, and every prefix's changes are counted."""
    names = [None, *faults(contract)]
    statuses = {}
    for live in (None, Live(1, "insert")):
        with start(contract, threads=THREADS, all_faults=True, live=live) as server:
            statuses[live is None] = [status(server, server.fault_url(n)) for n in names]
            assert server.changes == (0 if live is None else len(names))
    assert statuses[True] == statuses[False]


def test_each_fault_prefix_changes_its_own_data() -> None:
    """On a server with every fault, one variant's requests never change what another
    variant serves: each sees the data and the writes a server of its own would, so the
    mutation matrix's live runs do not depend on which runs share the server with them."""
    fault = next(iter(faults("worker")))
    with start("worker", threads=THREADS, all_faults=True, live=Live(EVERY, "insert")) as every:
        untouched = listing(every, every.fault_url(fault))
        for _ in range(3 * EVERY):
            listing(every)  # three changes in the conforming variant's data
        assert every.changes == 3
        assert listing(every, every.fault_url(fault)) == untouched
        with start("worker", threads=THREADS, fault=fault, live=Live(EVERY, "insert")) as own:
            alone = walk(own, 2 * EVERY)
        here = [listing(every, every.fault_url(fault)) for _ in range(2 * EVERY - 2)]
        assert [untouched, untouched, *here] == alone


def status(server: RunningServer, base: str) -> int:
    token = server.credentials.primary
    headers = header(server.contract, token) if token is not None else {}
    return CLIENT.get(base + PATHS[server.contract], headers=headers).status_code


def test_a_subprocess_server_reports_its_changes() -> None:
    with start_subprocess("worker", threads=THREADS, live=Live(EVERY, "insert")) as server:
        _, second, third = walk(server, EVERY)
        assert third[0][0] not in {i for i, _ in second}
        deadline = time.monotonic() + 10
        while server.changes < 1 and time.monotonic() < deadline:
            time.sleep(0.02)  # the count trails the child by a reader thread
        assert server.changes == 1


def test_a_changed_database_file_is_rebuilt(tmp_path: Path) -> None:
    db = tmp_path / "live.sqlite"
    store = open_store(db, threads=THREADS)
    live = LiveData(Live(1, "delete"), store, contract="kortix")
    count = len(store.listed_ids(0))
    live.on_list_request()
    assert len(store.listed_ids(0)) == count - 1
    store.close()
    reopened = open_store(db, threads=THREADS)
    assert len(reopened.listed_ids(0)) == count
    reopened.close()


def test_live_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="every"):
        Live(0)
    with pytest.raises(ValueError, match="mode"):
        Live(3, "sideways")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not both"):
        start("worker", live=Live(3), live_every=3)


def test_serve_help_documents_live_mode(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["serve", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--live N" in text and "--live-mode {insert,delete,update}" in text
    with pytest.raises(SystemExit):
        cli.main(["serve", "worker", "--live", "0"])
    assert "must be >= 1" in capsys.readouterr().err
