"""The probe API: what a probe is, and the `@probe` decorator that registers one.

A probe declares the rules it speaks to and its place in the run; the decorator puts it
into a `Registry` (the module-level `REGISTRY` unless a test passes its own). A probe whose
module is costly to import (the fuzz probes import Schemathesis) is declared with
`lazy_module`: it is registered at once with its name, rules and place, and its module is
imported only when it first runs, where the declaration decorates the implementation.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from threadconform.ledger import Finding
from threadconform.rules import BY_ID

if TYPE_CHECKING:
    from threadconform.probes.context import ProbeContext

__all__ = [
    "REGISTRY",
    "SUITE_ERROR",
    "LazyDeclaration",
    "Probe",
    "ProbeFunction",
    "Registry",
    "UndeclaredRule",
    "probe",
]

ProbeFunction = Callable[["ProbeContext"], Iterable[Finding]]
SUITE_ERROR = "SUITE-ERROR"  # the run-integrity rule: a crash of a probe fails it


class UndeclaredRule(Exception):
    """A probe reported a rule it does not declare: a programming error in the suite.

    The engine runs a rule's declaring probes before it answers for the rule, so an
    undeclared finding would make a rule's verdict depend on which other rules ran first
    (`pytest -k RULE` would differ from a full run)."""


@dataclass(frozen=True)
class Probe:
    name: str
    rules: tuple[str, ...]
    run: ProbeFunction
    order: int = 0  # place in the run, among probes with the same `last`
    last: bool = False  # after every other probe: it reads what they all received

    def findings(self, context: ProbeContext) -> Iterator[Finding]:
        """The probe's findings, each checked against what it declares."""
        for finding in self.run(context):
            if finding.rule not in self.rules:
                raise UndeclaredRule(
                    f"probe {self.name!r} reported {finding.rule}, which it does not declare; "
                    f"add {finding.rule!r} to its @probe({self.name!r}, ...) rules"
                )
            yield finding


@dataclass
class Registry:
    """Probes by name, and the order a run executes them in."""

    _probes: dict[str, Probe] = field(default_factory=dict)
    _implementations: dict[str, ProbeFunction] = field(default_factory=dict)

    def add(self, registered: Probe) -> Probe:
        if registered.name in self._probes:
            raise ValueError(
                f"a probe named {registered.name!r} is already registered; give the new "
                "one another name (or remove the old one) so each rule's probes are unique"
            )
        self._probes[registered.name] = registered
        return registered

    def probes(self) -> tuple[Probe, ...]:
        """Every probe in run order: by `order`, the `last` ones after all others."""
        return tuple(sorted(self._probes.values(), key=lambda p: (p.last, p.order)))

    def run_last(self) -> frozenset[str]:
        """The rules judged after every other rule of a target: those of `last` probes, and
        SUITE-ERROR, which reports on every probe the run started."""
        return frozenset(
            {SUITE_ERROR, *(r for p in self._probes.values() if p.last for r in p.rules)}
        )

    def bind(self, name: str, function: ProbeFunction) -> None:
        """The implementation of a lazily declared probe (its module is being imported)."""
        if name in self._implementations:
            raise ValueError(f"probe {name!r} already has an implementation; bind it once")
        self._implementations[name] = function

    def implementation(self, name: str) -> ProbeFunction:
        try:
            return self._implementations[name]
        except KeyError:
            raise LookupError(
                f"probe {name!r} was declared lazily, but importing its module bound no "
                "implementation: decorate one function there with its declaration"
            ) from None


@dataclass(frozen=True)
class _LazyRun:
    """A lazily declared probe's run: imports its module, then runs what it bound."""

    registry: Registry
    name: str
    module: str

    def __call__(self, context: ProbeContext) -> Iterable[Finding]:
        importlib.import_module(self.module)
        return self.registry.implementation(self.name)(context)


@dataclass(frozen=True)
class LazyDeclaration:
    """A probe registered before its module is imported; decorating the implementation
    (in that module) with it binds the code to the name, rules and place declared here."""

    probe: Probe
    registry: Registry
    module: str

    def __call__(self, function: ProbeFunction) -> Probe:
        if function.__module__ != self.module:
            raise ValueError(
                f"probe {self.probe.name!r} is declared to live in {self.module}, not in "
                f"{function.__module__}; move it there or fix its lazy_module"
            )
        self.registry.bind(self.probe.name, function)
        return Probe(self.probe.name, self.probe.rules, function, self.probe.order, self.probe.last)


def _checked(name: str, rules: tuple[str, ...]) -> None:
    unknown = [rule for rule in rules if rule not in BY_ID]
    if unknown or not rules:
        raise ValueError(f"probe {name!r}: unknown rule ids {unknown} (see rules.CATALOGUE)")


def probe(
    name: str,
    *rules: str,
    order: int = 0,
    lazy_module: str | None = None,
    last: bool = False,
    registry: Registry | None = None,
) -> Callable[[ProbeFunction], Probe]:
    """Register a probe that speaks to `rules` (ids from the catalogue, checked now).

    `order` places it in the run; `last` runs it after every other probe; `lazy_module`
    registers it now and imports that module only when it first runs (the returned
    declaration then decorates the implementation there)."""
    _checked(name, rules)
    chosen = REGISTRY if registry is None else registry
    if lazy_module is not None:
        declared = Probe(name, rules, _LazyRun(chosen, name, lazy_module), order, last)
        return LazyDeclaration(chosen.add(declared), chosen, lazy_module)

    def register(function: ProbeFunction) -> Probe:
        return chosen.add(Probe(name, rules, function, order, last))

    return register


REGISTRY = Registry()  # the suite's own probes; tests build their own Registry
