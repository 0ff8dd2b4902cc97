"""Kept for its old import path: the opt-in contracts' faults now live in the `faults`
package (`faults/links.py`, `faults/gmail.py`, `faults/stripe.py`)."""

from __future__ import annotations

from threadconform.reference.faults.catalogue import OPT_IN_FAULTS
from threadconform.reference.faults.fault import Fault

__all__ = ["OPT_IN_FAULTS", "Fault"]
