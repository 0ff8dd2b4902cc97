"""Conformance: filters and their defaults.

One test item per contract and rule; the rules and their statements are in
threadconform/rules.py, their severity per contract in each spec's x-pagination.rules.
"""

AREAS = ("filter",)


def test_rule(rule_case) -> None:
    rule_case.check()
