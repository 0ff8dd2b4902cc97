"""Targets files: several deployments gated in one run, each its own items and engine,
tokens read from the environment variables the file names."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from selftests.test_report_types import assert_shape
from selftests.test_suite_cli import run_suite
from threadconform import reference, targets
from threadconform.options import OptionError, resolve

CONTRACTS = ("aitronos", "chat", "freddy", "kortix", "worker")

TWO = """\
- name: staging-eu
  contract: kortix
  base_url: {faulty}
  token_env: TC_EU_TOKEN
  second_token_env: TC_EU_TOKEN_2
- contract: aitronos
  base_url: {clean}
  token_env: TC_AI_TOKEN
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "targets.yaml"
    path.write_text(text)
    return path


# -- loading -------------------------------------------------------------------------------------


def test_load_reads_tokens_from_the_named_variables(tmp_path: Path) -> None:
    path = write(tmp_path, TWO.format(faulty="http://127.0.0.1:1", clean="http://127.0.0.1:2"))
    environ = {"TC_EU_TOKEN": "eu-1", "TC_EU_TOKEN_2": "eu-2", "TC_AI_TOKEN": "ai-1"}
    eu, ai = targets.load(path, CONTRACTS, environ)
    assert (eu.name, eu.contract, eu.token, eu.second_token) == (
        "staging-eu",
        "kortix",
        "eu-1",
        "eu-2",
    )
    assert (ai.name, ai.token, ai.second_token) == ("aitronos", "ai-1", None)
    assert (eu.label, ai.label) == ("staging-eu:kortix", "aitronos")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (
            TWO.format(faulty="http://a", clean="http://b"),
            "entry 1: token_env names the environment variable TC_EU_TOKEN, which is not set",
        ),
        ("- {contract: kortx, base_url: 'http://x'}", "entry 1: unknown contract 'kortx'"),
        ("- {contract: kortix}", "entry 1: missing base_url"),
        ("- {contract: kortix, base_url: 'ftp://x'}", "base_url 'ftp://x' is not an http(s) URL"),
        ("- {contract: kortix, base_url: 'http://x', tokn_env: A}", "unknown key(s) tokn_env"),
        ("- {contract: kortix, base_url: 'http://x', name: 'a b'}", "name 'a b' may hold only"),
        ("- {contract: kortix, base_url: 'http://x'}\n" * 2, "entry 2: a second target named"),
        ("[]", "expected a non-empty YAML list of targets"),
    ],
)
def test_a_bad_file_names_the_file_and_entry(tmp_path: Path, text: str, says: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(targets.TargetsError) as caught:
        targets.load(path, CONTRACTS, {})
    assert str(caught.value).startswith(f"{path}: "), caught.value
    assert says in str(caught.value)


def test_targets_and_a_base_url_together_are_a_usage_error() -> None:
    given = {"tc_targets": "t.yaml", "tc_base_url": "http://127.0.0.1:1"}
    with pytest.raises(OptionError, match="--targets: each target names its URL"):
        resolve(given, environ={})


# -- a real run with two servers ------------------------------------------------------------


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[reference.RunningServer, reference.RunningServer]]:
    with (
        reference.start("kortix", fault="pages-floor") as faulty,
        reference.start("aitronos") as clean,
    ):
        yield faulty, clean


@pytest.fixture(scope="module")
def two_targets(
    servers: tuple[reference.RunningServer, reference.RunningServer],
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[int, str, Path, list[str]]:
    faulty, clean = servers
    tmp = tmp_path_factory.mktemp("targets")
    path = write(tmp, TWO.format(faulty=faulty.url, clean=clean.url))
    secrets = {
        "TC_EU_TOKEN": faulty.credentials.primary or "",
        "TC_EU_TOKEN_2": faulty.credentials.secondary or "",
        "TC_AI_TOKEN": clean.credentials.primary or "",
    }
    result = run_suite(
        "--targets", str(path), "--profile", "quick", "--report-dir", str(tmp / "reports"),
        env=secrets,
    )  # fmt: skip
    return result.returncode, result.stdout + result.stderr, tmp / "reports", [*secrets.values()]


def test_each_target_is_its_own_set_of_items(two_targets: tuple[int, str, Path, list[str]]) -> None:
    status, output, reports, _ = two_targets
    assert status == 1, output  # staging-eu's kortix fails META-PAGES
    assert "FAILED tests/test_pagination.py::test_rule[staging-eu:kortix::META-PAGES]" in output
    names = [case.get("name") for case in ET.parse(reports / "junit.xml").iter("testcase")]
    assert "test_rule[staging-eu:kortix::PAGE-NO-GAPS]" in names
    assert "test_rule[aitronos::CURSOR-AFTER]" in names


def test_the_reports_hold_both_targets(
    two_targets: tuple[int, str, Path, list[str]],
    servers: tuple[reference.RunningServer, reference.RunningServer],
) -> None:
    _, output, reports, secrets = two_targets
    data = json.loads((reports / "summary.json").read_text())
    assert_shape(data)
    found = {t["name"]: t for t in data["contracts"]}
    assert list(found) == ["staging-eu", "aitronos"]
    assert found["staging-eu"]["target"] == servers[0].url
    assert found["aitronos"]["target"] == servers[1].url
    assert found["staging-eu"]["counts"]["fail"] == 1 and found["aitronos"]["counts"]["fail"] == 0
    assert found["staging-eu"]["counts"]["pass"] > 20 and found["aitronos"]["counts"]["pass"] > 20
    for path in reports.iterdir():
        text = path.read_text()
        assert not [s for s in secrets if s in text], f"{path.name} leaks a token"
    assert "threadconform: staging-eu:kortix against" in output


def test_a_missing_token_variable_is_a_usage_error(
    servers: tuple[reference.RunningServer, reference.RunningServer], tmp_path: Path
) -> None:
    faulty, clean = servers
    path = write(tmp_path, TWO.format(faulty=faulty.url, clean=clean.url))
    result = run_suite("--targets", str(path), "--profile", "quick", env={"TC_AI_TOKEN": "x"})
    output = result.stdout + result.stderr
    assert result.returncode == 4, output
    assert "targets.yaml: entry 1: token_env names the environment variable TC_EU_TOKEN" in output
