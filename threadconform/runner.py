"""One run of the suite: which contracts, which targets, their engines, their verdicts.

The pytest plugin and the reports read this; it holds no pytest objects, so the same run
can be driven from a script or the CLI.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from threadconform import rules, spec
from threadconform.client import Client
from threadconform.engine import Engine, ProbeContext, Target
from threadconform.exchange import REDACTED
from threadconform.model import Contract
from threadconform.probes.registry import PROBES
from threadconform.profiles import PROFILES, Profile


class UnreachableTarget(Exception):
    """The target did not answer at all; one line says which URL and why."""


@dataclass(frozen=True)
class Verdict:
    contract: str
    rule: str
    severity: str  # MUST, SHOULD or off
    status: str  # pass, fail, skip, off
    reason: str
    report: str = ""  # the full failure text: expected, actual, curl


@dataclass
class Suite:
    values: dict[str, Any]
    rootdir: Path
    engines: dict[str, Engine] = field(default_factory=dict)
    servers: list[Any] = field(default_factory=list)
    verdicts: dict[tuple[str, str], Verdict] = field(default_factory=dict)
    started: float = field(default_factory=time.time)
    _contracts: list[Contract] | None = None

    @property
    def strict(self) -> bool:
        return bool(self.values["strict"])

    @property
    def profile(self) -> Profile:
        return PROFILES[self.values["tc_profile"]]

    def contracts(self) -> list[Contract]:
        if self._contracts is None:
            self._contracts = self._load_contracts()
        return self._contracts

    def _load_contracts(self) -> list[Contract]:
        if self.values["tc_spec"]:
            return [spec.load(self.values["tc_spec"])]
        name = self.values["tc_contract"]
        if name == "all":
            return spec.load_all(spec.SPEC_DIR)
        return [spec.load(spec.find(name))]

    def contract(self, name: str) -> Contract:
        return next(c for c in self.contracts() if c.name == name)

    def engine(self, name: str) -> Engine:
        if name not in self.engines:
            self.engines[name] = self._start_engine(self.contract(name))
        return self.engines[name]

    def _target(self, contract: Contract) -> Target:
        if self.values["tc_base_url"]:
            return Target(
                contract,
                self.values["tc_base_url"],
                self.values["tc_token"],
                self.values["tc_second_token"],
            )
        return self._embedded(contract)

    def _embedded(self, contract: Contract) -> Target:
        from threadconform import reference

        if contract.name not in reference.CONTRACTS:
            raise UnreachableTarget(
                f"threadconform: {contract.path} has no embedded reference server; "
                "pass --base-url (or THREADCONFORM_BASE_URL) to test it against your server"
            )
        server = reference.start(contract.name, threads=self.values["tc_threads"])
        self.servers.append(server)
        credentials = server.credentials
        return Target(contract, server.url, credentials.primary, credentials.secondary, True)

    def _start_engine(self, contract: Contract) -> Engine:
        target = self._target(contract)
        budget = self.values["tc_max_requests"] or self.profile.max_requests
        client = Client(
            target.base_url,
            contract.endpoint,
            auth=contract.auth,
            credential=target.token,
            timeout=self.values["tc_timeout"],
            max_rps=self.values["tc_max_rps"],
            max_requests=budget,
            verify=not self.values["tc_insecure"],
        )
        preflight = client.get({})
        if preflight.status is None:  # refused, DNS, TLS, or no answer in time
            client.close()
            raise UnreachableTarget(f"threadconform: cannot reach the target: {preflight.error}")
        context = ProbeContext(
            contract, client, self.profile, self.values["tc_seed"], target.second_token
        )
        return Engine(target, context, PROBES)

    def verdict(self, contract_name: str, rule_id: str) -> Verdict:
        key = (contract_name, rule_id)
        if key not in self.verdicts:
            self.verdicts[key] = self._verdict(contract_name, rule_id)
        return self.verdicts[key]

    def redact(self, text: str) -> str:
        """Every credential this run knows, replaced; bodies may echo a token back."""
        for secret in (
            self.values["tc_token"],
            self.values["tc_second_token"],
            *self._embedded_secrets(),
        ):
            if secret and len(secret) >= 4:  # a shorter "secret" would shred the text
                text = text.replace(secret, REDACTED)
        return text

    def _embedded_secrets(self) -> list[str]:
        return [
            s
            for server in self.servers
            for s in (server.credentials.primary, server.credentials.secondary)
            if s
        ]

    def _verdict(self, contract_name: str, rule_id: str) -> Verdict:
        contract = self.contract(contract_name)
        setting = rules.setting(contract, rule_id)
        reason = applicable(contract, rule_id)
        if reason is not None:
            return Verdict(contract_name, rule_id, "off", "off", reason)
        record = self.engine(contract_name).record(rule_id)
        report = self.redact(format_failure(contract_name, rule_id, setting.severity, record))
        reason = self.redact(record.reason)
        return Verdict(contract_name, rule_id, setting.severity, record.status, reason, report)

    def summary_lines(self) -> list[str]:
        lines = [
            f"{'contract':<10} {'MUST failed':>11} {'SHOULD warned':>13} {'skipped':>8} "
            f"{'requests':>9} {'seconds':>8}"
        ]
        for name, engine in self.engines.items():
            counts = {"must": 0, "should": 0, "skip": 0}
            contract = engine.target.contract
            for rule in rules.CATALOGUE:
                severity = rules.setting(contract, rule.id).severity
                record = engine.ledger.records.get(rule.id)
                if applicable(contract, rule.id) is not None or record is None:
                    continue
                if record.status == "fail":
                    counts["must" if severity == "MUST" else "should"] += 1
                elif record.status == "skip":
                    counts["skip"] += 1
            lines.append(
                f"{name:<10} {counts['must']:>11} {counts['should']:>13} {counts['skip']:>8} "
                f"{engine.requests_sent:>9} {math.ceil(engine.seconds):>8}"
            )
        return lines

    def write_reports(self) -> list[Path]:
        from threadconform import reports

        directory = Path(self.values["tc_report_dir"])
        if not directory.is_absolute():
            directory = self.rootdir / directory
        return reports.write(self, directory)

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
