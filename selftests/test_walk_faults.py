"""Page-boundary faults are caught on every data set, and conforming servers pass (issue 10).

Each run drives the suite's engine in-process against a reference server started with a
data set of `walk_run.DATASETS`: a prime total with the tie groups of a real Kortix table,
a total below every contract's default limit, and the default data set. A fault counts as
caught only if it is caught on all three.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from threadconform import reference, rules
from threadconform.probes.cursors import CURSOR_RULES
from threadconform.probes.walks import WALK_RULES
from threadconform.runner import format_failure

try:  # run as a package (selftests/__init__.py) or as loose files (pytest's rootdir)
    from selftests.walk_run import DATASETS, run_engine
except ImportError:
    from walk_run import DATASETS, run_engine  # type: ignore[no-redef]

TIMEOUT_SCALE = float(os.environ.get("THREADCONFORM_TEST_TIMEOUT_SCALE", "1"))
BOUNDARY_DUPS = ("PAGE-NO-DUPLICATES", "PAGE-NO-GAPS")
# The rule that must fail for each fault (any one of them).
CAUGHT_BY: dict[str, tuple[str, ...]] = {
    "page-repeats-last-item": ("PAGE-NO-DUPLICATES",),
    "total-counts-page": ("META-TOTAL",),
    "tie-order-plan-flip": BOUNDARY_DUPS,
    "cursor-tie-order-plan-flip": BOUNDARY_DUPS,
}
CASES = [
    (contract, fault)
    for fault in CAUGHT_BY
    for contract in reference.CONTRACTS
    if fault in reference.faults(contract)
]


def must_failures(engine, contract: str, wanted: tuple[str, ...]) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        rule
        for rule in wanted
        if engine.record(rule).status == "fail" and engine.severity(rule) == "MUST"
    ]


@pytest.mark.slow  # 27 runs: about a minute on an idle machine
@pytest.mark.parametrize("dataset", list(DATASETS))
@pytest.mark.parametrize(("contract", "fault"), CASES)
def test_boundary_fault_is_caught_on_every_dataset(contract: str, fault: str, dataset: str) -> None:
    with reference.start(contract, fault=fault, **DATASETS[dataset]) as server:  # type: ignore[arg-type]
        engine = run_engine(contract, server)
        failed = must_failures(engine, contract, CAUGHT_BY[fault])
        assert failed, {rule: engine.record(rule).reason for rule in CAUGHT_BY[fault]}


@pytest.mark.slow
@pytest.mark.parametrize("dataset", list(DATASETS))
@pytest.mark.parametrize("contract", reference.CONTRACTS)
def test_conforming_server_gives_no_walk_alarm(contract: str, dataset: str) -> None:
    with reference.start(contract, **DATASETS[dataset]) as server:  # type: ignore[arg-type]
        engine = run_engine(contract, server)
        judged = [r for r in (*WALK_RULES, *CURSOR_RULES) if engine.severity(r) != "off"]
        failed = {r: engine.record(r).reason for r in judged if engine.record(r).status == "fail"}
        assert not failed
        walked = engine.context.cache["walk-stats"]
        assert walked["walks"] >= 10, walked  # the plan ran, not a single example


def test_plan_flip_fails_a_boundary_rule_with_the_curl_of_both_pages() -> None:
    """The real Kortix bug: ORDER BY created_at without a tie-breaker, the plan flips past
    an offset; on 151 threads with tie groups 12/7/25/5 a walk repeats and drops threads."""
    with reference.start(
        "kortix", fault="tie-order-plan-flip", **DATASETS["prime-151-ties"]
    ) as server:  # type: ignore[arg-type]
        engine = run_engine("kortix", server)
        failed = must_failures(engine, "kortix", BOUNDARY_DUPS)
        assert failed
        rule = failed[0]
        text = format_failure("kortix", rule, "MUST", engine.record(rule))
    curls = [line for line in text.splitlines() if "reproduce: curl" in line]
    pages = {int(m.group(1)) for line in curls if (m := re.search(r"[?&]page=(\d+)", line))}
    assert any(p + 1 in pages or p - 1 in pages for p in pages), text  # two adjacent pages
    assert rules.BY_ID[rule].statement in text


def test_a_should_violation_does_not_stop_the_walks() -> None:
    """The worker's order is a SHOULD: a fault breaking only it leaves every walk judged."""
    with reference.start("worker", fault="tie-order-plan-flip", **DATASETS["small-13"]) as server:  # type: ignore[arg-type]
        engine = run_engine("worker", server)
        assert engine.severity("ORDER-SORTED") == "SHOULD"
        assert engine.record("PAGE-NO-DUPLICATES").status == "fail"
        assert engine.context.cache["walk-stats"]["walks"] >= 10


def test_an_empty_listing_skips_walk_rules_and_says_so_once() -> None:
    with reference.start("kortix", threads=0) as server:
        engine = run_engine("kortix", server)
        rules_ = (
            "PAGE-NO-GAPS",
            "PAGE-NO-DUPLICATES",
            "META-TOTAL",
            "ORDER-SORTED",
            "ORDER-STABLE",
        )
        for rule in rules_:
            record = engine.record(rule)
            assert record.status == "skip" and "first listing is empty" in record.reason, rule
        assert "first listing is empty" in engine.context.cache["empty-listing"]


def test_single_item_listing_skips_boundary_rules_instead_of_passing() -> None:
    with reference.start("kortix", threads=1) as server:
        engine = run_engine("kortix", server)
        for rule in ("PAGE-NO-GAPS", "PAGE-NO-DUPLICATES", "ORDER-SORTED"):
            assert engine.record(rule).status == "skip", (rule, engine.record(rule).reason)


def test_an_empty_listing_is_said_once_at_the_top_of_a_run(tmp_path: Path) -> None:
    from threadconform import mutation

    with reference.start("kortix", threads=0) as server:
        command = mutation.suite_command(
            "--contract", "kortix", "--base-url", server.url, "--report-dir", str(tmp_path),
            "-k", "PAGE-NO-GAPS or META-TOTAL",
        )  # fmt: skip
        result = subprocess.run(
            command, cwd=mutation.ROOT, env=mutation.suite_env(server.credentials),
            capture_output=True, text=True, timeout=300 * TIMEOUT_SCALE,
        )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 0, output  # skips only: nothing failed
    notes = [line for line in output.splitlines() if "the first listing is empty" in line]
    assert notes and "note:" in notes[0], output
    assert output.index(notes[0]) < output.index("= threadconform ="), output  # at the top


def test_an_empty_listing_judges_no_total_past_its_end() -> None:
    # 0 threads: the page past the end holds 0 whatever the total counts; PAGE-PAST-END-TOTAL
    # would "hold" on it even for a window-count total, so it is not judged there.
    with reference.start("kortix", threads=0) as server:
        engine = run_engine("kortix", server)
        total = engine.record("PAGE-PAST-END-TOTAL")
        past = engine.record("PAGE-PAST-END")
    assert total.status == "skip" and "the listing is empty" in total.reason, total.reason
    assert past.status == "pass"
