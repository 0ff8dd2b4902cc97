"""Conformance: authentication and tenant isolation.

The test lives in the package (threadconform/suite/test_auth.py), so an installed suite runs
the same items; see that module.
"""

from threadconform.suite.test_auth import AREAS, test_rule

__all__ = ["AREAS", "test_rule"]
