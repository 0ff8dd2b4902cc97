"""The probe API: `@probe` registers into a Registry, refuses a second probe of one name,
imports a lazily declared probe's module only when it runs, and runs `last` probes after
all others; the suite's registry keeps the order a run has always had."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from threadconform.ledger import Finding
from threadconform.probes.api import LazyDeclaration, Registry, probe
from threadconform.probes.registry import PROBES, RUN_LAST


def _held(rule: str) -> Any:
    def run(ctx: Any) -> Iterator[Finding]:
        yield Finding.held(rule)

    return run


def test_a_second_probe_of_one_name_is_refused_and_says_what_to_do() -> None:
    registry = Registry()
    probe("twice", "PAGE-NO-GAPS", registry=registry)(_held("PAGE-NO-GAPS"))
    with pytest.raises(ValueError, match="'twice' is already registered; give the new one"):
        probe("twice", "PAGE-FULL", registry=registry)(_held("PAGE-FULL"))
    assert [p.name for p in registry.probes()] == ["twice"]


def test_the_run_order_is_by_order_with_last_probes_after_all_others() -> None:
    registry = Registry()
    probe("scan", "SEC-ERROR-INTERNALS", order=1, last=True, registry=registry)(
        _held("SEC-ERROR-INTERNALS")
    )
    probe("late", "PAGE-FULL", order=30, registry=registry)(_held("PAGE-FULL"))
    probe("early", "PAGE-NO-GAPS", order=10, registry=registry)(_held("PAGE-NO-GAPS"))
    assert [p.name for p in registry.probes()] == ["early", "late", "scan"]
    assert registry.run_last() == {"SEC-ERROR-INTERNALS", "SUITE-ERROR"}


def test_a_lazy_module_is_imported_only_when_its_probe_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = Registry()
    module = "threadconform_selftest_lazy_probe"
    declared = probe("lazy", "PAGE-FULL", order=5, lazy_module=module, registry=registry)
    assert isinstance(declared, LazyDeclaration)
    # The implementation module decorates its function with the declaration it imports.
    hook = types.ModuleType("threadconform_selftest_lazy_hook")
    hook.declared = declared  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, hook.__name__, hook)
    (tmp_path / f"{module}.py").write_text(
        textwrap.dedent(
            f"""
            from threadconform.ledger import Finding
            from {hook.__name__} import declared

            @declared
            def lazy(ctx):
                yield Finding.held("PAGE-FULL")
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, module, raising=False)
    (registered,) = registry.probes()
    assert (registered.name, registered.rules, registered.order) == ("lazy", ("PAGE-FULL",), 5)
    assert module not in sys.modules  # declared and listed, not imported
    findings = list(registered.findings(None))  # type: ignore[arg-type]
    assert module in sys.modules
    assert [f.rule for f in findings] == ["PAGE-FULL"]


def test_a_lazy_implementation_must_live_in_its_declared_module() -> None:
    registry = Registry()
    declared = probe("lazy", "PAGE-FULL", lazy_module="somewhere.else", registry=registry)
    with pytest.raises(ValueError, match=r"declared to live in somewhere\.else"):
        declared(_held("PAGE-FULL"))


def test_the_suite_registry_imports_no_schemathesis_until_a_fuzz_probe_runs() -> None:
    code = (
        "import sys; import threadconform.probes.registry, threadconform.engine; "
        "print('schemathesis' in sys.modules, 'threadconform.probes.fuzz' in sys.modules)"
    )
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert shown.stdout.split() == ["False", "False"], shown.stderr


def test_the_suite_runs_its_probes_in_the_order_it_always_has() -> None:
    assert [p.name for p in PROBES] == [
        "auth",
        "defaults",
        "walks",
        "past-end",
        "totals",
        "directions",
        "cursors",
        "cursor-errors",
        "token-errors",  # issue 20: bad page tokens, after the cursor errors
        "backward",
        "write-hook",  # issue 19: --write-hook's keyset walk under an insert
        "links",
        "filters",
        "tenants",
        "param-bounds",
        "fuzz-positive",
        "fuzz-negative",
        "beyond-int64",
        "security-auth",
        "security-items",
        "security-errors",
        "listing-change",  # issue 19: reads the listing once more, after everything else
    ]
    assert {"SEC-ERROR-INTERNALS", "TARGET-FROZEN", "SUITE-ERROR"} == RUN_LAST
