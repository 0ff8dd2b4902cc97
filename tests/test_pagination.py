"""Conformance: walks, page sizes and pagination metadata.

One test item per contract and rule; the rules and their statements are in
threadconform/rules.py, their severity per contract in each spec's x-pagination.rules.
"""

AREAS = ("walk", "meta")


def test_rule(rule_case) -> None:
    rule_case.check()
