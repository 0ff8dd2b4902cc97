"""The suite as a user runs it: `pytest [options]` in a subprocess, judged by exit status
and output. These are the promises of the README's "Running against your own server"."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_suite(
    *args: str, env: dict[str, str] | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("THREADCONFORM_")}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_target_is_one_line_and_exit_6(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = run_suite("--contract", "worker", "--base-url", url, "--report-dir", str(tmp_path))
    output = result.stdout + result.stderr
    assert result.returncode == 6, output
    assert f"cannot reach the target: GET {url}/api/threads" in output
    assert "connection refused" in output.lower()
    assert output.count("Traceback") == 0
    assert "failed" not in output.split("cannot reach")[0].lower()


@pytest.mark.parametrize(
    ("args", "env", "named"),
    [
        (["--profile", "huge"], {}, "--profile"),
        (["--max-requests", "many"], {}, "--max-requests"),
        (["--base-url", "ftp://example"], {}, "--base-url"),
        ([], {"THREADCONFORM_TIMEOUT": "soon"}, "THREADCONFORM_TIMEOUT"),
        (["--contract", "nope"], {}, "contract 'nope'"),
    ],
)
def test_bad_option_is_a_usage_error_naming_it(
    args: list[str], env: dict[str, str], named: str
) -> None:
    result = run_suite(*args, env=env)
    output = result.stdout + result.stderr
    assert result.returncode == 4, output
    assert named in output
    assert "Traceback" not in output


def test_broken_spec_is_a_usage_error_naming_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    text = (ROOT / "specs" / "worker.yaml").read_text().replace("style: offset", "style: sideways")
    broken.write_text(text)
    result = run_suite("--spec", str(broken), "--base-url", "http://127.0.0.1:9")
    output = result.stdout + result.stderr
    assert result.returncode == 4, output
    assert "broken.yaml" in output and "x-pagination.style" in output


def test_a_path_valued_option_is_not_taken_for_a_test_path(tmp_path: Path) -> None:
    """pytest decides its rootdir before plugins load; the plugin corrects it."""
    result = run_suite("--co", "--contract", "worker", "--report-dir", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    collected = [line for line in result.stdout.splitlines() if "::" in line]
    assert collected, result.stdout
    assert all(line.startswith("tests/") for line in collected), collected[:5]
