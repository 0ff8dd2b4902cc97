"""Conformance: what a vendor's security review wants to hear (errors that reveal
internals, credentials in list items, auth edge cases a client library will hit).

The test lives in the package (threadconform/suite/test_security.py), so an installed suite
runs the same items; see that module.
"""

from threadconform.suite.test_security import AREAS, test_rule

__all__ = ["AREAS", "test_rule"]
