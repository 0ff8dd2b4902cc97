"""Issue 20: the opt-in contracts against servers the suite did not write.

Each test starts a reference server with one of the issue's faults or tolerated variants
and asks the engine for the rule that must catch it (or must not cry wolf): a tenant leak
behind a widening filter, a 500 on a bad page token, short pages where full pages are only
a SHOULD, an empty value read as the default, and a filter lost after the first page.
"""

from __future__ import annotations

import pytest

from threadconform import reference
from threadconform.engine import Engine

try:  # run as a package (selftests/__init__.py) or as loose files (pytest's rootdir)
    from selftests.walk_run import run_engine
except ImportError:
    from walk_run import run_engine  # type: ignore[no-redef]


def engine_for(contract: str, fault: str | None, seed: int = 0, threads: int = 45) -> Engine:
    """A finished run of the default profile (the server is stopped once it is judged)."""
    with reference.start(contract, threads=threads, seed=4, fault=fault) as server:
        engine = run_engine(contract, server, seed=seed)
        engine.run_all()
    return engine


# Two data sets every point is proven on: 45 threads (seed 4) and a prime 151 (seed 1).
DATASETS = [(45, 4), (151, 1)]


def judged(
    contract: str,
    fault: str | None,
    rules: tuple[str, ...],
    seed: int = 0,
    data: tuple[int, int] = DATASETS[0],
) -> Engine:
    """An engine that has judged only `rules` (and the probes declaring them)."""
    threads, data_seed = data
    with reference.start(contract, threads=threads, seed=data_seed, fault=fault) as server:
        engine = run_engine(contract, server, seed=seed)
        for rule in rules:
            engine.record(rule)
    return engine


# Point 4: an empty value is a lexical corner case, whichever seed draws it.
@pytest.mark.parametrize("seed", [0, 1])
def test_an_empty_value_read_as_the_default_is_tolerated(seed: int) -> None:
    engine = judged("github", "empty-all-default", ("PARAM-INVALID-REJECTED",), seed)
    record = engine.record("PARAM-INVALID-REJECTED")
    assert record.status == "pass", record.reason


# Point 1: tenant isolation compares the widest listings too.
@pytest.mark.parametrize("data", DATASETS)
def test_a_tenant_leak_behind_a_default_filter_is_caught(data: tuple[int, int]) -> None:
    engine = judged("github", "tenant-leak-read-only", ("TENANT-ISOLATION",), data=data)
    record = engine.record("TENANT-ISOLATION")
    assert record.status == "fail" and engine.severity("TENANT-ISOLATION") == "MUST"
    assert "second tenant's with all=true" in record.reason, record.reason


def test_tenant_isolation_holds_on_the_conforming_server() -> None:
    engine = judged("github", None, ("TENANT-ISOLATION",))
    assert engine.record("TENANT-ISOLATION").status == "pass"


# Point 3: where PAGE-FULL is a SHOULD, rules that assume full pages judge what is certain.
SHORT_PAGE_RULES = ("PAGE-DEFAULT-LIMIT", "CURSOR-AFTER", "CURSOR-BEFORE-PREVIOUS-PAGE")


def test_short_pages_fail_only_the_should_that_promises_full_ones() -> None:
    engine = judged("stripe", "short-pages", (*SHORT_PAGE_RULES, "PAGE-FULL"))
    for rule in SHORT_PAGE_RULES:
        assert engine.record(rule).status == "pass", (rule, engine.record(rule).reason)
    assert engine.record("PAGE-FULL").status == "fail" and engine.severity("PAGE-FULL") == "SHOULD"


def test_a_rule_not_in_an_opt_in_spec_cites_that_contract() -> None:
    from threadconform import rules, spec

    stripe = spec.load(spec.find("stripe"))
    source = rules.setting(stripe, "CURSOR-AFTER").source or ""
    assert source.startswith("docs/contracts.md#stripe") and "aitronos" not in source
    kortix = spec.load(spec.find("kortix"))
    assert rules.setting(kortix, "CURSOR-AFTER").source == rules.BY_ID["CURSOR-AFTER"].source


# Point 5: filter rules judge every page of a filtered walk.
@pytest.mark.parametrize(
    ("contract", "fault"),
    [
        ("github", "filter-dropped-later-pages"),
        ("graph", "filter-dropped-later-pages"),
        ("gmail", "filter-dropped-later-pages"),
        ("graph", "next-link-drops-filter"),
    ],
)
@pytest.mark.parametrize("data", DATASETS)
def test_a_filter_lost_after_the_first_page_fails_filter_subset(
    contract: str, fault: str, data: tuple[int, int]
) -> None:
    engine = judged(contract, fault, ("FILTER-SUBSET",), data=data)
    record = engine.record("FILTER-SUBSET")
    assert record.status == "fail" and engine.severity("FILTER-SUBSET") == "MUST", record.reason
    assert "must apply to every page" in record.reason


def test_a_widening_lost_after_the_first_page_fails_filter_superset() -> None:
    engine = judged("github", "filter-dropped-later-pages", ("FILTER-SUPERSET",))
    assert engine.record("FILTER-SUPERSET").status == "fail"


@pytest.mark.parametrize("contract", ["github", "graph", "gmail"])
def test_filters_hold_on_every_page_of_a_conforming_server(contract: str) -> None:
    engine = judged(contract, None, ("FILTER-SUBSET", "FILTER-SUPERSET", "FILTER-EXACT"))
    for rule in ("FILTER-SUBSET", "FILTER-SUPERSET", "FILTER-EXACT"):
        assert engine.record(rule).status != "fail", engine.record(rule).reason


# Point 2: a spoiled page token or next-link token must not get a 5xx.
@pytest.mark.parametrize("data", DATASETS)
@pytest.mark.parametrize(
    ("contract", "fault"), [("graph", "skiptoken-500"), ("gmail", "page-token-500")]
)
def test_a_server_error_on_a_bad_page_token_is_caught(
    contract: str, fault: str, data: tuple[int, int]
) -> None:
    threads, data_seed = data
    with reference.start(contract, threads=threads, seed=data_seed, fault=fault) as server:
        engine = run_engine(contract, server)
        record = engine.record("HTTP-NO-5XX")
    assert record.status == "fail", record.reason
    shown = [v.message for v in record.kept]
    assert any("(a string that is no token) got a server error 500" in m for m in shown), shown


# Point 2, the status: graph documents 400 for an unknown `$skiptoken`; a server that
# reads garbage as no token (the first page) fails CURSOR-MALFORMED, on two data sets.
@pytest.mark.parametrize(("threads", "data_seed"), DATASETS)
def test_garbage_read_as_no_token_fails_the_documented_400(threads: int, data_seed: int) -> None:
    with reference.start(
        "graph", threads=threads, seed=data_seed, fault="skiptoken-ignored"
    ) as server:
        engine = run_engine("graph", server)
        record = engine.record("CURSOR-MALFORMED")
        assert engine.record("HTTP-NO-5XX").status == "pass"
    assert record.status == "fail", record.reason
    assert "expected the documented 400 error, got HTTP 200 with 2 items" in record.reason


def test_the_documented_400_holds_on_the_conforming_server() -> None:
    with reference.start("graph", threads=45, seed=4) as server:
        record = run_engine("graph", server).record("CURSOR-MALFORMED")
    assert record.status == "pass" and record.checks >= 1, record.reason


# Every opt-in contract's conforming server passes whatever the seed.
@pytest.mark.slow  # 20 full runs
@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("contract", sorted(reference.OPT_IN))
def test_a_conforming_opt_in_server_passes_with_every_seed(contract: str, seed: int) -> None:
    engine = engine_for(contract, None, seed)
    failed = {
        rule: engine.record(rule).reason
        for rule in engine.target.contract.pagination.rules.keys() | _catalogue()
        if engine.record(rule).status == "fail"
    }
    assert not failed, failed


def _catalogue() -> set[str]:
    from threadconform import rules

    return set(rules.BY_ID)
