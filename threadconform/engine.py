"""Runs the probes for one contract against one target and keeps the ledger.

The engine is what the pytest items (one per contract and rule) ask: "what happened to
rule R?". It runs each probe lazily, the first time one of its rules is asked for, so
`pytest -k PAGE-NO-GAPS` sends only the requests that rule needs.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from threadconform import paths, rules, spec
from threadconform.client import DEFAULT, BudgetExhausted, Client
from threadconform.exchange import Response
from threadconform.leaks import ErrorSample
from threadconform.ledger import Finding, Ledger, RuleRecord
from threadconform.model import Contract, Severity
from threadconform.probes import Probe
from threadconform.profiles import Profile
from threadconform.walk import Item, Walk, fetch_page, walk

SILENT_LIMIT = 3  # consecutive unanswered requests before a run stops sending


class UnreachableTarget(Exception):
    """The target did not answer at all; one line says which URL and why."""


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
    silent: int = 0  # consecutive requests that got no answer at all
    cache: dict[str, Any] = field(default_factory=dict)
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
        except BudgetExhausted:
            self.stop(f"the request budget ({self.client.max_requests}) is spent")
            raise
        self._count_silence(response)
        self.errors.add(response)
        return response

    def stop(self, reason: str, *, gone: str = "") -> None:
        if not self.exhausted:
            self.gone = gone
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
        if response.status == 429:
            hint = response.headers.get("retry-after", "none")
            return (
                f"{where}: still HTTP 429 Too Many Requests after {self.client.max_retries} "
                f"retries (Retry-After: {hint}); lower --max-rps"
            )
        return None

    def walk(self, params: Sequence[tuple[str, str]], direction: str | None = None) -> Walk:
        """A bounded walk; a spent budget ends it (stop "budget") and marks the context."""
        if self.exhausted:
            return Walk(tuple(params), direction, (), "budget", self.stopped)
        limit = dict(params).get(self.contract.pagination.limit.param)
        default = self.contract.pagination.limit.default
        pages = self.profile.pages_for(int(limit) if limit and limit.isdigit() else default)
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
        was_running = not self.context.exhausted
        started = time.perf_counter()
        self.ledger.add(probe.run(self.context))
        self.seconds += time.perf_counter() - started
        if self.context.exhausted:
            reason = f"probe {probe.name} did not finish: {self.context.stopped}"
            for rule_id in probe.rules:
                self.ledger.add([Finding.skipped(rule_id, reason)])
        if was_running and self.context.gone:
            # Every rule not yet judged would be skipped and the run would pass: a target
            # that stops answering mid-run is unreachable (exit 6), said once, here.
            raise UnreachableTarget(
                f"threadconform: the target stopped answering after {self.requests_sent} "
                f"requests ({SILENT_LIMIT} in a row unanswered), so the run stops: "
                f"{self.context.gone}"
            )

    @property
    def requests_sent(self) -> int:
        return self.context.client.requests_sent
