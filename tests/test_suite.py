"""Conformance run integrity: the suite's own errors (SUITE-ERROR).

The test lives in the package (threadconform/suite/test_suite.py), so an installed suite runs
the same items; see that module.
"""

from threadconform.suite.test_suite import AREAS, test_rule

__all__ = ["AREAS", "test_rule"]
