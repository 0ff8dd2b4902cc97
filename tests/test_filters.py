"""Conformance: filters and their defaults.

The test lives in the package (threadconform/suite/test_filters.py), so an installed suite runs
the same items; see that module.
"""

from threadconform.suite.test_filters import AREAS, test_rule

__all__ = ["AREAS", "test_rule"]
