"""Conformance: HTTP, schema and parameter validation.

One test item per contract and rule; the rules and their statements are in
threadconform/rules.py, their severity per contract in each spec's x-pagination.rules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from threadconform.pytest_plugin import RuleCase

AREAS = ("http", "schema", "params")


def test_rule(rule_case: RuleCase) -> None:
    rule_case.check()
