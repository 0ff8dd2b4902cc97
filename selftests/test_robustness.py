"""The suite against hostile targets, run as a user runs it (`pytest --contract worker
--base-url URL` in a subprocess): each misbehaviour gives one clear line and a failed rule
(or exit 6 for a target that does not answer), never a traceback, and never a hang.

The runs are slow only because they wait (timeouts, Retry-After), so the module starts
the ones its selected tests need concurrently and each test waits for its own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from itertools import pairwise

import pytest

from threadconform import reference
from threadconform.engine import SILENT_LIMIT
from threadconform.profiles import PROFILES

try:  # run as a package (selftests/__init__.py) or as loose files (pytest's rootdir)
    from selftests import hostile
except ImportError:
    import hostile  # type: ignore[no-redef]

QUICK_BUDGET = PROFILES["quick"].max_requests
RETRIES = 2  # the client's retries on 429/503 (Client.max_retries)
RETRY_AFTER_CAP = 5.0  # the client's cap on a Retry-After wait (Client.retry_after_cap)
UNAVAILABLE_BUDGET = 90  # keeps the always-503 run short: every request costs retries
# What may hold against a target that never returns a usable list: rules about statuses.
# Rules judged from any answer, list or not (an HTML or cut-off 4xx body is still scanned
# for internals: a framework's debug page is exactly what SEC-ERROR-INTERNALS looks for).
STATUS_RULES = {
    "HTTP-NO-5XX", "PARAM-VALID-ACCEPTED", "PARAM-INVALID-REJECTED", "SEC-ERROR-INTERNALS",
}  # fmt: skip


@dataclass(frozen=True)
class Scenario:
    name: str  # a hostile mode, or "silent" (the raw server that never answers)
    args: tuple[str, ...] = ()
    exit: int = 1
    says: tuple[str, ...] = ()  # phrases that must appear together on one output line
    fails: str | None = None  # the rule whose test item must fail

    def __str__(self) -> str:
        return self.name


# The ones that mostly wait (Retry-After, retries, timeouts) first: they start first.
SCENARIOS = (
    Scenario(
        "ratelimit",
        (),
        6,
        ("the target stopped answering", "/ratelimit/api/threads", "still HTTP 429", "Retry"),
    ),
    Scenario("hiccups", exit=0),
    Scenario(
        "unavailable",
        ("--max-requests", str(UNAVAILABLE_BUDGET)),
        fails="HTTP-NO-5XX",
        says=("got a server error 503",),
    ),
    Scenario(
        "trickle",
        ("--timeout", "1"),
        6,
        ("the target stopped answering", "/trickle/api/threads", "body not complete within 1 s"),
    ),
    Scenario(
        "slow",
        ("--timeout", "1"),
        6,
        ("the target stopped answering", "/slow/api/threads", "no response within 1 s"),
    ),
    Scenario(
        "silent",
        ("--timeout", "1"),
        6,
        ("cannot reach the target", "/api/threads", "no response within 1 s"),
    ),
    Scenario(
        "html",
        fails="HTTP-JSON",
        says=("a 2xx answer is not JSON", "/html/api/threads", "expected JSON, got text/html"),
    ),
    Scenario(
        "huge",
        fails="HTTP-JSON",
        says=("a 2xx answer is not JSON", "/huge/api/threads", "body larger than 2,000,000 bytes"),
    ),
    Scenario(
        "truncated",
        fails="HTTP-JSON",
        says=("/truncated/api/threads", "invalid JSON, the body ends early", "truncated"),
    ),
    Scenario(
        "redirect",
        fails="PARAM-VALID-ACCEPTED",
        says=("status 302", "redirected (302) to http://", "/landing/api/threads", "not followed"),
    ),
    Scenario(
        "loop",
        fails="WALK-TERMINATES",
        says=("The walk never ends", "repeated the body of page #1"),
    ),
)
BY_NAME = {scenario.name: scenario for scenario in SCENARIOS}


@pytest.fixture(scope="module")
def server() -> Iterator[hostile.HostileServer]:
    upstream = reference.start("worker")
    served = hostile.start({"/api/threads": upstream.url})
    try:
        yield served
    finally:
        served.stop()
        upstream.stop()


@pytest.fixture(scope="module")
def silent_url() -> Iterator[str]:
    with hostile.silent_server() as url:
        yield url


@pytest.fixture(scope="module")
def runs(
    request: pytest.FixtureRequest,
    server: hostile.HostileServer,
    silent_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, Future[hostile.SuiteRun]]]:
    """The suite run once per scenario that a selected test of this module needs."""
    wanted = {
        str(params["scenario"])
        for item in request.session.items
        if item.module is request.module
        and "scenario" in (params := getattr(getattr(item, "callspec", None), "params", {}))
    } or set(BY_NAME)

    def run(scenario: Scenario) -> hostile.SuiteRun:
        url = silent_url if scenario.name == "silent" else server.base(scenario.name)
        return hostile.run_suite(
            *("--contract", "worker", "--base-url", url, "--profile", "quick", *scenario.args),
            report_dir=tmp_path_factory.mktemp(scenario.name),
        )

    # Four at a time, the ones that mostly wait first: each also starts a Python that
    # imports Schemathesis, and the machine may have two cores.
    with ThreadPoolExecutor(max_workers=4) as pool:
        yield {s.name: pool.submit(run, s) for s in SCENARIOS if s.name in wanted}


def result(runs: dict[str, Future[hostile.SuiteRun]], scenario: Scenario) -> hostile.SuiteRun:
    finished = runs[scenario.name].result()
    assert finished.returncode != -9, f"hang: killed after {hostile.HANG_GUARD:g} s"
    assert finished.seconds < hostile.HANG_GUARD, finished.explain()
    return finished


def lines_saying(output: str, phrases: tuple[str, ...]) -> list[str]:
    return [line for line in output.splitlines() if all(p in line for p in phrases)]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=str)
def test_hostile_target_gives_a_clear_line_not_a_traceback(
    runs: dict[str, Future[hostile.SuiteRun]], scenario: Scenario
) -> None:
    run = result(runs, scenario)
    assert run.returncode == scenario.exit, run.explain()
    assert "Traceback" not in run.output and "INTERNALERROR" not in run.output, run.explain()
    if scenario.says:
        assert lines_saying(run.output, scenario.says), run.explain()
    if scenario.fails:
        failed = re.compile(rf"^FAILED \S+\[worker::{re.escape(scenario.fails)}\]", re.M)
        assert failed.search(run.output), run.explain()
    if scenario.exit == 6:  # the run stopped on that line: no rule failed for it
        assert not re.search(r"^FAILED ", run.output, re.M), run.explain()


@pytest.mark.parametrize("scenario", [BY_NAME["redirect"]], ids=str)
def test_a_redirect_is_reported_and_not_followed(
    runs: dict[str, Future[hostile.SuiteRun]], scenario: Scenario, server: hostile.HostileServer
) -> None:
    result(runs, scenario)
    assert server.journal.of("redirect"), "the suite never asked the redirecting target"
    assert server.journal.of("landing") == [], "the suite followed a redirect"


@pytest.mark.parametrize("scenario", [BY_NAME["hiccups"]], ids=str)
def test_retry_after_is_honoured_up_to_its_cap_and_503_is_retried(
    runs: dict[str, Future[hostile.SuiteRun]], scenario: Scenario, server: hostile.HostileServer
) -> None:
    """The first answer says "come back in an hour": the client waits its cap and asks
    again. Every tenth request after it gets a 503 and is asked again. The run passes."""
    result(runs, scenario)
    seen = server.journal.of("hiccups")
    first, retry = seen[:2]
    assert retry.query == first.query, "the 429 was not retried"
    waited = retry.at - first.at
    assert RETRY_AFTER_CAP - 0.5 <= waited < RETRY_AFTER_CAP + 5, f"waited {waited:.2f} s"
    unavailable = range(1, len(seen) - 1, 10)  # the mode's 503s
    assert len(unavailable) > 3
    assert all(seen[i + 1].query == seen[i].query for i in unavailable), "a 503 was not retried"


@pytest.mark.parametrize("scenario", [BY_NAME["ratelimit"]], ids=str)
def test_endless_429_is_retried_after_its_retry_after_then_the_run_stops(
    runs: dict[str, Future[hostile.SuiteRun]], scenario: Scenario, server: hostile.HostileServer
) -> None:
    """Every answer is 429 with Retry-After: 1. Each request is sent 1 + RETRIES times, a
    second apart; after the preflight and SILENT_LIMIT requests the run stops."""
    result(runs, scenario)
    seen = server.journal.of("ratelimit")
    assert len(seen) == (1 + RETRIES) * (1 + SILENT_LIMIT), len(seen)
    tries = [seen[i : i + 1 + RETRIES] for i in range(0, len(seen), 1 + RETRIES)]
    assert all(len({s.query for s in attempt}) == 1 for attempt in tries), "not retried"
    gaps = [b.at - a.at for attempt in tries for a, b in pairwise(attempt)]
    assert min(gaps) >= 0.9, f"Retry-After: 1 was not honoured: {gaps}"


@pytest.mark.parametrize("scenario", [BY_NAME["unavailable"]], ids=str)
def test_503_is_retried_then_reported(
    runs: dict[str, Future[hostile.SuiteRun]], scenario: Scenario, server: hostile.HostileServer
) -> None:
    """An always-503 target gets each request 1 + RETRIES times, within the budget."""
    result(runs, scenario)
    seen = server.journal.of("unavailable")
    assert len(seen) <= UNAVAILABLE_BUDGET
    groups = [seen[i : i + 1 + RETRIES] for i in range(0, len(seen) - RETRIES, 1 + RETRIES)]
    assert groups and all(len({s.query for s in group}) == 1 for group in groups)


@pytest.mark.parametrize("scenario", [BY_NAME["loop"]], ids=str)
def test_a_next_page_that_never_comes_ends_the_walk_at_once(
    runs: dict[str, Future[hostile.SuiteRun]], scenario: Scenario, server: hostile.HostileServer
) -> None:
    """Every walk stops at its second page (same body as the first), not at the page cap
    or the budget: the whole run stays far below the budget."""
    run = result(runs, scenario)
    assert "page #2 (offset=" in run.output, run.explain()
    assert len(server.journal.of("loop")) < QUICK_BUDGET // 2


@pytest.mark.parametrize("scenario", [BY_NAME["huge"]], ids=str)
def test_a_10_mb_body_is_capped_and_memory_stays_sane(
    runs: dict[str, Future[hostile.SuiteRun]], scenario: Scenario
) -> None:
    run = result(runs, scenario)
    assert run.max_rss_mb < 400, f"peak memory {run.max_rss_mb:.0f} MB"
    # What a report keeps of a body is its start, never the 10 MB.
    assert len(run.output) < 200_000, len(run.output)


NEVER_LISTS = ("html", "huge", "truncated", "redirect", "unavailable")


@pytest.mark.parametrize("scenario", [BY_NAME[name] for name in NEVER_LISTS], ids=str)
def test_no_listing_rule_passes_when_no_list_ever_came_back(
    runs: dict[str, Future[hostile.SuiteRun]], scenario: Scenario
) -> None:
    """A rule never checked is skipped with the reason, never passed (CONTRACTS.md)."""
    run = result(runs, scenario)
    summary = json.loads((run.report_dir / "summary.json").read_text())
    passed = {r["id"] for c in summary["contracts"] for r in c["rules"] if r["outcome"] == "pass"}
    assert passed <= STATUS_RULES, f"passed without a single usable page: {passed - STATUS_RULES}"
