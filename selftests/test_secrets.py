"""Credentials never leave the suite: not in terminal output (-v, -rA), JUnit XML, any
report file, or a curl reproduction (where they read ***).

The target is hostile on purpose: a proxy in front of an aitronos reference server that
leaks another tenant's threads, echoes the API key it got into every 200 body (a field,
and each item's type marker, so failure texts quote it), and into a plain-text 401 for a
key it does not know. Tokens are passed on the command line in one run and through the
environment in the other; that run's first token is one the target refuses.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from threadconform import reference

try:  # run as a package (selftests/__init__.py) or as loose files (pytest's rootdir)
    from selftests import hostile
except ImportError:
    import hostile  # type: ignore[no-redef]

ALPHA = "tcSECRET-alpha-7Qx2Lm9Vz4Kp"
BRAVO = "tcSECRET-bravo-3Kp8Rt1Ws6Hd"
REFUSED = "tcSECRET-delta-9Hs4Nb6Qe2Jc"  # a key the target does not know: 401 echoes it
TOKENS = (ALPHA, BRAVO, REFUSED)
WINDOW = 10  # no run of this many characters of a token may appear: a cut token leaks too
VERBOSE = ("-v", "-rA")
JUNIT = "junit-from-the-flag.xml"  # --junitxml's file, beside what the run itself writes


def fragments(token: str) -> set[str]:
    return {token[i : i + WINDOW] for i in range(len(token) - WINDOW + 1)}


@pytest.fixture(scope="module")
def target() -> Iterator[hostile.HostileServer]:
    upstream = reference.start("aitronos", fault="other-tenant-leak")
    demo = upstream.credentials
    assert demo.primary and demo.secondary
    served = hostile.start(
        {"/v1/threads": upstream.url}, {ALPHA: demo.primary, BRAVO: demo.secondary}
    )
    try:
        yield served
    finally:
        served.stop()
        upstream.stop()


@pytest.fixture(scope="module")
def runs(
    target: hostile.HostileServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Future[hostile.SuiteRun]]]:
    base = ("--contract", "aitronos", "--base-url", target.base("echo"), "--profile", "quick")

    def run(how: str) -> hostile.SuiteRun:
        reports = tmp_path_factory.mktemp(how)
        junit = ("--junitxml", str(reports / JUNIT))
        if how == "flags":
            flags = ("--token", ALPHA, "--second-token", BRAVO)
            return hostile.run_suite(*base, *flags, *VERBOSE, *junit, report_dir=reports)
        env = {"THREADCONFORM_TOKEN": REFUSED, "THREADCONFORM_SECOND_TOKEN": BRAVO}
        return hostile.run_suite(*base, *VERBOSE, *junit, report_dir=reports, env=env)

    with ThreadPoolExecutor(max_workers=2) as pool:
        yield {how: pool.submit(run, how) for how in ("flags", "env")}


def everything_written(run: hostile.SuiteRun) -> dict[str, str]:
    written = {str(path): text for path, text in hostile.files_under(run.report_dir).items()}
    return {"stdout": run.stdout, "stderr": run.stderr, **written}


@pytest.mark.parametrize("how", ["flags", "env"])
def test_no_token_in_any_output(runs: dict[str, Future[hostile.SuiteRun]], how: str) -> None:
    run = runs[how].result()
    texts = everything_written(run)
    assert (run.report_dir / JUNIT).is_file() and (run.report_dir / "summary.json").is_file()
    leaks = [
        (name, piece)
        for name, text in texts.items()
        for token in TOKENS
        for piece in fragments(token)
        if piece in text
    ]
    assert not leaks, f"credential fragments leaked: {leaks[:5]}"


def test_failure_texts_that_quote_the_echo_show_stars(
    runs: dict[str, Future[hostile.SuiteRun]],
) -> None:
    """The leak checks above mean something only if echoed tokens reached failure texts."""
    run = runs["flags"].result()
    assert run.returncode == 1, run.explain()
    for rule in ("TENANT-ISOLATION", "META-OBJECT", "SCHEMA-RESPONSE"):
        assert re.search(rf"^FAILED \S+\[aitronos::{rule}\]", run.output, re.M), rule
    assert "thread for ***" in run.output, run.explain()
    assert "-H 'X-API-Key: ***'" in run.output, run.explain()
    junit = (run.report_dir / JUNIT).read_text()
    assert "thread for ***" in junit and "X-API-Key: ***" in junit


def test_a_refused_token_echoed_in_a_401_is_redacted(
    runs: dict[str, Future[hostile.SuiteRun]],
) -> None:
    run = runs["env"].result()
    # A refused credential is a setup mistake, named before any rule (exit 8).
    assert run.returncode == 8, run.explain()
    assert "threadconform: the credential was refused" in run.output, run.explain()
    assert "the API key is not valid: ***" in run.output, run.explain()
