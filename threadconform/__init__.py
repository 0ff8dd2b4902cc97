"""threadconform: a conformance suite for HTTP APIs that list conversation threads.

What a user or a plugin author imports is named here and loaded on first use (PEP 562),
so `import threadconform` (which pytest does for the plugin in every run of the
environment) costs nothing more than this module.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# name -> the module that defines it
_EXPORTS: dict[str, str] = {
    # contracts and rules
    "load_spec": "threadconform.spec",
    "Contract": "threadconform.model",
    "Pagination": "threadconform.model",
    "Rule": "threadconform.rules",
    "define_rule": "threadconform.rules",
    # writing a probe and its invariant
    "probe": "threadconform.probes.api",
    "ProbeContext": "threadconform.probes.context",
    "invariant": "threadconform.invariants",
    "Finding": "threadconform.ledger",
    "Violation": "threadconform.ledger",
    "Item": "threadconform.pages",
    "Page": "threadconform.pages",
    "Walk": "threadconform.pages",
    # how a run ends
    "ExitStatus": "threadconform.outcomes",
    "Outcome": "threadconform.outcomes",
    "RunVerdict": "threadconform.outcomes",
    "TargetStopped": "threadconform.outcomes",
    "RunOptions": "threadconform.options",
    # talking to a target, and the reference servers
    "Client": "threadconform.client",
    "start_reference": "threadconform.reference",
}
_RENAMED = {"load_spec": "load", "define_rule": "define", "start_reference": "start"}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'threadconform' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), _RENAMED.get(name, name))
    globals()[name] = value  # later lookups skip this function
    return value
