"""The suite against each hostile target, as a user runs it: exit status, wall time, peak
memory and summary.json's verdict, one row per case (issue 11's table).

The worst cases for memory are the bodies just under the 2 MB cap that cost the most per
byte: `crowd` (450,000 `{}` items in 1.35 MB, every one invalid) and `bomb` (a gzip body
that inflates to 100 MB); `huge` (10 MB, no Content-Length) shows the cap itself.

Writes reports/hostile-table.md and prints it.

    .venv/bin/python bench/hostile_table.py [--cases crowd bomb ...] [--workers 0 2]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from selftests import hostile  # noqa: E402
from threadconform import reference  # noqa: E402

TOKEN = "bench-token-7c41"
# case -> extra options; raw behaviours are served by a socket server of their own.
CASES: dict[str, tuple[str, ...]] = {
    "gzip": (),
    "deflate": (),
    "bomb": (),
    "header-trickle": ("--timeout", "2"),
    "endless-1xx": ("--timeout", "2"),
    "later": ("--max-time", "30"),
    "sluggish": ("--timeout", str(hostile.SLUGGISH_SECONDS + 1), "--max-time", "12"),
    "crowd": (),
    "hexed": (),
    "deep": (),
    "nan": (),
    "twice": (),
    "dies": ("--timeout", "1", "--max-time", "60"),
    "hour": ("--max-time", "30"),
    "markup": (),
}
# Modes whose state (a request counter) must not be shared between two runs.
FRESH = {"dies": "dies-n2", "hour": "hour-n2"}


def run_case(server: hostile.HostileServer, case: str, workers: int, out: Path) -> str:
    contract = "aitronos" if case == "deep" else "worker"
    tokens = ("--token", TOKEN, "--second-token", TOKEN + "-2") if contract == "aitronos" else ()
    mode = FRESH.get(case, case) if workers else case
    with ExitStack() as stack:
        if case in hostile.RAW_BEHAVIOURS:
            url = stack.enter_context(hostile.raw_server(hostile.RAW_BEHAVIOURS[case]))
        else:
            url = server.base(mode)
        args = [
            *("--contract", contract, "--base-url", url, "--profile", "quick"),
            *tokens,
            *CASES[case],
        ]
        if workers:
            args += ["-n", str(workers)]
        report_dir = out / f"{case}-n{workers}"
        run = hostile.run_suite(*args, report_dir=report_dir, guard=900)
    summary_path = report_dir / "summary.json"
    verdict = json.loads(summary_path.read_text())["verdict"] if summary_path.exists() else "-"
    n = f"-n {workers}" if workers else ""
    return (
        f"| {case} | {n} | {run.returncode} | {run.seconds:.1f} | {run.max_rss_mb:.0f} "
        f"| {verdict} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", nargs="*", default=list(CASES))
    parser.add_argument("--workers", nargs="*", type=int, default=[0])
    options = parser.parse_args()
    upstream = reference.start("worker")
    keyed = reference.start("aitronos")
    credentials = keyed.credentials
    server = hostile.start(
        {"/api/threads": upstream.url, "/v1/threads": keyed.url},
        {TOKEN: credentials.primary, TOKEN + "-2": credentials.secondary},
    )
    rows = [
        "| case | xdist | exit status | wall s | peak RSS MB | verdict |",
        "| --- | --- | ---: | ---: | ---: | --- |",
    ]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for case in options.cases:
                for workers in options.workers:
                    rows.append(run_case(server, case, workers, Path(tmp)))
                    print(rows[-1], flush=True)
    finally:
        server.stop()
        upstream.stop()
        keyed.stop()
    text = "# The suite against hostile targets\n\n" + "\n".join(rows) + "\n"
    (ROOT / "reports").mkdir(exist_ok=True)
    (ROOT / "reports" / "hostile-table.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
