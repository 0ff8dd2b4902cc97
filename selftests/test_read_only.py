"""The suite is read-only: a whole run, every rule at the default profile, sends nothing but
GET (and HEAD) to the target. Proven with a recording proxy in front of the reference
servers, for a contract with authentication (aitronos) and one without (worker)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import httpx
import pytest

from threadconform import reference

try:  # run as a package (selftests/__init__.py) or as loose files (pytest's rootdir)
    from selftests import hostile
except ImportError:
    import hostile  # type: ignore[no-redef]

SAFE = {"GET", "HEAD"}
ENDPOINTS = {"aitronos": "/v1/threads", "worker": "/api/threads"}


@pytest.fixture(scope="module")
def proxy() -> Iterator[hostile.HostileServer]:
    upstreams = {name: reference.start(name) for name in ENDPOINTS}
    served = hostile.start({ENDPOINTS[name]: server.url for name, server in upstreams.items()})
    try:
        yield served
    finally:
        served.stop()
        for server in upstreams.values():
            server.stop()


@pytest.fixture(scope="module")
def runs(
    proxy: hostile.HostileServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Future[hostile.SuiteRun]]]:
    """One whole default-profile run per contract, through the proxy, side by side."""

    def run(contract: str) -> hostile.SuiteRun:
        tokens = reference.credentials(contract)
        credentials = [("--token", tokens.primary), ("--second-token", tokens.secondary)]
        args = [flag_value for pair in credentials if pair[1] for flag_value in pair]
        return hostile.run_suite(
            *("--contract", contract, "--base-url", proxy.base("proxy"), "--profile", "default"),
            *args,
            report_dir=tmp_path_factory.mktemp(contract),
        )

    with ThreadPoolExecutor(max_workers=len(ENDPOINTS)) as pool:
        yield {contract: pool.submit(run, contract) for contract in ENDPOINTS}


def test_the_recording_proxy_sees_every_method(proxy: hostile.HostileServer) -> None:
    """The instrument works: a write sent through the proxy is recorded as one."""
    url = proxy.url + "/instrument" + ENDPOINTS["worker"]
    for method in ("POST", "DELETE", "PATCH"):
        httpx.request(method, url, timeout=5)
    assert [seen.method for seen in proxy.journal.of("instrument")] == ["POST", "DELETE", "PATCH"]


@pytest.mark.parametrize("contract", list(ENDPOINTS))
def test_a_whole_run_sends_only_get_and_head(
    runs: dict[str, Future[hostile.SuiteRun]], proxy: hostile.HostileServer, contract: str
) -> None:
    run = runs[contract].result()
    # Every rule ran and held against a faithful proxy: the run exercised all its probes.
    assert run.returncode == 0, run.explain()
    seen = [s for s in proxy.journal.of("proxy") if s.path == ENDPOINTS[contract]]
    methods = Counter(s.method for s in seen)
    assert sum(methods.values()) > 300, methods  # a whole run, not a preflight
    assert set(methods) <= SAFE, f"the suite sent {methods}"
