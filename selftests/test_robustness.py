"""The suite against hostile targets, run as a user runs it (`pytest --contract worker
--base-url URL` in a subprocess): each misbehaviour gives one clear line and a failed rule
(or exit 6 for a target that does not answer), never a traceback, and never a hang.

The runs are slow only because they wait (timeouts, Retry-After), so the module starts
the ones its selected tests need concurrently and each test waits for its own.
"""

from __future__ import annotations

import gzip
import json
import re
import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from itertools import pairwise

import httpx
import pytest

from threadconform import escape, reference, spec
from threadconform.client import Client
from threadconform.engine import SILENT_LIMIT, SUITE_ERROR, Engine, ProbeContext, Target
from threadconform.exchange import Response
from threadconform.ledger import Finding
from threadconform.outcomes import DeadlineSpent
from threadconform.probes import Probe
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
# for internals: a framework's debug page is exactly what SEC-ERROR-INTERNALS looks for),
# and the suite's own SUITE-ERROR (it holds whenever no probe crashed).
STATUS_RULES = {
    "HTTP-NO-5XX", "PARAM-VALID-ACCEPTED", "PARAM-INVALID-REJECTED", "SEC-ERROR-INTERNALS",
    "SUITE-ERROR",
}  # fmt: skip


VERDICTS = {0: "pass", 1: "fail", 6: "error", 7: "error", 8: "error", 9: "incomplete"}
SCALE = hostile.scaled(1.0)  # THREADCONFORM_TEST_TIMEOUT_SCALE: bounds stretch by it


@dataclass(frozen=True)
class Scenario:
    name: str  # a hostile mode, a raw behaviour, or "silent" (never answers at all)
    args: tuple[str, ...] = ()
    exit: int = 1
    says: tuple[str, ...] = ()  # phrases that must appear together on one output line
    fails: str | None = None  # the rule whose test item must fail
    seconds: float = 90.0  # wall-time bound of the whole run (times SCALE), startup included
    rss_mb: float = 500.0  # peak memory bound of the pytest process
    mode: str = ""  # the hostile mode or raw behaviour, when name is a variant of it
    contract: str = "worker"
    workers: int = 0  # pytest-xdist workers (-n); 0: one process

    def __str__(self) -> str:
        return self.name

    @property
    def served_by(self) -> str:
        return self.mode or self.name


# The ones that mostly wait (Retry-After, retries, timeouts) first: they start first.
SCENARIOS = (
    # ratelimit, hiccups and unavailable: one request at a time, because their tests count
    # the retries and read each as the request after the one it repeats (at --concurrency
    # N, other probes' requests come between, and up to N are out when the run stops).
    Scenario(
        "ratelimit",
        ("--concurrency", "1"),
        6,
        ("the target stopped answering", "/ratelimit/api/threads", "still HTTP 429", "Retry"),
    ),
    Scenario("hiccups", ("--concurrency", "1"), exit=0),
    Scenario(
        "unavailable",
        ("--max-requests", str(UNAVAILABLE_BUDGET), "--concurrency", "1"),
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
        ("the target stopped answering", "/slow/api/threads", "within 1 s"),
    ),
    Scenario(
        "silent",
        ("--timeout", "1"),
        6,
        ("cannot reach the target", "/api/threads", "within 1 s"),
    ),
    Scenario(
        "html",
        exit=7,  # issue 22: an HTML 200 on the list route is "not the API", a setup mistake
        fails="SETUP",
        says=("not the API", "/html/api/threads", "200 text/html"),
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
        says=("The walk never ends", "repeated the body of offset="),
    ),
    # Issue 11: runs end within their bounds and reports tell the truth.
    Scenario("later", ("--max-time", "30"), 6, ("stopped answering", "HTTP 503", "3600")),
    Scenario("hour", ("--max-time", "30"), 6, ("stopped answering", "HTTP 429", "3600")),
    Scenario(
        "hour-n2",
        ("--max-time", "30"),
        6,
        ("stopped answering", "HTTP 429", "3600"),
        workers=2,
    ),
    Scenario(
        "dies",
        ("--timeout", "1", "--max-time", "60"),
        6,
        ("stopped answering after", "/dies/api/threads", "within 1 s"),
    ),
    Scenario(
        "dies-n2",
        ("--timeout", "1", "--max-time", "60"),
        6,
        ("stopped answering after", "/dies-n2/api/threads", "within 1 s"),
        workers=2,
    ),
    Scenario(
        "sluggish",
        ("--timeout", str(hostile.SLUGGISH_SECONDS + 1), "--max-time", "12"),
        9,
        ("run deadline (--max-time) passed",),
        seconds=12 + 60,  # startup on a busy machine; the summary's own time is tighter
    ),
    Scenario(
        "header-trickle",
        ("--timeout", "2"),
        6,
        ("cannot reach the target", "no complete answer within 2 s"),
        seconds=30,
    ),
    Scenario(
        "endless-1xx",
        ("--timeout", "2"),
        6,
        ("cannot reach the target", "no complete answer within 2 s"),
        seconds=30,
    ),
    Scenario("proxy", exit=0),
    Scenario("gzip", exit=0),
    Scenario("deflate", exit=0),
    Scenario("gzip-loop", fails="WALK-TERMINATES", says=("The walk never ends",)),
    Scenario("deflate-loop", fails="WALK-TERMINATES", says=("The walk never ends",)),
    Scenario(
        "bomb",
        fails="HTTP-JSON",
        says=("a 2xx answer is not JSON", "larger than 2,000,000 bytes once decoded (gzip)"),
        rss_mb=400,
    ),
    Scenario("crowd", ("--max-requests", "40"), fails="SCHEMA-RESPONSE", seconds=120),
    Scenario("hexed", exit=0),
    Scenario("nan", fails="HTTP-JSON", says=("not JSON per RFC 8259", "NaN is not a JSON value")),
    Scenario("twice", fails="HTTP-JSON", says=("not JSON per RFC 8259", "'total' appears twice")),
    Scenario(
        "deep",
        fails="HTTP-JSON",
        says=("JSON nested more than 100 levels deep",),
        contract="aitronos",
    ),
    Scenario("markup", fails="HTTP-NO-5XX"),
)
BY_NAME = {scenario.name: scenario for scenario in SCENARIOS}


TOKEN = "deep-echo-token-5b1f"  # the aitronos credential the suite is given


@pytest.fixture(scope="module")
def server() -> Iterator[hostile.HostileServer]:
    upstream = reference.start("worker")
    keyed = reference.start("aitronos")
    served = hostile.start(
        {"/api/threads": upstream.url, "/v1/threads": keyed.url},
        {TOKEN: keyed.credentials.primary, TOKEN + "-2": keyed.credentials.secondary},
    )
    try:
        yield served
    finally:
        served.stop()
        upstream.stop()
        keyed.stop()


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
        if scenario.served_by in hostile.RAW_BEHAVIOURS:
            with hostile.raw_server(hostile.RAW_BEHAVIOURS[scenario.served_by]) as url:
                return _run(scenario, url)
        url = silent_url if scenario.name == "silent" else server.base(scenario.served_by)
        return _run(scenario, url)

    def _run(scenario: Scenario, url: str) -> hostile.SuiteRun:
        tokens = ("--token", TOKEN, "--second-token", TOKEN + "-2")
        args = (
            *("--contract", scenario.contract, "--base-url", url, "--profile", "quick"),
            *(tokens if scenario.contract == "aitronos" else ()),
            *(("-n", str(scenario.workers)) if scenario.workers else ()),
            *scenario.args,
        )
        return hostile.run_suite(
            *args,
            report_dir=folders[scenario.name],
            guard=max(hostile.HANG_GUARD, 2 * scenario.seconds * SCALE),
        )

    # Made here, in one thread: pytest's tmp_path_factory is not thread-safe (two threads
    # creating its base folder at once make mktemp fail).
    folders = {s.name: tmp_path_factory.mktemp(s.name) for s in SCENARIOS if s.name in wanted}
    # Four at a time, the ones that mostly wait first: each also starts a Python that
    # imports Schemathesis, and the machine may have two cores.
    with ThreadPoolExecutor(max_workers=4) as pool:
        yield {s.name: pool.submit(run, s) for s in SCENARIOS if s.name in wanted}


def result(runs: dict[str, Future[hostile.SuiteRun]], scenario: Scenario) -> hostile.SuiteRun:
    finished = runs[scenario.name].result()
    assert finished.returncode != -9, f"hang: killed after {finished.seconds:.0f} s"
    return finished


def summary(run: hostile.SuiteRun) -> dict[str, object]:
    path = run.report_dir / "summary.json"
    assert path.is_file(), f"no summary.json written\n{run.explain()}"
    return json.loads(path.read_text())


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
        rule = rf"{scenario.contract}::{re.escape(scenario.fails)}"
        failed = re.compile(rf"^FAILED \S+\[{rule}\]", re.M)
        assert failed.search(run.output), run.explain()
    if scenario.exit in (6, 9):  # the run stopped on that line: no contract rule is blamed,
        # only the run-integrity item fails, or SETUP when it stopped before any rule (so
        # junit.xml alone shows the run did not pass)
        failed_items = re.findall(r"^FAILED \S+\[[^\]]*::([A-Z0-9-]+)\]", run.output, re.M)
        assert set(failed_items) <= {"SUITE-ERROR", "SETUP"}, run.explain()
        junit = (run.report_dir / "junit.xml").read_text()
        assert "<failure" in junit, run.explain()


@pytest.mark.parametrize("scenario", SCENARIOS, ids=str)
def test_every_run_ends_in_bounds_and_its_reports_agree_with_its_exit_status(
    runs: dict[str, Future[hostile.SuiteRun]], scenario: Scenario
) -> None:
    """summary.json's verdict is the exit status's, every report is written, and the run
    stayed within its wall time and memory."""
    run = result(runs, scenario)
    assert run.seconds < scenario.seconds * SCALE, run.explain()
    assert run.max_rss_mb < scenario.rss_mb, f"peak memory {run.max_rss_mb:.0f} MB"
    found = summary(run)
    assert found["verdict"] == VERDICTS[run.returncode], run.explain()
    assert found["exit_status"] == run.returncode
    for name in ("summary.md", "report.html", "junit.xml"):
        assert (run.report_dir / name).is_file(), f"{name} missing\n{run.explain()}"
    markdown = (run.report_dir / "summary.md").read_text()
    assert markdown.startswith(f"# threadconform {found['suite_version']}: ")
    assert f": {str(found['verdict']).upper()}" in markdown.splitlines()[0]
    html_report = (run.report_dir / "report.html").read_text()
    assert f">{str(found['verdict']).upper()}</span>" in html_report
    junit = (run.report_dir / "junit.xml").read_text()
    assert f'name="threadconform.verdict" value="{found["verdict"]}"' in junit
    assert 'tests="0"' not in junit, "the JUnit file counts no test"
    if found["verdict"] in ("error", "incomplete"):
        assert found["reason"], "a run that stopped early says why"


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
    run = result(runs, scenario)
    assert run.returncode == 0, run.explain()  # else the journal below says too little
    seen = server.journal.of("hiccups")
    assert len(seen) >= 2, f"{len(seen)} request(s) reached the target\n{run.explain()}"
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
    assert "repeated the body of offset=" in run.output, run.explain()
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
    """A rule never checked is skipped with the reason, never passed (docs/contracts.md)."""
    run = result(runs, scenario)
    summary = json.loads((run.report_dir / "summary.json").read_text())
    passed = {r["id"] for c in summary["contracts"] for r in c["rules"] if r["outcome"] == "pass"}
    assert passed <= STATUS_RULES, f"passed without a single usable page: {passed - STATUS_RULES}"


STOPPED_EARLY = ("later", "hour", "hour-n2", "dies", "dies-n2", "sluggish")


@pytest.mark.parametrize("scenario", [BY_NAME[name] for name in STOPPED_EARLY], ids=str)
def test_a_run_that_stopped_early_says_why_and_which_rules_it_did_not_judge(
    runs: dict[str, Future[hostile.SuiteRun]], scenario: Scenario
) -> None:
    run = result(runs, scenario)
    found = summary(run)
    (target,) = found["contracts"]
    assert target["stopped"] and target["stopped"]["verdict"] == found["verdict"]
    assert target["stopped"]["reason"] in found["reason"]
    reasons = [r["reason"] for r in target["rules"] if r["outcome"] == "skip"]
    # A rule left unjudged says so; at --concurrency N every probe is under way when the
    # target stops, so a rule may instead name the walk its death cut short.
    said = ("not judged: ", "stopped before the end")
    assert any(part in reason for reason in reasons for part in said), run.explain()
    failed = [r["id"] for r in target["rules"] if r["outcome"] == "fail"]
    assert not failed, f"a false failure of {failed}\n{run.explain()}"
    if scenario.name == "sluggish":  # sending stopped at --max-time: judging is quick
        assert found["duration_seconds"] < (12 + hostile.SLUGGISH_SECONDS + 1 + 10) * SCALE
        assert all("run deadline" in r for r in reasons if r.startswith("not judged"))


def outcomes(run: hostile.SuiteRun) -> dict[str, str]:
    return {r["id"]: r["outcome"] for c in summary(run)["contracts"] for r in c["rules"]}


def test_a_compressing_server_is_judged_exactly_as_an_uncompressed_one(
    runs: dict[str, Future[hostile.SuiteRun]],
) -> None:
    plain = outcomes(result(runs, BY_NAME["proxy"]))
    assert set(plain.values()) <= {"pass", "skip", "n/a"}, plain
    for name in ("gzip", "deflate"):
        assert outcomes(result(runs, BY_NAME[name])) == plain, name
    looping = {k for k, v in outcomes(result(runs, BY_NAME["loop"])).items() if v == "fail"}
    assert looping
    for name in ("gzip-loop", "deflate-loop"):
        failed = {k for k, v in outcomes(result(runs, BY_NAME[name])).items() if v == "fail"}
        assert failed == looping, name


def test_server_markup_is_inert_in_every_report(
    runs: dict[str, Future[hostile.SuiteRun]],
) -> None:
    run = result(runs, BY_NAME["markup"])
    written = hostile.files_under(run.report_dir)
    assert any("alert(1)" in text for text in written.values()), "the markup never got quoted"
    markdown = (run.report_dir / "summary.md").read_text()
    for raw in ("<script", "<img", "![pixel]", "[click](", "@everyone", "**bold**", "\x1b"):
        assert raw not in markdown, raw
    page = (run.report_dir / "report.html").read_text()
    assert "<script" not in page and "<img" not in page
    assert "\x1b" not in run.output and "\x07" not in run.output


def test_a_credential_echoed_600_levels_deep_is_neither_a_crash_nor_a_leak(
    runs: dict[str, Future[hostile.SuiteRun]],
) -> None:
    run = result(runs, BY_NAME["deep"])
    assert "RecursionError" not in run.output
    assert "credential was refused" not in run.output
    for path, text in {**hostile.files_under(run.report_dir), "output": run.output}.items():
        assert TOKEN not in text, path


def test_a_gzip_bomb_stops_at_the_cap_fast(runs: dict[str, Future[hostile.SuiteRun]]) -> None:
    run = result(runs, BY_NAME["bomb"])
    assert run.seconds < 60 * SCALE, run.explain()


# -- the client and the engine, directly (no subprocess) -------------------------------------


def answer(body: bytes, *headers: str, status: str = "200 OK") -> Callable[..., None]:
    """A raw behaviour that reads one request and sends this answer, then hangs up."""

    def behave(conn: socket.socket, done: threading.Event) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(4096)
            if not chunk:
                return
            data += chunk
        head = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}", "Connection: close"]
        conn.sendall(("\r\n".join([*head, *headers]) + "\r\n\r\n").encode() + body)
        conn.close()

    return behave


def fetch(behave: Callable[..., None], timeout: float = 5.0) -> tuple[Response, float]:
    with (
        hostile.raw_server(behave) as url,
        Client(url, "/threads", auth=None, credential=None, timeout=timeout) as client,
    ):
        started = time.monotonic()
        response = client.get({})
        return response, time.monotonic() - started


JSON_TYPE = "Content-Type: application/json"
BODY = json.dumps({"threads": [{"id": "t1"}], "total": 1}).encode()


@pytest.mark.parametrize(
    ("coding", "packed"),
    [
        ("gzip", gzip.compress(BODY, mtime=0)),
        ("deflate", zlib.compress(BODY)),  # RFC 9110: zlib-wrapped
        ("deflate", zlib.compress(BODY)[2:-4]),  # raw deflate, as some servers send it
    ],
)
def test_a_compressed_body_is_decoded(coding: str, packed: bytes) -> None:
    response, _ = fetch(answer(packed, JSON_TYPE, f"Content-Encoding: {coding}"))
    assert response.error is None and response.body == json.loads(BODY)
    assert "content-encoding" not in response.headers  # what is kept is the decoded body


def test_a_gzip_bomb_stops_at_the_decoded_cap_without_inflating_it() -> None:
    started = time.monotonic()
    response, _ = fetch(answer(hostile.BOMB, JSON_TYPE, "Content-Encoding: gzip"))
    assert response.body is None and "larger than 2,000,000 bytes once decoded (gzip)" in (
        response.error or ""
    )
    assert time.monotonic() - started < 5 * SCALE


@pytest.mark.parametrize(
    ("coding", "packed", "says"),
    [
        (
            "gzip",
            gzip.compress(b"", mtime=0)[:10] + b"\xff\xffgarbage",
            "gzip body does not decode",
        ),
        ("gzip", gzip.compress(BODY, mtime=0)[:-12], "gzip body ends early"),
        ("br", b"\x0b\x02\x80{}\x03", "Content-Encoding 'br' was not asked for"),
    ],
)
def test_a_body_that_does_not_decode_is_an_error_not_a_crash(
    coding: str, packed: bytes, says: str
) -> None:
    response, _ = fetch(answer(packed, JSON_TYPE, f"Content-Encoding: {coding}"))
    assert response.status == 200 and response.body is None
    assert says in (response.error or ""), response.error


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b'{"total": NaN}', "NaN is not a JSON value"),
        (b'{"total": -Infinity}', "-Infinity is not a JSON value"),
        (b'{"total": 999999, "total": 57}', "the name 'total' appears twice"),
        (b'{"a":' * 150 + b"1" + b"}" * 150, "nested more than 100 levels deep"),
        (b"[" * 5000 + b"]" * 5000, "nested"),
    ],
)
def test_json_that_rfc_8259_or_the_depth_cap_refuses_is_reported(body: bytes, says: str) -> None:
    response, _ = fetch(answer(body, JSON_TYPE))
    assert response.status == 200 and response.body is None
    assert says in (response.error or ""), response.error


def test_json_within_the_rules_still_parses() -> None:
    nested = b'{"a":' * 90 + b"1" + b"}" * 90
    response, _ = fetch(answer(nested, JSON_TYPE))
    assert response.error is None and response.body is not None


def test_an_unknown_or_bytes_only_charset_falls_back_to_utf_8() -> None:
    for charset in ("hex", "no-such-charset", "base64"):
        response, _ = fetch(answer(BODY, f"{JSON_TYPE}; charset={charset}"))
        assert response.error is None and response.body == json.loads(BODY), charset


@pytest.mark.parametrize("behaviour", ["header-trickle", "endless-1xx"])
def test_one_deadline_covers_headers_and_1xx(behaviour: str) -> None:
    """Each read gets a byte or a 102 within the per-read timeout; only the deadline on
    the whole exchange ends them."""
    response, took = fetch(hostile.RAW_BEHAVIOURS[behaviour], timeout=1.5)
    assert response.status is None
    assert "no complete answer within 1.5 s" in (response.error or ""), response.error
    assert took < 4 * SCALE


def test_retry_waits_stop_at_the_run_deadline_and_the_retry_budget() -> None:
    slept: list[float] = []
    now = [0.0]

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers={"retry-after": "3600"}, json={})

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    client = Client(
        "http://127.0.0.1:9",
        "/threads",
        auth=None,
        credential=None,
        transport=httpx.MockTransport(handler),
        retry_budget=7.0,
        deadline=100.0,
        clock=lambda: now[0],
        sleep=sleep,
    )
    for _ in range(3):
        assert client.get({}).status == 429
    assert sum(slept) == pytest.approx(7.0)  # 5 s (the cap), then the 2 s left
    now[0] = 100.0
    with pytest.raises(DeadlineSpent):
        client.get({})


def crashing(ctx: ProbeContext) -> Iterator[Finding]:
    yield Finding.held("PAGE-FULL")
    raise KeyError("items")


def test_a_probe_that_crashes_fails_suite_error_and_hides_none_of_its_rules() -> None:
    contract = spec.load(spec.find("worker"))
    client = Client("http://127.0.0.1:9", "/api/threads", auth=None, credential=None)
    context = ProbeContext(contract, client, PROFILES["quick"], 0)
    fine = Probe("fine", ("HTTP-JSON",), lambda ctx: iter([Finding.held("HTTP-JSON")]))
    broken = Probe("broken", ("PAGE-FULL", "META-TOTAL"), crashing)
    engine = Engine(Target(contract, "http://127.0.0.1:9"), context, (fine, broken))
    engine.run_all()
    crash = engine.ledger.record(SUITE_ERROR)
    assert crash.status == "fail"
    message = crash.kept[0].message
    for part in ("probe broken crashed with KeyError", "test_robustness.py:", "please report"):
        assert part in message, message
    for rule in ("PAGE-FULL", "META-TOTAL"):  # not passed on a partial run, not vanished
        record = engine.ledger.record(rule)
        assert record.status == "skip" and "crashed" in record.reason
    assert engine.ledger.record("HTTP-JSON").status == "pass"


def test_a_page_of_450000_items_is_examined_up_to_the_cap() -> None:
    contract = spec.load(spec.find("worker"))
    body = {"threads": [{}] * 450_000, "total": 1, "hasMore": False}

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=body)

    client = Client(
        "http://127.0.0.1:9",
        "/api/threads",
        auth=None,
        credential=None,
        transport=httpx.MockTransport(handler),
    )
    context = ProbeContext(contract, client, PROFILES["quick"], 0)
    response = context.fetch({})
    kept = response.body["threads"]
    assert len(kept) == context.items_examined < 450_000
    assert response.items_dropped == 450_000 - len(kept)
    assert len(kept) > (contract.pagination.limit.maximum or 0)  # still shows as too long


@pytest.mark.parametrize(
    ("text", "inert"),
    [
        ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"),
        ("![p](http://e/p.png)", "\\!\\[p\\](http://e/p.png)"),
        ("@everyone", "&#64;everyone"),
        ("a | b\nc", "a \\| b c"),
        # A query reads as it was sent; only what would render as a character does not.
        ("GET /threads?limit=5&page=2", "GET /threads?limit=5&page=2"),
        ("&lt;script&gt; &#64;all", "&amp;lt;script&amp;gt; &\\#64;all"),
    ],
)
def test_markdown_escaping(text: str, inert: str) -> None:
    assert escape.markdown(text) == inert


def test_terminal_escaping_shows_control_characters() -> None:
    assert escape.terminal("a\x1b[2Jb\x07\n") == "a\\x1b[2Jb\\x07\n"


def test_a_read_that_got_no_answer_proves_nothing_about_determinism() -> None:
    # At --concurrency N, a target that stops answering leaves some probes holding one
    # answered read and one timed out: that is the target's state, not its order.
    from selftests import factories as f
    from threadconform.probes.context import ProbeContext
    from threadconform.probes.edges import _determinism
    from threadconform.profiles import PROFILES

    ctx = ProbeContext(
        f.contract(f.offset_pagination()), f.mock_client(lambda r: None), PROFILES["default"], 0
    )
    answered = f.page(["t1", "t2"])
    silent = f.page(status=None, error="GET /threads: no response within 1 s (read timeout)")
    for one, two in ((answered, silent), (silent, answered)):
        (found,) = _determinism(ctx, one, two)
        assert found.violation is None and found.skip is not None
        assert "no answer" in found.skip and "read timeout" in found.skip
    (failed,) = _determinism(ctx, answered, f.page(status=500, error="HTTP 500"))
    assert failed.violation is not None  # a status that changes between answers still fails
