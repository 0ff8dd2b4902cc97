"""Conformance: determinism and item-level rules.

The test lives in the package (threadconform/suite/test_items.py), so an installed suite runs
the same items; see that module.
"""

from threadconform.suite.test_items import AREAS, test_rule

__all__ = ["AREAS", "test_rule"]
