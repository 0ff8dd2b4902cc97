"""What the probes found, rule by rule.

Probes report three things about a rule: it was checked and held, it was violated (with
evidence), or it could not be checked (with the reason). A rule checked at least once and
never violated passes; a rule never checked is skipped with every reason given, never
passed. A violation that could not be judged (a write may have caused it: the listing
changed under every try) is a doubt: the rule skips with the reason, whatever other checks
held, since those cannot clear what the doubted one saw.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlencode

from threadconform.exchange import Request

__all__ = [
    "MAX_KEPT_VIOLATIONS",
    "MAX_RECORDED_VIOLATIONS",
    "Finding",
    "Ledger",
    "RuleRecord",
    "Status",
    "Violation",
    "query_length",
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
    # One example shows its cause (a fuzz case: probes/shrink.py): the ledger shows one
    # violation per such cause, the one with the shortest query, not the first few.
    one_per_cause: bool = False


@dataclass(frozen=True)
class Finding:
    """One observation about one rule: held, violated, or not checkable (skip set)."""

    rule: str
    violation: Violation | None = None
    skip: str | None = None
    note: str | None = None  # shown with a rule that held (e.g. a documented exposure)
    walk: bool = False  # judged on one walk: the report counts "held in N walks"
    doubt: bool = False  # with skip: a violation seen but left unjudged (see the module)

    @classmethod
    def held(cls, rule: str) -> Finding:
        return cls(rule)

    @classmethod
    def skipped(cls, rule: str, reason: str) -> Finding:
        return cls(rule, skip=reason)

    @classmethod
    def doubted(cls, rule: str, reason: str) -> Finding:
        return cls(rule, skip=reason, doubt=True)


@dataclass
class RuleRecord:
    checks: int = 0
    walks: int = 0  # checks that judged one walk each
    violations: int = 0
    kept: list[Violation] = field(default_factory=list)
    recorded: list[Violation] = field(default_factory=list)  # in arrival order, bounded
    skips: list[str] = field(default_factory=list)
    doubts: list[str] = field(default_factory=list)  # violations seen but left unjudged
    notes: list[str] = field(default_factory=list)
    # Which kept violations were judged on a walk: they keep their order (see `keep`).
    walk_kept: set[Violation] = field(default_factory=set, repr=False, compare=False)
    # Causes (one per cause) whose example sent a request already shown: a fuzzed case
    # shrunk to the parameter probe's `page=0` leaves its longer cases unshown too.
    causes_shown_elsewhere: set[str] = field(default_factory=set, repr=False, compare=False)

    @property
    def status(self) -> Status:
        if self.violations:
            return "fail"
        return "pass" if self.checks and not self.doubts else "skip"

    @property
    def reason(self) -> str:
        if self.status == "fail":
            if self.violations > len(self.kept):
                return f"{self.kept[0].message} ({len(self.kept)} shown of {self.violations})"
            return self.kept[0].message
        if self.doubts:
            held = f" (it held in {self.checks} other check(s))" if self.checks else ""
            return "; ".join(dict.fromkeys(self.doubts)) + held
        if self.status == "skip":
            return "; ".join(dict.fromkeys(self.skips)) or "not checked by any probe"
        notes = "".join(f"; {note}" for note in dict.fromkeys(self.notes))
        if self.walks == self.checks:
            return f"held in {self.walks} walk(s){notes}"
        if self.walks:
            return f"held in {self.checks} check(s), {self.walks} of them walks{notes}"
        return f"held in {self.checks} check(s){notes}"

    def keep(self, violation: Violation, *, walk: bool = False) -> None:
        """Keep up to MAX_KEPT_VIOLATIONS, covering as many distinct causes as possible:
        a new cause replaces the latest violation of a cause already shown twice. The same
        requests are never shown twice, a cause marked `one_per_cause` is shown once (by
        its shortest query), and examples come shortest query first; violations judged on
        a walk follow them in the order they came (a walk's evidence is its pages)."""
        if any(self._repeats(violation, shown) for shown in self.kept):
            if violation.one_per_cause:  # its cause is shown, by another probe's request
                self._shown_elsewhere(violation)
            return
        if violation.one_per_cause and (
            violation.cause in self.causes_shown_elsewhere or self._cause_shown(violation)
        ):
            return
        if len(self.kept) < MAX_KEPT_VIOLATIONS:
            self._show(violation, walk)
            return
        causes = [v.cause or v.message for v in self.kept]
        if (violation.cause or violation.message) in causes:
            return
        repeated = [i for i, c in enumerate(causes) if causes.count(c) > 1]
        if repeated:
            self.walk_kept.discard(self.kept.pop(repeated[-1]))
            self._show(violation, walk)

    def _show(self, violation: Violation, walk: bool) -> None:
        self.kept.append(violation)
        if walk:
            self.walk_kept.add(violation)
        self._order()

    def _repeats(self, new: Violation, shown: Violation) -> bool:
        """Would `new` show the requests of `shown` again? The same message about the same
        requests always does. A fuzzed case (one per cause) that sent the very request
        another probe shows is the same example whatever each called it (a fuzzed
        `page=0` beside the parameter probe's). Other findings on the same requests (two
        fields of one page, two findings of one walk) say different things: both stay."""
        if not new.evidence or new.evidence != shown.evidence:
            return False
        return new.message == shown.message or new.one_per_cause or shown.one_per_cause

    def _shown_elsewhere(self, violation: Violation) -> None:
        """Its cause is shown by an identical request: a longer example of it goes."""
        self.causes_shown_elsewhere.add(violation.cause)
        longer = query_length(violation)
        self.kept = [
            v
            for v in self.kept
            if not (v.one_per_cause and v.cause == violation.cause and query_length(v) > longer)
        ]

    def _cause_shown(self, violation: Violation) -> bool:
        """Is its cause already shown? Then the shorter query of the two stays."""
        for index, shown in enumerate(self.kept):
            if shown.one_per_cause and shown.cause == violation.cause:
                if query_length(violation) < query_length(shown):
                    self.kept[index] = violation  # the shrunk example beats a larger one
                    self._order()
                return True
        return False

    def _order(self) -> None:
        # Stable: examples of equal length, and walks among themselves, keep their order.
        self.kept.sort(key=lambda v: (1, 0) if v in self.walk_kept else (0, query_length(v)))


def query_length(violation: Violation) -> int:
    """How long the queries of its evidence are, as sent (what a person reads first)."""
    return sum(len(urlencode(request.params)) for request in violation.evidence)


@dataclass
class Ledger:
    records: dict[str, RuleRecord] = field(default_factory=dict)

    def add(self, findings: Iterable[Finding]) -> None:
        for finding in findings:
            record = self.records.setdefault(finding.rule, RuleRecord())
            if finding.skip is not None:
                (record.doubts if finding.doubt else record.skips).append(finding.skip)
                continue
            record.checks += 1
            record.walks += finding.walk
            if finding.note:
                record.notes.append(finding.note)
            if finding.violation is not None:
                record.violations += 1
                record.keep(finding.violation, walk=finding.walk)
                if len(record.recorded) < MAX_RECORDED_VIOLATIONS:
                    record.recorded.append(finding.violation)

    def record(self, rule: str) -> RuleRecord:
        return self.records.get(rule, RuleRecord())
