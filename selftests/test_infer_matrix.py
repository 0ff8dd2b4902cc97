"""bench/infer_matrix.py on two contracts (issue 23 point 4): a draft inferred from the
reference server, its TODOs decided from the hand-written spec, passes check-spec and
gives the hand-written spec's verdicts on the conforming server, its tolerated variants
and its page-boundary/metadata faults, or the difference is one the bench explains."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "infer_matrix.py"


def _bench() -> ModuleType:
    found = importlib.util.spec_from_file_location("infer_matrix", BENCH)
    assert found is not None and found.loader is not None
    module = importlib.util.module_from_spec(found)
    sys.modules["infer_matrix"] = module
    found.loader.exec_module(module)
    return module


@pytest.mark.slow
@pytest.mark.parametrize("name", ["stripe", "gmail"])
def test_inferred_spec_gives_the_hand_written_verdicts(name: str, tmp_path: Path) -> None:
    bench = _bench()
    result = bench.run_contract(name, "quick", tmp_path)
    assert result.lint == []  # check-spec accepts the decided draft
    assert all(field.split(":")[0] in bench.DECIDABLE for field in result.decided)
    kinds = {row.kind for row in result.rows}
    assert kinds >= {"conforming", "fault"}
    unexplained = [row for row in result.rows if row.differs and bench.explain(name, row) is None]
    assert unexplained == []
