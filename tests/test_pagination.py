"""Conformance: walks, page sizes and pagination metadata.

The test lives in the package (threadconform/suite/test_pagination.py), so an installed suite runs
the same items; see that module.
"""

from threadconform.suite.test_pagination import AREAS, test_rule

__all__ = ["AREAS", "test_rule"]
