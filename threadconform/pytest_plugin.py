"""The pytest face of the suite: options, one test item per target and rule, verdicts,
reports.

`tests/` holds thin modules that name the rule areas they show; this plugin turns each
(target, rule) pair into a test item, asks the target's engine for the rule's record and
turns it into pass, fail, skip, a SHOULD warning, or an xfail for a waived failure.

Under pytest-xdist each target's items run on one worker (`--dist loadgroup`); workers
send their report entries to the controller, which writes the reports once.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import warnings
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

from threadconform import escape
from threadconform.options import BY_DEST, OPTIONS, SELECTORS, OptionError, resolve
from threadconform.outcomes import RunVerdict
from threadconform.suite import SUITE_DIR

__all__ = [
    "RUN_KEY",
    "SETUP",
    "SUITE_ERROR",
    "SUITE_KEY",
    "WORKER_OUTPUT",
    "Announcer",
    "RuleCase",
    "Run",
    "ShouldWarning",
    "pytest_addoption",
    "pytest_cmdline_main",
    "pytest_collection_finish",
    "pytest_collection_modifyitems",
    "pytest_configure",
    "pytest_generate_tests",
    "pytest_load_initial_conftests",
    "pytest_sessionfinish",
    "pytest_sessionstart",
    "pytest_terminal_summary",
    "pytest_testnodedown",
    "pytest_unconfigure",
    "pytest_xdist_make_scheduler",
    "rule_case",
    "selected",
    "threadconform_suite",
]

# The plugin is loaded into every pytest run of the environment (pytest11 entry point), so
# it imports only its options here; the suite itself (specs, client, probes) is imported
# when a run selects it.
if TYPE_CHECKING:
    from threadconform.report_types import Summary, TargetEntry
    from threadconform.runner import Suite, Verdict

SUITE_KEY = pytest.StashKey["Suite"]()
RUN_KEY = pytest.StashKey["Run"]()
_ID_LABEL = re.compile(r"\[([^\[\]]+)::[A-Z0-9-]+\]")  # test_rule[staging:aitronos::RULE]
SUITE_ERROR = "SUITE-ERROR"  # the run-integrity rule (engine.SUITE_ERROR; engine is heavy)
# The item per target that runs the preflight first: a setup mistake (unreachable, not
# found, not the API, credential refused) fails this item, named by its cause, and no rule.
SETUP = "SETUP"
WORKER_OUTPUT = "threadconform_entries"  # key in xdist's workeroutput


class ShouldWarning(UserWarning):
    """A SHOULD rule does not hold: reported, fails the run only with --strict."""


@dataclass
class Run:
    """What the plugin learns during a run, beside the Suite: xdist and the reports."""

    dist_left_default: bool = False
    worker_entries: list[TargetEntry] = field(default_factory=list)
    summary: Summary | None = None
    written: list[Path] = field(default_factory=list)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("threadconform", "threadconform conformance suite")
    for option in OPTIONS:
        if option.pytest_owned:
            continue
        help_text = f"{option.help} [env {option.env}]"
        if option.repeat:
            group.addoption(
                option.flag, action="append", dest=option.dest, default=None, help=help_text
            )
        elif option.kind is bool:
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


@pytest.hookimpl(wrapper=True)
def pytest_cmdline_main(config: pytest.Config) -> Generator[None, Any, Any]:
    # xdist turns `-n N` into `--dist load` before pytest_configure; only here, before it
    # runs, can the plugin tell a user's own `--dist load` from the default.
    explicit = getattr(config.option, "dist", "no") != "no" or getattr(
        config.option, "distload", False
    )
    config.stash[RUN_KEY] = Run(dist_left_default=not explicit)
    if selected(config):
        from threadconform.startup import leave_no_pytest_cache

        leave_no_pytest_cache(config)
    return (yield)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Tryfirst: pytest's junitxml plugin reads `xmlpath` in its own pytest_configure.

    Inert unless the run selects the suite (see `selected`): an unrelated project's pytest
    in the same environment sees the options and nothing else.
    """
    config.addinivalue_line("markers", "conformance: one rule of one contract")
    if not selected(config):
        return
    from threadconform.startup import bound_malloc_arenas

    bound_malloc_arenas()  # before any thread of the run (reference servers, probes)
    if config.args_source == pytest.Config.ArgsSource.INVOCATION_DIR:
        # `pytest --contract C` with no test path and no configured testpaths (from any
        # folder): the suite's own tests, not whatever the folder holds.
        config.args[:] = [str(SUITE_DIR)]
    suite = _start_suite(config, _usage_error)
    # After the options are read: a usage error answers before Hypothesis is imported.
    from threadconform.repeatable import pin_hypothesis_constants
    from threadconform.startup import (
        freeze_at_exit,
        freeze_imported,
        keep_hypothesis_tables,
        stop_assert_rewriting,
    )

    if _only_the_suite(config):
        stop_assert_rewriting()  # before Hypothesis is imported (the next line)
    pin_hypothesis_constants()  # the same seed draws the same cases in any environment
    keep_hypothesis_tables()
    freeze_imported()  # pytest, Hypothesis and the suite are imported by now
    freeze_at_exit()
    run = config.stash.setdefault(RUN_KEY, Run())
    _group_by_target(config, run)
    if _runs_the_suite(config) and not getattr(config.option, "collectonly", False):
        _default_junit(config, suite)
        _announce_to_terminal(config, suite)


def selected(config: pytest.Config) -> bool:
    """Does this run ask for the suite? Its test modules are among the test paths, or an
    option that says what to test (--contract, --spec, --base-url, --targets) is given on
    the command line or as its THREADCONFORM_* variable. The other variables (profile,
    tokens, timeouts...) only configure a selected run, so a stray THREADCONFORM_PROFILE
    cannot break an unrelated project's tests."""
    for dest in SELECTORS:
        if config.getoption(dest) is not None or os.environ.get(BY_DEST[dest].env):
            return True
    return _runs_the_suite(config)


def _start_suite(config: pytest.Config, fail: Callable[[str], NoReturn]) -> Suite:
    """Resolve the options, load specs, targets and waivers: any of them broken is a
    usage error (exit 4) before a single request."""
    given = {option.dest: config.getoption(option.dest) for option in OPTIONS}
    try:
        options = resolve(given)  # the run's one reading of its flags and variables
    except OptionError as problem:
        fail(f"threadconform: {problem}")  # before the heavy imports: answers at once
    from threadconform.runner import SetupError, Suite

    suite = Suite(options, rootdir=Path(str(config.rootpath)))
    try:
        suite.prepare()
    except SetupError as problem:
        fail(f"threadconform: {problem}")
    config.stash[SUITE_KEY] = suite
    return suite


def _not_run_lines(suite: Suite) -> list[str]:
    return [
        f"{name}: not run: no --base-url (the spec has no embedded reference server; "
        f"pass --contract {name} --base-url URL to test it)"
        for name in suite.not_run()
    ]


def _group_by_target(config: pytest.Config, run: Run) -> None:
    """`-n N` alone: distribute by target, one worker per target's server, budget and
    engine (`pytest_xdist_make_scheduler` below does the grouping)."""
    if getattr(config.option, "dist", "no") == "load" and run.dist_left_default:
        config.option.dist = "loadgroup"


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """xdist's own loadgroup marks each item's node id with its group on the worker;
    pytest 9.2 ignores that write (pytest-xdist#1386), and the targets would spread over
    every worker. This scheduler reads the target from the test id instead."""
    if config.getvalue("dist") != "loadgroup" or SUITE_KEY not in config.stash:
        return None  # not a suite run: xdist's own scheduler
    from xdist.scheduler import LoadScopeScheduling

    class TargetScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            if nodeid.rfind("@") > nodeid.rfind("]"):  # xdist_group, where xdist's works
                return nodeid.rsplit("@", 1)[1]
            found = _ID_LABEL.search(nodeid)
            return found.group(1) if found else nodeid

    return TargetScheduling(config, log)


def _runs_the_suite(config: pytest.Config) -> bool:
    """True when a test path is the suite's own tests: the package's test modules, or the
    repository's tests/ that re-exports them (not only `pytest selftests`)."""
    return any(_suite_paths(config))


def _only_the_suite(config: pytest.Config) -> bool:
    """True when every test path is the suite's (no other tests share the session)."""
    found = _suite_paths(config)
    return bool(found) and all(found)


def _suite_paths(config: pytest.Config) -> list[bool]:
    """For each test path of the run: is it the suite's own tests?"""
    suites = [SUITE_DIR]
    checkout = Path(str(config.rootpath), "tests")
    if "threadconform.suite" in _text(checkout / "test_pagination.py"):
        suites.append(checkout.resolve())
    found = []
    for arg in config.args:
        path = Path(config.invocation_params.dir, arg.split("::")[0]).resolve()
        found.append(any(path == suite or suite in path.parents for suite in suites))
    return found


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def _default_junit(config: pytest.Config, suite: Suite) -> None:
    if hasattr(config.option, "xmlpath") and not config.option.xmlpath:
        config.option.xmlpath = str(suite.report_dir / "junit.xml")


def _announce_to_terminal(config: pytest.Config, suite: Suite) -> None:
    if hasattr(config, "workerinput"):
        return  # a worker's terminal output goes nowhere
    distributed = getattr(config.option, "dist", "no") != "no"
    announcer = Announcer(suite, config, distributed)
    suite.announce = announcer.write_line
    config.pluginmanager.register(announcer, "threadconform-announcer")


@pytest.hookimpl(trylast=True)  # after pytest's header, also under -q
def pytest_sessionstart(session: pytest.Session) -> None:
    """`--base-url` without `--contract`: which contracts the URL was found to serve."""
    config = session.config
    suite = config.stash.get(SUITE_KEY, None)
    terminal = config.pluginmanager.get_plugin("terminalreporter")
    if suite is None or not suite.discovery or terminal is None:
        return
    if not hasattr(config, "workerinput"):
        terminal.write_line(escape.terminal(suite.discovery))


def _suite(config: pytest.Config) -> Suite:
    """The run's suite; built here when its test module is collected in a run that did not
    select it up front (e.g. `pytest .` in the repository)."""
    if SUITE_KEY not in config.stash:
        config.stash.setdefault(RUN_KEY, Run())
        _start_suite(config, _usage_exit)
    return config.stash[SUITE_KEY]


def _usage_error(message: str) -> NoReturn:
    raise pytest.UsageError(message) from None


def _usage_exit(message: str) -> NoReturn:
    """During collection pytest.UsageError is not caught as one; this still exits 4."""
    pytest.exit(message, returncode=pytest.ExitCode.USAGE_ERROR)


@dataclass
class RuleCase:
    """What a test item checks: one rule of one target."""

    suite: Suite
    target: str
    rule: str
    properties: list[tuple[str, object]] = field(default_factory=list)  # JUnit <property>
    session: pytest.Session | None = None

    def check(self) -> None:
        __tracebackhide__ = True
        if self.rule == SETUP:
            self._check_setup()
            return
        verdict = self._verdict()
        self._record(verdict)
        # What reaches the terminal may quote the target: control characters are shown,
        # never obeyed.
        if self.rule == SUITE_ERROR:
            self._fail_if_stopped()
        if verdict.outcome in ("n/a", "skip"):
            pytest.skip(escape.terminal(verdict.reason))
        if verdict.outcome == "waived":
            pytest.xfail(escape.terminal(_waived(verdict)))
        if verdict.outcome == "fail":
            pytest.fail(escape.terminal(verdict.report + _fail_note(verdict)), pytrace=False)
        if verdict.outcome == "warn":
            text = escape.terminal(verdict.report + _fail_note(verdict))
            # Located at the rule, not at this line: a CI log shows "worker::PAGE-FULL:
            # ShouldWarning: ..." instead of the plugin's file, line and source line.
            where = f"{self.target}::{self.rule}"
            warnings.warn_explicit(ShouldWarning(text), ShouldWarning, where, 0)

    def _verdict(self) -> Verdict:
        """The rule's verdict; a target stopped before any rule skips every rule item
        with the one line (its SETUP item fails), and the run ends with the stop's exit
        status once the reports say error (pytest_sessionfinish), with or without xdist."""
        __tracebackhide__ = True
        from threadconform.outcomes import Unreachable

        try:
            return self.suite.verdict(self.target, self.rule)
        except Unreachable as error:
            message = str(error)
        # Outside the except block: pytest would print the stop and this skip as a chain.
        pytest.skip(escape.terminal(f"not judged: {message}"))

    def _check_setup(self) -> None:
        """Start the target (the preflight runs): a stop fails this one item with its
        cause and the one line, no traceback."""
        __tracebackhide__ = True
        from threadconform.outcomes import Unreachable

        try:
            self.suite.engine(self.target)
        except Unreachable as stop:
            message = f"{stop.cause}: {str(stop).removeprefix('threadconform: ')}"
        else:
            return
        pytest.fail(escape.terminal(f"threadconform: {message}"), pytrace=False)

    def _fail_if_stopped(self) -> None:
        """The run-integrity item (SUITE-ERROR: every probe ran to its end) fails when the
        target's run stopped early, so a CI system that reads only junit.xml sees that the
        run did not pass, as the exit status (6 or 9, set at the end) and every report
        say; the rules left unjudged skip, none of them is blamed."""
        __tracebackhide__ = True
        stopped = self.suite.stopped(self.target)
        if self.target in self.suite.unreachable:
            return  # stopped before any rule: its SETUP item failed, naming the cause
        if stopped is not None:
            verdict, reason = stopped
            pytest.fail(escape.terminal(f"run {verdict}: {reason}"), pytrace=False)

    def _record(self, verdict: Verdict) -> None:
        deployment = self.suite.deployment(self.target)
        # Plain strings: under xdist these travel to the controller through execnet, which
        # serializes no enum (an Outcome here ended a `-n 2` run with INTERNALERROR).
        self.properties += [
            ("contract", str(verdict.contract)),
            ("target", str(deployment.name)),
            ("rule", str(verdict.rule)),
            ("severity", str(verdict.severity)),
            ("outcome", str(verdict.outcome)),
        ]


def _waived(verdict: Verdict) -> str:
    waiver = verdict.waiver
    assert waiver is not None
    return (
        f"{verdict.rule} [{verdict.severity}] did not hold, waived until "
        f"{waiver.expires.isoformat()} ({waiver.where}): {waiver.reason}; "
        f"it failed with: {verdict.reason}"
    )


def _fail_note(verdict: Verdict) -> str:
    if verdict.outcome == "fail" and verdict.severity == "SHOULD":
        note = "\n(SHOULD rule failed under --strict)"
    else:
        note = ""
    if verdict.expired_waiver and verdict.waiver is not None:
        waiver = verdict.waiver
        note += (
            f"\nthe waiver for this rule expired on {waiver.expires.isoformat()} "
            f"({waiver.where}: {waiver.reason}); fix the server, or renew the waiver"
        )
    return note


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "rule_case" not in metafunc.fixturenames:
        return
    from threadconform import rules
    from threadconform.runner import applicable

    areas = getattr(metafunc.module, "AREAS", ())
    suite = _suite(metafunc.config)
    # One xdist group per target: its rules share one engine, one server, one budget.
    setup = [
        pytest.param(
            (deployment.name, SETUP),
            id=f"{deployment.label}::{SETUP}",
            marks=[pytest.mark.xdist_group(deployment.name)],
        )
        for deployment in suite.deployments()
        if "suite" in areas
    ]
    cases = setup + [
        pytest.param(
            (deployment.name, rule.id),
            id=f"{deployment.label}::{rule.id}",
            marks=[pytest.mark.xdist_group(deployment.name)],
        )
        for deployment in suite.deployments()
        for rule in rules.CATALOGUE
        if rule.area in areas and applicable(suite.contract(deployment.contract), rule.id) is None
    ]
    metafunc.parametrize("rule_pair", cases)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Tell the suite which rules each target's items ask for (after -k and -m chose):
    with --concurrency their probes run side by side, and only theirs."""
    if SUITE_KEY not in session.config.stash:
        return
    wanted: dict[str, set[str]] = {}
    for item in session.items:
        if (pair := _rule_pair(item)) is not None:
            wanted.setdefault(pair[0], set()).add(pair[1])
    suite = _suite(session.config)
    suite.wanted.update({name: frozenset(found) for name, found in wanted.items()})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run each target's rules together, in catalogue-area order, and drop the empty
    placeholder a test module gets when none of its rules apply (`test_rule[NOTSET]`),
    silently."""
    if SUITE_KEY not in config.stash:
        return
    order = {d.name: index for index, d in enumerate(_suite(config).deployments())}
    # Dropped without pytest_deselected: it is no test anybody chose not to run, and "1
    # deselected" on every run only made a CI log reader wonder which one (issue 22).
    empty = [item for item in items if _rule_pair(item) is None and _wants_rule(item)]
    kept = [item for item in items if item not in empty]
    pairs = [_rule_pair(item) for item in kept]
    # Each target's SETUP item first (the preflight); a rule that judges what every other
    # probe received last among its target's.
    ranks = [(order.get(pair[0], -1), _rank(pair[1])) if pair else (-1, 0) for pair in pairs]
    # A stable sort keeps each target's items in the order they had (probes run lazily).
    items[:] = [item for _, item in sorted(zip(ranks, kept, strict=True), key=lambda p: p[0])]


def _rank(rule: str) -> int:
    from threadconform.probes.registry import RUN_LAST

    return 0 if rule == SETUP else 2 if rule in RUN_LAST else 1


def _wants_rule(item: pytest.Item) -> bool:
    return "rule_pair" in getattr(item, "fixturenames", ())


def _rule_pair(item: pytest.Item) -> tuple[str, str] | None:
    callspec = getattr(item, "callspec", None)
    pair = callspec.params.get("rule_pair") if callspec is not None else None
    return pair if isinstance(pair, tuple) else None


@pytest.fixture
def rule_case(request: pytest.FixtureRequest, rule_pair: tuple[str, str]) -> RuleCase:
    target, rule = rule_pair
    properties = request.node.user_properties
    return RuleCase(_suite(request.config), target, rule, properties, request.session)


@pytest.fixture(scope="session", autouse=False)
def threadconform_suite(request: pytest.FixtureRequest) -> Iterator[Suite]:
    yield _suite(request.config)


@dataclass
class Announcer:
    """Names each target on the terminal as its first rule starts, before its progress.

    In one process it starts the target's engine there, so the line can give the URL of
    an embedded server; under xdist the engines start on workers, whose output goes
    nowhere, and the controller names the target from what it knows.
    """

    suite: Suite
    config: pytest.Config
    distributed: bool
    announced: set[str] = field(default_factory=set)

    @pytest.hookimpl(tryfirst=True)  # before the terminal writes the item's file name
    def pytest_runtest_logstart(self, nodeid: str, location: object) -> None:
        found = _ID_LABEL.search(nodeid)
        label = found.group(1) if found else None
        deployment = next((d for d in self.suite.deployments() if d.label == label), None)
        if deployment is None or deployment.name in self.announced:
            return
        self.announced.add(deployment.name)
        if self.distributed:
            where = deployment.base_url or "its embedded reference server"
            self.write_line(f"threadconform: {deployment.label} against {where}")
            return
        from threadconform.outcomes import Unreachable

        with contextlib.suppress(Unreachable):  # its first item reports it, exit 6
            self.suite.engine(deployment.name)  # the suite announces it as it starts

    def write_line(self, line: str) -> None:
        terminal = self.config.pluginmanager.get_plugin("terminalreporter")
        capture = self.config.pluginmanager.get_plugin("capturemanager")
        if terminal is None:
            return
        with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
            _end_progress_line(terminal)
            terminal.write_line(line)


def _end_progress_line(terminal: Any) -> None:
    """Close the line of progress characters as pytest would before a new file's line:
    with its percentage, and also after -q's bare dots (the terminal has no public API
    for this; the private names are looked up defensively)."""
    fill = getattr(terminal, "_write_progress_information_filling_space", None)
    if terminal.currentfspath and fill and getattr(terminal, "_show_progress_info", False):
        fill()
    terminal.ensure_newline()
    writer = getattr(terminal, "_tw", None)
    if writer is not None and writer.width_of_current_line:
        writer.line()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """xdist, on the controller: a worker is done; keep the report entries it sent."""
    run = node.config.stash.get(RUN_KEY, None)
    sent = getattr(node, "workeroutput", {}).get(WORKER_OUTPUT)
    if run is not None and sent:
        run.worker_entries.extend(json.loads(sent))


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Tryfirst: the JUnit properties must be in place before junitxml writes its file."""
    config = session.config
    suite, run = config.stash.get(SUITE_KEY, None), config.stash.get(RUN_KEY, None)
    if suite is None or run is None:
        return
    from threadconform import reports

    mine = reports.entries(suite)
    if hasattr(config, "workerinput"):
        config.workeroutput[WORKER_OUTPUT] = json.dumps(mine)  # type: ignore[attr-defined]
        return
    found = reports.merge(mine + run.worker_entries, [d.name for d in suite.deployments()])
    if not found:
        return
    run.summary = reports.document(suite, found)
    if run.summary["verdict"] in (RunVerdict.ERROR, RunVerdict.INCOMPLETE):
        # Skipped items alone would let pytest exit 0: the exit status is the verdict's.
        session.exitstatus = run.summary["exit_status"]
    elif run.summary["verdict"] == RunVerdict.FAIL and session.exitstatus == 0:
        # No item failed, but the run did (--strict and a stale waiver): say so by status.
        session.exitstatus = run.summary["exit_status"]
    junit = _add_junit_properties(config, run.summary)
    run.written = reports.write(run.summary, suite.report_dir) + junit


def _add_junit_properties(config: pytest.Config, summary: Summary) -> list[Path]:
    """The run's header into pytest's JUnit file (written right after this hook)."""
    from _pytest.junitxml import xml_key

    from threadconform import reports

    xml = config.stash.get(xml_key, None)
    if xml is None:
        return []
    for name, value in reports.junit_properties(summary):
        xml.add_global_property(name, value)
    return [Path(xml.logfile)]


def pytest_unconfigure(config: pytest.Config) -> None:
    suite = config.stash.get(SUITE_KEY, None)
    if suite is not None:
        from threadconform.startup import thaw_imported

        suite.close()
        thaw_imported()


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    run, suite = config.stash.get(RUN_KEY, None), config.stash.get(SUITE_KEY, None)
    not_run = _not_run_lines(suite) if suite is not None else []
    if run is None or (run.summary is None and not not_run):
        return
    from threadconform import reports

    terminalreporter.section("threadconform")
    for line in not_run:
        terminalreporter.write_line(line)
    if run.summary is None:
        return
    for line in reports.table(run.summary):
        terminalreporter.write_line(line)
    for path in run.written:
        terminalreporter.write_line(f"report: {path}")
