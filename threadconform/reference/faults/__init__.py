"""Named, realistic defects a reference server can be started with (`--fault NAME`).

`fault` says what a fault is; `helpers` holds the building blocks the definitions share;
`shared`, `kortix`, `chat`, `vendor`, `worker`, `real`, `security`, `links`, `gmail` and
`stripe` define the faults by kind or contract; `catalogue` puts them in their fixed order
and looks them up. This package re-exports the catalogue's public names.
"""

from __future__ import annotations

from threadconform.reference.faults.catalogue import (
    FAULTS,
    OPT_IN_FAULTS,
    credentials_for,
    faults,
    hooks_for,
)
from threadconform.reference.faults.fault import Fault

__all__ = ["FAULTS", "OPT_IN_FAULTS", "Fault", "credentials_for", "faults", "hooks_for"]
