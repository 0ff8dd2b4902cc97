"""The fault catalogue: every fault in its fixed order, and the look-ups by contract.

The order is part of the catalogue (`--list-faults`, the mutation matrix's plan and its
counts follow it). This module imports the definition modules; none of them imports it.
"""

from __future__ import annotations

from threadconform.reference.auth import Credentials, credentials
from threadconform.reference.faults.chat import CHAT
from threadconform.reference.faults.fault import Fault
from threadconform.reference.faults.gmail import GMAIL
from threadconform.reference.faults.kortix import KORTIX
from threadconform.reference.faults.links import GITHUB, GRAPH
from threadconform.reference.faults.real import REAL
from threadconform.reference.faults.security import SECURITY
from threadconform.reference.faults.shared import BOUNDARY, SHARED, VENDOR_ONLY
from threadconform.reference.faults.stripe import STRIPE
from threadconform.reference.faults.vendor import AITRONOS, FREDDY
from threadconform.reference.faults.worker import WORKER
from threadconform.reference.hooks import CONFORMING, Hooks

__all__ = ["FAULTS", "OPT_IN_FAULTS", "credentials_for", "faults", "hooks_for"]

# The built-in contracts' faults.
FAULTS: tuple[Fault, ...] = (
    SHARED + VENDOR_ONLY + BOUNDARY + KORTIX + CHAT + AITRONOS + FREDDY + WORKER + REAL + SECURITY
)

# The opt-in contracts' faults.
OPT_IN_FAULTS: tuple[Fault, ...] = GRAPH + GITHUB + GMAIL + STRIPE


def faults(contract: str) -> dict[str, Fault]:
    """The faults a contract's server accepts, by name (opt-in contracts' included)."""
    return {f.name: f for f in (*FAULTS, *OPT_IN_FAULTS) if contract in f.contracts}


def credentials_for(contract: str, fault: str | None) -> Credentials:
    """The demo credentials a server of `contract` with `fault` accepts."""
    chosen = faults(contract).get(fault or "")
    found = chosen.credentials if chosen is not None else None
    return found or credentials(contract)


def hooks_for(contract: str, fault: str | None) -> Hooks:
    """The hooks for a server of `contract` with `fault` (None: conforming)."""
    if fault is None:
        return CONFORMING
    known = faults(contract)
    if fault not in known:
        valid = ", ".join(known) or "(none)"
        raise ValueError(f"unknown fault {fault!r} for {contract}; valid faults: {valid}")
    return known[fault].hooks
