"""The suite's test modules, shipped inside the package.

Each module names the rule areas it shows (`AREAS`) and has one test, `test_rule`, that
the plugin parametrizes with one item per target and rule. The repository's `tests/`
re-exports these modules; an installed package runs them from here (`pytest --contract C`
from any folder, or `threadconform run`).
"""

from pathlib import Path

__all__ = ["SUITE_DIR"]

SUITE_DIR = Path(__file__).resolve().parent
