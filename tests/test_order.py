"""Conformance: sort order and cursors.

The test lives in the package (threadconform/suite/test_order.py), so an installed suite runs
the same items; see that module.
"""

from threadconform.suite.test_order import AREAS, test_rule

__all__ = ["AREAS", "test_rule"]
