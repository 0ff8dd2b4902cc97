"""Conformance: authentication and tenant isolation.

One test item per contract and rule; the rules and their statements are in
threadconform/rules.py, their severity per contract in each spec's x-pagination.rules.
"""

AREAS = ("auth", "tenant")


def test_rule(rule_case) -> None:
    rule_case.check()
