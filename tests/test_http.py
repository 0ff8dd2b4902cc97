"""Conformance: HTTP, schema and parameter validation.

The test lives in the package (threadconform/suite/test_http.py), so an installed suite runs
the same items; see that module.
"""

from threadconform.suite.test_http import AREAS, test_rule

__all__ = ["AREAS", "test_rule"]
