"""Probes: the parts of a run that talk to the target and turn what they see into findings.

Each probe declares the rules it can speak to and yields `Finding`s for them; the engine
runs a probe the first time one of its rules is asked for, and only once per contract.
Registering a probe is one decorator, as Schemathesis registers checks (`probes.api`);
what a probe may ask of the target is `probes.context.ProbeContext`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from threadconform.ledger import Finding
from threadconform.probes.api import Probe, ProbeFunction, UndeclaredRule, probe
from threadconform.walk import Page, Walk

if TYPE_CHECKING:
    from threadconform.model import Contract

__all__ = [
    "Probe",
    "ProbeFunction",
    "UndeclaredRule",
    "judge",
    "judge_usable",
    "probe",
    "unusable",
]


def judge(contract: Contract, rule: str, *inputs: object, **options: object) -> list[Finding]:
    """Ask one registered invariant; a declined judgement becomes a skip with its reason."""
    from threadconform.invariants import INVARIANTS

    invariant = INVARIANTS[rule]
    reason = invariant.skip_reason(contract, *inputs, **options)
    if reason:
        return [Finding.skipped(rule, reason)]
    violations = invariant(contract, *inputs, **options)
    if not violations:
        return [Finding.held(rule)]
    return [Finding(rule, violation) for violation in violations]


def unusable(*inputs: Walk | Page) -> str | None:
    """Why these walks and pages prove nothing (not one usable list among them), or None.

    Invariants look only at usable pages, so over none at all they would "hold": against
    a target answering HTML or 503 that would be a pass for a rule never checked.
    """
    pages = [p for x in inputs for p in (x.pages if isinstance(x, Walk) else (x,))]
    if any(page.ok for page in pages):
        return None
    errors = [page.error for page in pages if page.error]
    return f"no usable page came back: {errors[0] if errors else 'no page was fetched'}"


def judge_usable(contract: Contract, rule: str, *inputs: Walk | Page) -> list[Finding]:
    """`judge`, or a skip when not one page of the inputs is usable (see `unusable`)."""
    if reason := unusable(*inputs):
        return [Finding.skipped(rule, reason)]
    return judge(contract, rule, *inputs)
