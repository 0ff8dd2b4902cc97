"""What `infer` found out: each fact a value with its evidence, or a named TODO."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Fact", "Findings", "todo"]


def todo(decision: str) -> str:
    """A value the loader and `check-spec` refuse until the user decides."""
    return f"TODO: {decision}"


@dataclass(frozen=True)
class Fact:
    value: Any
    evidence: str  # the request(s) and what they showed; a YAML comment in the draft


@dataclass
class Findings:
    """Facts keyed by their place in the x-pagination block (a key path)."""

    facts: dict[tuple[str | int, ...], Fact] = field(default_factory=dict)
    not_inferred: list[str] = field(default_factory=list)  # steps the budget cut

    def put(self, where: tuple[str | int, ...], value: Any, evidence: str) -> None:
        self.facts[where] = Fact(value, evidence)

    def value(self, *where: str | int, default: Any = None) -> Any:
        fact = self.facts.get(tuple(where))
        return default if fact is None else fact.value

    def has(self, *where: str | int) -> bool:
        return tuple(where) in self.facts
