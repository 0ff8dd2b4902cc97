"""Runs the probes for one contract against one target and keeps the ledger.

The engine is what the pytest items (one per contract and rule) ask: "what happened to
rule R?". It runs each probe lazily, the first time one of its rules is asked for, so
`pytest -k PAGE-NO-GAPS` sends only the requests that rule needs.

With `--concurrency` above 1 and the run's rules known (`wanted`), the first question
runs every probe those rules need side by side instead, each probe's requests in its own
order; their findings enter the ledger in the probes' order, as a run one after another
would record them. The probes that judge what all others received (`last`) run after.
"""

from __future__ import annotations

import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from threadconform import rules
from threadconform.ledger import Finding, Ledger, RuleRecord, Violation
from threadconform.model import Contract, Severity
from threadconform.outcomes import BudgetSpent
from threadconform.probes.api import SUITE_ERROR, Probe
from threadconform.probes.context import (
    MAX_ITEMS_EXAMINED,
    MIN_ITEMS_EXAMINED,
    SILENT_LIMIT,
    Ending,
    ProbeContext,
    Samples,
)
from threadconform.startup import serialize_ast_parse

# ProbeContext, Samples and the limits live in threadconform.probes.context now; they are
# re-exported here for callers of the old path.
__all__ = [
    "MAX_ITEMS_EXAMINED",
    "MIN_ITEMS_EXAMINED",
    "SILENT_LIMIT",
    "SUITE_ERROR",
    "Ending",
    "Engine",
    "ProbeContext",
    "Samples",
    "Target",
]


@dataclass(frozen=True)
class Target:
    contract: Contract
    base_url: str
    token: str | None = None
    second_token: str | None = None
    embedded: bool = False


@dataclass
class Engine:
    """Everything one contract's run knows: its target, its probes, its ledger."""

    target: Target
    context: ProbeContext
    probes: tuple[Probe, ...]
    ledger: Ledger = field(default_factory=Ledger)
    done: set[str] = field(default_factory=set)
    seconds: float = 0.0
    # The rules this run will ask for (None: unknown, so each probe runs when asked).
    wanted: frozenset[str] | None = None

    def severity(self, rule_id: str) -> Severity | str:
        return rules.setting(self.target.contract, rule_id).severity

    def record(self, rule_id: str) -> RuleRecord:
        if self.wanted is not None:
            self._side_by_side(self.wanted)
        for probe in self.probes:
            if rule_id in probe.rules and probe.name not in self.done:
                self._run(probe)
        return self.ledger.record(rule_id)

    def run_all(self) -> None:
        self._side_by_side(None)
        for probe in self.probes:
            if probe.name not in self.done:
                self._run(probe)

    def _side_by_side(self, wanted: frozenset[str] | None) -> None:
        """Run the probes `wanted` needs (None: all), but the `last` ones, at once."""
        limit = self.context.client.concurrency
        chosen = [
            p
            for p in self.probes
            if p.name not in self.done
            and not p.last
            and (wanted is None or not wanted.isdisjoint(p.rules))
        ]
        if limit < 2 or len(chosen) < 2:
            return
        serialize_ast_parse()  # two probes may parse lambdas at once (see startup.py)
        self.done.update(p.name for p in chosen)
        started = time.perf_counter()
        with ThreadPoolExecutor(limit, thread_name_prefix="probe") as pool:
            results = list(pool.map(self._collect, chosen))
        for probe, (found, error, _) in zip(chosen, results, strict=True):
            self._record(probe, found, error, 0.0)
        # The reports' seconds are the target's wall time, not its probes' times added up.
        self.seconds += time.perf_counter() - started

    def _run(self, probe: Probe) -> None:
        self.done.add(probe.name)
        self._record(probe, *self._collect(probe))

    def _collect(self, probe: Probe) -> tuple[list[Finding], Exception | None, float]:
        """The probe's findings, the exception that ended it (if any), its seconds."""
        started = time.perf_counter()
        found: list[Finding] = []
        try:
            for finding in probe.findings(self.context):  # UndeclaredRule: a crash
                found.append(finding)
        except Exception as error:
            return found, error, time.perf_counter() - started
        return found, None, time.perf_counter() - started

    def _record(
        self, probe: Probe, found: list[Finding], error: Exception | None, seconds: float
    ) -> None:
        if error is None or self._stopped_by_run(error):
            self._finished(found)
        else:
            self._crashed(probe, error, found)
        self.seconds += seconds
        if self.context.state.over:
            for rule_id in probe.rules:
                self.ledger.add([Finding.skipped(rule_id, self.not_judged)])

    def _stopped_by_run(self, error: Exception) -> bool:
        """The typed stop `ProbeContext.fetch` raises once the run has stopped ends the
        probe, as an ordinary end: its unjudged rules say why (see `not_judged`)."""
        return isinstance(error, BudgetSpent) and self.context.state.over

    def _finished(self, found: list[Finding]) -> None:
        self.ledger.add(found)
        self.ledger.add([Finding.held(SUITE_ERROR)])

    def _crashed(self, probe: Probe, error: Exception, found: list[Finding]) -> None:
        """The probe's violations so far stand; its other rules are not judged; the crash
        itself is a SUITE-ERROR violation naming the probe and where it happened."""
        self.ledger.add([f for f in found if f.violation is not None])
        reason = f"not judged: probe {probe.name} crashed (see {SUITE_ERROR})"
        self.ledger.add([Finding.skipped(rule_id, reason) for rule_id in probe.rules])
        frames = traceback.extract_tb(error.__traceback__)
        last = frames[-1] if frames else None
        where = f"{Path(last.filename).name}:{last.lineno} in {last.name}" if last else "?"
        message = (
            f"probe {probe.name} crashed with {type(error).__name__}: "
            f"{' '.join(str(error).split())[:300]} (at {where}); this is a bug in "
            "threadconform, please report this with the command and --seed"
        )
        violation = Violation(SUITE_ERROR, message, (), "every probe runs to its end", where)
        self.ledger.add([Finding(SUITE_ERROR, violation)])

    @property
    def not_judged(self) -> str:
        """The reason a rule left unjudged by the run's early end gives."""
        state = self.context.state
        if state.ending == "gone":
            return f"not judged: the target stopped answering ({state.gone})"
        return f"not judged: {state.reason}"

    @property
    def stop_reason(self) -> str | None:
        """Why this run ended before it could judge everything (None: it did not)."""
        state = self.context.state
        if state.ending == "gone":
            return (
                f"threadconform: the target stopped answering after {self.requests_sent} "
                f"requests ({SILENT_LIMIT} in a row unanswered), so the run stopped: "
                f"{state.gone}"
            )
        if state.ending == "deadline":
            return f"threadconform: {state.reason}; the rules not yet judged are skipped"
        return None

    @property
    def requests_sent(self) -> int:
        return self.context.client.requests_sent
