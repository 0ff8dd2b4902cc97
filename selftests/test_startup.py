"""What a run pays before its first request (issue 21.4): a usage error answers without
loading the probes, Hypothesis or Schemathesis; a run of the suite alone compiles no
module through pytest's assertion rewriting; Hypothesis' tables stay out of the folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from selftests.guard import scaled
from threadconform import reference, startup
from threadconform.mutation import suite_env


def _imported(stderr: str) -> set[str]:
    """Top-level packages `python -X importtime` reports as imported."""
    names = set()
    for line in stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    return names


def test_a_usage_error_loads_neither_hypothesis_nor_schemathesis(tmp_path: Path) -> None:
    command = [sys.executable, "-X", "importtime", "-m", "threadconform", "run"]
    done = subprocess.run(
        [*command, "--contract", "nope"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=scaled(60),
    )
    assert done.returncode == 4, done.stderr[-2000:]
    assert "'nope'" in done.stdout + done.stderr
    loaded = _imported(done.stderr)
    assert "pytest" in loaded and "threadconform" in loaded
    assert not loaded & {"hypothesis", "schemathesis"}, sorted(loaded)


PROBE = """
import sys
from _pytest.assertion.rewrite import AssertionRewritingHook

def pytest_unconfigure(config):
    rewritten = sorted(
        name for name, module in list(sys.modules.items())
        if isinstance(getattr(module, "__loader__", None), AssertionRewritingHook)
        and name.split(".")[0] in ("hypothesis", "schemathesis")
    )
    print("REWRITTEN", len(rewritten), rewritten[:3], file=sys.stderr)
    print("ANYIO", "anyio.pytest_plugin" in sys.modules, file=sys.stderr)
"""


@pytest.mark.parametrize("how", ["threadconform run", "pytest in the checkout"])
def test_a_suite_run_rewrites_no_dependency(how: str, tmp_path: Path) -> None:
    # `threadconform run` and the checkout's pytest (pyproject) leave Schemathesis' own
    # pytest plugin out; plain pytest elsewhere loads it, and with it its dependencies,
    # before the suite can say anything.
    (tmp_path / "rewritten_probe.py").write_text(PROBE)
    root = Path(__file__).resolve().parent.parent
    start = [sys.executable, "-m", "threadconform", "run"]
    if how != "threadconform run":
        start = [sys.executable, "-m", "pytest", "tests"]
    folder = tmp_path if how == "threadconform run" else root
    with reference.start("worker", threads=20) as server:
        env = suite_env(server.credentials)
        env["PYTHONPATH"] = str(tmp_path)
        options = ["--contract", "worker", "--base-url", server.url, "--profile", "quick"]
        done = subprocess.run(
            [*start, "-p", "rewritten_probe", "-q", *options, "--report-dir", str(tmp_path / "r")],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=scaled(300),
        )
    assert done.returncode == 0, done.stdout[-2000:]
    assert "REWRITTEN 0 []" in done.stderr, done.stderr[-2000:]
    assert not (tmp_path / ".hypothesis").exists()
    if how == "threadconform run":  # anyio's plugin imports its asyncio backend: 0.2 s
        assert "ANYIO False" in done.stderr, done.stderr[-2000:]


def test_stop_assert_rewriting_takes_only_pytests_hook_out() -> None:
    class AssertionRewritingHook:  # stands in for pytest's, matched by its name
        pass

    hook, other = AssertionRewritingHook(), object()
    sys.meta_path[:0] = [hook, other]  # type: ignore[list-item]
    try:
        assert startup.stop_assert_rewriting()
        assert hook not in sys.meta_path and other in sys.meta_path
        assert not startup.stop_assert_rewriting()
    finally:
        sys.meta_path[:] = [f for f in sys.meta_path if f is not other and f is not hook]


def test_hypothesis_tables_go_to_the_user_cache_unless_chosen(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(startup.HYPOTHESIS_STORAGE, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert startup.keep_hypothesis_tables() == str(tmp_path / "threadconform" / "hypothesis")
    assert os.environ[startup.HYPOTHESIS_STORAGE] == str(tmp_path / "threadconform" / "hypothesis")
    monkeypatch.setenv(startup.HYPOTHESIS_STORAGE, "/somewhere/chosen")
    assert startup.keep_hypothesis_tables() is None
    assert os.environ[startup.HYPOTHESIS_STORAGE] == "/somewhere/chosen"


def test_a_suite_run_leaves_only_its_reports_in_the_folder(tmp_path: Path) -> None:
    # Plain pytest in a user's folder: no `.pytest_cache/`, no `.hypothesis/`; an option
    # that asks for pytest's cache (--lf) still gets it.
    with reference.start("worker", threads=20) as server:
        env = suite_env(server.credentials)
        options = ["--contract", "worker", "--base-url", server.url, "--profile", "quick"]
        for folder, extra in ((tmp_path / "plain", []), (tmp_path / "lf", ["--lf"])):
            folder.mkdir()
            done = subprocess.run(
                [sys.executable, "-m", "pytest", "-q", *options, *extra],
                cwd=folder,
                env=env,
                capture_output=True,
                text=True,
                timeout=scaled(300),
            )
            assert done.returncode == 0, done.stdout[-2000:]
    assert sorted(p.name for p in (tmp_path / "plain").iterdir()) == ["reports"]
    assert (tmp_path / "lf" / ".pytest_cache").is_dir()


def test_ast_parse_is_serialized_once_where_the_interpreter_needs_it() -> None:
    import ast

    original = ast.parse
    try:
        changed = startup.serialize_ast_parse()
        assert changed == (sys.version_info < (3, 13)) or not changed
        assert ast.parse("x = 1").body[0].__class__.__name__ == "Assign"
        assert not startup.serialize_ast_parse()  # already wrapped (or not needed)
    finally:
        ast.parse = original


def test_a_run_bounds_the_c_allocators_arenas_where_it_can() -> None:
    # Threads side by side each get a glibc arena that keeps freed memory: bounded, a run
    # at --concurrency 8 peaks within a tenth of one at 1 (reports/bench.md, issue 21).
    import platform

    from threadconform.startup import bound_malloc_arenas

    if platform.libc_ver()[0] != "glibc":
        pytest.skip("mallopt bounds arenas on glibc only")
    assert bound_malloc_arenas() is True


def test_a_run_leaves_what_it_imported_out_of_full_collections_until_it_ends() -> None:
    # Hypothesis collects in full the first time each thread runs a test: frozen, those
    # passes skip the half a million objects pytest, Hypothesis and the suite import.
    import gc

    from threadconform.startup import freeze_imported, thaw_imported

    assert gc.get_freeze_count() == 0
    freeze_imported()
    try:
        assert gc.get_freeze_count() > 10_000
    finally:
        thaw_imported()
    assert gc.get_freeze_count() == 0  # a process that runs the suite again collects them


def test_the_heap_is_frozen_before_the_interpreters_last_collection_once() -> None:
    # The interpreter's collection on its way out walked a run's objects: 0.3 s of a worker
    # run's 5-6 s. Registered however many runs a process makes, gc.freeze runs once.
    code = (
        "import atexit, gc\n"
        "from threadconform import startup\n"
        "calls = []\n"
        "class Counted:\n"
        "    def freeze(self): calls.append(1); gc.freeze()\n"
        "atexit.register(lambda: print(len(calls), gc.get_freeze_count() > 0))\n"
        "startup.gc = Counted()\n"
        "startup.freeze_at_exit(); startup.freeze_at_exit()\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    # Frozen once for two runs, and before the callback registered ahead of it runs.
    assert done.stdout.split() == ["1", "True"]
