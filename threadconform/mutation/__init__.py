"""The mutation matrix: does the suite catch every injected fault, on every dataset, and
pass every tolerated variant and conforming server?

Each variant is a reference server's contract with one `--fault` (or none); each runs on
one or more datasets (`plan.py`). The suite runs against it as a user runs it, `pytest
--contract C --base-url URL`, in a long-lived worker process (`runs.py`, `matrix.py`), and
plain Schemathesis runs on the default dataset for comparison. `report.py` writes
reports/mutation-matrix.md.

    python -m threadconform.mutation [--profile default] [--no-schemathesis] [--contract C]
"""

from threadconform.mutation.matrix import BLACK_BOX, Comparison, Matrix, Outcome, run_matrix
from threadconform.mutation.plan import (
    DATASETS,
    DEFAULT,
    LIVE_DATASETS,
    PAGE_BOUNDARY_RULES,
    PRIME,
    SMALL,
    Cell,
    Dataset,
    Variant,
    cells,
    datasets_for,
    live_variants,
    variants,
)
from threadconform.mutation.report import failures, headline, report
from threadconform.mutation.runs import (
    ROOT,
    Job,
    Result,
    credential_env,
    suite_command,
    suite_env,
    timeout_scale,
)

__all__ = [
    "BLACK_BOX",
    "DATASETS",
    "DEFAULT",
    "LIVE_DATASETS",
    "PAGE_BOUNDARY_RULES",
    "PRIME",
    "ROOT",
    "SMALL",
    "Cell",
    "Comparison",
    "Dataset",
    "Job",
    "Matrix",
    "Outcome",
    "Result",
    "Variant",
    "cells",
    "credential_env",
    "datasets_for",
    "failures",
    "headline",
    "live_variants",
    "report",
    "run_matrix",
    "suite_command",
    "suite_env",
    "timeout_scale",
    "variants",
]
