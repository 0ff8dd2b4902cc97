"""What a run writes: `summary.json` for machines, `summary.md` for a CI job summary.

`junit.xml` comes from pytest itself (`--junitxml`): each test item is one rule of one
contract, so CI systems list rule names. Every text here has passed through the run's
redaction, so no credential reaches a file.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from threadconform import __version__, rules

if TYPE_CHECKING:
    from threadconform.runner import Suite

SCHEMA_VERSION = 1


def summary(suite: Suite) -> dict[str, Any]:
    contracts = []
    for name, engine in suite.engines.items():
        contract = engine.target.contract
        verdicts = [v for (c, _), v in suite.verdicts.items() if c == name]
        contracts.append(
            {
                "name": name,
                "spec": str(contract.path),
                "spec_version": contract.version,
                "target": engine.target.base_url,
                "embedded": engine.target.embedded,
                "requests": engine.requests_sent,
                "seconds": round(engine.seconds, 2),
                "rules": [_rule(suite, name, verdict) for verdict in verdicts],
            }
        )
    failed = any(rule["outcome"] == "fail" for contract in contracts for rule in contract["rules"])
    return {
        "schema_version": SCHEMA_VERSION,
        "suite_version": __version__,
        "profile": suite.profile.name,
        "seed": suite.values["tc_seed"],
        "strict": suite.strict,
        "duration_seconds": round(time.time() - suite.started, 2),
        "verdict": "fail" if failed else "pass",
        "contracts": contracts,
    }


def _rule(suite: Suite, contract: str, verdict: Any) -> dict[str, Any]:
    outcome = verdict.status
    if outcome == "fail" and verdict.severity == "SHOULD" and not suite.strict:
        outcome = "warn"
    engine = suite.engines[contract]
    record = engine.ledger.record(verdict.rule)
    return {
        "id": verdict.rule,
        "statement": rules.BY_ID[verdict.rule].statement,
        "severity": verdict.severity,
        "outcome": outcome,
        "reason": verdict.reason,
        "violations": [
            {
                "message": suite.redact(v.message),
                "expected": suite.redact(v.expected),
                "actual": suite.redact(v.actual),
                "curl": [suite.redact(request.curl()) for request in v.evidence],
            }
            for v in (record.kept if outcome in ("fail", "warn") else [])
        ],
    }


def markdown(data: dict[str, Any]) -> str:
    lines = [
        f"# threadconform {data['suite_version']}: {data['verdict'].upper()}",
        "",
        f"profile `{data['profile']}`, seed {data['seed']}, {data['duration_seconds']} s",
        "",
        "| contract | target | MUST failed | SHOULD warned | skipped | passed | requests |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for contract in data["contracts"]:
        outcomes = [rule["outcome"] for rule in contract["rules"]]
        lines.append(
            f"| {contract['name']} | {contract['target']} | {outcomes.count('fail')} | "
            f"{outcomes.count('warn')} | {outcomes.count('skip')} | {outcomes.count('pass')} | "
            f"{contract['requests']} |"
        )
    for contract in data["contracts"]:
        for rule in contract["rules"]:
            if rule["outcome"] not in ("fail", "warn"):
                continue
            lines += ["", f"## {contract['name']} · {rule['id']} ({rule['severity']})", ""]
            lines.append(rule["statement"])
            for violation in rule["violations"]:
                lines += ["", f"- {violation['message']}"]
                lines += [f"  - `{curl}`" for curl in violation["curl"][:2]]
    return "\n".join(lines) + "\n"


def write(suite: Suite, directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    data = summary(suite)
    json_path, md_path = directory / "summary.json", directory / "summary.md"
    json_path.write_text(json.dumps(data, indent=2) + "\n")
    md_path.write_text(markdown(data))
    return [json_path, md_path]
