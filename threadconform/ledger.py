"""What the probes found, rule by rule.

Probes report three things about a rule: it was checked and held, it was violated (with
evidence), or it could not be checked (with the reason). A rule checked at least once and
never violated passes; a rule never checked is skipped with every reason given, never
passed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from threadconform.exchange import Request

Status = Literal["pass", "fail", "skip"]

MAX_KEPT_VIOLATIONS = 5  # enough evidence to act on; more only repeats itself


@dataclass(frozen=True)
class Violation:
    rule: str
    message: str
    evidence: tuple[Request, ...] = ()
    expected: str = ""
    actual: str = ""


@dataclass(frozen=True)
class Finding:
    """One observation about one rule: held, violated, or not checkable (skip set)."""

    rule: str
    violation: Violation | None = None
    skip: str | None = None
    note: str | None = None  # shown with a rule that held (e.g. a documented exposure)

    @classmethod
    def held(cls, rule: str) -> Finding:
        return cls(rule)

    @classmethod
    def skipped(cls, rule: str, reason: str) -> Finding:
        return cls(rule, skip=reason)


@dataclass
class RuleRecord:
    checks: int = 0
    violations: int = 0
    kept: list[Violation] = field(default_factory=list)
    skips: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def status(self) -> Status:
        if self.violations:
            return "fail"
        return "pass" if self.checks else "skip"

    @property
    def reason(self) -> str:
        if self.status == "skip":
            return "; ".join(dict.fromkeys(self.skips)) or "not checked by any probe"
        if self.status == "fail":
            return self.kept[0].message
        notes = "".join(f"; {note}" for note in dict.fromkeys(self.notes))
        return f"held in {self.checks} check(s){notes}"


@dataclass
class Ledger:
    records: dict[str, RuleRecord] = field(default_factory=dict)

    def add(self, findings: Iterable[Finding]) -> None:
        for finding in findings:
            record = self.records.setdefault(finding.rule, RuleRecord())
            if finding.skip is not None:
                record.skips.append(finding.skip)
                continue
            record.checks += 1
            if finding.note:
                record.notes.append(finding.note)
            if finding.violation is not None:
                record.violations += 1
                if len(record.kept) < MAX_KEPT_VIOLATIONS:
                    record.kept.append(finding.violation)

    def replace_violations(self, rule: str, violations: list[Violation]) -> None:
        """Keep these as the rule's evidence: the shrunk example beats earlier, larger ones."""
        record = self.records.setdefault(rule, RuleRecord())
        record.kept = violations[:MAX_KEPT_VIOLATIONS]

    def record(self, rule: str) -> RuleRecord:
        return self.records.get(rule, RuleRecord())
