"""Probes declare the rules they report, and the engine holds them to it (as Schemathesis
registers checks): a rule's verdict then rests on exactly the probes that declare it, so
`pytest -k RULE` judges it as a full run does."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from threadconform import reference, rules
from threadconform.ledger import Finding
from threadconform.options import resolve
from threadconform.probes import Probe, UndeclaredRule, probe
from threadconform.probes.registry import PROBES, RUN_LAST
from threadconform.runner import Suite

# Two styles (offset without auth, cursor with two tenants) keep the cost reasonable.
CONTRACTS = ("worker", "aitronos")


def test_every_probe_declares_catalogue_rules_and_has_a_unique_name() -> None:
    assert len({p.name for p in PROBES}) == len(PROBES)
    for registered in PROBES:
        assert registered.rules and set(registered.rules) <= set(rules.BY_ID), registered.name


def test_a_probe_for_an_unknown_rule_is_refused_at_registration() -> None:
    with pytest.raises(ValueError, match="NO-SUCH-RULE"):
        probe("typo", "PAGE-NO-GAPS", "NO-SUCH-RULE")


def test_lazily_declared_probes_are_their_modules_own() -> None:
    """The registry lists the fuzz probes without importing Schemathesis; importing their
    module binds its functions to those very declarations (name, rules, place)."""
    fuzz = importlib.import_module("threadconform.probes.fuzz")
    for registered in PROBES:
        real = getattr(fuzz, registered.name.replace("-", "_"), None)
        if isinstance(real, Probe):
            assert (registered.rules, registered.order) == (real.rules, real.order)


def test_a_finding_for_an_undeclared_rule_is_a_programming_error() -> None:
    def run(context: Any) -> Iterator[Finding]:
        yield Finding.held("PAGE-NO-GAPS")
        yield Finding.held("CURSOR-EXCLUSIVE")

    sloppy = Probe("sloppy", ("PAGE-NO-GAPS",), run)
    findings = sloppy.findings(None)  # type: ignore[arg-type]
    assert next(findings).rule == "PAGE-NO-GAPS"
    with pytest.raises(UndeclaredRule, match="'sloppy' reported CURSOR-EXCLUSIVE"):
        next(findings)


def _suite(server: reference.RunningServer, contract: str, rootdir: Path) -> Suite:
    values = resolve(
        {
            "tc_contract": contract,
            "tc_base_url": server.url,
            "tc_token": server.credentials.primary,
            "tc_second_token": server.credentials.secondary,
            "tc_profile": "quick",
            # A budget no run reaches: a spent budget legitimately cuts a full run short.
            "tc_max_requests": 1_000_000,
        },
        environ={},
    )
    suite = Suite(values, rootdir=rootdir)  # no report is written: engines only
    suite.prepare()
    return suite


def _judged(suite: Suite, contract: str, rule_id: str) -> tuple[str, int, int]:
    record = suite.engine(contract).record(rule_id)
    return record.status, record.checks, record.violations


@pytest.mark.parametrize("contract", CONTRACTS)
def test_one_rule_alone_is_judged_as_in_a_full_run(contract: str, tmp_path: Path) -> None:
    """`pytest -k RULE` runs only RULE's declaring probes; for every rule the verdict and
    the number of checks must be those of a full run. Rules declared by the same probes
    share one run (that is exactly what `-k` would run for each of them)."""
    with reference.start(contract) as server:
        full = _suite(server, contract, tmp_path)
        try:
            full.engine(contract).run_all()  # every probe, in registry order
            expected = {r.id: _judged(full, contract, r.id) for r in rules.CATALOGUE}
        finally:
            full.close()
        groups: dict[tuple[str, ...], list[str]] = {}
        for rule in rules.CATALOGUE:
            if rule.id in RUN_LAST:
                # Documented exception (probes/security.py): run last, it scans the error
                # bodies every other probe received; alone, only its own provocations'.
                continue
            declaring = tuple(p.name for p in PROBES if rule.id in p.rules)
            groups.setdefault(declaring, []).append(rule.id)
        differing = []
        for declaring, members in groups.items():
            alone = _suite(server, contract, tmp_path)
            try:
                for rule_id in members:
                    got = _judged(alone, contract, rule_id)
                    if got != expected[rule_id]:
                        differing.append(f"{rule_id} ({', '.join(declaring) or 'no probe'}): "
                                         f"alone {got}, full run {expected[rule_id]}")  # fmt: skip
            finally:
                alone.close()
    assert not differing, "\n".join(differing)
    checked = [rule_id for rule_id, (_, checks, _) in expected.items() if checks]
    assert len(checked) >= 15, expected  # the comparison is not over empty records
