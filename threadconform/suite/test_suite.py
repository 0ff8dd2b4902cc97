"""Conformance run integrity: whether the listing held still (TARGET-FROZEN) and the
suite's own errors (SUITE-ERROR).

Collected last (file order), so that it reports on every probe the run started.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from threadconform.pytest_plugin import RuleCase

AREAS = ("live", "suite")


def test_rule(rule_case: RuleCase) -> None:
    rule_case.check()
