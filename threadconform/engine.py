"""Runs the probes for one contract against one target and keeps the ledger.

The engine is what the pytest items (one per contract and rule) ask: "what happened to
rule R?". It runs each probe lazily, the first time one of its rules is asked for, so
`pytest -k PAGE-NO-GAPS` sends only the requests that rule needs.
"""

from __future__ import annotations

import dataclasses
import time
import traceback
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from threadconform import paths, rules, spec
from threadconform.client import DEFAULT, BudgetExhausted, Client, DeadlineReached
from threadconform.exchange import Response
from threadconform.leaks import ErrorSample
from threadconform.ledger import Finding, Ledger, RuleRecord, Violation
from threadconform.model import Contract, Severity
from threadconform.outcomes import Unreachable as UnreachableTarget  # noqa: F401 (old name)
from threadconform.probes import Probe
from threadconform.profiles import Profile
from threadconform.walk import Item, Walk, fetch_page, walk

SILENT_LIMIT = 3  # consecutive unanswered requests before a run stops sending
# Items of one page the probes examine: twice the largest page the contract allows
# (within bounds), so a page that is too long still shows as too long, while 450,000
# items in a 2 MB body cost what a few hundred do (bench/hostile_table.py, case crowd).
MIN_ITEMS_EXAMINED, MAX_ITEMS_EXAMINED = 200, 1000
SUITE_ERROR = "SUITE-ERROR"
# Why a run ended before judging everything: "gone" (the target stopped answering) and
# "deadline" (--max-time) leave rules unjudged; "budget" is an ordinary, chosen limit.
Ending = Literal["", "budget", "deadline", "gone"]


@dataclass(frozen=True)
class Target:
    contract: Contract
    base_url: str
    token: str | None = None
    second_token: str | None = None
    embedded: bool = False


@dataclass(frozen=True)
class Samples:
    """Values taken from the target's own answers: real ids and filter values."""

    ids: list[str]
    values: dict[str, list[Any]]


@dataclass
class ProbeContext:
    contract: Contract
    client: Client
    profile: Profile
    seed: int
    second_token: str | None = None
    exhausted: bool = False
    stopped: str = ""  # why no more requests are sent: the budget, or a silent target
    gone: str = ""  # set when the run stopped because the target stopped answering: why
    ending: Ending = ""  # what stopped the run's requests, if anything did
    silent: int = 0  # consecutive requests that got no answer at all
    cache: dict[Hashable, Any] = field(default_factory=dict)
    errors: ErrorSample = field(default_factory=ErrorSample)  # 4xx/5xx bodies, for leaks

    def get(
        self, params: Sequence[tuple[str, str]] | dict[str, Any], **kwargs: Any
    ) -> Response | None:
        """One GET, or None once the run has stopped (budget spent, target gone)."""
        try:
            return self.fetch(params, **kwargs)
        except BudgetExhausted:
            return None

    def fetch(self, params: Any = (), **kwargs: Any) -> Response:
        """One GET that counts towards SILENT_LIMIT. Raises BudgetExhausted once the run
        has stopped, so that a walker (which ends on it) sends nothing more either."""
        if self.exhausted:
            raise BudgetExhausted(self.stopped)
        try:
            response = self.client.get(params, **kwargs)
        except DeadlineReached as reached:
            self.stop(str(reached), ending="deadline")
            raise
        except BudgetExhausted:
            self.stop(f"the request budget ({self.client.max_requests}) is spent")
            raise
        self._count_silence(response)
        self.errors.add(response)
        return self._bounded(response)

    def _bounded(self, response: Response) -> Response:
        """The response with at most items_examined items in its list (the rest dropped
        and counted in `items_dropped`)."""
        path = paths.split(self.contract.pagination.response.items)
        items = paths.get(response.body, self.contract.pagination.response.items)
        cap = self.items_examined
        plain = path and not any(part == "*" or part.isdigit() for part in path)
        if not isinstance(items, list) or len(items) <= cap or not plain:
            return response
        body = _replaced(response.body, path, items[:cap])
        return dataclasses.replace(response, body=body, items_dropped=len(items) - cap)

    @property
    def items_examined(self) -> int:
        limit = self.contract.pagination.limit
        largest = limit.maximum or limit.default or MAX_ITEMS_EXAMINED
        return max(MIN_ITEMS_EXAMINED, min(MAX_ITEMS_EXAMINED, 2 * largest))

    def stop(self, reason: str, *, gone: str = "", ending: Ending = "budget") -> None:
        if not self.exhausted:
            self.gone = gone
            self.ending = "gone" if gone else ending
        self.exhausted = True
        self.stopped = self.stopped or reason

    def _count_silence(self, response: Response) -> None:
        # A target that stops serving (timeouts, trickled bodies, endless 429s) would
        # otherwise cost a timeout or a Retry-After per remaining request; a few in a row
        # end the run's requests instead.
        unserved = self._unserved(response)
        self.silent = self.silent + 1 if unserved else 0
        if unserved and self.silent >= SILENT_LIMIT:
            self.stop(f"the target stopped answering: {unserved}", gone=unserved)

    def _unserved(self, response: Response) -> str | None:
        """Why this response is no answer at all (None when it is one, however wrong)."""
        where = self.client.redact(f"{response.request.method} {response.request.full_url}")
        if response.status is None:
            return response.error or f"{where}: no answer"
        if response.elapsed >= self.client.timeout:  # e.g. a body trickled byte by byte
            return response.error or f"{where}: took {response.elapsed:.1f} s"
        hint = response.headers.get("retry-after")
        if response.status == 429:
            return (
                f"{where}: still HTTP 429 Too Many Requests after its retries "
                f"(Retry-After: {hint or 'none'}); lower --max-rps"
            )
        if response.status == 503 and hint is not None:
            # 503 with Retry-After is "come back later", not an answer to judge; a bare
            # 503 is a server error (HTTP-NO-5XX).
            return (
                f"{where}: still HTTP 503 Service Unavailable after its retries "
                f"(Retry-After: {hint})"
            )
        return None

    def walk(
        self,
        params: Sequence[tuple[str, str]],
        direction: str | None = None,
        *,
        max_pages: int | None = None,
    ) -> Walk:
        """A bounded walk (at most `max_pages`, else the profile's cap); a spent budget ends
        it (stop "budget") and marks the context."""
        if self.exhausted:
            return Walk(tuple(params), direction, (), "budget", self.stopped)
        limit = dict(params).get(self.contract.pagination.limit.param)
        default = self.contract.pagination.limit.default
        pages = self.profile.pages_for(int(limit) if limit and limit.isdigit() else default)
        pages = min(pages, max_pages) if max_pages is not None else pages
        return walk(
            _Counted(self), self.contract.pagination, params, max_pages=pages, direction=direction
        )

    def reference(
        self, params: Sequence[tuple[str, str]] = (), direction: str | None = None
    ) -> Walk:
        """The walk with the largest limit for these filters and direction, fetched once."""
        limit = self.contract.pagination.limit
        largest = ((limit.param, str(limit.maximum or limit.default or 100)),)
        key = ("reference", tuple(params), direction)
        if key not in self.cache:
            self.cache[key] = self.walk(tuple(params) + largest, direction)
        return self.cache[key]

    def items_of(self, response: Response) -> list[Any] | None:
        items = paths.get(response.body, self.contract.pagination.response.items)
        return items if isinstance(items, list) else None

    def samples(self) -> Samples:
        """Ids and filter values of the caller's own listing, from the reference walk (no
        request of its own)."""
        return _samples(self.contract, self.reference().items)

    def samples_for(self, credential: str | None) -> Samples:
        """The same for another tenant's credential: its first page of the largest limit."""
        if credential == self.client.credential:
            return self.samples()
        key = ("samples", credential)
        if key not in self.cache:
            limit = self.contract.pagination.limit
            largest = ((limit.param, str(limit.maximum or limit.default or 100)),)
            try:
                page = fetch_page(self.client_for(credential), self.contract.pagination, largest)
                self.cache[key] = _samples(self.contract, page.items)
            except BudgetExhausted:
                return _samples(self.contract, ())
        return self.cache[key]

    def client_for(self, credential: str | None) -> Any:
        """The same client (and budget), sending another tenant's credential by default."""
        return _AsTenant(self, credential)

    def error_schema(self, status_key: str | None) -> dict[str, Any] | None:
        """The JSON schema of a documented error response's body, references resolved."""
        operation = self.contract.document["paths"][self.contract.endpoint]["get"]
        response = operation.get("responses", {}).get(status_key or "")
        if response is None:
            return None
        resolved = spec.resolve(self.contract, response)
        schema = resolved.get("content", {}).get("application/json", {}).get("schema")
        return schema if isinstance(schema, dict) and schema else None


def _replaced(body: Any, path: tuple[str, ...], value: Any) -> Any:
    """A copy of `body` with the value at the (mapping-only) `path` replaced."""
    if not path or not isinstance(body, dict):
        return value
    head, *rest = path
    return {**body, head: _replaced(body.get(head), tuple(rest), value)}


def _samples(contract: Contract, items: Sequence[Item]) -> Samples:
    values: dict[str, list[Any]] = {}
    for flt in contract.pagination.filters:
        if flt.field is not None:
            seen = {item.get(flt.field, None) for item in items}
            values[flt.param] = sorted((v for v in seen if v is not None), key=str)
    return Samples([item.id for item in items], values)


@dataclass(frozen=True)
class _Counted:
    """The context as a walker's fetcher: its pages count towards SILENT_LIMIT too."""

    context: ProbeContext

    def get(self, params: Any = ()) -> Response:
        return self.context.fetch(params)


@dataclass(frozen=True)
class _AsTenant:
    context: ProbeContext
    credential: str | None

    def get(self, params: Any = (), *, credential: Any = DEFAULT) -> Response:
        chosen = self.credential if credential is DEFAULT else credential
        return self.context.fetch(params, credential=chosen)


@dataclass
class Engine:
    """Everything one contract's run knows: its target, its probes, its ledger."""

    target: Target
    context: ProbeContext
    probes: tuple[Probe, ...]
    ledger: Ledger = field(default_factory=Ledger)
    done: set[str] = field(default_factory=set)
    seconds: float = 0.0

    def severity(self, rule_id: str) -> Severity | str:
        return rules.setting(self.target.contract, rule_id).severity

    def record(self, rule_id: str) -> RuleRecord:
        for probe in self.probes:
            if rule_id in probe.rules and probe.name not in self.done:
                self._run(probe)
        return self.ledger.record(rule_id)

    def run_all(self) -> None:
        for probe in self.probes:
            if probe.name not in self.done:
                self._run(probe)

    def _run(self, probe: Probe) -> None:
        self.done.add(probe.name)
        started = time.perf_counter()
        found: list[Finding] = []
        try:
            for finding in probe.findings(self.context):  # UndeclaredRule: a crash
                found.append(finding)
        except Exception as error:
            self._crashed(probe, error, found)
        else:
            self.ledger.add(found)
            self.ledger.add([Finding.held(SUITE_ERROR)])
        self.seconds += time.perf_counter() - started
        if self.context.exhausted:
            for rule_id in probe.rules:
                self.ledger.add([Finding.skipped(rule_id, self.not_judged)])

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
        context = self.context
        if context.ending == "gone":
            return f"not judged: the target stopped answering ({context.gone})"
        return f"not judged: {context.stopped}"

    @property
    def stop_reason(self) -> str | None:
        """Why this run ended before it could judge everything (None: it did not)."""
        context = self.context
        if context.ending == "gone":
            return (
                f"threadconform: the target stopped answering after {self.requests_sent} "
                f"requests ({SILENT_LIMIT} in a row unanswered), so the run stopped: "
                f"{context.gone}"
            )
        if context.ending == "deadline":
            return f"threadconform: {context.stopped}; the rules not yet judged are skipped"
        return None

    @property
    def requests_sent(self) -> int:
        return self.context.client.requests_sent
