"""Every probe the engine knows, in the order a run executes them.

Importing the probe modules registers their probes (`@probe` in `probes.api`); each says
its place with `order`, and `last` puts a probe after all others. The fuzz probes are
declared lazily (`probes.fuzz_declared`): Schemathesis is imported only when one runs.
"""

from __future__ import annotations

from threadconform.probes import (  # noqa: F401  (imported to register their probes)
    auth,
    backward,
    cursor_errors,
    cursors,
    edges,
    filters,
    fuzz_declared,
    links,
    params,
    security,
    token_errors,
    walks,
)
from threadconform.probes.api import REGISTRY, Probe

__all__ = ["PROBES", "RUN_LAST"]

PROBES: tuple[Probe, ...] = REGISTRY.probes()
# Rules a run asks for after every other rule of the same target (pytest_plugin orders
# the items so): those of the `last` probes, which judge what every other probe received
# (the run's error bodies), and SUITE-ERROR, which reports on every probe the run started.
RUN_LAST: frozenset[str] = REGISTRY.run_last()
