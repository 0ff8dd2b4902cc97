"""What a run writes: `summary.json` for machines, `summary.md` for a CI job summary,
`report.html` for the vendor.

The data flows in two steps so that parallel runs report once: `entries(suite)` is what one
process ran (a pytest-xdist worker sends its entries to the controller), `document(...)`
puts every process's entries under the run's header. The terminal table, the Markdown and
the HTML are all made from that one document, so they cannot disagree.

`junit.xml` comes from pytest itself; `junit_properties` is what the plugin adds to it.
Every text here has passed through the run's redaction, so no credential reaches a file.
The JSON format is described by `threadconform/schemas/summary.schema.json`.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict, cast
from urllib.parse import urlsplit, urlunsplit

from threadconform import __version__, escape, rules, security_report, waivers
from threadconform.engine import Engine
from threadconform.html_report import more_violations_line
from threadconform.ledger import Violation
from threadconform.model import Contract
from threadconform.outcomes import VERDICT_EXIT, ExitStatus, RunVerdict
from threadconform.report_types import (
    Counts,
    LiveEntry,
    RuleEntry,
    Stopped,
    Summary,
    TargetEntry,
    ViolationEntry,
    WaiverEntry,
)
from threadconform.targets import Deployment

__all__ = [
    "EMPTY_LISTING",
    "EXIT_STATUS",
    "OUTCOMES",
    "PYTEST_COUNTS",
    "SCHEMA_PATH",
    "SCHEMA_VERSION",
    "TABLE_LEGEND",
    "CarriedEntry",
    "counts",
    "document",
    "entries",
    "junit_properties",
    "markdown",
    "merge",
    "public_url",
    "table",
    "write",
]

if TYPE_CHECKING:
    from threadconform.runner import Suite, Verdict

SCHEMA_VERSION = 2
# The exit status each verdict gives: threadconform.outcomes holds the one table.
EXIT_STATUS = VERDICT_EXIT


# A target stopped before any rule (unreachable, 404, refused) carries its stop's exit
# status under this key from entries() to document(), across xdist workers too; document()
# takes it out again, so summary.json is what its schema says.
class CarriedEntry(TargetEntry, total=False):
    """A target's entry as the processes of a run pass it on: with the exit status its
    stop has (7, 8), which summary.json says once for the run (`exit_status`), not here."""

    stop_exit_status: int


SCHEMA_PATH = Path(__file__).parent / "schemas" / "summary.schema.json"
OUTCOMES = ("fail", "warn", "waived", "skip", "pass", "n/a")
_SHOWN = ("fail", "warn", "waived")  # outcomes whose evidence the reports show


def entries(suite: Suite) -> list[TargetEntry]:
    """One entry per target this process ran or could not reach, in the run's order."""
    result: list[TargetEntry] = []
    for deployment in suite.deployments():
        if deployment.name in suite.unreachable:
            result.append(_unreachable(suite, deployment))
        elif deployment.name in suite.engines:
            result.append(_entry(suite, deployment, suite.engines[deployment.name]))
    return result


def _entry(suite: Suite, deployment: Deployment, engine: Engine) -> TargetEntry:
    contract = engine.target.contract
    found = (_rule(suite, deployment, contract, engine, rule.id) for rule in rules.CATALOGUE)
    rule_entries = [entry for entry in found if entry is not None]
    return {
        **_identity(deployment, contract),
        "target": public_url(engine.target.base_url),
        "embedded": engine.target.embedded,
        "unreachable": _gone(suite, deployment),
        "setup": None,
        "stopped": _stopped(suite, deployment),
        "requests": engine.requests_sent,
        "seconds": round(engine.seconds, 2),
        "counts": counts(rule_entries),
        "rules": rule_entries,
        "live": _live(engine),
        "empty_listing": engine.context.empty_listing,
    }


def _live(engine: Engine) -> LiveEntry:
    """What the run saw of a changing listing (ProbeContext.live), for every report."""
    log = engine.context.live
    seen = log.total
    return {
        "changed": log.changed,
        "frozen": engine.context.frozen,
        "summary": log.describe(),
        "new": len(seen.new),
        "vanished": len(seen.vanished),
        "moved": len(seen.moved),
        "walks_repeated": log.repeated,
        "rereads": log.checks,
        "unjudged": [{"rule": rule, "reason": why} for rule, why in sorted(log.unjudged.items())],
    }


def _unreachable(suite: Suite, deployment: Deployment) -> CarriedEntry:
    contract = suite.contract(deployment.contract)
    stop = suite.unreachable[deployment.name]
    return {
        **_identity(deployment, contract),
        "target": public_url(deployment.base_url or ""),
        "embedded": deployment.base_url is None,
        "unreachable": stop.message,
        "setup": stop.cause,
        "stop_exit_status": int(stop.exit_status),
        "stopped": _stopped(suite, deployment),
        # The preflight's requests: the server logged them, so the report counts them.
        "requests": suite.setup_requests.get(deployment.name, 0),
        "seconds": 0.0,
        "counts": counts([]),
        "rules": [],
        "live": None,
        "empty_listing": None,
    }


def _stopped(suite: Suite, deployment: Deployment) -> Stopped | None:
    """Why the run could not judge this target in full, and the verdict that gives."""
    stopped = suite.stopped(deployment.name)
    return None if stopped is None else {"verdict": stopped[0], "reason": stopped[1]}


def _gone(suite: Suite, deployment: Deployment) -> str | None:
    stopped = suite.stopped(deployment.name)
    return stopped[1] if stopped is not None and stopped[0] == "error" else None


class _Identity(TypedDict):
    """The first keys of a target's entry: which target, under which contract."""

    name: str
    label: str
    contract: str
    spec: str
    spec_version: str


def _identity(deployment: Deployment, contract: Contract) -> _Identity:
    return {
        "name": deployment.name,
        "label": deployment.label,
        "contract": contract.name,
        "spec": str(contract.path),
        "spec_version": contract.version,
    }


def _rule(
    suite: Suite, deployment: Deployment, contract: Contract, engine: Engine, rule_id: str
) -> RuleEntry | None:
    """The rule's entry; None when the rule applies but this run did not select it."""
    from threadconform.runner import applicable

    verdict = suite.verdicts.get((deployment.name, rule_id))
    source = rules.setting(contract, rule_id).source or rules.BY_ID[rule_id].source
    statement = rules.BY_ID[rule_id].statement
    if verdict is None:
        reason = applicable(contract, rule_id)
        if reason is None:
            return None
        return {
            "id": rule_id,
            "statement": statement,
            "source": source,
            "severity": "off",
            "outcome": "n/a",
            "reason": reason,
            "waiver": None,
            "violations": [],
            "violation_count": 0,
            "more_violations": [],
        }
    record = engine.ledger.record(rule_id)
    shown = record.kept if verdict.outcome in _SHOWN else []
    more = [v for v in record.recorded if all(v is not k for k in shown)] if shown else []
    return {
        "id": rule_id,
        "statement": statement,
        "source": source,
        "severity": verdict.severity,
        "outcome": verdict.outcome,
        "reason": verdict.reason,
        "waiver": _waiver(verdict),
        "violations": [_violation(suite, violation) for violation in shown],
        "violation_count": record.violations if shown else 0,
        "more_violations": [_violation(suite, violation) for violation in more],
    }


def _waiver(verdict: Verdict) -> WaiverEntry | None:
    if verdict.waiver is None:
        return None
    shown = waivers.describe(verdict.waiver)
    return {
        "reason": shown["reason"],
        "expires": shown["expires"],
        "target": shown["target"],
        "where": shown["where"],
        "expired": verdict.outcome != "waived",
    }


def _violation(suite: Suite, violation: Violation) -> ViolationEntry:
    return {
        "message": suite.redact(violation.message),
        "expected": suite.redact(violation.expected),
        "actual": suite.redact(violation.actual),
        "curl": [suite.redact(request.curl()) for request in violation.evidence],
    }


def merge(found: list[TargetEntry], order: list[str]) -> list[TargetEntry]:
    """One entry per target, in the run's `order` of target names.

    With `--dist load` chosen explicitly, one target's rules run on several workers, each
    with its own engine: their entries become one (rules united, requests added up)."""
    merged: dict[str, TargetEntry] = {}
    for entry in found:
        first = merged.setdefault(entry["name"], {**entry, "rules": [], "requests": 0})
        if not first["unreachable"]:
            first["unreachable"] = entry["unreachable"]
            first["setup"] = entry.get("setup")
            carried = cast(CarriedEntry, entry).get("stop_exit_status")
            if carried is not None:
                cast(CarriedEntry, first)["stop_exit_status"] = carried
        first["stopped"] = _worse(first.get("stopped"), entry.get("stopped"))
        first["requests"] += entry["requests"]
        first["seconds"] = round(max(first["seconds"], entry["seconds"]), 2)
        first["rules"] = _united(first["rules"], entry["rules"])
        first["counts"] = counts(first["rules"])
        first["live"] = _either_live(first["live"], entry["live"])
        first["empty_listing"] = first.get("empty_listing") or entry.get("empty_listing")
    rank = {name: index for index, name in enumerate(order)}
    return sorted(merged.values(), key=lambda entry: rank.get(entry["name"], len(rank)))


def _either_live(ours: LiveEntry | None, theirs: LiveEntry | None) -> LiveEntry | None:
    """Of two workers' views of one target, the one that saw the listing change."""
    if ours is None or (theirs is not None and theirs["changed"] and not ours["changed"]):
        return theirs
    return ours


def _worse(ours: Stopped | None, theirs: Stopped | None) -> Stopped | None:
    if ours is None or (theirs is not None and _RANK[theirs["verdict"]] > _RANK[ours["verdict"]]):
        return theirs
    return ours


_RANK = {"pass": 0, "fail": 1, "incomplete": 2, "error": 3}


def _united(ours: list[RuleEntry], theirs: list[RuleEntry]) -> list[RuleEntry]:
    by_id = {rule["id"]: rule for rule in ours}
    for rule in theirs:
        if rule["id"] not in by_id or by_id[rule["id"]]["outcome"] == "n/a":
            by_id[rule["id"]] = rule
    return [by_id[rule.id] for rule in rules.CATALOGUE if rule.id in by_id]


def public_url(url: str) -> str:
    """The URL without a password in it (https://user:secret@host -> https://user@host)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = f"{parts.username}@" if parts.username else ""
    return urlunsplit(parts._replace(netloc=user + netloc))


def counts(rule_entries: list[RuleEntry]) -> Counts:
    outcomes = [entry["outcome"] for entry in rule_entries]
    return _counts({outcome: outcomes.count(outcome) for outcome in OUTCOMES})


def _counts(by_outcome: dict[str, int]) -> Counts:
    """`Counts` from one number per outcome: its keys are OUTCOMES, which a comprehension
    cannot tell mypy (selftests/test_report_types.py checks that they match)."""
    return cast(Counts, by_outcome)


def _by_outcome(counted: Counts) -> dict[str, int]:
    """The counts, to read by an outcome in a variable (mypy takes only literal keys)."""
    return cast("dict[str, int]", counted)


def _exit_status(verdict: str, targets: list[TargetEntry]) -> int:
    """The verdict's status; an error stopped at the preflight has its own (7, 8): the
    first stopped target's. A target that went silent mid-run carries none: 6."""
    if verdict == RunVerdict.ERROR:
        stopped = [
            cast(CarriedEntry, t).get("stop_exit_status") or ExitStatus.UNREACHABLE
            for t in targets
            if t["unreachable"]
        ]
        if stopped:
            return int(stopped[0])
    return int(EXIT_STATUS[RunVerdict(verdict)])


def document(suite: Suite, targets: list[TargetEntry]) -> Summary:
    """The run's summary: its header, then every target's entry (from any process)."""
    totals = _counts({o: sum(_by_outcome(t["counts"])[o] for t in targets) for o in OUTCOMES})
    verdict, reason = ("fail" if totals["fail"] else "pass"), None
    for target in targets:
        stopped: Stopped | None = target["stopped"] or (
            {"verdict": "error", "reason": target["unreachable"]} if target["unreachable"] else None
        )
        if stopped is not None and _RANK[stopped["verdict"]] > _RANK[verdict]:
            verdict, reason = stopped["verdict"], f"{target['label']}: {stopped['reason']}"
    notes = _waiver_notes(suite, targets)
    if notes and suite.strict and verdict == RunVerdict.PASS:
        # A stale waiver is a SHOULD: under --strict it fails the gate like one.
        verdict, reason = "fail", f"--strict: {notes[0]}"
    exit_status = _exit_status(verdict, targets)
    # Copies: the entries passed in still carry their stop's status for a later call.
    targets = [
        cast(TargetEntry, {k: v for k, v in t.items() if k != "stop_exit_status"}) for t in targets
    ]
    return {
        "schema_version": SCHEMA_VERSION,
        "suite_version": __version__,
        "verdict": verdict,
        "reason": reason,
        "exit_status": exit_status,
        "profile": suite.profile.name,
        "seed": suite.options.seed,
        "strict": suite.strict,
        "started": datetime.fromtimestamp(suite.started, UTC).isoformat(timespec="seconds"),
        "duration_seconds": round(time.time() - suite.started, 2),
        "requests": sum(t["requests"] for t in targets),
        "waivers_file": suite.options.waivers,
        "waiver_notes": notes,
        "counts": totals,
        "contracts": targets,
        "security": security_report.section(targets),
    }


def _waiver_notes(suite: Suite, targets: list[TargetEntry]) -> list[str]:
    """Waivers no longer needed (their rule holds) or expired: a SHOULD-level note."""
    outcomes = {
        (t["name"], t["contract"], rule["id"]): rule["outcome"]
        for t in targets
        for rule in t["rules"]
    }
    return waivers.stale(suite.waivers(), outcomes, suite.today)


TABLE_LEGEND = (
    "failed: MUST rules that did not hold (SHOULD too, with --strict) · warned: SHOULD "
    "rules that did not hold · waived: failures an unexpired waiver accepts"
)


# Why pytest's own count line differs from the table: said under the table.
PYTEST_COUNTS = (
    "pytest's counts differ by design: each target also has a SETUP item (its preflight), "
    "and a warned rule's item passes with a warning"
)

EMPTY_LISTING = "the first listing is empty"  # the terminal's note (contracts[].empty_listing)


def table(data: Summary) -> list[str]:
    """The terminal's closing table: targets × failed / warned / waived / skipped.

    An unreachable target gets one line of its own and no row: it has no counts."""
    reached = [t for t in data["contracts"] if t["rules"]]
    lines = [
        f"{t['label']}: {_why(t).removeprefix('threadconform: ')}"
        for t in data["contracts"]
        if _why(t)
    ]
    if data["verdict"] in ("error", "incomplete"):
        lines.append(
            f"threadconform: verdict {data['verdict'].upper()} (exit status "
            f"{data['exit_status']}): rules not judged are skipped with the reason"
        )
    lines += [f"threadconform: SHOULD: {note}" for note in data.get("waiver_notes", [])]
    if not reached:
        return [escape.terminal(line) for line in lines]
    # Said once, at the top: an empty listing makes every walk rule a skip.
    lines += [
        f"{t['label']}: note: {EMPTY_LISTING}; walk, order and metadata rules were skipped"
        for t in reached
        if t.get("empty_listing")
    ]
    lines += [
        f"{t['label']}: note: {live['summary']}"
        for t in reached
        if (live := t.get("live")) and live["changed"]
    ]
    width = max([8, *(len(t["label"]) for t in reached)])
    lines.append(
        f"{'target':<{width}} {'failed':>6} {'warned':>6} {'waived':>6} {'skipped':>7} "
        f"{'passed':>6} {'requests':>8} {'seconds':>7}"
    )
    for target in reached:
        c = target["counts"]
        lines.append(
            f"{target['label']:<{width}} {c['fail']:>6} {c['warn']:>6} {c['waived']:>6} "
            f"{c['skip']:>7} {c['pass']:>6} {target['requests']:>8} {target['seconds']:>7.1f}"
        )
    lines.append(TABLE_LEGEND)
    lines.append(PYTEST_COUNTS)
    return [escape.terminal(line) for line in lines]


def _why(target: TargetEntry) -> str:
    """The one line saying why a target was not judged in full ("" when it was)."""
    stopped = target.get("stopped")
    return target["unreachable"] or (stopped["reason"] if stopped else "")


def markdown(data: Summary) -> str:
    """summary.md, often posted as a pull request comment: every value from the run is
    escaped (see threadconform.escape), so a target cannot inject markup or mentions."""
    md = escape.markdown
    lines = [
        f"# threadconform {md(data['suite_version'])}: {data['verdict'].upper()}",
        "",
        f"profile `{md(data['profile'])}`, seed {data['seed']}, {data['duration_seconds']} s, "
        f"{data['requests']} requests, exit status {data['exit_status']}",
    ]
    if data["reason"]:
        lines += ["", f"**{data['verdict']}**: {md(data['reason'])}"]
    lines += [
        "",
        "| target | contract | spec version | URL | failed | warned | waived | skipped "
        "| passed | requests |",
        "| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for t in data["contracts"]:
        c = t["counts"]
        lines.append(
            f"| {md(t['name'])} | {md(t['contract'])} | {md(t['spec_version'])} | "
            f"{md(t['target'])} | {c['fail']} | {c['warn']} | {c['waived']} | {c['skip']} | "
            f"{c['pass']} | {t['requests']} |"
        )
    lines += ["", TABLE_LEGEND]
    for t in data["contracts"]:
        if t["unreachable"] and not t["rules"]:
            cause = t.get("setup") or "unreachable"
            lines += ["", f"## {md(t['label'])}: {md(cause)}", "", md(t["unreachable"])]
        elif stopped := t.get("stopped"):
            heading = f"{t['label']}: stopped early ({stopped['verdict']})"
            lines += ["", f"## {md(heading)}", "", md(stopped["reason"])]
        if note := t.get("empty_listing"):
            lines += ["", f"**{md(t['label'])}: note**: {md(note)}"]
        lines += _markdown_live(t)
        lines += _markdown_rules(t)
        lines += _markdown_skips(t)
    if data.get("waiver_notes"):
        lines += ["", "## waivers to tidy (SHOULD)", ""]
        lines += [f"- {md(note)}" for note in data["waiver_notes"]]
    lines += security_report.markdown(data)
    return "\n".join(lines) + "\n"


def _markdown_live(target: TargetEntry) -> list[str]:
    """The target changed while it was tested: what, and which rules that left unjudged."""
    live = target.get("live")
    if not live or not live["changed"]:
        return []
    md = escape.markdown
    heading = f"{target['label']}: the listing changed while it was tested"
    lines = ["", f"## {md(heading)}", "", md(live["summary"])]
    lines += [f"- {md(item['rule'])}: {md(item['reason'])}" for item in live["unjudged"]]
    return lines


def _markdown_skips(target: TargetEntry) -> list[str]:
    """The rules not judged on this target, each with why: neither passed nor failed."""
    md = escape.markdown
    skipped = [rule for rule in target["rules"] if rule["outcome"] == "skip"]
    if not skipped:
        return []
    lines = [
        "",
        f"## {md(target['label'])}: skipped ({len(skipped)}, neither passed nor failed)",
        "",
    ]
    return lines + [f"- {md(rule['id'])}: {md(rule['reason'])}" for rule in skipped]


def _markdown_rules(target: TargetEntry) -> list[str]:
    md = escape.markdown
    lines: list[str] = []
    for rule in target["rules"]:
        if rule["outcome"] not in _SHOWN:
            continue
        heading = f"{target['label']} · {rule['id']} ({rule['severity']}, {rule['outcome']})"
        lines += ["", f"## {md(heading)}", "", md(rule["statement"])]
        if rule["waiver"]:
            waiver = rule["waiver"]
            state = "expired" if waiver["expired"] else "waived until"
            lines += ["", f"*{state} {md(waiver['expires'])}: {md(waiver['reason'])}*"]
        for violation in rule["violations"]:
            lines += ["", f"- {md(violation['message'])}"]
            lines += [f"  - {escape.code_span(curl)}" for curl in violation["curl"][:2]]
        if not rule["violations"]:
            lines += ["", f"- {md(rule['reason'])}"]
        if unseen := more_violations_line(rule):
            lines += ["", f"- {md(unseen)}"]
    return lines


def junit_properties(data: Summary) -> list[tuple[str, str]]:
    """The run's header as JUnit <testsuite> properties (one set per target)."""
    found = [
        (f"threadconform.{key}", str(data[key]))
        for key in (
            "suite_version",
            "verdict",
            "exit_status",
            "profile",
            "seed",
            "strict",
            "duration_seconds",
        )
    ]
    found.append(("threadconform.requests", str(data["requests"])))
    if data["reason"]:
        found.append(("threadconform.reason", escape.terminal(data["reason"])))
    for target in data["contracts"]:
        prefix = f"threadconform.target.{target['name']}"
        for key in ("contract", "target", "spec_version", "requests", "seconds"):
            found.append((f"{prefix}.{key}", str(target[key])))
        if live := target.get("live"):
            found.append((f"{prefix}.live.changed", str(live["changed"]).lower()))
            found.append((f"{prefix}.live.walks_repeated", str(live["walks_repeated"])))
            if live["changed"]:
                found.append((f"{prefix}.live.summary", escape.terminal(live["summary"])))
    return found


def write(data: Summary, directory: Path) -> list[Path]:
    from threadconform import html_report

    directory.mkdir(parents=True, exist_ok=True)
    files = {
        "summary.json": json.dumps(data, indent=2) + "\n",
        "summary.md": markdown(data),
        "report.html": html_report.render(data),
    }
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
    return [directory / name for name in files]
