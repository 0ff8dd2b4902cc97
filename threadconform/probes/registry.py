"""Every probe the engine knows, in the order a run executes them.

The fuzz probes are deferred: their module imports Schemathesis (about a second of CPU),
which a run pays only when it asks for one of their rules. Their rules are declared here
as well; selftests/test_probes.py checks they match the module's own declaration.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from typing import TYPE_CHECKING

from threadconform.ledger import Finding
from threadconform.probes import Probe
from threadconform.probes.auth import auth, tenants
from threadconform.probes.backward import backward
from threadconform.probes.cursor_errors import cursor_errors
from threadconform.probes.cursors import cursors
from threadconform.probes.edges import defaults, directions, past_end, totals
from threadconform.probes.filters import filters
from threadconform.probes.links import links
from threadconform.probes.params import param_bounds
from threadconform.probes.security import (
    beyond_int64,
    security_auth,
    security_errors,
    security_items,
)
from threadconform.probes.walks import walks

if TYPE_CHECKING:
    from threadconform.engine import ProbeContext


def deferred(module: str, attribute: str, name: str, *rules: str) -> Probe:
    """A probe whose module is imported the first time it runs."""

    def run(context: ProbeContext) -> Iterable[Finding]:
        real: Probe = getattr(importlib.import_module(module), attribute)
        return real.run(context)

    return Probe(name, rules, run)


fuzz_positive = deferred(
    "threadconform.probes.fuzz",
    "fuzz_positive",
    "fuzz-positive",
    "HTTP-NO-5XX",
    "HTTP-JSON",
    "SCHEMA-RESPONSE",
    "SCHEMA-EXAMPLE",
    "PARAM-VALID-ACCEPTED",
)
fuzz_negative = deferred(
    "threadconform.probes.fuzz",
    "fuzz_negative",
    "fuzz-negative",
    "HTTP-NO-5XX",
    "PARAM-INVALID-REJECTED",
    "PARAM-ERROR-STATUS",
    "PARAM-ERROR-ENVELOPE",
)

PROBES: tuple[Probe, ...] = (
    auth,
    defaults,
    walks,
    past_end,
    totals,
    directions,
    cursors,
    cursor_errors,
    backward,
    links,
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
