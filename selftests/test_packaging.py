"""The package as a user installs it: everything a run needs ships inside it, the pytest
plugin stays out of unrelated projects, and a run from any folder writes its reports there.

The fast tests use this environment's (editable) install; the slow one builds the wheel,
installs it into a fresh virtualenv and runs it from an empty folder.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
import venv
from collections.abc import Iterator
from pathlib import Path

import pytest
from setuptools import find_packages

from selftests.guard import scaled
from threadconform import reference, spec
from threadconform.suite import SUITE_DIR

ROOT = Path(__file__).resolve().parent.parent
NOT_SOURCE = (".git", ".venv", ".ci-venv", "build", "dist", "*.egg-info", "reports", "__pycache__",
              ".*_cache", ".hypothesis", ".schemathesis")  # fmt: skip
UNRELATED = "def test_unrelated():\n    assert 1 + 1 == 2\n"


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("THREADCONFORM_")}
    env.update(extra)
    return env


def run(
    command: list[str], cwd: Path, env: dict[str, str], guard: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=scaled(guard)
    )


@pytest.fixture(scope="module")
def worker() -> Iterator[reference.RunningServer]:
    with reference.start("worker") as server:
        yield server


def test_every_package_is_listed_for_the_build() -> None:
    """pyproject lists packages (specs/ maps onto threadconform.specs); a new subpackage
    left out of the list would be missing from the wheel."""
    listed = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    found = {
        "threadconform",
        *(f"threadconform.{p}" for p in find_packages(ROOT / "threadconform")),
    }
    assert set(listed["packages"]) == found | {"threadconform.specs", "threadconform.docs"}
    assert listed["package-dir"] == {"threadconform.specs": "specs", "threadconform.docs": "docs"}


def test_the_bundled_specs_are_the_repository_specs_in_a_checkout() -> None:
    assert spec.spec_dir() == ROOT / "specs"
    assert set(spec.names()) >= {"kortix", "chat", "aitronos", "freddy", "worker"}


def test_the_repository_tests_are_the_package_suite() -> None:
    shipped = sorted(p.name for p in SUITE_DIR.glob("test_*.py"))
    assert shipped == sorted(p.name for p in (ROOT / "tests").glob("test_*.py"))
    for name in shipped:
        assert f"from threadconform.suite.{name[:-3]} import" in (ROOT / "tests" / name).read_text()


@pytest.mark.parametrize(
    "env",
    [{"THREADCONFORM_PROFILE": "bogus"}, {"THREADCONFORM_TIMEOUT": "soon"}, {}],
    ids=["bogus-profile", "bad-timeout", "nothing-set"],
)
def test_an_unrelated_project_is_unaffected(tmp_path: Path, env: dict[str, str]) -> None:
    (tmp_path / "test_unrelated.py").write_text(UNRELATED)
    result = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], tmp_path,
                 clean_env(**env))  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout and "threadconform" not in result.stdout
    assert {p.name for p in tmp_path.iterdir()} - {"__pycache__"} == {"test_unrelated.py"}


def test_a_selecting_variable_selects_the_suite(tmp_path: Path) -> None:
    """THREADCONFORM_CONTRACT says what to test: the run is the suite's, and a bad
    setting beside it is a usage error (exit 4), as with the flags."""
    env = clean_env(THREADCONFORM_CONTRACT="worker", THREADCONFORM_PROFILE="bogus")
    result = run([sys.executable, "-m", "pytest", "-q"], tmp_path, env)
    assert result.returncode == 4, result.stdout + result.stderr
    assert "THREADCONFORM_PROFILE" in result.stderr or "--profile" in result.stderr


def _suite_args(server: reference.RunningServer) -> list[str]:
    # The page rules only: where the run starts and writes is the point, not every probe.
    return ["--contract", "worker", "--base-url", server.url, "--profile", "quick", "-k", "PAGE-"]


@pytest.mark.parametrize("how", ["pytest", "threadconform run"])
def test_a_run_from_any_folder_writes_its_reports_there(
    tmp_path: Path, worker: reference.RunningServer, how: str
) -> None:
    if how == "pytest":
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    else:
        command = [sys.executable, "-m", "threadconform", "run", "-q", "-p", "no:cacheprovider"]
    result = run([*command, *_suite_args(worker)], tmp_path, clean_env())
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    last = result.stdout.strip().splitlines()[-1]  # "7 passed, 17 deselected in 1.1s"
    assert last.split()[1].rstrip(",") == "passed" and "failed" not in last, output
    written = sorted(p.name for p in (tmp_path / "reports").iterdir())
    assert written == ["junit.xml", "report.html", "summary.json", "summary.md"]
    assert "worker::PAGE-NO-GAPS" in (tmp_path / "reports" / "junit.xml").read_text()


@pytest.mark.parametrize("how", ["pytest", "threadconform run"])
def test_a_usage_error_is_exit_4_from_any_folder(tmp_path: Path, how: str) -> None:
    prefix = [sys.executable, "-m", "pytest"] if how == "pytest" else [
        sys.executable, "-m", "threadconform", "run"]  # fmt: skip
    result = run([*prefix, "--contract", "nope"], tmp_path, clean_env())
    assert result.returncode == 4, result.stdout + result.stderr
    assert "contract 'nope': no such spec" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_a_spec_without_a_server_is_listed_once_and_the_others_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from threadconform.options import resolve
    from threadconform.runner import Suite

    specs = tmp_path / "specs"
    specs.mkdir()
    for name in ("worker", "chat"):
        (specs / f"{name}.yaml").write_text((ROOT / "specs" / f"{name}.yaml").read_text())
    (specs / "zeta.yaml").write_text((ROOT / "specs" / "worker.yaml").read_text())
    monkeypatch.setattr(spec, "SPEC_DIR", specs)
    monkeypatch.setattr(spec, "spec_dir", lambda: specs)
    suite = Suite(resolve({}, environ={}), rootdir=tmp_path)
    suite.prepare()
    assert suite.not_run() == ["zeta"]
    assert [d.name for d in suite.deployments()] == ["chat", "worker"]
    with_url = Suite(resolve({"tc_base_url": "http://127.0.0.1:9"}, environ={}), rootdir=tmp_path)
    assert with_url.not_run() == []
    named = Suite(resolve({"tc_contract": "zeta"}, environ={}), rootdir=tmp_path)
    assert named.not_run() == []


@pytest.mark.slow
def test_the_wheel_runs_from_an_empty_folder(
    tmp_path: Path, worker: reference.RunningServer
) -> None:
    """Build the wheel (offline), install it into a fresh virtualenv that borrows this
    environment's dependencies, and run the suite from an empty folder against a
    reference server started with the installed `threadconform serve`."""
    # setuptools writes build/ and *.egg-info beside the sources: build from a copy.
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*NOT_SOURCE))
    dist = tmp_path / "dist"
    build = run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                 "-q", "-w", str(dist), str(source)], tmp_path, clean_env(), guard=600)  # fmt: skip
    assert build.returncode == 0, build.stdout + build.stderr
    (wheel,) = dist.glob("threadconform-*.whl")
    fresh = tmp_path / "venv"
    venv.create(fresh, with_pip=True)
    python = fresh / "bin" / "python"
    site = run([str(python), "-c", "import site; print(site.getsitepackages()[0])"], tmp_path,
               clean_env())  # fmt: skip
    deps = [p for p in sys.path if p.endswith("site-packages")]
    # The dependencies come from this environment (offline, fast); the package itself
    # from the wheel, which shadows this environment's editable install.
    Path(site.stdout.strip(), "_threadconform_deps.pth").write_text("\n".join(deps) + "\n")
    install = run([str(python), "-m", "pip", "install", "--no-deps", "-q", str(wheel)],
                  tmp_path, clean_env(), guard=600)  # fmt: skip
    assert install.returncode == 0, install.stdout + install.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    probe = (
        "import threadconform, threadconform.spec as s; print(threadconform.__file__, s.spec_dir())"
    )
    where = run([str(python), "-c", probe], empty, clean_env())
    package, specs = where.stdout.split()
    assert str(fresh) in package and str(fresh) in specs, where.stdout
    assert sorted(p.name for p in Path(specs).glob("*.yaml")) == sorted(
        p.name for p in (ROOT / "specs").glob("*.yaml")
    )
    assert (Path(package).parent / "docs" / "contracts.md").is_file()  # what specs cite
    rules = run([str(fresh / "bin" / "threadconform"), "rules", "--contract", "kortix"], empty,
                clean_env())  # fmt: skip
    assert rules.returncode == 0 and "PAGE-NO-GAPS" in rules.stdout, rules.stderr
    server = subprocess.Popen([str(fresh / "bin" / "threadconform"), "serve", "worker"],
                              cwd=empty, stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        url = (server.stdout.readline() if server.stdout else "").split()[-1]
        for command in (
            [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
            [str(fresh / "bin" / "threadconform"), "run", "-q", "-p", "no:cacheprovider"],
        ):
            result = run([*command, "--contract", "worker", "--base-url", url,
                          "--profile", "quick"], empty, clean_env())  # fmt: skip
            assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
            assert (empty / "reports" / "summary.json").is_file()
            assert str(fresh) not in result.stdout.split("report:")[-1]
    finally:
        server.terminate()
        server.wait(timeout=scaled(30))
    (empty / "unrelated").mkdir()
    (empty / "unrelated" / "test_unrelated.py").write_text(UNRELATED)
    unrelated = run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                    empty / "unrelated", clean_env(THREADCONFORM_PROFILE="bogus"))  # fmt: skip
    assert unrelated.returncode == 0, unrelated.stdout + unrelated.stderr
