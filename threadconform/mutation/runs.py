"""One run of the matrix, as a worker process does it.

`suite` runs the suite in this process with `pytest.main` and the very arguments a user
types (`pytest --contract C --base-url URL --profile P --report-dir D`): the same plugin,
exit status and summary.json, without paying for a new interpreter, pytest and
Schemathesis imports on every run (most of a run's cost when each was a subprocess).
`black-box` is the same run in a subprocess, kept to prove the two agree. `schemathesis`
runs plain Schemathesis's CLI (in-process too) on the same spec and URL, for the headline
comparison.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from threadconform import reference
from threadconform.spec import SPEC_DIR

__all__ = [
    "DETAIL",
    "ROOT",
    "RUNNERS",
    "RUN_SECONDS",
    "Job",
    "Kind",
    "Result",
    "credential_env",
    "run",
    "run_black_box",
    "run_environment",
    "run_in_process",
    "run_schemathesis",
    "start_worker",
    "suite_args",
    "suite_command",
    "suite_env",
    "timeout_scale",
]

ROOT = Path(__file__).resolve().parents[2]  # the repository: tests/ and pyproject.toml
Kind = Literal["suite", "black-box", "schemathesis"]
RUN_SECONDS = 300.0  # one run's bound (times THREADCONFORM_TEST_TIMEOUT_SCALE)
DETAIL = 2000  # characters of a run's output kept for the report


def timeout_scale() -> float:
    """THREADCONFORM_TEST_TIMEOUT_SCALE: hang guards grow with it on slow machines."""
    try:
        return max(float(os.environ.get("THREADCONFORM_TEST_TIMEOUT_SCALE", "1")), 0.1)
    except ValueError:
        return 1.0


@dataclass(frozen=True)
class Job:
    kind: Kind
    contract: str
    url: str
    credentials: reference.Credentials
    profile: str
    key: tuple[str, str]  # (variant label, dataset name): how the matrix files the result


@dataclass(frozen=True)
class Result:
    job: Job
    exit_status: int | None  # None: the run gave no result (hung, or crashed the worker)
    failed: tuple[str, ...] = ()  # rules the summary reports failing
    warned: tuple[str, ...] = ()  # SHOULD rules it warns about
    requests: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # CPU time the run cost (in this process, or its subprocess)
    detail: str = ""  # the tail of the run's output


def run(job: Job) -> Result:
    """Run one job (in a pool worker: never raises, a crash is a result too)."""
    try:
        return RUNNERS[job.kind](job)
    except Exception as error:  # a bug of the matrix, not of the variant: show it
        return Result(job, None, detail=f"{type(error).__name__}: {error}")


def suite_args(job: Job, report_dir: str) -> list[str]:
    return [
        "-q", "-p", "no:cacheprovider", "--contract", job.contract, "--base-url", job.url,
        "--profile", job.profile, "--report-dir", report_dir,
    ]  # fmt: skip


def suite_command(*args: str) -> list[str]:
    """The suite as a user runs it, from the repository root."""
    return [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args]


def credential_env(credentials: reference.Credentials) -> dict[str, str]:
    """The credentials as a CI passes secrets: in the environment, never on a command line."""
    env = {}
    if credentials.primary:
        env["THREADCONFORM_TOKEN"] = credentials.primary
    if credentials.secondary:
        env["THREADCONFORM_SECOND_TOKEN"] = credentials.secondary
    return env


def suite_env(credentials: reference.Credentials) -> dict[str, str]:
    """This environment without THREADCONFORM_* settings, plus the credentials."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("THREADCONFORM_")}
    return {**env, **credential_env(credentials)}


def run_in_process(job: Job) -> Result:
    output = io.StringIO()
    with tempfile.TemporaryDirectory(prefix="tc-matrix-") as reports:
        environment = run_environment(credential_env(job.credentials))
        with environment, _captured(output), _clock(cpu=time.process_time) as spent:
            status = int(_pytest_main(suite_args(job, reports)))
        return _result(job, status, spent, Path(reports), output.getvalue())


def _pytest_main(args: list[str]) -> int:
    import pytest  # in the worker only: the parent never needs it

    return int(pytest.main(args))


def run_black_box(job: Job) -> Result:
    with tempfile.TemporaryDirectory(prefix="tc-matrix-") as reports:
        command = suite_command(*suite_args(job, reports)[3:])
        with _clock(cpu=_children_cpu) as spent:
            done = subprocess.run(
                command,
                cwd=ROOT,
                env=suite_env(job.credentials),
                capture_output=True,
                text=True,
                timeout=RUN_SECONDS * timeout_scale(),
            )
        return _result(job, done.returncode, spent, Path(reports), done.stdout + done.stderr)


def run_schemathesis(job: Job) -> Result:
    """Plain Schemathesis's CLI, every check on, against the same spec and URL.

    In-process, like the suite, to skip its start-up; the matrix gives Schemathesis runs a
    worker of their own, so whatever its CLI leaves behind never reaches a suite run."""
    args = [
        "run", str(SPEC_DIR / f"{job.contract}.yaml"), "--url", job.url, "--checks", "all",
        "--max-examples", "25", "--seed", "0", "--generation-deterministic", "--no-color",
    ]  # fmt: skip
    if job.credentials.primary:
        for name, value in reference.header(job.contract, job.credentials.primary).items():
            args += ["--header", f"{name}: {value}"]
    output = io.StringIO()
    with _captured(output), _clock(cpu=time.process_time) as spent:
        status = _schemathesis_main(args)
    return Result(
        job, status, seconds=spent[0], cpu_seconds=spent[1], detail=output.getvalue()[-DETAIL:]
    )


def _schemathesis_main(args: list[str]) -> int:
    from schemathesis.cli import schemathesis

    try:
        code = schemathesis.main(args, standalone_mode=False)
    except SystemExit as exit_:
        code = exit_.code
    return code if isinstance(code, int) else (0 if code is None else 1)


RUNNERS = {"suite": run_in_process, "black-box": run_black_box, "schemathesis": run_schemathesis}


def _result(job: Job, status: int, spent: list[float], reports: Path, output: str) -> Result:
    seconds, cpu = spent
    summary = reports / "summary.json"
    if not summary.exists():
        return Result(job, status, seconds=seconds, cpu_seconds=cpu, detail=output[-DETAIL:])
    data = json.loads(summary.read_text())
    rules = [rule for target in data["contracts"] for rule in target["rules"]]
    return Result(
        job,
        status,
        failed=tuple(r["id"] for r in rules if r["outcome"] == "fail"),
        warned=tuple(r["id"] for r in rules if r["outcome"] == "warn"),
        requests=int(data.get("requests", 0)),
        seconds=seconds,
        cpu_seconds=cpu,
        detail=output[-DETAIL:],
    )


@contextlib.contextmanager
def _clock(cpu: Callable[[], float]) -> Iterator[list[float]]:
    """[wall seconds, CPU seconds] of the block, filled in when it ends."""
    spent = [0.0, 0.0]
    wall, used = time.perf_counter(), cpu()
    try:
        yield spent
    finally:
        spent[:] = [time.perf_counter() - wall, cpu() - used]


def _children_cpu() -> float:
    """CPU time of this process's finished subprocesses (user and system)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@contextlib.contextmanager
def run_environment(values: Mapping[str, str]) -> Iterator[None]:
    """os.environ without THREADCONFORM_* settings plus `values`, for one run, as a user's
    shell would give it; restored afterwards."""
    saved = dict(os.environ)
    for name in [n for n in os.environ if n.startswith("THREADCONFORM_")]:
        del os.environ[name]
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextlib.contextmanager
def _captured(output: io.StringIO) -> Iterator[None]:
    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
        yield


def start_worker() -> None:
    """A pool worker's set-up: the repository as working directory (pytest finds tests/
    and pyproject.toml there, as from a user's checkout), the suite imported once."""
    os.chdir(ROOT)
    # Imported now, once, rather than in the worker's first run (Schemathesis too: the
    # suite may import it lazily, and every worker needs it).
    import pytest  # noqa: F401
    import schemathesis  # noqa: F401

    import threadconform.pytest_plugin  # noqa: F401
