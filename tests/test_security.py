"""Conformance: what a vendor's security review wants to hear (errors that reveal
internals, credentials in list items, auth edge cases a client library will hit).

One test item per contract and rule; the rules and their statements are in
threadconform/rules.py. This module sorts after the others, so the error-body scan sees
the answers to every request the run sent before it.
"""

AREAS = ("security",)


def test_rule(rule_case) -> None:
    rule_case.check()
