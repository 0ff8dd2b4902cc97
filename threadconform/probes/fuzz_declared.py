"""The fuzz probes' names, rules and places in the run, declared without their module.

Their module imports Schemathesis (about a second of CPU), which a run pays only when it
asks for one of their rules; `threadconform.probes.fuzz` decorates the implementations
with these declarations, so the rules are written here once.
"""

from __future__ import annotations

from threadconform.probes.api import probe

__all__ = ["FUZZ_MODULE", "fuzz_negative", "fuzz_positive"]

FUZZ_MODULE = "threadconform.probes.fuzz"

fuzz_positive = probe(
    "fuzz-positive",
    "HTTP-NO-5XX",
    "HTTP-JSON",
    "SCHEMA-RESPONSE",
    "SCHEMA-EXAMPLE",
    "PARAM-VALID-ACCEPTED",
    order=140,
    lazy_module=FUZZ_MODULE,
)
fuzz_negative = probe(
    "fuzz-negative",
    "HTTP-NO-5XX",
    "PARAM-INVALID-REJECTED",
    "PARAM-ERROR-STATUS",
    "PARAM-ERROR-ENVELOPE",
    order=150,
    lazy_module=FUZZ_MODULE,
)
