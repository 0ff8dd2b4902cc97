"""Waivers: the file format and its errors, the gate's arithmetic, and a real run in
which a waived failure passes, an expired waiver fails and a typo is a usage error."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from selftests.test_report_types import assert_shape
from selftests.test_suite_cli import run_suite
from threadconform import reference, rules, waivers
from threadconform.runner import gate

CONTRACTS = ("aitronos", "chat", "freddy", "kortix", "worker")
TODAY = date(2025, 6, 1)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "waivers.yaml"
    path.write_text(text)
    return path


def load(path: Path, targets: tuple[str, ...] = ()) -> tuple[waivers.Waiver, ...]:
    return waivers.load(path, CONTRACTS, rules.BY_ID, targets)


ONE = """\
- contract: kortix
  rule: META-PAGES
  reason: pages rounds down (TICKET-1)
  expires: 2025-06-30
"""


# -- loading -------------------------------------------------------------------------------------


def test_load_reads_entries_with_their_place(tmp_path: Path) -> None:
    (waiver,) = load(write(tmp_path, ONE))
    assert (waiver.contract, waiver.rule, waiver.expires) == (
        "kortix",
        "META-PAGES",
        date(2025, 6, 30),
    )
    assert waiver.where.endswith("waivers.yaml entry 1")
    assert waivers.find([waiver], "kortix", "kortix", "META-PAGES") == waiver
    assert waivers.find([waiver], "kortix", "kortix", "META-TOTAL") is None


def test_load_accepts_a_quoted_date_and_an_empty_file(tmp_path: Path) -> None:
    (waiver,) = load(write(tmp_path, ONE.replace("2025-06-30", '"2025-06-30"')))
    assert waiver.expires == date(2025, 6, 30)
    assert load(write(tmp_path, "")) == ()


def test_load_prefers_a_waiver_for_the_target(tmp_path: Path) -> None:
    text = ONE + ONE.replace("expires", "target: eu\n  expires").replace("06-30", "07-31")
    general, specific = load(write(tmp_path, text), targets=("eu",))
    assert waivers.find([general, specific], "eu", "kortix", "META-PAGES") == specific
    assert waivers.find([general, specific], "us", "kortix", "META-PAGES") == general


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (ONE.replace("META-PAGES", "META-PAGE"), "entry 1 (kortix::META-PAGE): unknown rule"),
        (ONE.replace("META-PAGES", "META-PAGE"), "did you mean 'META-PAGES'"),
        (ONE.replace("kortix", "kortx"), "unknown contract 'kortx'; did you mean 'kortix'"),
        (ONE.replace("2025-06-30", "June 30"), "expires 'June 30' is not a date; write it as"),
        (ONE.replace("2025-06-30", "2025-02-30"), "expires '2025-02-30' is not a date"),
        (ONE.replace("  reason: pages rounds down (TICKET-1)\n", ""), "entry 1: missing reason"),
        (ONE + "  owner: me\n", "unknown key(s) owner"),
        (ONE + ONE, "entry 2 (kortix::META-PAGES): waives kortix::META-PAGES again"),
        ("contract: kortix\n", "expected a YAML list of waivers"),
        ("- [kortix]\n", "entry 1: expected a mapping"),
        ("- {contract: [\n", "not valid YAML"),
        (ONE.replace("expires", "target: eu\n  expires"), "unknown target 'eu'"),
    ],
)
def test_a_bad_file_names_the_file_and_entry(tmp_path: Path, text: str, says: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(waivers.WaiverError) as caught:
        load(path)
    assert str(caught.value).startswith(f"{path}: "), caught.value
    assert says in str(caught.value)


def test_a_missing_file_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(waivers.WaiverError, match=r"nope\.yaml: cannot read the waivers file"):
        load(tmp_path / "nope.yaml")


# -- the gate -----------------------------------------------------------------------------------


def test_gate_waives_until_the_last_day_inclusive(tmp_path: Path) -> None:
    (waiver,) = load(write(tmp_path, ONE))
    assert gate("fail", "MUST", False, waiver, date(2025, 6, 30)) == "waived"
    assert gate("fail", "MUST", False, waiver, date(2025, 7, 1)) == "fail"
    assert gate("fail", "SHOULD", False, waiver, date(2025, 7, 1)) == "warn"
    assert gate("fail", "SHOULD", True, waiver, date(2025, 7, 1)) == "fail"
    assert gate("pass", "MUST", False, waiver, TODAY) == "pass"
    assert gate("fail", "MUST", False, None, TODAY) == "fail"
    assert gate("off", "off", False, None, TODAY) == "n/a"


# -- a real run ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def faulty() -> Iterator[reference.RunningServer]:
    with reference.start("kortix", fault="pages-floor") as server:
        yield server


def gated(server: reference.RunningServer, tmp_path: Path, text: str) -> tuple[int, str, Path]:
    path = write(tmp_path, text)
    env = {"THREADCONFORM_TOKEN": server.credentials.primary or ""}
    result = run_suite(
        "--contract", "kortix", "--base-url", server.url, "--profile", "quick", "-rxX",
        "--report-dir", str(tmp_path / "reports"), env={**env, "THREADCONFORM_WAIVERS": str(path)},
    )  # fmt: skip
    return result.returncode, result.stdout + result.stderr, tmp_path / "reports"


def test_a_waived_failure_passes_the_gate(faulty: reference.RunningServer, tmp_path: Path) -> None:
    status, output, reports = gated(faulty, tmp_path, ONE.replace("2025-06-30", "2999-12-31"))
    assert status == 0, output
    assert "XFAIL tests/test_pagination.py::test_rule[kortix::META-PAGES]" in output
    assert "waived until 2999-12-31" in output and "TICKET-1" in output
    data = json.loads((reports / "summary.json").read_text())
    assert_shape(data)  # a waiver entry, used or expired, has its TypedDict's keys
    rule = next(r for r in data["contracts"][0]["rules"] if r["id"] == "META-PAGES")
    assert rule["outcome"] == "waived" and rule["waiver"]["expired"] is False
    assert rule["violations"], "a waived failure keeps its evidence"
    assert data["verdict"] == "pass" and data["counts"]["waived"] == 1
    assert "waived" in (reports / "report.html").read_text()


def test_an_expired_waiver_fails_the_gate_saying_when(
    faulty: reference.RunningServer, tmp_path: Path
) -> None:
    status, output, reports = gated(faulty, tmp_path, ONE.replace("2025-06-30", "2001-01-01"))
    assert status == 1, output
    assert "the waiver for this rule expired on 2001-01-01" in output
    data = json.loads((reports / "summary.json").read_text())
    assert_shape(data)  # a waiver entry, used or expired, has its TypedDict's keys
    rule = next(r for r in data["contracts"][0]["rules"] if r["id"] == "META-PAGES")
    assert rule["outcome"] == "fail" and rule["waiver"]["expired"] is True


def test_an_unknown_rule_is_a_usage_error(faulty: reference.RunningServer, tmp_path: Path) -> None:
    status, output, _ = gated(faulty, tmp_path, ONE.replace("META-PAGES", "META-PAGE"))
    assert status == 4, output
    assert "waivers.yaml: entry 1 (kortix::META-PAGE): unknown rule" in output
    assert "Traceback" not in output
