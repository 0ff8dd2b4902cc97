"""Run the suite's engine in-process against a reference server: the walk proofs' driver.

with reference.start("kortix", threads=151, ties=(12, 7, 25, 5), fault=F) as server:
    engine = run_engine("kortix", server, "default")
    engine.record("PAGE-NO-DUPLICATES").status
"""

from __future__ import annotations

from collections.abc import Callable

from threadconform import spec
from threadconform.client import Client
from threadconform.engine import Engine, ProbeContext, Target
from threadconform.exchange import Response
from threadconform.probes.registry import PROBES
from threadconform.profiles import PROFILES
from threadconform.reference import RunningServer

# The datasets every page-boundary fault must be caught on (issue 10): a prime total with
# the tie groups of a real Kortix table, a total below every contract's default limit,
# and the default data set.
DATASETS: dict[str, dict[str, object]] = {
    "prime-151-ties": {"threads": 151, "ties": (12, 7, 25, 5)},
    "small-13": {"threads": 13, "ties": (3, 4)},
    "default-237": {"threads": 237},
}


def run_engine(
    contract_name: str,
    server: RunningServer,
    profile: str = "default",
    seed: int = 0,
    *,
    concurrency: int = 1,
    on_exchange: Callable[[Response], None] | None = None,
    write_hook: Callable[[], str | None] | None = None,
    spec_path: str | None = None,
) -> Engine:
    contract = spec.load(spec_path or spec.find(contract_name))
    chosen = PROFILES[profile]
    client = Client(
        server.url,
        contract.endpoint,
        auth=contract.auth,
        credential=server.credentials.primary,
        max_requests=chosen.max_requests,
        concurrency=concurrency,
        on_exchange=on_exchange,
    )
    context = ProbeContext(
        contract, client, chosen, seed, server.credentials.secondary, write_hook=write_hook
    )
    target = Target(contract, server.url, server.credentials.primary, server.credentials.secondary)
    return Engine(target, context, PROBES)
