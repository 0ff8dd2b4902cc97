"""Requests in flight (issue 21): `--concurrency N` takes the planned walks of a listing
side by side. On a listing that holds still it changes neither the verdicts, nor the
evidence, nor the requests sent (the same multiset of URLs); on a changing one it
changes neither whether a conforming server passes nor whether a fault is caught. The
client never has more than N requests out, and a 429 halves N for the rest of the run."""

from __future__ import annotations

import collections
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from selftests.guard import scaled
from selftests.walk_run import run_engine
from threadconform import reference
from threadconform.client import Client
from threadconform.engine import Engine
from threadconform.mutation import suite_env
from threadconform.reference.live import Live


def _run(
    contract_name: str, server: reference.RunningServer, concurrency: int
) -> tuple[Engine, list[str]]:
    """A whole default-profile run, and every URL it requested (retries included)."""
    sent: list[str] = []
    engine = run_engine(
        contract_name,
        server,
        concurrency=concurrency,
        on_exchange=lambda response: sent.append(response.request.full_url),
    )
    engine.run_all()
    return engine, sent


def _verdicts(engine: Engine) -> dict[str, tuple[str, str]]:
    """Each rule's outcome and its reason (the first evidence, or why it held or skipped)."""
    return {rule: (record.status, record.reason) for rule, record in engine.ledger.records.items()}


@pytest.mark.parametrize(
    ("contract", "fault"),
    [
        ("kortix", "tie-order-plan-flip"),
        pytest.param("kortix", None, marks=pytest.mark.slow),
        pytest.param("worker", "page-repeats-last-item", marks=pytest.mark.slow),
        pytest.param("aitronos", None, marks=pytest.mark.slow),
        ("aitronos", "cursor-tie-order-plan-flip"),
    ],
)
def test_a_frozen_listing_gets_the_same_run_at_any_concurrency(
    contract: str, fault: str | None
) -> None:
    with reference.start(contract, threads=151, seed=1, fault=fault) as server:
        one, sent_one = _run(contract, server, 1)
        eight, sent_eight = _run(contract, server, 8)
    assert _verdicts(one) == _verdicts(eight)
    assert collections.Counter(sent_one) == collections.Counter(sent_eight)
    assert one.requests_sent == eight.requests_sent == len(sent_one)
    failed = {rule for rule, (status, _) in _verdicts(one).items() if status == "fail"}
    assert bool(failed) == (fault is not None), failed


@pytest.mark.parametrize(
    "fault", [None, pytest.param("tie-order-plan-flip", marks=pytest.mark.slow)]
)
def test_a_changing_listing_gets_the_same_verdict_side_by_side(fault: str | None) -> None:
    # New threads arrive every 20 list requests while eight walks run at once: the
    # conforming server still passes, the plan flip is still caught.
    with reference.start("kortix", threads=151, seed=1, fault=fault, live=Live(20)) as server:
        engine, _ = _run("kortix", server, 8)
        assert server.changes > 0
    failed = {rule for rule, (status, _) in _verdicts(engine).items() if status == "fail"}
    if fault is None:
        assert not failed, failed
    else:
        assert failed & {"PAGE-NO-DUPLICATES", "PAGE-NO-GAPS"}, failed


def _counting_handler(status: int, peak: list[int], delay: float = 0.02):  # type: ignore[no-untyped-def]
    lock, out = threading.Lock(), [0]

    def handle(request: httpx.Request) -> httpx.Response:
        with lock:
            out[0] += 1
            peak[0] = max(peak[0], out[0])
        time.sleep(delay)
        with lock:
            out[0] -= 1
        return httpx.Response(status, json={"threads": []}, headers={"retry-after": "0"})

    return handle


def _client(handler, concurrency: int) -> Client:  # type: ignore[no-untyped-def]
    return Client(
        "http://127.0.0.1:9",
        "/api/threads",
        auth=None,
        credential=None,
        transport=httpx.MockTransport(handler),
        concurrency=concurrency,
        max_retries=0,
    )


def _send_from_threads(client: Client, count: int) -> None:
    threads = [threading.Thread(target=client.get, args=({"n": str(n)},)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_never_more_requests_out_than_the_concurrency() -> None:
    peak = [0]
    client = _client(_counting_handler(200, peak), 3)
    _send_from_threads(client, 12)
    assert 1 < peak[0] <= 3 and client.requests_sent == 12
    assert client.concurrency_lowered == ()


def test_a_429_halves_the_concurrency_for_the_rest_of_the_run() -> None:
    peak = [0]
    client = _client(_counting_handler(429, peak), 8)
    _send_from_threads(client, 4)
    assert client.concurrency == 1 and client.concurrency_lowered == (4, 2, 1)
    peak[0] = 0
    _send_from_threads(client, 4)
    assert peak[0] == 1


def test_concurrency_one_sends_one_request_at_a_time() -> None:
    peak = [0]
    client = _client(_counting_handler(200, peak), 1)
    _send_from_threads(client, 6)
    assert peak[0] == 1


def test_a_budget_is_never_overrun_by_requests_side_by_side() -> None:
    peak = [0]
    handler = _counting_handler(200, peak)
    client = Client(
        "http://127.0.0.1:9",
        "/api/threads",
        auth=None,
        credential=None,
        transport=httpx.MockTransport(handler),
        concurrency=8,
        max_requests=5,
    )
    errors: list[BaseException] = []

    def one() -> None:
        try:
            client.get({})
        except Exception as error:  # BudgetSpent past the fifth
            errors.append(error)

    threads = [threading.Thread(target=one) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert client.requests_sent == 5 and len(errors) == 7


def test_a_suite_run_gives_the_same_report_at_concurrency_1_and_4(tmp_path: Path) -> None:
    # As a user runs it: pytest items ask for their rules; at 4 the probes they need run
    # side by side (fuzz probes among them), at 1 one after another.
    found = {}
    with reference.start("kortix", threads=60, seed=2) as server:
        env = suite_env(server.credentials)
        for concurrency in (1, 4):
            folder = tmp_path / str(concurrency)
            command = [sys.executable, "-m", "threadconform", "run", "-q", "--contract"]
            command += ["kortix", "--base-url", server.url, "--concurrency", str(concurrency)]
            done = subprocess.run(
                [*command, "--report-dir", str(folder)],
                cwd=tmp_path,
                env=env,
                capture_output=True,
                text=True,
                timeout=scaled(300),
            )
            assert done.returncode == 0, done.stdout[-2000:]
            summary = json.loads((folder / "summary.json").read_text())
            rules = summary["contracts"][0]["rules"]
            found[concurrency] = (summary["requests"], {r["id"]: r["outcome"] for r in rules})
    assert found[1] == found[4]
