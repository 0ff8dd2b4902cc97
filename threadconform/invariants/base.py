"""The invariant registry: the `Invariant` record, the `@invariant` decorator, and the
applicability (`applies`) and readiness (`needs`) tests the registrations share.

An invariant is registered under its rule id and called as
`invariant(contract_or_pagination, *walks_or_pages) -> list[Violation]`. `skip_reason`
says why it declines to judge (the contract has no such field; a walk stopped before its
end); called anyway, a declining invariant returns [] rather than guess.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from threadconform.ledger import Violation
from threadconform.model import Contract, Pagination
from threadconform.rules import BY_ID
from threadconform.walk import Page, Walk

__all__ = [
    "INVARIANTS",
    "Invariant",
    "Pages",
    "Reason",
    "Spec",
    "always",
    "anything",
    "arrange",
    "both",
    "documents",
    "for_styles",
    "invariant",
    "needs_complete",
    "pagination_of",
]

Spec = Contract | Pagination
Pages = Walk | Page | Iterable[Page]
Reason = str | None  # None, or why an invariant declines to judge


@dataclass(frozen=True)
class Invariant:
    """One registered check. Call it like the function it wraps."""

    rule: str
    check: Callable[..., list[Violation]]
    applies: Callable[[Pagination], Reason]  # None, or why the contract is out of scope
    needs: Callable[..., Reason]  # None, or why these walks/pages cannot be judged

    @property
    def inputs(self) -> str:
        """What to pass, from the check's docstring."""
        return (self.check.__doc__ or "").strip().splitlines()[0]

    def skip_reason(self, spec: Spec, *args: Any, **kwargs: Any) -> Reason:
        pagination = pagination_of(spec)
        return self.applies(pagination) or self.needs(pagination, *args, **kwargs)

    def __call__(self, spec: Spec, *args: Any, **kwargs: Any) -> list[Violation]:
        if self.skip_reason(spec, *args, **kwargs):
            return []
        return self.check(pagination_of(spec), *args, **kwargs)


INVARIANTS: dict[str, Invariant] = {}


def invariant(
    rule: str,
    *,
    applies: Callable[[Pagination], Reason] | None = None,
    needs: Callable[..., Reason] | None = None,
) -> Callable[[Callable[..., list[Violation]]], Invariant]:
    """Register a check under a rule id of `rules.CATALOGUE` (Schemathesis-style)."""
    if rule not in BY_ID:
        raise ValueError(f"{rule!r} is not a rule id in threadconform.rules.CATALOGUE")

    def register(check: Callable[..., list[Violation]]) -> Invariant:
        if rule in INVARIANTS:
            raise ValueError(f"an invariant for {rule} is already registered")
        INVARIANTS[rule] = Invariant(rule, check, applies or always, needs or anything)
        return INVARIANTS[rule]

    return register


def arrange(sections: Sequence[ModuleType]) -> None:
    """Order the registry by section, then by definition within a section.

    Registration happens on import, and imports are sorted by name; the registry's order
    (the order rules are listed and judged in) must not depend on that."""
    rank = {section.__name__: index for index, section in enumerate(sections)}
    unnamed = sorted({known.check.__module__ for known in INVARIANTS.values()} - set(rank))
    if unnamed:
        raise ValueError(f"invariants registered in modules not named as sections: {unnamed}")
    ordered = sorted(INVARIANTS.values(), key=lambda known: rank[known.check.__module__])
    INVARIANTS.clear()
    INVARIANTS.update((known.rule, known) for known in ordered)


# -- applicability and readiness -----------------------------------------------------------


def always(pagination: Pagination) -> Reason:
    return None


def anything(pagination: Pagination, *args: Any, **kwargs: Any) -> Reason:
    return None


def needs_complete(pagination: Pagination, *args: Any, **kwargs: Any) -> Reason:
    """Every Walk given must have reached its end; a cut-short walk proves nothing."""
    for value in (*args, *kwargs.values()):
        if isinstance(value, Walk) and not value.complete:
            sent = "&".join(f"{k}={v}" for k, v in value.params) or "no parameters"
            return f"the walk with {sent} stopped before the end ({value.stop}: {value.note})"
    return None


def documents(*fields: str) -> Callable[[Pagination], Reason]:
    """Applies when the contract's response documents one of `fields`."""

    def applies(pagination: Pagination) -> Reason:
        if any(getattr(pagination.response, name) for name in fields):
            return None
        return f"the contract documents no {' or '.join(fields)} field"

    return applies


def for_styles(*styles: str) -> Callable[[Pagination], Reason]:
    def applies(pagination: Pagination) -> Reason:
        if pagination.style in styles:
            return None
        return f"the rule is about {'/'.join(styles)} pagination, not {pagination.style}"

    return applies


def both(*tests: Callable[[Pagination], Reason]) -> Callable[[Pagination], Reason]:
    def applies(pagination: Pagination) -> Reason:
        return next((reason for test in tests if (reason := test(pagination))), None)

    return applies


# -- inputs --------------------------------------------------------------------------------


def pagination_of(spec: Spec) -> Pagination:
    return spec.pagination if isinstance(spec, Contract) else spec
