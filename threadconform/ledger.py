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

__all__ = [
    "MAX_KEPT_VIOLATIONS",
    "MAX_RECORDED_VIOLATIONS",
    "Finding",
    "Ledger",
    "RuleRecord",
    "Status",
    "Violation",
]

Status = Literal["pass", "fail", "skip"]

MAX_KEPT_VIOLATIONS = 5  # enough evidence to act on; more only repeats itself
# Every violation up to this many is recorded for summary.json (bounded: a hostile target
# can make millions); the reports a person reads show the kept five and the count.
MAX_RECORDED_VIOLATIONS = 100


@dataclass(frozen=True)
class Violation:
    rule: str
    message: str
    evidence: tuple[Request, ...] = ()
    expected: str = ""
    actual: str = ""
    cause: str = ""  # what produced it (e.g. the walk's parameters): evidence is chosen
    # to cover distinct causes, not the first few of one


@dataclass(frozen=True)
class Finding:
    """One observation about one rule: held, violated, or not checkable (skip set)."""

    rule: str
    violation: Violation | None = None
    skip: str | None = None
    note: str | None = None  # shown with a rule that held (e.g. a documented exposure)
    walk: bool = False  # judged on one walk: the report counts "held in N walks"

    @classmethod
    def held(cls, rule: str) -> Finding:
        return cls(rule)

    @classmethod
    def skipped(cls, rule: str, reason: str) -> Finding:
        return cls(rule, skip=reason)


@dataclass
class RuleRecord:
    checks: int = 0
    walks: int = 0  # checks that judged one walk each
    violations: int = 0
    kept: list[Violation] = field(default_factory=list)
    recorded: list[Violation] = field(default_factory=list)  # in arrival order, bounded
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
            if self.violations > len(self.kept):
                return f"{self.kept[0].message} ({len(self.kept)} shown of {self.violations})"
            return self.kept[0].message
        notes = "".join(f"; {note}" for note in dict.fromkeys(self.notes))
        if self.walks == self.checks:
            return f"held in {self.walks} walk(s){notes}"
        if self.walks:
            return f"held in {self.checks} check(s), {self.walks} of them walks{notes}"
        return f"held in {self.checks} check(s){notes}"

    def keep(self, violation: Violation) -> None:
        """Keep up to MAX_KEPT_VIOLATIONS, covering as many distinct causes as possible:
        a new cause replaces the latest violation of a cause already shown twice."""
        if len(self.kept) < MAX_KEPT_VIOLATIONS:
            self.kept.append(violation)
            return
        causes = [v.cause or v.message for v in self.kept]
        if (violation.cause or violation.message) in causes:
            return
        repeated = [i for i, c in enumerate(causes) if causes.count(c) > 1]
        if repeated:
            del self.kept[repeated[-1]]
            self.kept.append(violation)


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
            record.walks += finding.walk
            if finding.note:
                record.notes.append(finding.note)
            if finding.violation is not None:
                record.violations += 1
                record.keep(finding.violation)
                if len(record.recorded) < MAX_RECORDED_VIOLATIONS:
                    record.recorded.append(finding.violation)

    def replace_violations(self, rule: str, violations: list[Violation]) -> None:
        """Keep these as the rule's evidence: the shrunk example beats earlier, larger ones."""
        record = self.records.setdefault(rule, RuleRecord())
        record.kept = violations[:MAX_KEPT_VIOLATIONS]

    def record(self, rule: str) -> RuleRecord:
        return self.records.get(rule, RuleRecord())
