"""Every probe the engine knows, in the order a run executes them.

Importing the probe modules registers their probes (`@probe` in `probes.api`); every
module of the package is imported here, so a new module needs no line of its own. Each
probe says its place with `order`, and `last` puts a probe after all others. The fuzz probes are
declared lazily (`probes.fuzz_declared`): Schemathesis is imported only when one runs.
"""

from __future__ import annotations

import importlib
import pkgutil

from threadconform import probes
from threadconform.probes.api import REGISTRY, Probe

__all__ = ["LAZY_MODULES", "PROBES", "RUN_LAST"]

# Modules whose probes are declared elsewhere and imported only when one runs (their
# declarations, in `probes.fuzz_declared`, name them): importing them here would cost every
# run Schemathesis' import.
LAZY_MODULES = frozenset({"threadconform.probes.fuzz"})
# Every other module of this package is imported, so a probe in a new module registers
# itself: adding a rule takes no edit of this file or of the engine (docs/DESIGN.md).
for _module in pkgutil.iter_modules(probes.__path__, prefix="threadconform.probes."):
    if _module.name not in LAZY_MODULES:
        importlib.import_module(_module.name)

PROBES: tuple[Probe, ...] = REGISTRY.probes()
# Rules a run asks for after every other rule of the same target (pytest_plugin orders
# the items so): those of the `last` probes, which judge what every other probe received
# (the run's error bodies), and SUITE-ERROR, which reports on every probe the run started.
RUN_LAST: frozenset[str] = REGISTRY.run_last()
