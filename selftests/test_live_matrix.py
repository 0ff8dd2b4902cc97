"""The mutation matrix on live targets (issue 19): servers whose data changes while the
suite walks them (a new newest thread every 20 list requests on a prime total; a deletion
every 60 on the default dataset). Every conforming server passes, and every page-boundary
fault is still caught while the writes arrive.

Slow (`-m slow`, CI's slow tier). The report goes next to the mutation matrix's
($MUTATION_MATRIX_REPORT's folder, as mutation-matrix-live.md), else to a tmp folder.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from selftests.guard import progress_printer
from threadconform import mutation
from threadconform.mutation.matrix import Matrix

REPORT_ENV = "MUTATION_MATRIX_REPORT"


@pytest.fixture(scope="module")
def live_matrix(
    pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Matrix]:
    progress = progress_printer(pytestconfig, "live ")

    found = mutation.run_matrix(
        mutation.live_variants(),
        mutation.LIVE_DATASETS,
        profile="default",
        schemathesis=False,
        black_box=(),
        progress=progress,
    )
    named = os.environ.get(REPORT_ENV)
    folder = Path(named).parent if named else tmp_path_factory.mktemp("live-matrix")
    folder.mkdir(parents=True, exist_ok=True)
    text = mutation.report(found)
    (folder / "mutation-matrix-live.md").write_text(text)
    progress(mutation.headline(text) + "\n")
    yield found


@pytest.mark.slow
def test_every_page_boundary_fault_is_caught_while_the_data_changes(live_matrix: Matrix) -> None:
    missed = [v for v in live_matrix.variants if not v.tolerated and not live_matrix.ok(v)]
    assert not missed, mutation.failures(live_matrix, tolerated=False)


@pytest.mark.slow
def test_no_false_alarm_while_the_data_changes(live_matrix: Matrix) -> None:
    alarms = [v for v in live_matrix.variants if v.tolerated and not live_matrix.ok(v)]
    assert not alarms, mutation.failures(live_matrix, tolerated=True)


@pytest.mark.slow
def test_the_live_servers_did_change(live_matrix: Matrix) -> None:
    # A live dataset whose server never changed would prove nothing about live targets.
    for served in live_matrix.servers:
        assert served.changes > 0, (served.contract, served.dataset.name)
