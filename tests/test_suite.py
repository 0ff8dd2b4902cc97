"""Conformance run integrity: the suite's own errors (SUITE-ERROR).

Collected last (file order), so that it reports on every probe the run started.
"""

AREAS = ("suite",)


def test_rule(rule_case) -> None:
    rule_case.check()
