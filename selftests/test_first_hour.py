"""Issue 22, what a user sees in their first hour: setup mistakes named by their cause (one
item, one line, no traceback chain), hints that say which part of the URL to change, the
preflight's requests counted, and `--base-url` alone finding the contracts it serves."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from selftests.factories import BASE, mock_client
from selftests.hostile import SuiteRun, run_suite
from selftests.walk_run import run_engine
from threadconform import preflight, reference
from threadconform.outcomes import NotFound, NotTheApi

FAILED = re.compile(r"^FAILED \S+\[[^\]]*::([A-Z0-9-]+)\]", re.M)


def _summary(run: SuiteRun) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((run.report_dir / "summary.json").read_text())
    return data


# -- the hint: which part of --base-url to change ----------------------------------------


def test_a_wrong_prefix_is_told_to_go_not_to_grow() -> None:
    hint = preflight.route_hint("http://h:1/v9", "http://h:1/v9/api/threads")
    assert "remove /v9 from --base-url (e.g. http://h:1)" in hint
    assert "/v9/v1" not in hint and "the list route is /api/threads" in hint


def test_a_prefix_the_spec_path_already_holds_is_named() -> None:
    hint = preflight.route_hint("http://h:1/api", "http://h:1/api/api/threads")
    assert hint.startswith("the spec's route /api/threads already starts with /api")
    assert "remove /api from --base-url (e.g. http://h:1)" in hint


def test_a_root_url_is_told_it_may_need_a_prefix() -> None:
    hint = preflight.route_hint("http://h:1", "http://h:1/threads")
    assert "add the prefix to --base-url (e.g. http://h:1/v1)" in hint


def test_a_web_page_on_the_list_route_is_not_the_api() -> None:
    def page(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<html>hi</html>", headers={"content-type": "text/html"})

    with mock_client(page) as client, pytest.raises(NotFound) as raised:
        preflight.check(client, BASE)
    assert isinstance(raised.value, NotTheApi) and raised.value.exit_status == 7
    assert raised.value.cause == "not the API"
    message = str(raised.value)
    assert f"GET {BASE}/threads answered 200 text/html, not the JSON list" in message
    assert f"--base-url {BASE} is not the API's root" in message


# -- what a run shows ------------------------------------------------------------------------


def test_a_wrong_prefix_fails_one_setup_item_with_one_line(tmp_path: Path) -> None:
    with reference.start("worker", threads=20) as server:
        run = run_suite(
            "--contract", "worker", "--base-url", server.url + "/v9", report_dir=tmp_path
        )  # fmt: skip
    assert run.returncode == 7, run.explain()
    assert FAILED.findall(run.output) == ["SETUP"], run.explain()
    assert "During handling of the above exception" not in run.output
    assert "Traceback" not in run.output
    assert "threadconform: not found: the list endpoint answered 404" in run.output
    assert "remove /v9 from --base-url" in run.output
    data = _summary(run)
    (target,) = data["contracts"]
    assert target["setup"] == "not found" and target["requests"] == 1  # the preflight's
    markdown = (tmp_path / "summary.md").read_text()
    assert "## worker: not found" in markdown and "## worker: unreachable" not in markdown


def test_a_refused_credential_is_headlined_as_such_with_its_requests(tmp_path: Path) -> None:
    with reference.start("kortix", threads=20) as server:
        run = run_suite(
            "--contract", "kortix", "--base-url", server.url, "--token", "not-the-token",
            report_dir=tmp_path,
        )  # fmt: skip
    assert run.returncode == 8, run.explain()
    assert FAILED.findall(run.output) == ["SETUP"], run.explain()
    assert "threadconform: credential refused: the credential was refused" in run.output
    (target,) = _summary(run)["contracts"]
    assert target["setup"] == "credential refused"
    assert target["requests"] == 2  # with the credential and without: the server saw both
    assert "## kortix: credential refused" in (tmp_path / "summary.md").read_text()


def test_a_base_url_without_a_contract_runs_the_contracts_it_serves(tmp_path: Path) -> None:
    with reference.start("kortix", threads=20) as server:
        run = run_suite(
            "--base-url", server.url, "--token", server.credentials.primary or "",
            "-k", "SETUP or HTTP-JSON", report_dir=tmp_path,
        )  # fmt: skip
    assert run.returncode == 0, run.explain()
    said = f"threadconform: no --contract given: {server.url} serves the list route of kortix"
    assert said in run.output, run.explain()
    assert [t["name"] for t in _summary(run)["contracts"]] == ["kortix"]


# -- B: waivers to tidy, and the suite's own --tc-strict --------------------------------------


def test_tc_strict_and_pytest_strict_and_the_variable_each_turn_strict_on() -> None:
    from threadconform.options import resolve

    assert resolve({"tc_strict": True}, {}).strict
    assert resolve({"strict": True}, {}).strict
    assert resolve({}, {"THREADCONFORM_STRICT": "1"}).strict
    assert not resolve({}, {}).strict


def test_a_waiver_no_longer_needed_is_a_note_and_fails_under_tc_strict(tmp_path: Path) -> None:
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(
        "- {contract: worker, rule: HTTP-JSON, reason: TICKET-1, expires: 2099-01-01}\n"
    )
    common = ("--contract", "worker", "--profile", "quick", "-k", "SETUP or HTTP-JSON")
    run = run_suite(*common, "--waivers", str(waivers), report_dir=tmp_path / "plain")
    note = f"waiver {waivers} entry 1 (worker HTTP-JSON) is no longer needed: the rule holds"
    assert run.returncode == 0, run.explain()
    assert f"threadconform: SHOULD: {note}" in run.output, run.explain()
    assert "each target also has a SETUP item (its preflight)" in run.output  # 2 passed, 1 row
    assert _summary(run)["waiver_notes"] == [note + "; remove it"]
    assert "## waivers to tidy (SHOULD)" in (run.report_dir / "summary.md").read_text()
    strict = run_suite(
        *common, "--waivers", str(waivers), "--tc-strict", report_dir=tmp_path / "strict"
    )
    assert strict.returncode == 1, strict.explain()
    assert _summary(strict)["verdict"] == "fail"


def test_threadconform_run_help_starts_with_the_suites_options() -> None:
    from threadconform.cli import suite_help

    text = suite_help()
    assert text.startswith("usage: threadconform run [suite options] [pytest options]")
    assert "--tc-strict" in text and "[env THREADCONFORM_STRICT]" in text


# -- D: evidence verbatim ---------------------------------------------------------------------


def test_a_curl_line_keeps_its_two_spaces_in_summary_md() -> None:
    from threadconform.escape import code_span

    curl = "curl -sS 'http://h/threads?limit=2&page=3' -H 'Authorization: Bearer  ***'"
    assert code_span(curl) == f"`{curl}`"
    assert code_span("line one\nline two") == "`line one\\nline two`"


# -- C: the table says why pytest's counts differ ---------------------------------------------


def test_the_table_says_why_pytests_counts_differ() -> None:
    from threadconform import reports

    assert reports.PYTEST_COUNTS.startswith("pytest's counts differ by design: each target")
    assert "SETUP item" in reports.PYTEST_COUNTS and "warned" in reports.PYTEST_COUNTS


def test_an_order_failure_says_which_timestamp_the_items_are_in() -> None:
    """Issue 22.D: a listing sorted by last activity instead of creation is told so, end
    to end: walks keep the items' moment-named fields for the hint."""
    with reference.start("kortix", threads=151, seed=1, fault="sorted-by-updated-at") as server:
        record = run_engine("kortix", server).record("ORDER-SORTED")
    assert record.status == "fail"
    assert "The items are in `updated_at` order (descending)." in record.kept[0].message
    with reference.start("kortix", threads=151, seed=1) as server:
        assert run_engine("kortix", server).record("ORDER-SORTED").status == "pass"
