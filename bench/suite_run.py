"""How long a run takes, how many requests it sends, and how much memory it needs.

(Start-up alone is measured by bench/startup.py.)

1. The main job, once per profile: the suite against the embedded reference servers, all
   five contracts in one `pytest` run (target: under 60 s on 2 cores for `default`), with
   requests and seconds per contract from its summary.json.
2. Scale: per contract, the suite against a reference server of 1,000 and of 100,000
   threads, each served from its own process, the suite run under `/usr/bin/time -v` for
   its peak RSS (target: 100,000 within 1.5x the 1,000-thread wall time, under 500 MB).
3. The mutation matrix's wall time, read from reports/mutation-matrix.md (written by
   `pytest selftests/test_mutation_matrix.py` or `python -m threadconform.mutation`), or
   measured here with --matrix.

Writes reports/bench.md and prints it.

    .venv/bin/python bench/suite_run.py [--profile default] [--profiles quick default]
        [--sizes 1000 100000] [--matrix]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from threadconform import mutation, reference

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "reports"


@dataclass(frozen=True)
class Run:
    label: str
    exit_status: int
    seconds: float
    requests: dict[str, int]
    peak_rss_mb: float | None = None


def timed(command: list[str], env: dict[str, str], label: str, report_dir: Path) -> Run:
    time_v = Path("/usr/bin/time")
    wrapped = [str(time_v), "-v", *command] if time_v.exists() else command
    started = time.perf_counter()
    result = subprocess.run(wrapped, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr)
    summary = report_dir / "summary.json"
    requests = {}
    if summary.exists():
        data = json.loads(summary.read_text())
        requests = {c["name"]: c["requests"] for c in data["contracts"]}
    peak = int(rss.group(1)) / 1024 if rss else None
    return Run(label, result.returncode, seconds, requests, peak)


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("THREADCONFORM_")}


def main_job(profile: str) -> Run:
    with tempfile.TemporaryDirectory() as reports:
        command = mutation.suite_command("--profile", profile, "--report-dir", reports)
        return timed(command, clean_env(), f"all five, embedded, {profile}", Path(reports))


def scaled(contract: str, threads: int, profile: str, workdir: Path) -> Run:
    db = workdir / f"{contract}-{threads}.sqlite3"
    server = reference.start_subprocess(contract, threads=threads, db=db)
    try:
        reports = workdir / f"reports-{contract}-{threads}"
        command = mutation.suite_command(
            "--contract", contract, "--base-url", server.url, "--profile", profile,
            "--report-dir", str(reports),
        )  # fmt: skip
        env = mutation.suite_env(server.credentials)
        return timed(command, env, f"{contract} @ {threads:,}", reports)
    finally:
        server.stop()


def matrix_seconds(run_it: bool) -> str:
    path = REPORTS / "mutation-matrix.md"
    if run_it:
        matrix = mutation.run_matrix(mutation.variants(), progress=_print)
        path.write_text(mutation.report(matrix))
    if not path.exists():
        return "not measured (run `python -m threadconform.mutation` or pass --matrix)"
    found = re.search(r"Wall time (\d+) s for (\d+) runs", path.read_text())
    return f"{found.group(1)} s for {found.group(2)} runs" if found else "unreadable"


def _print(line: str) -> None:
    print(line, flush=True)


def table(runs: list[Run]) -> list[str]:
    lines = [
        "| run | exit | wall s | requests | peak RSS MB |",
        "| --- | ---: | ---: | --- | ---: |",
    ]
    for run in runs:
        requests = ", ".join(f"{k} {v}" for k, v in run.requests.items()) or "-"
        rss = f"{run.peak_rss_mb:.0f}" if run.peak_rss_mb else "-"
        row = (run.label, run.exit_status, f"{run.seconds:.1f}", requests, rss)
        lines.append("| " + " | ".join(str(cell) for cell in row) + " |")
    return lines


def ratios(runs: list[Run], sizes: list[int]) -> list[str]:
    if len(sizes) < 2:
        return []
    small, large = min(sizes), max(sizes)
    by_label = {run.label: run for run in runs}
    lines = ["", f"| contract | {large:,} / {small:,} wall-time ratio |", "| --- | ---: |"]
    for contract in reference.CONTRACTS:
        a, b = by_label.get(f"{contract} @ {small:,}"), by_label.get(f"{contract} @ {large:,}")
        if a and b:
            lines.append(f"| {contract} | {b.seconds / a.seconds:.2f} |")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default="default", help="profile of the scale runs")
    parser.add_argument(
        "--profiles", nargs="+", default=["quick", "default", "thorough"],
        help="profiles of the main job (requests and time each spends)",
    )  # fmt: skip
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 100_000])
    parser.add_argument("--contracts", nargs="+", default=list(reference.CONTRACTS))
    parser.add_argument("--matrix", action="store_true", help="run the mutation matrix too")
    options = parser.parse_args()
    runs = [main_job(profile) for profile in options.profiles]
    with tempfile.TemporaryDirectory() as workdir:
        for contract in options.contracts:
            for size in options.sizes:
                runs.append(scaled(contract, size, options.profile, Path(workdir)))
    lines = [
        "# Benchmarks",
        "",
        f"{os.cpu_count()} cores; scale runs in profile `{options.profile}`. Wall time "
        "includes pytest's start-up (bench/startup.py measures it); the 1,000/100,000-thread "
        "targets run in "
        "their own process, so peak RSS is the suite's alone.",
        "",
        *table(runs),
        *ratios(runs, options.sizes),
        "",
        f"Mutation matrix: {matrix_seconds(options.matrix)}.",
    ]
    text = "\n".join(lines) + "\n"
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / "bench.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
