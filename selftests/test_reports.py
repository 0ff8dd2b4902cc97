"""What a run writes under --report-dir: summary.json (against its schema), summary.md,
report.html (parsed, and rendered by a real headless browser) and junit.xml, for a passing
and a failing run, with no credential in any of them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest

from selftests.test_report_types import assert_shape
from selftests.test_suite_cli import free_port, run_suite
from threadconform import html_report, reference, reports, spec
from threadconform.ledger import MAX_RECORDED_VIOLATIONS

FILES = ("summary.json", "summary.md", "report.html", "junit.xml")
CHROMIUM = Path("/usr/bin/chromium")


@dataclass(frozen=True)
class SuiteRun:
    result: subprocess.CompletedProcess[str]
    directory: Path
    url: str
    secrets: tuple[str, ...]

    @property
    def output(self) -> str:
        return self.result.stdout + self.result.stderr

    def text(self, name: str) -> str:
        return (self.directory / name).read_text(encoding="utf-8")

    def summary(self) -> dict:
        return json.loads(self.text("summary.json"))


def kortix_run(tmp: Path, fault: str | None, *extra: str) -> SuiteRun:
    """The suite against an in-process kortix server; tokens only in the environment."""
    with reference.start("kortix", fault=fault) as server:
        primary, secondary = server.credentials.primary, server.credentials.secondary
        assert primary and secondary
        env = {"THREADCONFORM_TOKEN": primary, "THREADCONFORM_SECOND_TOKEN": secondary}
        result = run_suite(
            "--contract", "kortix", "--base-url", server.url, "--profile", "quick",
            "--report-dir", str(tmp), *extra, env=env,
        )  # fmt: skip
        return SuiteRun(result, tmp, server.url, (primary, secondary))


@pytest.fixture(scope="module")
def passing(tmp_path_factory: pytest.TempPathFactory) -> SuiteRun:
    return kortix_run(tmp_path_factory.mktemp("passing"), None)


@pytest.fixture(scope="module")
def failing(tmp_path_factory: pytest.TempPathFactory) -> SuiteRun:
    return kortix_run(tmp_path_factory.mktemp("failing"), "pages-floor")


@pytest.fixture(params=["passing", "failing"])
def any_run(request: pytest.FixtureRequest) -> SuiteRun:
    return request.getfixturevalue(request.param)


def validate_summary(data: dict) -> None:
    schema = json.loads(reports.SCHEMA_PATH.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema, format_checker=spec.format_checker())
    validator.validate(data)


# -- every report, both runs ---------------------------------------------------------------


def test_exit_status_is_the_gate(passing: SuiteRun, failing: SuiteRun) -> None:
    assert passing.result.returncode == 0, passing.output
    assert failing.result.returncode == 1, failing.output


def test_every_report_is_written_and_parses(any_run: SuiteRun) -> None:
    for name in FILES:
        assert (any_run.directory / name).is_file(), (name, any_run.output)
    validate_summary(any_run.summary())
    ET.fromstring(any_run.text("junit.xml"))
    HTMLParser().feed(any_run.text("report.html"))


def test_summary_matches_its_schema_and_its_types(any_run: SuiteRun) -> None:
    """The schema and threadconform.report_types describe the same document: a real one."""
    data = any_run.summary()
    validate_summary(data)
    assert_shape(data)


def test_no_report_holds_a_credential(any_run: SuiteRun) -> None:
    for path in any_run.directory.iterdir():
        text = path.read_text(encoding="utf-8")
        for secret in any_run.secrets:
            assert secret not in text, f"{path.name} leaks a token"
    for secret in any_run.secrets:
        assert secret not in any_run.output


def test_each_report_names_the_run(any_run: SuiteRun) -> None:
    data = any_run.summary()
    (target,) = data["contracts"]
    assert (target["target"], target["contract"], target["spec_version"]) == (
        any_run.url,
        "kortix",
        "1.0.0",
    )
    assert data["profile"] == "quick" and data["seed"] == 0 and data["requests"] > 0
    html = any_run.text("report.html")
    markdown = any_run.text("summary.md")
    properties = junit_properties(any_run.text("junit.xml"))
    for shown in (any_run.url, "kortix", "1.0.0", data["suite_version"], str(data["requests"])):
        assert shown in html and shown in markdown, shown
        assert shown in properties.values(), shown
    for key in ("seed", "profile", "duration_seconds", "requests", "suite_version"):
        assert f"threadconform.{key}" in properties
    assert "Seed" in html and "Profile" in html and "Duration" in html


def junit_properties(text: str) -> dict[str, str]:
    root = ET.fromstring(text)
    return {p.get("name", ""): p.get("value", "") for p in root.iter("property")}


# -- the failing run -------------------------------------------------------------------------


def test_summary_names_the_failing_rule_with_its_evidence(failing: SuiteRun) -> None:
    rules = {rule["id"]: rule for rule in failing.summary()["contracts"][0]["rules"]}
    meta_pages = rules["META-PAGES"]
    assert meta_pages["outcome"] == "fail" and meta_pages["severity"] == "MUST"
    curl = meta_pages["violations"][0]["curl"][0]
    assert curl.startswith("curl ") and failing.url in curl and "***" in curl
    assert rules["META-TOTAL-OPT-IN"]["outcome"] == "n/a"
    assert failing.summary()["verdict"] == "fail"


def test_junit_has_one_testcase_per_rule_named_after_it(failing: SuiteRun) -> None:
    root = ET.fromstring(failing.text("junit.xml"))
    cases = {case.get("name"): case for case in root.iter("testcase")}
    assert "test_rule[kortix::PAGE-NO-GAPS]" in cases
    assert not any("NOTSET" in name for name in cases)
    failure = cases["test_rule[kortix::META-PAGES]"].find("failure")
    assert failure is not None
    assert "META-PAGES [MUST] kortix" in (failure.text or "")
    assert "reproduce: curl" in (failure.text or "")
    case = cases["test_rule[kortix::META-PAGES]"]
    props = {p.get("name"): p.get("value") for p in case.iter("property")}
    assert props.get("rule") == "META-PAGES" and props.get("outcome") == "fail"


def test_html_shows_the_failure_with_its_curl(failing: SuiteRun) -> None:
    page = Page.parse(failing.text("report.html"))
    assert page.cells["META-PAGES"] == ["o-fail"]
    assert "r-kortix-META-PAGES" in page.ids
    assert any(text.startswith("curl -sS") and failing.url in text for text in page.pre)
    assert not page.scripts and not page.external, "report.html must be self-contained"


def test_the_failure_comes_before_the_matrix_and_skips_are_listed(failing: SuiteRun) -> None:
    # A reader of a red run sees what failed first; summary.md says what was not judged.
    html = failing.text("report.html")
    assert html.index('id="r-kortix-META-PAGES"') < html.index('class="matrix"')
    text = failing.text("summary.md")
    skipped = [r for r in failing.summary()["contracts"][0]["rules"] if r["outcome"] == "skip"]
    assert skipped and f"skipped ({len(skipped)}, neither passed nor failed)" in text
    for rule in skipped:
        assert f"- {rule['id']}: " in text


def test_every_violation_is_counted_and_kept_up_to_the_bound(failing: SuiteRun) -> None:
    # summary.json keeps what the reports a person reads leave out; they say how many.
    rules = [r for r in failing.summary()["contracts"][0]["rules"] if r["violations"]]
    assert any(r["violation_count"] > len(r["violations"]) for r in rules)  # META-PAGES
    for rule in rules:
        shown, more = len(rule["violations"]), len(rule["more_violations"])
        assert rule["violation_count"] >= shown
        assert shown + more == min(rule["violation_count"], MAX_RECORDED_VIOLATIONS)
    text, html = failing.text("summary.md"), failing.text("report.html")
    for rule in rules:
        if rule["violation_count"] > len(rule["violations"]):
            hidden = rule["violation_count"] - len(rule["violations"])
            assert f"… and {hidden} more violation(s) of this rule" in text
            assert f"… and {hidden} more violation(s) of this rule" in html


def test_markdown_and_terminal_agree_with_the_summary(failing: SuiteRun) -> None:
    counts = failing.summary()["contracts"][0]["counts"]
    row = next(line for line in failing.result.stdout.splitlines() if line.startswith("kortix "))
    assert row.split()[1:6] == [
        str(counts[key]) for key in ("fail", "warn", "waived", "skip", "pass")
    ]
    assert f"| {counts['fail']} | {counts['warn']} | {counts['waived']} |" in failing.text(
        "summary.md"
    )
    assert f"threadconform: kortix against {failing.url}" in failing.result.stdout


# -- HTML: escaping and a real browser ---------------------------------------------------------


class Page(HTMLParser):
    """The bits of report.html the tests look at: matrix cells, ids, <pre> lines, and
    anything that would make the page depend on scripts or other files."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: dict[str, list[str]] = {}  # rule id -> the css outcome of each cell
        self.ids: set[str] = set()
        self.pre: list[str] = []
        self.scripts = 0
        self.external: list[str] = []
        self._row: str | None = None
        self._in: str = ""
        self._text: list[str] = []

    @classmethod
    def parse(cls, text: str) -> Page:
        page = cls()
        page.feed(text)
        page.close()
        return page

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.ids.add(found.get("id") or "")
        self.scripts += tag == "script"
        for key in ("src", "href"):
            if found.get(key) and not str(found[key]).startswith("#"):
                self.external.append(str(found[key]))
        css = (found.get("class") or "").split()
        if tag == "td" and "cell" in css and self._row is not None:
            self.cells.setdefault(self._row, []).append(css[1])
        elif (tag == "td" and "rule" in css) or tag == "pre":
            self._in, self._text = tag, []

    def handle_data(self, data: str) -> None:
        if self._in:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag != self._in:
            return
        if tag == "td":
            self._row = "".join(self._text)
        else:
            self.pre.extend("".join(self._text).splitlines())
        self._in = ""


def test_every_value_is_escaped(failing: SuiteRun) -> None:
    data = failing.summary()
    hostile = "<script>alert(1)</script>"
    rule = next(r for r in data["contracts"][0]["rules"] if r["id"] == "META-PAGES")
    rule["reason"] = rule["violations"][0]["message"] = hostile + '" onmouseover="x'
    data["contracts"][0]["target"] = hostile
    page = html_report.render(data)
    assert hostile not in page and "&lt;script&gt;" in page
    assert '" onmouseover="x' not in page
    assert Page.parse(page).scripts == 0


@pytest.fixture(scope="module")
def chromium() -> Path:
    if CHROMIUM.exists():
        return CHROMIUM
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        pytest.skip(f"{CHROMIUM} is missing; install it: apt-get install -y chromium")
    for command in (["apt-get", "update"], ["apt-get", "install", "-y", "chromium"]):
        done = subprocess.run(command, capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            pytest.skip(f"{' '.join(command)} failed: {done.stderr.strip()[-300:]}")
    return CHROMIUM


def browse(chromium: Path, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [
        str(chromium), "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", f"--user-data-dir={profile}",
        *args,
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def test_a_browser_renders_the_failing_rule(
    failing: SuiteRun, chromium: Path, tmp_path: Path
) -> None:
    url = (failing.directory / "report.html").as_uri()
    dom = browse(chromium, tmp_path / "profile", "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    rendered = Page.parse(dom.stdout)
    assert rendered.cells.get("META-PAGES") == ["o-fail"], dom.stdout[:2000]
    assert "r-kortix-META-PAGES" in rendered.ids
    shot = tmp_path / "report.png"
    done = browse(
        chromium, tmp_path / "profile", f"--screenshot={shot}", "--window-size=1280,900", url
    )
    assert done.returncode == 0 and shot.stat().st_size > 10_000, done.stderr[-2000:]


# -- parallel runs and the self-tests' own runs -------------------------------------------------


def test_xdist_run_writes_one_summary_with_every_contract(tmp_path: Path) -> None:
    result = run_suite("-n", "2", "--profile", "quick", "--report-dir", str(tmp_path))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    data = json.loads((tmp_path / "summary.json").read_text())
    validate_summary(data)
    names = [target["name"] for target in data["contracts"]]
    # One entry each (grouped by worker), and only the default contracts (no opt-in ones).
    assert sorted(names) == sorted(spec.default_names()), names
    assert all(target["counts"]["pass"] > 0 for target in data["contracts"])
    cases = list(ET.fromstring((tmp_path / "junit.xml").read_text()).iter("testcase"))
    # One case per judged rule, and each target's SETUP item (its preflight).
    assert len(cases) == sum(
        sum(t["counts"].values()) - t["counts"]["n/a"] + 1 for t in data["contracts"]
    )
    assert "report.html" in result.stdout


def test_a_failing_run_under_xdist_agrees_with_its_exit_status(tmp_path: Path) -> None:
    # A failed or warned rule's JUnit properties travel from a worker through execnet,
    # which serializes no enum: an Outcome there ended `-n 2` with INTERNALERROR.
    from threadconform.mutation.runs import credential_env
    from threadconform.reference.faults import credentials_for

    fault = "page-repeats-last-item"
    with reference.start("worker", fault=fault) as server:
        result = run_suite(
            "-n", "2", "--contract", "worker", "--base-url", server.url, "--profile", "quick",
            "--report-dir", str(tmp_path), env=credential_env(credentials_for("worker", fault)),
        )  # fmt: skip
    assert "INTERNALERROR" not in result.stdout + result.stderr, result.stdout[-3000:]
    data = json.loads((tmp_path / "summary.json").read_text())
    assert (result.returncode, data["verdict"], data["exit_status"]) == (1, "fail", 1)


def test_selftest_runs_write_no_reports(tmp_path: Path) -> None:
    result = run_suite("selftests/test_waivers.py", "-k", "load", "--report-dir", str(tmp_path))
    assert result.returncode == 0, result.stdout[-2000:]
    assert not tmp_path.exists() or not any(tmp_path.iterdir())


def test_an_unreachable_target_under_xdist_is_exit_6_and_reported(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = run_suite(
        "-n", "2", "--contract", "worker", "--base-url", url, "--report-dir", str(tmp_path)
    )  # fmt: skip
    assert result.returncode == 6, result.stdout[-3000:] + result.stderr[-3000:]
    assert "INTERNALERROR" not in result.stdout + result.stderr
    data = json.loads((tmp_path / "summary.json").read_text())
    validate_summary(data)
    assert data["verdict"] == "error"
    assert "cannot reach the target" in data["contracts"][0]["unreachable"]
    assert "cannot reach the target" in (tmp_path / "report.html").read_text()


def test_merge_unites_one_targets_entries_from_several_workers(failing: SuiteRun) -> None:
    (entry,) = failing.summary()["contracts"]
    checked = [rule for rule in entry["rules"] if rule["outcome"] != "n/a"]
    half = len(checked) // 2
    first = {**entry, "rules": checked[:half], "requests": 10}
    second = {**entry, "rules": checked[half:], "requests": 5}
    other = {**entry, "name": "other", "rules": [], "requests": 1}
    merged = reports.merge([other, first, second], ["kortix", "other"])
    assert [m["name"] for m in merged] == ["kortix", "other"]
    assert [r["id"] for r in merged[0]["rules"]] == [r["id"] for r in checked]
    assert merged[0]["requests"] == 15
    assert merged[0]["counts"] == reports.counts(checked)
