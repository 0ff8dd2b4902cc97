"""The two real deployments of issue 12, reproduced on the reference servers, and what a
user of the suite now sees against each: exit status, the one line, the report entry.

Standard Agents worker (Cloudflare workerd): gzips every JSON answer; `limit=101` returns
101 rows; `limit=abc` is a 500; `limit=-1` returns every thread; `offset=-1` reports
`hasMore: true` on a complete listing; the `user_id` filter is ignored for non-admin
callers; a bearer token is needed although the doc names none.
Kortix backend (FastAPI + PostgreSQL): routes under `/v1`; `sandbox.token: null`; the SQL
text in a 500's body; and a user's wrong token.

Faults are run on more than one data set: a fault only visible on one would prove little.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

from selftests.hostile import ROOT, run_suite
from threadconform import options, reference
from threadconform.runner import Suite, Verdict


def guard(seconds: float) -> float:
    """A hang guard, scaled for slow machines (THREADCONFORM_TEST_TIMEOUT_SCALE)."""
    return seconds * float(os.environ.get("THREADCONFORM_TEST_TIMEOUT_SCALE", "1") or 1)


@contextmanager
def served(contract: str, **kwargs: object) -> Iterator[reference.RunningServer]:
    with reference.start(contract, **kwargs) as server:  # type: ignore[arg-type]
        yield server


def verdicts(
    server: reference.RunningServer, rules: Sequence[str], *, url: str | None = None
) -> dict[str, Verdict]:
    """Only these rules' verdicts, in process, as the pytest items would get them."""
    given = {
        "tc_contract": server.contract,
        "tc_base_url": url or server.url,
        "tc_profile": "quick",
        "tc_token": server.credentials.primary,
        "tc_second_token": server.credentials.secondary,
    }
    suite = Suite(options.resolve(given, environ={}), rootdir=ROOT, environ={})
    try:
        suite.prepare()
        return {rule: suite.verdict(server.contract, rule) for rule in rules}
    finally:
        suite.close()


def summary(report_dir: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((report_dir / "summary.json").read_text())
    return data


def outcomes(report_dir: Path) -> dict[str, str]:
    (target,) = summary(report_dir)["contracts"]  # type: ignore[misc]
    return {rule["id"]: rule["outcome"] for rule in target["rules"]}


# -- worker ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fault", [None, "500-on-bad-limit"])
def test_a_gzipping_worker_gets_the_same_verdicts_as_an_uncompressed_one(
    fault: str | None, tmp_path: Path
) -> None:
    seen = {}
    for compress in (None, "gzip"):
        with served("worker", threads=60, fault=fault, compress=compress) as server:
            report_dir = tmp_path / str(compress)
            run = run_suite(
                "--contract", "worker", "--base-url", server.url, "--profile", "quick",
                report_dir=report_dir, guard=guard(240),
            )  # fmt: skip
        assert run.returncode == (0 if fault is None else 1), run.explain()
        assert "DecodingError" not in run.output and "Traceback" not in run.output
        seen[compress] = outcomes(report_dir)
    assert seen["gzip"] == seen[None]
    if fault is not None:
        assert seen["gzip"]["HTTP-NO-5XX"] == "fail"
        assert seen["gzip"]["PARAM-INVALID-REJECTED"] == "pass"  # one cause, one rule


@pytest.mark.parametrize("threads", [30, 237])
def test_limit_minus_one_returning_everything_fails(threads: int) -> None:
    with served("worker", threads=threads, fault="negative-limit-unbounded") as server:
        found = verdicts(server, ["PARAM-INVALID-REJECTED", "HTTP-NO-5XX"])
    verdict = found["PARAM-INVALID-REJECTED"]
    assert verdict.outcome == "fail", verdict.reason
    assert "limit='-1' (below the minimum 1) got 200, which is no clamp" in verdict.report
    assert "as the answer for limit=1" in verdict.report
    assert found["HTTP-NO-5XX"].outcome == "pass"


@pytest.mark.parametrize("threads", [30, 237])
def test_offset_minus_one_must_report_has_more_as_offset_zero(threads: int) -> None:
    """At 237 threads no page of 100 holds the whole listing: the probe narrows it with an
    agent_id filter until it does, where a wrong hasMore shows."""
    with served("worker", threads=threads, fault="negative-offset-has-more") as server:
        verdict = verdicts(server, ["PARAM-INVALID-REJECTED"])["PARAM-INVALID-REJECTED"]
    assert verdict.outcome == "fail", verdict.reason
    assert "offset='-1'" in verdict.report and "as the answer for offset=0" in verdict.report
    assert "has-more = true, but no items follow" in verdict.report


def test_limit_101_returning_101_rows_fails() -> None:
    with served("worker", fault="limit-above-max-returns-more") as server:
        verdict = verdicts(server, ["PARAM-INVALID-REJECTED"])["PARAM-INVALID-REJECTED"]
    assert verdict.outcome == "fail"
    assert "limit='101' (above the maximum 100) got 200, which is no clamp" in verdict.report
    assert "holds 101 items" in verdict.report


def test_limit_abc_500_is_http_no_5xx_only() -> None:
    with served("worker", fault="500-on-bad-limit") as server:
        found = verdicts(server, ["HTTP-NO-5XX", "PARAM-INVALID-REJECTED", "PARAM-VALID-ACCEPTED"])
    assert found["HTTP-NO-5XX"].outcome == "fail"
    assert "limit='abc' (not a number) got a server error 500" in found["HTTP-NO-5XX"].report
    assert found["PARAM-INVALID-REJECTED"].outcome == "pass"
    assert found["PARAM-VALID-ACCEPTED"].outcome == "pass"


def test_a_clamping_worker_that_clamps_right_passes() -> None:
    with served("worker", threads=30, fault="clamp-out-of-range") as server:
        verdict = verdicts(server, ["PARAM-INVALID-REJECTED"])["PARAM-INVALID-REJECTED"]
    assert verdict.outcome == "pass", verdict.report


@pytest.mark.parametrize("threads", [60, 237])
def test_a_user_filter_ignored_for_non_admins_is_caught(threads: int) -> None:
    fault = "user-filter-ignored-for-non-admins"
    with served("worker", threads=threads, fault=fault) as server:
        verdict = verdicts(server, ["FILTER-EXACT"])["FILTER-EXACT"]
    assert verdict.outcome == "fail", verdict.reason
    assert "user_id" in verdict.report


def test_a_worker_demanding_an_undocumented_token_says_how_to_send_one(tmp_path: Path) -> None:
    with served("worker", fault="user-filter-ignored-for-non-admins") as server:
        run = run_suite(
            "--contract", "worker", "--base-url", server.url, report_dir=tmp_path,
            guard=guard(60),
        )  # fmt: skip
    assert run.returncode == 8, run.explain()
    line = (
        f"threadconform: the list endpoint demands a credential: GET {server.url}/api/threads "
        "answered 401 to a request without one although the spec documents no authentication; "
        "pass --token (sent as Authorization: Bearer <token>) or --header 'Name: value'"
    )
    assert line.removeprefix("threadconform: ") in run.output and "Traceback" not in run.output
    (target,) = summary(tmp_path)["contracts"]  # type: ignore[misc]
    assert target["unreachable"].startswith(line) and target["rules"] == []


def test_the_token_of_a_worker_demanding_one_is_sent_as_a_bearer_token(tmp_path: Path) -> None:
    with served("worker", threads=60, fault="user-filter-ignored-for-non-admins") as server:
        run = run_suite(
            "--contract", "worker", "--base-url", server.url, "-k", "HTTP-JSON",
            report_dir=tmp_path, guard=guard(120),
            env={"THREADCONFORM_TOKEN": server.credentials.primary or ""},
        )  # fmt: skip
    assert run.returncode == 0, run.explain()
    assert outcomes(tmp_path)["HTTP-JSON"] == "pass"


def test_a_credential_sent_with_header_is_used_and_redacted_everywhere(tmp_path: Path) -> None:
    fault = "user-filter-ignored-for-non-admins"
    with served("worker", threads=60, fault=fault) as server:
        token = server.credentials.primary or ""
        run = run_suite(
            "--contract", "worker", "--base-url", server.url, "--profile", "quick",
            "-k", "FILTER-EXACT", report_dir=tmp_path, guard=guard(120),
            env={"THREADCONFORM_HEADERS": f"Authorization: Bearer {token}\nX-Trace: on-9f"},
        )  # fmt: skip
    assert run.returncode == 1, run.explain()  # the filter is caught with a value of no one's
    assert "-H 'Authorization: ***'" in run.output and "-H 'X-Trace: ***'" in run.output
    written = [run.output, *(p.read_text() for p in tmp_path.rglob("*") if p.is_file())]
    assert not [text for text in written if token in text or "on-9f" in text]


def test_an_empty_token_is_no_token(tmp_path: Path) -> None:
    with served("worker", threads=30) as server:
        run = run_suite(
            "--contract", "worker", "--base-url", server.url, "--token", "",
            "--second-token", "", "-k", "HTTP-JSON", report_dir=tmp_path, guard=guard(120),
        )  # fmt: skip
    assert run.returncode == 0, run.explain()
    assert outcomes(tmp_path)["HTTP-JSON"] == "pass"


def test_a_bad_header_option_is_exit_4_naming_it(tmp_path: Path) -> None:
    run = run_suite(
        "--contract", "worker", "--base-url", "http://127.0.0.1:9", "--header", "X-Key s3cr3t",
        report_dir=tmp_path, guard=guard(60),
    )  # fmt: skip
    assert run.returncode == 4, run.explain()
    assert "--header: entry 1 is not 'Name: value'" in run.output
    assert "s3cr3t" not in run.output


def test_the_worker_as_found_fails_on_each_of_its_five_defects(tmp_path: Path) -> None:
    """The whole real worker at once, gzip included (700 threads: the caller's own
    listing must outgrow a page of 100 for limit=101 to show)."""
    fault = "workerd-as-found"
    with served("worker", threads=700, fault=fault, compress="gzip") as server:
        run = run_suite(
            "--contract", "worker", "--base-url", server.url, "--profile", "quick",
            report_dir=tmp_path, guard=guard(240),
            env={
                "THREADCONFORM_TOKEN": server.credentials.primary or "",
                "THREADCONFORM_SECOND_TOKEN": server.credentials.secondary or "",
            },
        )  # fmt: skip
    assert run.returncode == 1, run.explain()
    (target,) = summary(tmp_path)["contracts"]  # type: ignore[misc]
    failed = {r["id"]: r for r in target["rules"] if r["outcome"] == "fail"}
    assert set(failed) == {"HTTP-NO-5XX", "PARAM-INVALID-REJECTED", "FILTER-EXACT"}
    shown = {rule: " | ".join(v["message"] for v in r["violations"]) for rule, r in failed.items()}
    assert "limit='abc' (not a number) got a server error 500" in shown["HTTP-NO-5XX"]
    for value in ("limit='101'", "limit='-1'", "offset='-1'"):
        assert f"{value} (" in shown["PARAM-INVALID-REJECTED"], value
    assert "fetched with user_id=user_def456" in shown["FILTER-EXACT"]


# -- kortix ----------------------------------------------------------------------------------


def test_kortix_under_v1_at_the_root_is_exit_7_naming_the_prefix(tmp_path: Path) -> None:
    with served("kortix", threads=40, prefix="/v1") as server:
        run = run_suite(
            "--contract", "kortix", "--base-url", server.url, report_dir=tmp_path,
            guard=guard(60), env={"THREADCONFORM_TOKEN": server.credentials.primary or ""},
        )  # fmt: skip
    assert run.returncode == 7, run.explain()
    line = (
        f"threadconform: the list endpoint answered 404 at {server.url}/threads; the list "
        f"route is /threads; if the server serves it under a prefix, add the prefix to "
        f"--base-url (e.g. {server.url}/v1)"
    )
    assert line.removeprefix("threadconform: ") in run.output
    # No rule is judged against a 404 route: none passes, none is blamed; only the
    # target's SETUP item fails, so junit.xml alone shows the run did not pass.
    assert " passed" not in run.output
    failed = re.findall(r"^FAILED \S+\[[^\]]*::([A-Z0-9-]+)\]", run.output, re.M)
    assert failed == ["SETUP"], run.explain()
    data = summary(tmp_path)
    (target,) = data["contracts"]  # type: ignore[misc]
    assert data["verdict"] == "error" and target["unreachable"].startswith(line)
    assert target["rules"] == []  # no rule was judged, none "held"
    assert "the list endpoint answered 404" in (tmp_path / "summary.md").read_text()


def test_kortix_under_v1_passes_with_the_prefix_in_the_base_url(tmp_path: Path) -> None:
    with served("kortix", threads=40, prefix="/v1", compress="gzip") as server:
        run = run_suite(
            "--contract", "kortix", "--base-url", server.url + "/v1", "--profile", "quick",
            report_dir=tmp_path, guard=guard(240),
            env={
                "THREADCONFORM_TOKEN": server.credentials.primary or "",
                "THREADCONFORM_SECOND_TOKEN": server.credentials.secondary or "",
            },
        )  # fmt: skip
    assert run.returncode == 0, run.explain()


def test_a_wrong_kortix_token_is_exit_8_not_a_server_failure(tmp_path: Path) -> None:
    with served("kortix", threads=40) as server:
        run = run_suite(
            "--contract", "kortix", "--base-url", server.url, report_dir=tmp_path,
            guard=guard(60),
            env={
                "THREADCONFORM_TOKEN": "not-the-kortix-token",
                "THREADCONFORM_SECOND_TOKEN": server.credentials.secondary or "",
            },
        )  # fmt: skip
    assert run.returncode == 8, run.explain()
    assert "the credential was refused: GET " in run.output
    assert "answered 401 with the configured credential" in run.output
    assert "TENANT-FILTER" not in run.output and "not-the-kortix-token" not in run.output
    (target,) = summary(tmp_path)["contracts"]  # type: ignore[misc]
    assert target["rules"] == [] and "the credential was refused" in target["unreachable"]


@pytest.mark.parametrize("threads", [40, 237])
def test_a_null_sandbox_token_is_a_should_warning_naming_the_path(threads: int) -> None:
    with served("kortix", threads=threads, fault="sandbox-token-null") as server:
        found = verdicts(server, ["SCHEMA-RESPONSE", "SCHEMA-EXAMPLE"])
    assert found["SCHEMA-RESPONSE"].outcome == "pass", found["SCHEMA-RESPONSE"].report
    example = found["SCHEMA-EXAMPLE"]
    assert (example.severity, example.outcome) == ("SHOULD", "warn")
    assert ".project.sandbox.token: None is not of type 'string'" in example.report


def test_kortix_sql_in_a_500_body_is_shown_as_such() -> None:
    with served("kortix", threads=40, fault="500-sql-on-huge-page") as server:
        verdict = verdicts(server, ["HTTP-NO-5XX"])["HTTP-NO-5XX"]
    assert verdict.outcome == "fail"
    assert "page=2147483648 (valid: no maximum is documented) got a server error 500" in (
        verdict.report
    )
    assert "the body exposes the server's internals" in verdict.report
    assert "[SQL: SELECT" in verdict.report
