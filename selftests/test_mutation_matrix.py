"""The mutation matrix: every injected fault caught by the rule it breaks, every tolerated
variant passed, with plain Schemathesis run on the same variants for comparison.

Each variant is a black-box run of the suite (`pytest --contract C --base-url URL` in a
subprocess) against a reference server started with one fault. The matrix is written to
$MUTATION_MATRIX_REPORT (else a tmp folder); its headline (both kill rates) is also printed.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from threadconform import mutation, reference

# Written under the test's tmp folder unless CI names a place (.ci/run keeps it in reports/).
REPORT_ENV = "MUTATION_MATRIX_REPORT"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def report_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    named = os.environ.get(REPORT_ENV)
    return Path(named) if named else tmp_path_factory.mktemp("matrix") / "mutation-matrix.md"


@pytest.fixture(scope="module")
def outcomes(report_path: Path) -> list[mutation.Outcome]:
    started = time.perf_counter()
    results = mutation.run_matrix(mutation.variants(), profile="quick", schemathesis=True)
    text = mutation.report(results, time.perf_counter() - started)
    report_path.parent.mkdir(parents=True, exist_ok=True)
    report_path.write_text(text)
    print("\n" + text.split("\n\n")[1])  # the headline table
    return results


def test_every_contract_has_twelve_faults_and_three_tolerated_variants() -> None:
    for contract in reference.CONTRACTS:
        catalogue = reference.faults(contract).values()
        assert sum(not f.tolerated for f in catalogue) >= 12, contract
        assert sum(f.tolerated for f in catalogue) >= 3, contract


def test_every_fault_is_caught_by_a_rule_it_breaks(outcomes: list[mutation.Outcome]) -> None:
    missed = [o for o in outcomes if not o.variant.tolerated and not o.ok]
    assert not missed, "\n\n".join(
        f"{o.variant.label} (breaks {', '.join(o.variant.breaks)}): exit {o.exit_status}, "
        f"failed {o.failed or 'nothing'}\n{o.detail}"
        for o in missed
    )


def test_no_false_alarm_on_a_tolerated_variant(outcomes: list[mutation.Outcome]) -> None:
    alarms = [o for o in outcomes if o.variant.tolerated and not o.ok]
    assert not alarms, "\n\n".join(
        f"{o.variant.label}: exit {o.exit_status}, failed {o.failed}\n{o.detail}" for o in alarms
    )


def test_the_matrix_report_names_both_kill_rates(
    outcomes: list[mutation.Outcome], report_path: Path
) -> None:
    text = report_path.read_text()
    assert "| faults caught |" in text and "plain Schemathesis" in text
    assert all(o.variant.label.split("/")[1] in text for o in outcomes if o.variant.fault)
