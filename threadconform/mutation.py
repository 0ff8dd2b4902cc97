"""The mutation matrix: does the suite catch every injected fault and pass every tolerated
variant? Each variant is a reference server started with one `--fault`; the suite runs
against it as a black box, exactly as a user runs it (`pytest --contract C --base-url URL`
in a subprocess), and so does plain Schemathesis, for comparison.

A fault counts as caught only if the run fails AND names a rule the fault breaks. A
tolerated variant (and the conforming server) must pass.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from threadconform import reference
from threadconform.spec import SPEC_DIR

ROOT = SPEC_DIR.parent


@dataclass(frozen=True)
class Variant:
    contract: str
    fault: str | None  # None: the conforming server
    tolerated: bool
    breaks: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.contract}/{self.fault or 'conforming'}"


@dataclass
class Outcome:
    variant: Variant
    exit_status: int
    failed: list[str]  # MUST rules the suite reported failing
    warned: list[str]  # SHOULD rules it warned about
    seconds: float
    schemathesis_exit: int | None = None
    schemathesis_seconds: float = 0.0
    detail: str = ""  # the tail of the output when the run did something unexpected
    named: list[str] = field(default_factory=list)  # rules of `breaks` the suite named

    @property
    def ok(self) -> bool:
        """Caught (a fault) or passed (a tolerated variant)."""
        if self.variant.tolerated:
            return self.exit_status == 0
        return self.exit_status == 1 and bool(self.named)

    @property
    def schemathesis_flagged(self) -> bool | None:
        return None if self.schemathesis_exit is None else self.schemathesis_exit != 0


def variants(contracts: Iterable[str] = reference.SERVED) -> list[Variant]:
    found = []
    for contract in contracts:
        found.append(Variant(contract, None, True))
        for fault in reference.faults(contract).values():
            found.append(Variant(contract, fault.name, fault.tolerated, tuple(fault.breaks)))
    return found


def suite_env(server: reference.RunningServer) -> dict[str, str]:
    """This environment without THREADCONFORM_* settings, plus the server's credentials
    (passed as a CI passes secrets: in the environment, never on the command line)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("THREADCONFORM_")}
    if server.credentials.primary:
        env["THREADCONFORM_TOKEN"] = server.credentials.primary
    if server.credentials.secondary:
        env["THREADCONFORM_SECOND_TOKEN"] = server.credentials.secondary
    return env


def suite_command(*args: str) -> list[str]:
    """The suite as a user runs it, from the repository root."""
    return [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args]


def run_suite(variant: Variant, url: str, env: dict[str, str], profile: str) -> Outcome:
    with tempfile.TemporaryDirectory(prefix="tc-matrix-") as reports:
        command = suite_command(
            "--contract", variant.contract, "--base-url", url,
            "--profile", profile, "--report-dir", reports,
        )  # fmt: skip
        started = time.perf_counter()
        result = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
        )
        seconds = time.perf_counter() - started
        failed, warned = _rules(Path(reports) / "summary.json")
    outcome = Outcome(variant, result.returncode, failed, warned, seconds)
    outcome.named = [rule for rule in variant.breaks if rule in failed]
    if not outcome.ok:
        outcome.detail = (result.stdout + result.stderr)[-1500:]
    return outcome


def _rules(summary: Path) -> tuple[list[str], list[str]]:
    if not summary.exists():
        return [], []
    data = json.loads(summary.read_text())
    rules = [rule for contract in data["contracts"] for rule in contract["rules"]]
    failed = [r["id"] for r in rules if r["outcome"] == "fail"]
    warned = [r["id"] for r in rules if r["outcome"] == "warn"]
    return failed, warned


def run_schemathesis(
    variant: Variant, url: str, server: reference.RunningServer
) -> tuple[int, float]:
    """Plain Schemathesis, every check on, against the same spec and server."""
    command = [
        sys.executable, "-m", "schemathesis.cli", "run", str(SPEC_DIR / f"{variant.contract}.yaml"),
        "--url", url, "--checks", "all", "--max-examples", "25", "--seed", "0",
        "--generation-deterministic", "--no-color",
    ]  # fmt: skip
    if server.credentials.primary:
        for name, value in reference.header(variant.contract, server.credentials.primary).items():
            command += ["--header", f"{name}: {value}"]
    started = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    return result.returncode, time.perf_counter() - started


def run_variant(variant: Variant, profile: str = "quick", schemathesis: bool = True) -> Outcome:
    with reference.start(variant.contract, fault=variant.fault) as server:
        outcome = run_suite(variant, server.url, suite_env(server), profile)
        if schemathesis:
            outcome.schemathesis_exit, outcome.schemathesis_seconds = run_schemathesis(
                variant, server.url, server
            )
    return outcome


def run_matrix(
    chosen: list[Variant],
    *,
    profile: str = "quick",
    schemathesis: bool = True,
    workers: int = 2,
    progress: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    def one(variant: Variant) -> Outcome:
        outcome = run_variant(variant, profile, schemathesis)
        if progress is not None:
            progress(outcome)
        return outcome

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, chosen))


def line(outcome: Outcome) -> str:
    variant = outcome.variant
    kind = "tolerated" if variant.tolerated else "fault"
    verdict = (
        ("passed" if outcome.ok else "FALSE ALARM")
        if variant.tolerated
        else ("caught" if outcome.ok else "MISSED")
    )
    named = ", ".join(outcome.named) or ", ".join(outcome.failed[:3]) or "-"
    st = {None: "-", True: "flagged", False: "passed"}[outcome.schemathesis_flagged]
    return (
        f"| {variant.contract} | {variant.fault or '(conforming)'} | {kind} | {verdict} | "
        f"{named} | {outcome.seconds:.1f} | {st} |"
    )


def report(outcomes: list[Outcome], wall_seconds: float) -> str:
    faults = [o for o in outcomes if not o.variant.tolerated]
    tolerated = [o for o in outcomes if o.variant.tolerated]
    caught = sum(o.ok for o in faults)
    alarms = sum(not o.ok for o in tolerated)
    st_caught = sum(bool(o.schemathesis_flagged) for o in faults)
    st_alarms = sum(bool(o.schemathesis_flagged) for o in tolerated)
    lines = [
        "# Mutation matrix",
        "",
        "| | threadconform | plain Schemathesis (`--checks all`) |",
        "| --- | ---: | ---: |",
        f"| faults caught | {caught}/{len(faults)} ({_pct(caught, len(faults))}) | "
        f"{st_caught}/{len(faults)} ({_pct(st_caught, len(faults))}) |",
        f"| false alarms on tolerated variants | {alarms}/{len(tolerated)} | "
        f"{st_alarms}/{len(tolerated)} |",
        "",
        f"Wall time {wall_seconds:.0f} s for {len(outcomes)} variants. A fault counts as "
        "caught only if the run fails and names a rule the fault breaks; Schemathesis "
        "counts as flagging a variant when its run exits non-zero.",
        "",
        "| contract | variant | kind | outcome | rule named | seconds | Schemathesis |",
        "| --- | --- | --- | --- | --- | ---: | --- |",
    ]
    lines += [line(o) for o in outcomes]
    return "\n".join(lines) + "\n"


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "n/a"
