"""Every probe the engine knows, in the order a run executes them."""

from __future__ import annotations

from threadconform.probes import Probe
from threadconform.probes.auth import auth, tenants
from threadconform.probes.cursors import cursors
from threadconform.probes.edges import defaults, directions, past_end, totals
from threadconform.probes.filters import filters
from threadconform.probes.fuzz import fuzz_negative, fuzz_positive
from threadconform.probes.params import param_bounds
from threadconform.probes.security import (
    beyond_int64,
    security_auth,
    security_errors,
    security_items,
)
from threadconform.probes.walks import walks

PROBES: tuple[Probe, ...] = (
    auth,
    defaults,
    walks,
    past_end,
    totals,
    directions,
    cursors,
    filters,
    tenants,
    param_bounds,
    fuzz_positive,
    fuzz_negative,
    beyond_int64,
    security_auth,
    security_items,
    security_errors,  # last: it scans the error bodies every probe before it received
)
