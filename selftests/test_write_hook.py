"""--write-hook: a keyset walk proven stable under an insert made on purpose (issue 19.6).

A conforming keyset server keeps the walk whole; a server whose cursor is really an
offset (right on a frozen table) repeats a thread once one is created between pages.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import httpx

from selftests.factories import contract, cursor_pagination, cursor_server, mock_client, threads
from threadconform.ledger import Finding
from threadconform.probes.context import ProbeContext
from threadconform.probes.write_hook import command_hook, write_hook
from threadconform.profiles import PROFILES


def _offset_cursor_server(data: list[dict[str, Any]]) -> Callable[..., httpx.Response]:
    """`after=<id>` read as "the position that id had when first listed": an offset in
    disguise, as a token that encodes an offset is."""
    serve = cursor_server(data)
    place: dict[str, int] = {}

    def handle(request: httpx.Request) -> httpx.Response:
        for index, thread in enumerate(data):
            place.setdefault(thread["id"], index)
        after = request.url.params.get("after")
        if after is None:
            return serve(request)
        start = place[after] + 1
        params = {"limit": request.url.params["limit"], "after": data[start - 1]["id"]}
        return serve(httpx.Request("GET", request.url.copy_with(params=params)))

    return handle


def _context(offset_cursor: bool, hook: Callable[[list[dict[str, Any]]], str | None] | None):  # type: ignore[no-untyped-def]
    data = threads(24, "cursor")
    handler = _offset_cursor_server(data) if offset_cursor else cursor_server(data)

    def insert() -> str | None:
        fresh = threads(1, "cursor")[0]
        fresh["id"] = "thrd_created_by_hook"
        data.insert(0, fresh)
        return None

    client = mock_client(handler)
    chosen = None if hook is None else (lambda: hook(data) or insert())
    return ProbeContext(
        contract(cursor_pagination()), client, PROFILES["default"], 0, write_hook=chosen
    )


def _outcome(found: list[Finding]) -> tuple[str, str]:
    (finding,) = found
    if finding.skip:
        return "skip", finding.skip
    if finding.violation:
        return "fail", finding.violation.message
    return "held", ""


def test_a_keyset_walk_stays_whole_when_a_thread_is_created_between_its_pages() -> None:
    ctx = _context(False, lambda data: None)
    assert _outcome(list(write_hook.run(ctx)))[0] == "held"
    assert ctx.live.changed and "thrd_created_by_hook" in ctx.live.total.new


def test_a_cursor_that_is_an_offset_repeats_a_thread_once_one_is_created() -> None:
    ctx = _context(True, lambda data: None)
    outcome, message = _outcome(list(write_hook.run(ctx)))
    assert outcome == "fail" and "the walk repeated" in message


def test_without_a_hook_the_rule_is_not_asked_for() -> None:
    found = list(write_hook.run(_context(False, None)))
    assert {f.rule for f in found} == {"WALK-KEYSET-UNDER-WRITES", "WALK-HOLDS-PLACE"}
    for finding in found:
        outcome, reason = _outcome([finding])
        assert outcome == "skip" and "--write-hook" in reason


def test_a_failing_hook_judges_nothing() -> None:
    ctx = _context(False, lambda data: "the write hook exited 3 (its output is not shown)")
    outcome, reason = _outcome(list(write_hook.run(ctx)))
    assert outcome == "skip" and "exited 3" in reason


def test_the_command_hook_reports_its_exit_status_not_its_output() -> None:
    failing = command_hook(f"{sys.executable} -c 'print(\"secret\"); raise SystemExit(3)'")
    assert failing() == "the write hook exited 3 (its output is not shown)"
    assert command_hook(f"{sys.executable} -c 'pass'")() is None
    assert "could not run" in (command_hook("/nonexistent/hook")() or "")
