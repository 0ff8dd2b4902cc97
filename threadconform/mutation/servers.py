"""One reference server per (contract, dataset), serving every fault under a path prefix.

The matrix used to start a server per variant; one server with every fault at
`/__fault/NAME` serves all of a contract's variants on one dataset (the conforming API stays
at the root, untouched), and every faulty variant is then also a path-prefixed target.

Each server's conforming listing total is measured, with the suite's own client and walker,
so the report can say what a dataset really was on each contract; a dataset that must have a
prime total moves its thread count up until the listing (after the contract's default
filters) has one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from threadconform import reference, spec
from threadconform.client import Client
from threadconform.model import Contract
from threadconform.mutation.plan import Dataset
from threadconform.walk import walk

__all__ = ["PRIME_SEARCH", "Served", "is_prime", "listing_total", "serve", "serve_all", "stop_all"]

PRIME_SEARCH = 80  # thread counts tried above the asked one before giving up


@dataclass
class Served:
    contract: str
    dataset: Dataset
    server: reference.RunningServer
    threads: int  # the thread count the server was started with
    total: int | None  # the conforming default listing's total; None: could not be read
    default_limit: int | None  # the contract's documented default limit

    @property
    def meets(self) -> bool:
        """Whether the listing has the total the dataset claims."""
        wanted = self.dataset.total
        if wanted is None:
            return True
        if self.total is None:
            return False
        if wanted == "prime":
            return is_prime(self.total)
        return self.default_limit is not None and 0 < self.total < self.default_limit


def is_prime(number: int) -> bool:
    return number > 1 and all(number % d for d in range(2, int(number**0.5) + 1))


def listing_total(contract: Contract, server: reference.RunningServer) -> int | None:
    """The conforming listing's total: its `total` field if it has one (asked for when the
    contract needs that), else the items of a walk at the maximum limit."""
    pagination = contract.pagination
    limit = pagination.limit.maximum or pagination.limit.default or 100
    params: dict[str, str | int | bool] = {pagination.limit.param: limit}
    if pagination.response.total_requires:
        params[pagination.response.total_requires] = True
    client = Client(
        server.url, contract.endpoint, auth=contract.auth, credential=server.credentials.primary
    )
    with client:
        found = walk(client, pagination, params, max_pages=1000)
    if not found.pages or not found.pages[0].ok:
        return None
    total = found.pages[0].meta.total
    if pagination.response.total and isinstance(total, int) and not isinstance(total, bool):
        return total
    return len(found.ids) if found.complete else None


def serve(contract: str, dataset: Dataset) -> Served:
    loaded = spec.load(spec.find(contract))
    last = dataset.threads + (PRIME_SEARCH if dataset.total == "prime" else 0)
    threads = dataset.threads
    while True:
        server = reference.start(
            contract, threads=threads, all_faults=True, **dataset.start_options
        )
        limit = loaded.pagination.limit.default
        served = Served(contract, dataset, server, threads, listing_total(loaded, server), limit)
        if served.meets or threads >= last:
            return served
        server.stop()
        threads += 1


def serve_all(
    contracts: Iterable[str], datasets: Iterable[Dataset]
) -> dict[tuple[str, str], Served]:
    """Servers keyed by (contract, dataset name); stop them with `stop_all`."""
    started: dict[tuple[str, str], Served] = {}
    try:
        for contract in contracts:
            for dataset in datasets:
                started[contract, dataset.name] = serve(contract, dataset)
    except BaseException:
        stop_all(started)
        raise
    return started


def stop_all(servers: dict[tuple[str, str], Served]) -> None:
    for served in servers.values():
        served.server.stop()
