"""Startup cost: how soon a run answers a typo, and how soon it sends its first request.

Each figure is the median of a few runs from an empty temporary folder, as a user runs
the suite after `pip install`:

- usage error: `pytest --contract nope` and `threadconform run --contract nope` (exit 4);
- plugin in an unrelated project: `pytest` on a one-test folder, with and without the
  threadconform plugin (`-p no:threadconform`), so the plugin's own cost shows;
- first request: `pytest --contract worker --base-url URL`, where URL is a listener that
  notes when the first connection arrives and then closes it (the run ends with exit 6).

Prints a Markdown table and writes it to reports/startup.md.

    .venv/bin/python bench/startup.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

REPORT = Path(__file__).resolve().parent.parent / "reports" / "startup.md"
PYTEST = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
RUN = [sys.executable, "-m", "threadconform", "run", "-q", "-p", "no:cacheprovider"]


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("THREADCONFORM_")}


Sample = tuple[float, float, int]  # wall seconds, CPU seconds, exit status


def cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str], cwd: Path) -> Sample:
    started, cpu = time.perf_counter(), cpu_of_children()
    result = subprocess.run(command, cwd=cwd, env=clean_env(), capture_output=True, timeout=300)
    return time.perf_counter() - started, cpu_of_children() - cpu, result.returncode


def first_request(cwd: Path) -> Sample:
    """Seconds from starting the run to the first connection at the target (the CPU
    figure is the whole run's, which ends right after that connection is dropped)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    arrived: list[float] = []

    def accept() -> None:
        connection, _ = listener.accept()
        arrived.append(time.perf_counter())
        connection.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    started, cpu = time.perf_counter(), cpu_of_children()
    result = subprocess.run(
        [*PYTEST, "--contract", "worker", "--base-url", url, "--report-dir", str(cwd / "r")],
        cwd=cwd, env=clean_env(), capture_output=True, timeout=300,
    )  # fmt: skip
    thread.join(timeout=5)
    listener.close()
    wall = arrived[0] - started if arrived else float("nan")
    return wall, cpu_of_children() - cpu, result.returncode


def median(runs: int, measure: Callable[[], Sample]) -> Sample:
    samples = [measure() for _ in range(runs)]
    wall = statistics.median(s[0] for s in samples)
    return wall, statistics.median(s[1] for s in samples), samples[-1][2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory(prefix="tc-startup-") as folder:
        empty = Path(folder)
        project = empty / "project"
        project.mkdir()
        (project / "test_one.py").write_text("def test_one():\n    assert True\n")
        rows = [
            ("usage error, `pytest --contract nope`",
             median(runs, lambda: timed([*PYTEST, "--contract", "nope"], empty))),
            ("usage error, `threadconform run --contract nope`",
             median(runs, lambda: timed([*RUN, "--contract", "nope"], empty))),
            ("unrelated project, `pytest` (plugin loaded, inert)",
             median(runs, lambda: timed(PYTEST, project))),
            ("unrelated project, `pytest -p no:threadconform`",
             median(runs, lambda: timed([*PYTEST, "-p", "no:threadconform"], project))),
            ("first request, `pytest --contract worker --base-url URL`",
             median(runs, lambda: first_request(empty))),
        ]  # fmt: skip
    lines = [
        "# Startup",
        "",
        f"Median of {runs} runs each, from an empty folder ({os.cpu_count()} CPUs, load "
        f"average {os.getloadavg()[0]:.1f}). CPU seconds (user + system) do not depend on "
        "how busy the machine is; wall seconds do.",
        "",
        "| what | wall seconds | CPU seconds | exit status |",
        "| --- | ---: | ---: | ---: |",
        *(
            f"| {label} | {wall:.2f} | {cpu:.2f} | {status} |"
            for label, (wall, cpu, status) in rows
        ),
    ]
    text = "\n".join(lines) + "\n"
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
