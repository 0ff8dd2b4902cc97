"""The pytest face of the suite: options, one test item per contract and rule, verdicts.

`tests/` holds thin modules that name the rule areas they show; this plugin turns each
(contract, rule) pair into a test item, asks the contract's engine for the rule's record
and turns it into pass, fail, skip or a SHOULD warning.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from threadconform import rules
from threadconform.options import OPTIONS, OptionError, resolve
from threadconform.runner import Suite, UnreachableTarget, applicable
from threadconform.spec import SpecError

SUITE_KEY = pytest.StashKey["Suite"]()
EXIT_UNREACHABLE = 6


class ShouldWarning(UserWarning):
    """A SHOULD rule does not hold: reported, fails the run only with --strict."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("threadconform", "threadconform conformance suite")
    for option in OPTIONS:
        if option.pytest_owned:
            continue
        help_text = f"{option.help} [env {option.env}]"
        if option.kind is bool:
            group.addoption(
                option.flag,
                action="store_const",
                const=True,
                dest=option.dest,
                default=None,
                help=help_text,
            )
        else:
            group.addoption(option.flag, dest=option.dest, default=None, help=help_text)


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config, args: list[str]) -> None:
    """Undo pytest's misreading of `--spec /x/new.yaml` and `--report-dir /tmp/r`.

    pytest picks its rootdir and config file before it loads plugins, so a path given as
    the separate word after one of our options looks like a test path to it: the rootdir
    moves there, `testpaths` is lost, and the wrong tests run. Once our options are known
    (now), decide again from the real test paths, as pytest would have.
    """
    from _pytest.config.findpaths import determine_setup

    namespace = early_config.known_args_namespace
    rootpath, inipath, inicfg, _ = determine_setup(
        inifile=namespace.inifilename,
        override_ini=namespace.override_ini,
        args=namespace.file_or_dir,
        rootdir_cmd_arg=namespace.rootdir or None,
        invocation_dir=early_config.invocation_params.dir,
    )
    if rootpath == early_config.rootpath and inipath == early_config.inipath:
        return
    early_config._rootpath = rootpath
    early_config._inipath = inipath
    early_config._inicfg = inicfg
    early_config._inicache.clear()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "conformance: one rule of one contract")
    given = {option.dest: config.getoption(option.dest) for option in OPTIONS}
    try:
        values = resolve(given)
    except OptionError as error:
        raise pytest.UsageError(f"threadconform: {error}") from None
    suite = Suite(values, rootdir=Path(str(config.rootpath)))
    try:
        suite.contracts()  # a broken spec is a usage error before anything runs
    except SpecError as error:
        raise pytest.UsageError(f"threadconform: {error}") from None
    config.stash[SUITE_KEY] = suite


def _suite(config: pytest.Config) -> Suite:
    return config.stash[SUITE_KEY]


@dataclass
class RuleCase:
    """What a test item checks: one rule of one contract."""

    suite: Suite
    contract: str
    rule: str
    notes: list[str] = field(default_factory=list)

    def check(self) -> None:
        __tracebackhide__ = True
        try:
            verdict = self.suite.verdict(self.contract, self.rule)
        except UnreachableTarget as error:
            pytest.exit(str(error), returncode=EXIT_UNREACHABLE)
        if verdict.status == "off":
            pytest.skip(verdict.reason)
        if verdict.status == "skip":
            pytest.skip(verdict.reason)
        if verdict.status == "fail" and verdict.severity == "MUST":
            pytest.fail(verdict.report, pytrace=False)
        if verdict.status == "fail":
            if self.suite.strict:
                pytest.fail(verdict.report + "\n(SHOULD rule failed under --strict)", pytrace=False)
            warnings.warn(ShouldWarning(verdict.report), stacklevel=1)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "rule_case" not in metafunc.fixturenames:
        return
    areas = getattr(metafunc.module, "AREAS", ())
    contracts = _suite(metafunc.config).contracts()
    # One xdist group per contract: its rules share one engine, one server, one budget.
    cases = [
        pytest.param(
            (contract.name, rule.id),
            id=f"{contract.name}::{rule.id}",
            marks=[pytest.mark.xdist_group(contract.name)],
        )
        for contract in contracts
        for rule in rules.CATALOGUE
        if rule.area in areas and applicable(contract, rule.id) is None
    ]
    metafunc.parametrize("rule_pair", cases)


@pytest.fixture
def rule_case(request: pytest.FixtureRequest, rule_pair: tuple[str, str]) -> RuleCase:
    contract, rule = rule_pair
    return RuleCase(_suite(request.config), contract, rule)


@pytest.fixture(scope="session", autouse=False)
def threadconform_suite(request: pytest.FixtureRequest) -> Iterator[Suite]:
    yield _suite(request.config)


def pytest_unconfigure(config: pytest.Config) -> None:
    suite = config.stash.get(SUITE_KEY, None)
    if suite is not None:
        suite.close()


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    suite = config.stash.get(SUITE_KEY, None)
    if suite is None or not suite.engines:
        return
    terminalreporter.section("threadconform")
    for line in suite.summary_lines():
        terminalreporter.write_line(line)
    written = suite.write_reports()
    for path in written:
        terminalreporter.write_line(f"report: {path}")
