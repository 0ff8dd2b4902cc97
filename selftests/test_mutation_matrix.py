"""The mutation matrix: every injected fault caught, on every dataset it runs on, by a rule
it breaks; every tolerated variant and conforming server passed on every dataset; plain
Schemathesis run on the default dataset for comparison.

The matrix itself is slow (`-m slow`): every variant is `pytest --contract C --base-url URL
--profile default` run in a long-lived worker process against one server per (contract,
dataset) that serves every fault under `/__fault/NAME`. It writes its report to
$MUTATION_MATRIX_REPORT (else a tmp folder) and prints a line as each contract's dataset
is done. The fast
tests here check the plan, the fault-prefix server and how outcomes are judged.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from selftests.guard import progress_printer
from threadconform import mutation, reference
from threadconform.mutation import plan, runs, servers
from threadconform.mutation.matrix import Matrix, Outcome, _Tracker
from threadconform.reference.app import PATHS

# Written under the test's tmp folder unless CI names a place (.ci/run keeps it in reports/).
REPORT_ENV = "MUTATION_MATRIX_REPORT"
# Issue 10 asks for every page-boundary fault caught "in the default profile".
PROFILE = "default"
# Plain Schemathesis on the default dataset (the headline comparison); "0" leaves it out.
SCHEMATHESIS = os.environ.get("THREADCONFORM_MATRIX_SCHEMATHESIS", "1") != "0"


# --- the plan (fast) -----------------------------------------------------------------


def test_every_contract_has_twelve_faults_and_three_tolerated_variants() -> None:
    for contract in reference.CONTRACTS:
        catalogue = reference.faults(contract).values()
        assert sum(not f.tolerated for f in catalogue) >= 12, contract
        assert sum(f.tolerated for f in catalogue) >= 3, contract


def test_the_datasets_are_a_prime_total_one_below_the_default_limit_and_the_default() -> None:
    by_total = {d.total: d for d in mutation.DATASETS}
    assert mutation.DATASETS[0] == mutation.DEFAULT
    assert (mutation.DEFAULT.threads, mutation.DEFAULT.seed) == (237, 0)  # what users get
    assert {"prime", "below-default-limit"} <= set(by_total)
    assert len({(d.threads, d.seed) for d in mutation.DATASETS}) == len(mutation.DATASETS)


def test_page_boundary_faults_and_passing_variants_run_on_every_dataset() -> None:
    every = mutation.variants()
    for variant in every:
        chosen = mutation.datasets_for(variant)
        if variant.tolerated or set(variant.breaks) & mutation.PAGE_BOUNDARY_RULES:
            assert chosen == mutation.DATASETS, variant.label
        else:
            assert chosen == (mutation.DEFAULT,), variant.label
    boundary = [v for v in every if not v.tolerated and v.page_boundary]
    assert {v.label for v in boundary} >= {
        "kortix/page-off-by-one",
        "worker/offset-off-by-one",
        "aitronos/cursor-drops-ties",
        "freddy/inclusive-cursor",
    }
    cells = mutation.cells(every)
    assert len(cells) == sum(len(mutation.datasets_for(v)) for v in every)


def test_a_fault_that_needs_a_longer_listing_is_not_counted_on_a_short_one() -> None:
    limit20 = mutation.Variant("chat", "default-limit-20", False, ("PAGE-DEFAULT-LIMIT",))
    assert not plan.observable(limit20, 9) and plan.observable(limit20, 127)
    assert plan.observable(_FAULT, 1) and plan.observable(limit20, None)
    chat = [v for v in mutation.variants(["chat"]) if v.fault == "default-limit-20"]
    assert chat, "the fault this test is about left the catalogue: update NEEDS_TOTAL"


def test_a_fault_server_keeps_the_conforming_api_at_its_root_and_faults_under_a_prefix() -> None:
    contract, fault = "worker", "total-off-by-one"
    params = {"limit": 7, "offset": 7}
    with (
        reference.start(contract) as plain,
        reference.start(contract, fault=fault) as faulty,
        reference.start(contract, all_faults=True) as every,
    ):

        def body(url: str) -> dict[str, object]:
            found = httpx.get(url + PATHS[contract], params=params, timeout=10).json()
            # Absolute icon URLs name the server they came from: compare the rest.
            return {k: v for k, v in found.items() if k != "threads"} | {
                "ids": [t["id"] for t in found["threads"]]
            }

        assert body(every.fault_url(None)) == body(plain.url)
        assert body(every.fault_url(fault)) == body(faulty.url)
        assert body(every.fault_url(fault)) != body(plain.url)
        missing = httpx.get(every.url + "/__fault/no-such-fault" + PATHS[contract], timeout=10)
        assert missing.status_code == 404


def test_a_fault_server_refuses_a_single_fault_as_well() -> None:
    with pytest.raises(ValueError, match="all_faults"):
        reference.start("kortix", fault="page-off-by-one", all_faults=True)


def test_a_prime_dataset_moves_its_thread_count_until_the_listing_total_is_prime() -> None:
    # aitronos lists only visible threads: 151 threads give a listing of another size.
    served = servers.serve("aitronos", mutation.PRIME)
    try:
        assert served.total is not None and servers.is_prime(served.total), served.total
        assert served.threads >= mutation.PRIME.threads
        assert served.meets
    finally:
        served.server.stop()


def test_a_small_dataset_lists_fewer_threads_than_the_default_limit() -> None:
    served = servers.serve("kortix", mutation.SMALL)
    try:
        assert served.total == mutation.SMALL.threads
        assert served.default_limit is not None and served.total < served.default_limit
        assert served.meets
    finally:
        served.server.stop()


# --- how outcomes are judged (fast) -----------------------------------------------------


_NO_AUTH = reference.Credentials(None, None)


def _job(kind: str, contract: str) -> mutation.Job:
    url = "http://127.0.0.1:1"
    return mutation.Job(kind, contract, url, _NO_AUTH, "default", ("", ""))  # type: ignore[arg-type]


def _outcome(variant: mutation.Variant, dataset: mutation.Dataset, **result: Any) -> Outcome:
    return Outcome(
        mutation.Cell(variant, dataset), mutation.Result(_job("suite", variant.contract), **result)
    )


_FAULT = mutation.Variant("kortix", "page-off-by-one", False, ("PAGE-NO-GAPS", "META-TOTAL"))
_TOLERATED = mutation.Variant("kortix", "extra-fields", True)


def test_a_fault_is_caught_only_by_a_failed_run_naming_a_rule_it_breaks() -> None:
    caught = _outcome(_FAULT, mutation.DEFAULT, exit_status=1, failed=("META-TOTAL",))
    assert caught.ok and caught.verdict == "caught" and caught.named == ("META-TOTAL",)
    elsewhere = _outcome(_FAULT, mutation.DEFAULT, exit_status=1, failed=("SCHEMA-RESPONSE",))
    assert not elsewhere.ok and elsewhere.verdict == "MISSED"
    passed = _outcome(_FAULT, mutation.DEFAULT, exit_status=0)
    assert not passed.ok
    hung = _outcome(_FAULT, mutation.DEFAULT, exit_status=None)
    assert not hung.ok and hung.verdict == "NO RESULT"


def test_a_tolerated_variant_must_pass() -> None:
    assert _outcome(_TOLERATED, mutation.DEFAULT, exit_status=0).ok
    alarm = _outcome(_TOLERATED, mutation.DEFAULT, exit_status=1, failed=("META-OBJECT",))
    assert not alarm.ok and alarm.verdict == "FALSE ALARM"
    assert not _outcome(_TOLERATED, mutation.DEFAULT, exit_status=6).ok


def test_a_fault_counts_as_caught_only_if_caught_on_every_dataset() -> None:
    matrix = Matrix("default", 2, mutation.DATASETS)
    matrix.outcomes = [
        _outcome(_FAULT, mutation.DEFAULT, exit_status=1, failed=("PAGE-NO-GAPS",)),
        _outcome(_FAULT, mutation.PRIME, exit_status=0),
        _outcome(_FAULT, mutation.SMALL, exit_status=1, failed=("META-TOTAL",)),
        _outcome(_TOLERATED, mutation.DEFAULT, exit_status=0),
    ]
    assert not matrix.ok(_FAULT) and matrix.ok(_TOLERATED)
    text = mutation.report(matrix)
    assert "| faults caught on every dataset | 0/1 (0%)" in text
    assert "| prime | 151, 1 | 0/1 | 0% |" in text
    assert "| default | 237, 0 | 1/1 | 100% | 0/1 |" in text
    assert "| kortix/page-off-by-one | prime | MISSED |" in text


def test_a_progress_line_says_when_a_contracts_dataset_is_done_and_what_went_wrong() -> None:
    planned = [mutation.Cell(_FAULT, mutation.PRIME), mutation.Cell(_TOLERATED, mutation.PRIME)]
    jobs = [
        mutation.Job("suite", "kortix", "u", _NO_AUTH, "default", (c.variant.label, "prime"))
        for c in planned
    ]
    lines: list[str] = []
    tracker = _Tracker(jobs, planned, lines.append, 0.0)
    tracker.add(mutation.Result(jobs[0], 0))
    assert lines == []  # one run of the group is still out
    tracker.add(mutation.Result(jobs[1], 0))
    assert len(lines) == 1 and lines[0].startswith("matrix: kortix on dataset prime: ")
    assert "0/1 faults caught, 0/1 false alarms" in lines[0]
    assert "page-off-by-one MISSED" in lines[0] and "[1/1 done" in lines[0]


def test_a_job_that_breaks_the_matrix_is_a_result_without_an_exit_status() -> None:
    job = _job("nonsense", "kortix")
    result = runs.run(job)
    assert result.exit_status is None and "KeyError" in result.detail


# --- the matrix (slow) ----------------------------------------------------------------


@pytest.fixture(scope="module")
def report_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    named = os.environ.get(REPORT_ENV)
    return Path(named) if named else tmp_path_factory.mktemp("matrix") / "mutation-matrix.md"


@pytest.fixture(scope="module")
def matrix(pytestconfig: pytest.Config, report_path: Path) -> Iterator[Matrix]:
    progress = progress_printer(pytestconfig)

    found = mutation.run_matrix(
        mutation.variants(), profile=PROFILE, schemathesis=SCHEMATHESIS, progress=progress
    )
    text = mutation.report(found)
    report_path.parent.mkdir(parents=True, exist_ok=True)
    report_path.write_text(text)
    progress(mutation.headline(text) + "\n")
    yield found


@pytest.mark.slow
def test_every_fault_is_caught_on_every_dataset_by_a_rule_it_breaks(matrix: Matrix) -> None:
    missed = [v for v in matrix.variants if not v.tolerated and not matrix.ok(v)]
    assert not missed, mutation.failures(matrix, tolerated=False)


@pytest.mark.slow
def test_no_false_alarm_on_any_dataset(matrix: Matrix) -> None:
    alarms = [v for v in matrix.variants if v.tolerated and not matrix.ok(v)]
    assert not alarms, mutation.failures(matrix, tolerated=True)


@pytest.mark.slow
def test_every_dataset_has_the_listing_total_it_claims(matrix: Matrix) -> None:
    wrong = [s for s in matrix.servers if not s.meets]
    assert not wrong, [(s.contract, s.dataset.name, s.threads, s.total) for s in wrong]
    assert len(matrix.servers) == len(reference.CONTRACTS) * len(mutation.DATASETS)


@pytest.mark.slow
def test_in_process_runs_equal_what_a_user_gets_from_pytest(matrix: Matrix) -> None:
    assert len(matrix.comparisons) == len(mutation.BLACK_BOX)
    for comparison in matrix.comparisons:
        assert comparison.same, comparison
    exits = {c.black_box.exit_status for c in matrix.comparisons}
    assert 0 in exits, "the black-box proof needs a passing run"


@pytest.mark.slow
def test_the_report_gives_kill_rates_per_dataset_and_every_run(
    matrix: Matrix, report_path: Path
) -> None:
    text = report_path.read_text()
    assert "| faults caught on every dataset |" in text and "plain Schemathesis" in text
    for dataset in mutation.DATASETS:
        assert f"| {dataset.name} | {dataset.threads}, {dataset.seed} |" in text
    for outcome in matrix.outcomes:
        row = f"| {outcome.variant.fault or '(conforming)'} | {outcome.variant.kind} | "
        assert row + outcome.dataset.name in text
