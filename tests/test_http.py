"""Conformance: HTTP, schema and parameter validation.

One test item per contract and rule; the rules and their statements are in
threadconform/rules.py, their severity per contract in each spec's x-pagination.rules.
"""

AREAS = ("http", "schema", "params")


def test_rule(rule_case) -> None:
    rule_case.check()
