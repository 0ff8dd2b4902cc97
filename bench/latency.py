"""Time to verdict across a network: the suite at several round-trip delays and
concurrencies, against plain Schemathesis on the same target (issue 21).

Each contract's reference server answers every request `--delays` milliseconds late
(`reference.start(delay_ms=...)`, an asyncio sleep: requests overlap as they would across
a network). Per contract and delay: wall seconds of a default-profile suite run
(`threadconform run`, a fresh process, as a user runs it) at each `--concurrencies`
value, and of plain Schemathesis' default run (`st run SPEC --url URL --checks all`,
100 examples, every phase) on the same server; medians of `--runs` runs, taken in turn
so a drift of the machine's speed hits both alike. Requests are the suite's own count.

Writes reports/latency.md and prints it.

    .venv/bin/python bench/latency.py [--contracts worker kortix] [--delays 0 20 50]
        [--concurrencies 1 4] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from threadconform import reference
from threadconform.mutation import suite_env
from threadconform.spec import SPEC_DIR

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "reports"


def suite_run(
    contract: str, server: reference.RunningServer, concurrency: int
) -> tuple[float, int]:
    """(wall seconds, requests) of one default-profile run in a fresh process."""
    with tempfile.TemporaryDirectory(prefix="tc-latency-") as folder:
        command = [sys.executable, "-m", "threadconform", "run", "-q", "--contract", contract]
        command += ["--base-url", server.url, "--concurrency", str(concurrency)]
        command += ["--report-dir", folder]
        env = suite_env(server.credentials)
        started = time.perf_counter()
        subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - started
        summary = json.loads(Path(folder, "summary.json").read_text())
    return seconds, int(summary["requests"])


def schemathesis_run(contract: str, server: reference.RunningServer) -> float:
    """Wall seconds of plain Schemathesis' default run, in a fresh process."""
    command = [sys.executable, "-m", "schemathesis.cli", "run", str(SPEC_DIR / f"{contract}.yaml")]
    command += ["--url", server.url, "--checks", "all", "--no-color"]
    if server.credentials.primary:
        for name, value in reference.header(contract, server.credentials.primary).items():
            command += ["--header", f"{name}: {value}"]
    with tempfile.TemporaryDirectory(prefix="tc-latency-st-") as folder:
        started = time.perf_counter()
        subprocess.run(command, cwd=folder, capture_output=True, text=True, check=False)
        return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contracts", nargs="+", default=list(reference.CONTRACTS))
    parser.add_argument("--delays", nargs="+", type=float, default=[0, 20, 50])
    parser.add_argument("--concurrencies", nargs="+", type=int, default=[1, 4])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    heads = [f"suite c={c} s" for c in args.concurrencies]
    lines = [
        "# Time to verdict across a network",
        "",
        f"Median of {args.runs} runs each, taken in turn; 2 CPUs, load average "
        f"{os.getloadavg()[0]:.1f}. `delay`: milliseconds every answer waits.",
        "",
        "| contract | delay ms | requests | " + " | ".join(heads) + " | Schemathesis s | "
        "best suite / Schemathesis |",
        "| --- | ---: | ---: | " + " | ".join("---:" for _ in heads) + " | ---: | ---: |",
    ]
    for contract in args.contracts:
        for delay in args.delays:
            with reference.start(contract, delay_ms=delay) as server:
                suite: dict[int, list[float]] = {c: [] for c in args.concurrencies}
                plain: list[float] = []
                requests = 0
                for _ in range(args.runs):
                    for concurrency in args.concurrencies:
                        seconds, requests = suite_run(contract, server, concurrency)
                        suite[concurrency].append(seconds)
                    plain.append(schemathesis_run(contract, server))
            medians = [statistics.median(suite[c]) for c in args.concurrencies]
            st = statistics.median(plain)
            cells = " | ".join(f"{m:.1f}" for m in medians)
            lines.append(
                f"| {contract} | {delay:g} | {requests} | {cells} | {st:.1f} | "
                f"{min(medians) / st:.2f} |"
            )
            print(lines[-1], flush=True)
    text = "\n".join(lines) + "\n"
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / "latency.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
