"""One run of the suite: which targets, their contracts, engines, waivers and verdicts.

The pytest plugin and the reports read this; it holds no pytest objects, so the same run
can be driven from a script or the CLI.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from threadconform import preflight, rules, spec, targets, waivers
from threadconform.client import Client
from threadconform.engine import Engine, ProbeContext, Target
from threadconform.exchange import REDACTED
from threadconform.model import Contract
from threadconform.options import DEFAULT_CONCURRENCY, RunOptions
from threadconform.outcomes import BudgetSpent, Outcome, RunVerdict, Unreachable
from threadconform.profiles import PROFILES, Profile
from threadconform.targets import Deployment
from threadconform.waivers import Waiver

__all__ = [
    "DEFAULT_MAX_TIME",
    "SetupError",
    "Suite",
    "Verdict",
    "applicable",
    "format_failure",
    "gate",
]


# Everything that makes a run unusable before it starts: exit status 4, one line.
SetupError = (spec.SpecError, targets.TargetsError, waivers.WaiverError)

# --max-time when none is given: the run stops sending then, judges what it has, and
# writes its reports (verdict incomplete, exit status 9).
DEFAULT_MAX_TIME: dict[str, float] = {"quick": 180.0, "default": 600.0, "thorough": 3600.0}


@dataclass(frozen=True)
class Verdict:
    target: str  # the deployment's name (the contract's name without --targets)
    contract: str
    rule: str
    severity: str  # MUST, SHOULD or off
    status: str  # what the probes found: pass, fail, skip, off
    outcome: str  # what the gate makes of it: pass, fail, warn, skip, waived, n/a
    reason: str
    report: str = ""  # the full failure text: expected, actual, curl
    waiver: Waiver | None = None  # the waiver naming this rule, used or expired

    @property
    def expired_waiver(self) -> bool:
        return self.waiver is not None and self.outcome in (Outcome.FAIL, Outcome.WARN)


def gate(status: str, severity: str, strict: bool, waiver: Waiver | None, today: date) -> str:
    """The outcome a rule's status has in this run: severity, --strict and waivers."""
    if status == Outcome.OFF:
        return Outcome.NA
    if status != Outcome.FAIL:
        return status
    if waiver is not None and not waiver.expired(today):
        return Outcome.WAIVED
    return Outcome.FAIL if severity == "MUST" or strict else Outcome.WARN


@dataclass
class Suite:
    options: RunOptions
    rootdir: Path
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    today: date = field(default_factory=date.today)
    announce: Callable[[str], None] | None = None  # told when a target's engine starts
    engines: dict[str, Engine] = field(default_factory=dict)
    # Per target, the rules the run's items ask for (pytest fills it once collected): an
    # engine that knows them runs their probes side by side (--concurrency).
    wanted: dict[str, frozenset[str]] = field(default_factory=dict)
    servers: list[Any] = field(default_factory=list)
    verdicts: dict[tuple[str, str], Verdict] = field(default_factory=dict)
    # Targets stopped before any rule was judged, and the typed stop (its exit status).
    unreachable: dict[str, Unreachable] = field(default_factory=dict)
    # Requests sent to a target stopped before its engine started (the preflight's).
    setup_requests: dict[str, int] = field(default_factory=dict)
    # `--base-url` without `--contract`: what the run found the URL serves, said once.
    discovery: str | None = None
    started: float = field(default_factory=time.time)
    clock_started: float = field(default_factory=time.monotonic)
    _contracts: list[Contract] | None = None
    _deployments: tuple[Deployment, ...] | None = None
    _waivers: tuple[Waiver, ...] | None = None

    @property
    def strict(self) -> bool:
        return self.options.strict

    @property
    def profile(self) -> Profile:
        return PROFILES[self.options.profile]

    @property
    def max_time(self) -> float:
        """Seconds the run may send requests for (--max-time, else the profile's)."""
        given = self.options.max_time
        return float(given) if given else DEFAULT_MAX_TIME.get(self.profile.name, 600.0)

    @property
    def deadline(self) -> float:
        """The time.monotonic() instant after which no request is sent."""
        return self.clock_started + self.max_time

    def prepare(self) -> None:
        """Load specs, targets and waivers now: any of them broken is a usage error
        before a single request (raises one of SetupError)."""
        self.contracts()
        self.deployments()
        self.waivers()

    def contracts(self) -> list[Contract]:
        if self._contracts is None:
            self._contracts = self._load_contracts()
        return self._contracts

    def _load_contracts(self) -> list[Contract]:
        if self.options.spec:
            return [spec.load(self.options.spec)]
        if self.options.targets:
            wanted = dict.fromkeys(d.contract for d in self.deployments())
            return [spec.load(spec.find(name)) for name in wanted]
        name = self.options.contract
        if name != "all":
            return [spec.load(spec.find(name))]
        found = spec.load_all(spec.SPEC_DIR)
        return self._discover(found) if self.options.base_url else found

    def _discover(self, contracts: list[Contract]) -> list[Contract]:
        """`--base-url` without `--contract`: the bundled contracts whose list route
        answers there (one GET of each spec's path), said in `discovery`. When none does,
        all of them run, each stopped by its preflight naming what it got."""
        assert self.options.base_url is not None
        served = [c for c in contracts if self._serves(self.options.base_url, c)]
        url = self.options.base_url
        if not served:
            self.discovery = (
                f"threadconform: no bundled contract's list route answered at {url} "
                f"(tried {', '.join(c.endpoint for c in contracts)}); pass --contract NAME "
                "or --spec PATH"
            )
            return contracts
        names = ", ".join(c.name for c in served)
        self.discovery = (
            f"threadconform: no --contract given: {url} serves the list route of {names}; "
            f"running {'it' if len(served) == 1 else 'those'} (pass --contract NAME to choose)"
        )
        return served

    def _serves(self, base_url: str, contract: Contract) -> bool:
        """Does GET <base_url><spec path> answer as a list route might (not 404/405, not a
        web page)? Any answer is enough: the preflight judges the rest."""
        with Client(
            base_url,
            contract.endpoint,
            auth=contract.auth,
            credential=self.options.token,
            timeout=self.options.timeout,
            max_requests=1,
            max_retries=0,
            verify=not self.options.insecure,
            headers=self.options.header,
        ) as client:
            answer = client.get({})
        if answer.status is None or answer.status in (404, 405):
            return False
        return not (200 <= answer.status < 300) or answer.is_json

    def deployments(self) -> tuple[Deployment, ...]:
        if self._deployments is None:
            self._deployments = self._load_deployments()
        return self._deployments

    def _load_deployments(self) -> tuple[Deployment, ...]:
        path, only = self.options.targets, self.options.contract
        if not path:
            names = [c.name for c in self.contracts() if c.name not in self.not_run()]
            o = self.options
            return targets.from_options(names, o.base_url, o.token, o.second_token)
        loaded = targets.load(path, spec.names(spec.SPEC_DIR), self.environ)
        chosen = tuple(d for d in loaded if only in ("all", d.contract))
        if not chosen:
            raise targets.TargetsError(
                f"{path}: no target is for contract {only!r}; drop --contract or add one"
            )
        return chosen

    def not_run(self) -> list[str]:
        """Contracts of specs/ this run leaves out: no embedded reference server, and no
        --base-url to test them against. (A contract named with --contract or --spec is
        never left out: it fails as unreachable, saying what to pass.)"""
        o = self.options
        if o.base_url or o.targets or o.spec or o.contract != "all":
            return []
        from threadconform import reference

        return [c.name for c in self.contracts() if c.name not in reference.CONTRACTS]

    def waivers(self) -> tuple[Waiver, ...]:
        if self._waivers is None:
            path = self.options.waivers
            known = sorted({*spec.names(spec.SPEC_DIR), *(c.name for c in self.contracts())})
            names = [d.name for d in self.deployments()]
            self._waivers = waivers.load(path, known, rules.BY_ID, names) if path else ()
        return self._waivers

    def contract(self, name: str) -> Contract:
        return next(c for c in self.contracts() if c.name == name)

    def deployment(self, name: str) -> Deployment:
        return next(d for d in self.deployments() if d.name == name)

    def engine(self, name: str) -> Engine:
        """The engine of the target called `name`, started (and announced) on first use."""
        if name in self.unreachable:
            stop = self.unreachable[name]
            raise type(stop)(*stop.args)  # the same stop, for a later rule of the target
        if name not in self.engines:
            try:
                self.engines[name] = self._start_engine(self.deployment(name))
            except Unreachable as stop:
                self.unreachable[name] = stop
                raise
        return self.engines[name]

    def _target(self, deployment: Deployment, contract: Contract) -> Target:
        if deployment.base_url:
            # An unset CI secret expands to "": that is no credential, not an empty one.
            token, second = deployment.token or None, deployment.second_token or None
            return Target(contract, deployment.base_url, token, second)
        return self._embedded(contract)

    def _embedded(self, contract: Contract) -> Target:
        from threadconform import reference

        if contract.name not in reference.SERVED:
            raise Unreachable(
                f"threadconform: {contract.path} has no embedded reference server; "
                "pass --base-url (or THREADCONFORM_BASE_URL) to test it against your server"
            )
        server = reference.start(contract.name, threads=self.options.threads)
        self.servers.append(server)
        credentials = server.credentials
        return Target(contract, server.url, credentials.primary, credentials.secondary, True)

    @property
    def concurrency(self) -> int:
        """Requests out at once: --concurrency, else DEFAULT_CONCURRENCY."""
        return self.options.concurrency or DEFAULT_CONCURRENCY

    def _start_engine(self, deployment: Deployment) -> Engine:
        # The probes (and Hypothesis, Schemathesis under them) load only for a run that
        # gets this far: a usage error or a --help answers without them.
        from threadconform.probes.registry import PROBES
        from threadconform.probes.write_hook import command_hook

        contract = self.contract(deployment.contract)
        target = self._target(deployment, contract)
        budget = self.options.max_requests or self.profile.max_requests
        client = Client(
            target.base_url,
            contract.endpoint,
            auth=contract.auth,
            credential=target.token,
            timeout=self.options.timeout,
            max_rps=self.options.max_rps,
            concurrency=self.concurrency,
            max_requests=budget,
            verify=not self.options.insecure,
            headers=self.options.header,
            deadline=self.deadline,
            # A tenth of the run may go on waiting for 429s and 503s to pass.
            retry_budget=self.max_time / 10,
        )
        if self.announce is not None:
            where = " (embedded reference server)" if target.embedded else ""
            self.announce(f"threadconform: {deployment.label} against {target.base_url}{where}")
        try:  # a wrong URL or credential is named now, before any rule is judged
            answers = preflight.check(client, target.base_url, self.redact)
        except BudgetSpent as spent:  # --max-time already over before this target
            self._stopped_at_setup(deployment, client)
            raise Unreachable(f"threadconform: not started: {spent}") from None
        except Unreachable:
            self._stopped_at_setup(deployment, client)
            raise
        context = ProbeContext(
            contract,
            client,
            self.profile,
            self.options.seed,
            target.second_token,
            frozen=self.options.frozen,
            write_hook=command_hook(self.options.write_hook) if self.options.write_hook else None,
        )
        if self.announce is not None and context.items_of(answers.given) == []:
            self.announce(
                f"threadconform: note: {deployment.label}: the first listing is empty (0 "
                "threads for this credential), so walk, order and metadata rules will skip"
            )
        return Engine(target, context, PROBES, wanted=self.wanted.get(deployment.name))

    def _stopped_at_setup(self, deployment: Deployment, client: Client) -> None:
        """Keep what the preflight sent (the reports count it), then let the client go."""
        self.setup_requests[deployment.name] = client.requests_sent
        client.close()

    def verdict(self, name: str, rule_id: str) -> Verdict:
        """The verdict on one rule for the target called `name` (runs its probes once)."""
        key = (name, rule_id)
        if key not in self.verdicts:
            self.verdicts[key] = self._verdict(self.deployment(name), rule_id)
        return self.verdicts[key]

    def redact(self, text: str) -> str:
        """Every credential this run knows, replaced; bodies may echo a token back."""
        for secret in self._secrets():
            if secret and len(secret) >= 4:  # a shorter "secret" would shred the text
                text = text.replace(secret, REDACTED)
        return text

    def stopped(self, name: str) -> tuple[str, str] | None:
        """(verdict, reason) when the target called `name` could not be judged in full:
        ("error", why) unreachable or gone silent, ("incomplete", why) the run deadline."""
        if name in self.unreachable:
            return RunVerdict.ERROR, self.unreachable[name].message
        engine = self.engines.get(name)
        reason = engine.stop_reason if engine is not None else None
        if engine is None or reason is None:
            return None
        verdict = RunVerdict.ERROR if engine.context.ending == "gone" else RunVerdict.INCOMPLETE
        return verdict, self.redact(reason)

    def _secrets(self) -> list[str]:
        given = [self.options.token, self.options.second_token]
        given += [value for _, value in self.options.header]
        for deployment in self._deployments or ():
            given += [deployment.token, deployment.second_token]
            given.append(urlsplit(deployment.base_url or "").password)  # https://u:p@host
        embedded = [
            s for x in self.servers for s in (x.credentials.primary, x.credentials.secondary)
        ]
        return [s for s in (*given, *embedded) if s]

    def _verdict(self, deployment: Deployment, rule_id: str) -> Verdict:
        contract = self.contract(deployment.contract)
        setting = rules.setting(contract, rule_id)
        name = deployment.name
        reason = applicable(contract, rule_id)
        if reason is not None:
            return Verdict(name, contract.name, rule_id, "off", Outcome.OFF, Outcome.NA, reason)
        record = self.engine(name).record(rule_id)
        report = self.redact(format_failure(deployment.label, rule_id, setting.severity, record))
        waiver = waivers.find(self.waivers(), name, contract.name, rule_id)
        outcome = gate(record.status, setting.severity, self.strict, waiver, self.today)
        return Verdict(
            name,
            contract.name,
            rule_id,
            setting.severity,
            record.status,
            outcome,
            self.redact(record.reason),
            report,
            waiver if record.status == Outcome.FAIL else None,
        )

    @property
    def report_dir(self) -> Path:
        directory = Path(self.options.report_dir)
        return directory if directory.is_absolute() else self.rootdir / directory

    def close(self) -> None:
        for engine in self.engines.values():
            engine.context.client.close()
        for server in self.servers:
            server.stop()


def applicable(contract: Contract, rule_id: str) -> str | None:
    """None when the rule applies to the contract, else why not (spec says off, or the
    contract has nothing the rule is about)."""
    from threadconform.invariants import INVARIANTS

    if rules.setting(contract, rule_id).severity == "off":
        return f"{rule_id} does not apply to {contract.name} (x-pagination.rules: off)"
    invariant = INVARIANTS.get(rule_id)
    return invariant.applies(contract.pagination) if invariant is not None else None


def format_failure(contract: str, rule_id: str, severity: str, record: Any) -> str:
    """The text a vendor reads: the rule, what was expected, what came back, the curl."""
    if not record.kept:
        return ""
    rule = rules.BY_ID[rule_id]
    lines = [f"{rule_id} [{severity}] {contract}: {rule.statement}"]
    for number, violation in enumerate(record.kept, 1):
        lines.append(f"  {number}. {violation.message}")
        if violation.expected:
            lines.append(f"     expected: {violation.expected}")
        if violation.actual:
            lines.append(f"     got:      {violation.actual}")
        for request in violation.evidence[:4]:
            lines.append(f"     reproduce: {request.curl()}")
    if record.violations > len(record.kept):
        lines.append(f"  ... {record.violations - len(record.kept)} more violation(s)")
    lines.append(f"  (credentials in the curl lines are shown as {REDACTED}; put yours back)")
    return "\n".join(lines)
