"""The security rules end to end: each reference fault produces its warning (on more than
one dataset), conforming servers produce none, --strict turns a warning into a failure,
and the reports carry a "security" section without a secret in it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from selftests.test_reports import SuiteRun
from selftests.test_suite_cli import run_suite
from threadconform import reference, spec
from threadconform.client import Client
from threadconform.engine import Engine, ProbeContext, Target
from threadconform.ledger import RuleRecord
from threadconform.probes.registry import PROBES
from threadconform.profiles import PROFILES

SECURITY_RULES = (
    "SEC-ITEM-CREDENTIALS",
    "SEC-AUTH-SCHEME-CASE",
    "SEC-AUTH-WHITESPACE",
    "SEC-AUTH-NOT-IN-QUERY",
    "SEC-AUTH-SECOND-HEADER",
    "SEC-ERROR-INTERNALS",
)
DATASETS = ({"threads": 40, "seed": 0}, {"threads": 237, "seed": 7})


@contextmanager
def engine_for(
    contract: str, fault: str | None = None, *, token: bool = True, **data: int
) -> Iterator[Engine]:
    """An engine on an in-process reference server (with `fault`), as a run builds it."""
    with reference.start(contract, fault=fault, **data) as server:
        loaded = spec.load(spec.find(contract))
        credential = server.credentials.primary if token else None
        client = Client(server.url, loaded.endpoint, auth=loaded.auth, credential=credential)
        context = ProbeContext(loaded, client, PROFILES["quick"], 0, server.credentials.secondary)
        try:
            yield Engine(Target(loaded, server.url, credential), context, PROBES)
        finally:
            client.close()


FAULTS = [
    ("kortix", "sql-in-500-beyond-bigint", "SEC-ERROR-INTERNALS", "SQL text"),
    ("kortix", "sql-in-500-beyond-bigint", "HTTP-NO-5XX", "got 500"),
    ("aitronos", "stack-trace-in-400", "SEC-ERROR-INTERNALS", "a stack trace"),
    ("freddy", "stack-trace-in-400", "SEC-ERROR-INTERNALS", "a server file path"),
    ("worker", "stack-trace-in-400", "SEC-ERROR-INTERNALS", "a stack trace"),
    ("kortix", "credential-in-items", "SEC-ITEM-CREDENTIALS", "item field api_key"),
    ("chat", "credential-in-items", "SEC-ITEM-CREDENTIALS", "item field api_key"),
    ("worker", "credential-in-items", "SEC-ITEM-CREDENTIALS", "item field api_key"),
    ("kortix", "bearer-scheme-case-sensitive", "SEC-AUTH-SCHEME-CASE", "lower case"),
    ("freddy", "bearer-scheme-case-sensitive", "SEC-AUTH-SCHEME-CASE", "lower case"),
    ("kortix", "bearer-split-on-one-space", "SEC-AUTH-WHITESPACE", "two spaces"),
    ("kortix", "credential-in-query-accepted", "SEC-AUTH-NOT-IN-QUERY", "access_token=***"),
    ("aitronos", "credential-in-query-accepted", "SEC-AUTH-NOT-IN-QUERY", "api_key=***"),
    ("kortix", "api-key-header-checked-first", "SEC-AUTH-SECOND-HEADER", "X-API-Key"),
    ("kortix", "api-key-header-switches-account", "SEC-AUTH-SECOND-HEADER", "who the caller"),
]


def _text(record: RuleRecord) -> str:
    return "\n".join(
        f"{v.message} | {v.expected} | {v.actual} | " + " ".join(r.curl() for r in v.evidence)
        for v in record.kept
    )


@pytest.mark.parametrize("data", DATASETS, ids=lambda d: f"{d['threads']}-threads")
@pytest.mark.parametrize(("contract", "fault", "rule", "says"), FAULTS)
def test_each_security_fault_is_reported_by_its_rule(
    contract: str, fault: str, rule: str, says: str, data: dict[str, int]
) -> None:
    with engine_for(contract, fault, **data) as engine:
        record = engine.record(rule)
        secrets = [engine.target.token or "", engine.context.second_token or ""]
    assert record.status == "fail", record.reason
    text = _text(record)
    assert says in text
    assert not any(secret and secret in text for secret in secrets)
    assert rule in reference.faults(contract)[fault].breaks


def test_the_sql_leak_is_quoted_redacted_with_the_curl() -> None:
    with engine_for("kortix", "sql-in-500-beyond-bigint") as engine:
        record = engine.record("SEC-ERROR-INTERNALS")
    violation = record.kept[0]
    assert violation.message.startswith(
        "the 500 body reveals SQL text, its bound parameters, a driver or ORM error class"
    )
    assert "psycopg.errors.NumericValueOutOfRange" in violation.actual
    assert "[parameters: {'account_id_1': ***" in violation.actual
    assert "7b1e7c52" not in violation.actual  # the account id in the parameters
    assert "page=9223372036854775808" in violation.evidence[0].curl()


@pytest.mark.parametrize("data", DATASETS, ids=lambda d: f"{d['threads']}-threads")
@pytest.mark.parametrize("contract", reference.CONTRACTS)
def test_a_conforming_server_raises_no_security_finding(
    contract: str, data: dict[str, int]
) -> None:
    with engine_for(contract, **data) as engine:
        records = {rule: engine.record(rule) for rule in SECURITY_RULES}
    assert {rule: r.reason for rule, r in records.items() if r.status == "fail"} == {}
    assert records["SEC-ITEM-CREDENTIALS"].status == "pass"
    assert records["SEC-ERROR-INTERNALS"].status == "pass"
    # scanned: the 4xx to a limit beyond int64, and the 401s where there is auth
    least = 2 if contract in ("kortix", "aitronos", "freddy") else 1
    assert records["SEC-ERROR-INTERNALS"].checks >= least
    if contract in ("kortix", "freddy"):
        assert all(records[rule].status == "pass" for rule in SECURITY_RULES)


def test_kortix_sandbox_credentials_are_named_as_documented_not_warned() -> None:
    with engine_for("kortix") as engine:
        record = engine.record("SEC-ITEM-CREDENTIALS")
    assert record.status == "pass"
    assert "documented exposure" in record.reason
    assert "project.sandbox.pass in" in record.reason
    assert "project.sandbox.token in" in record.reason


def test_undocumented_kortix_sandbox_credentials_would_warn(monkeypatch) -> None:
    """Without items.documented_credentials the same fields are a violation: the note is
    what the spec entry buys, not a blind spot of the scanner."""
    import dataclasses

    loaded = spec.load(spec.find("kortix"))
    items = dataclasses.replace(loaded.pagination.items, documented_credentials=())
    bare = dataclasses.replace(
        loaded, pagination=dataclasses.replace(loaded.pagination, items=items)
    )
    monkeypatch.setattr(spec, "load", lambda path: bare)
    with engine_for("kortix") as engine:
        record = engine.record("SEC-ITEM-CREDENTIALS")
    assert record.status == "fail"
    assert {v.message.split()[2] for v in record.kept} == {
        "project.sandbox.pass",
        "project.sandbox.token",
    }


def test_an_empty_listing_skips_the_item_rule() -> None:
    with engine_for("worker", threads=0) as engine:
        record = engine.record("SEC-ITEM-CREDENTIALS")
    assert record.status == "skip" and "empty" in record.reason


def test_auth_edge_cases_skip_without_documented_auth_or_a_token() -> None:
    with engine_for("chat", token=False) as engine:
        record = engine.record("SEC-AUTH-SCHEME-CASE")
    assert record.status == "skip" and "no authentication" in record.reason
    with engine_for("kortix", token=False) as engine:
        record = engine.record("SEC-AUTH-NOT-IN-QUERY")
    assert record.status == "skip" and "--token" in record.reason


def test_a_target_that_needs_no_credential_proves_nothing_about_variants() -> None:
    with engine_for("kortix", "auth-not-required") as engine:
        record = engine.record("SEC-AUTH-NOT-IN-QUERY")
    assert record.status == "skip" and "without any credential" in record.reason


def test_the_security_probes_cost_a_few_requests() -> None:
    """Measured: what the security rules add to a run, per contract (see the report)."""
    for contract in reference.CONTRACTS:
        with engine_for(contract) as engine:
            for rule in SECURITY_RULES:
                engine.record(rule)
            assert engine.requests_sent <= 11, (contract, engine.requests_sent)


# --- the gate and the reports, as a user runs the suite -------------------------------


def _run(tmp: Path, fault: str | None, *extra: str) -> SuiteRun:
    with reference.start("kortix", fault=fault) as server:
        primary, secondary = server.credentials.primary, server.credentials.secondary
        assert primary and secondary
        env = {"THREADCONFORM_TOKEN": primary, "THREADCONFORM_SECOND_TOKEN": secondary}
        result = run_suite(
            "tests/test_http.py", "tests/test_security.py", "--contract", "kortix",
            "--base-url", server.url, "--profile", "quick", "--report-dir", str(tmp), *extra,
            env=env,
        )  # fmt: skip
        return SuiteRun(result, tmp, server.url, (primary, secondary))


def _security(run: SuiteRun) -> dict[str, dict]:
    return {rule["id"]: rule for rule in run.summary()["security"][0]["rules"]}


@pytest.mark.parametrize("fault", ["bearer-scheme-case-sensitive", "credential-in-items"])
def test_a_security_warning_fails_the_run_only_under_strict(tmp_path: Path, fault: str) -> None:
    rule = reference.faults("kortix")[fault].breaks[0]
    lenient = _run(tmp_path / "lenient", fault)
    assert lenient.result.returncode == 0, lenient.output
    assert _security(lenient)[rule]["outcome"] == "warn"
    strict = _run(tmp_path / "strict", fault, "--strict")
    assert strict.result.returncode == 1, strict.output
    assert _security(strict)[rule]["outcome"] == "fail"
    assert "(SHOULD rule failed under --strict)" in strict.output


def test_conforming_kortix_passes_strict_with_the_documented_fields_named(
    tmp_path: Path,
) -> None:
    run = _run(tmp_path, None, "--strict")
    assert run.result.returncode == 0, run.output
    rules = _security(run)
    assert set(rules) == set(SECURITY_RULES)
    assert {r["outcome"] for r in rules.values()} == {"pass"}
    assert "documented exposure" in rules["SEC-ITEM-CREDENTIALS"]["reason"]
    assert "## Security" in run.text("summary.md")
    assert "documented exposure" in run.text("summary.md")
    assert 'id="security"' in run.text("report.html")


def test_the_sql_leak_reaches_every_report_redacted(tmp_path: Path) -> None:
    run = _run(tmp_path, "sql-in-500-beyond-bigint")
    assert run.result.returncode == 1, run.output  # the 500 itself is a MUST (HTTP-NO-5XX)
    rule = _security(run)["SEC-ERROR-INTERNALS"]
    assert rule["outcome"] == "warn"
    assert "psycopg.errors.NumericValueOutOfRange" in rule["violations"][0]["actual"]
    for name in ("summary.json", "summary.md", "report.html", "junit.xml"):
        text = run.text(name)
        assert "7b1e7c52-3f0a" not in text, name
        assert not any(secret in text for secret in run.secrets), name
    assert "psycopg.errors.NumericValueOutOfRange" in run.text("summary.md")


def test_a_spec_can_raise_a_security_rule_to_must(tmp_path: Path) -> None:
    text = (spec.SPEC_DIR / "kortix.yaml").read_text()
    raised = text.replace(
        "        rules:\n", "        rules:\n          SEC-AUTH-SCHEME-CASE: MUST\n", 1
    )
    assert raised != text
    (tmp_path / "kortix.yaml").write_text(raised)
    with reference.start("kortix", fault="bearer-scheme-case-sensitive") as server:
        env = {"THREADCONFORM_TOKEN": server.credentials.primary or ""}
        result = run_suite(
            "tests/test_security.py", "--spec", str(tmp_path / "kortix.yaml"),
            "--base-url", server.url, "--report-dir", str(tmp_path / "reports"), env=env,
        )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    assert "SEC-AUTH-SCHEME-CASE" in result.stdout


def test_a_credential_sent_in_the_query_is_redacted_in_every_form() -> None:
    """SEC-AUTH-NOT-IN-QUERY puts the token in a URL: its percent-encoded form is a secret."""
    token = "ab+cd/ef=gh"
    client = Client("http://127.0.0.1:9", "/x", auth=None, credential=token)
    assert client.redact("GET /x?access_token=ab%2Bcd%2Fef%3Dgh and ab+cd/ef=gh") == (
        "GET /x?access_token=*** and ***"
    )


def test_the_second_header_check_tells_another_caller_from_shuffled_ties() -> None:
    from threadconform.probes.security import _same_caller

    assert _same_caller([], [])
    assert _same_caller(["a", "b", "c", "d"], ["a", "b", "d", "e"])  # a tie swapped at the edge
    assert not _same_caller(["a", "b", "c"], ["x", "y", "z"])  # another tenant's page
    assert not _same_caller(["a", "b"], [])
