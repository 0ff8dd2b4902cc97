"""Latency of the reference servers: p50/p99 of one page at 1,000 and 100,000 threads.

Each contract's server runs in-process (uvicorn in a thread) on a SQLite file that is built
once per size and reused; requests go over loopback with one keep-alive httpx client.
Positions: the first page, a deep one (middle of the list: page, offset or cursor), and a
filtered one. Prints a markdown table.

    .venv/bin/python bench/serve_latency.py [--requests 200] [--sizes 1000 100000]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from threadconform.reference import header, start
from threadconform.reference.app import PATHS
from threadconform.reference.data import PRIMARY
from threadconform.reference.store import OffsetQuery, Order, Where, eq, is_null, open_store


@dataclass(frozen=True)
class Position:
    name: str
    params: dict[str, str]


def middle_id(db: Path, threads: int, where: Where) -> str:
    """The id of the thread halfway down a listing, read straight from the database."""
    store = open_store(db, threads=threads, seed=0)
    try:
        total = store.count(where)
        (row,) = store.offset_page(OffsetQuery(where, Order(), 1, total // 2))
        return row.thread.id
    finally:
        store.close()


def positions(contract: str, db: Path, threads: int) -> list[Position]:
    main = Where((eq("tenant", PRIMARY),))
    if contract == "kortix":
        middle = str(max(1, threads // 200))
        return [
            Position("first page", {"limit": "100"}),
            Position(f"page {middle} (middle)", {"limit": "100", "page": middle}),
            Position("last page", {"limit": "100", "page": str(max(1, -(-threads // 100)))}),
        ]
    if contract == "chat":
        return [
            Position("first 50", {}),
            Position("first 1000", {"limit": "1000"}),
            Position("project_id=billing", {"project_id": "billing"}),
        ]
    if contract == "worker":
        return [
            Position("offset 0", {}),
            Position(f"offset {threads // 2}", {"offset": str(threads // 2)}),
            Position("agent_id filter", {"agent_id": "support_agent", "offset": "100"}),
        ]
    if contract == "aitronos":
        visible = main.and_(eq("visible", 1), is_null("deleted_at"))
        cursor = "thrd_" + middle_id(db, threads, visible)
        return [
            Position("first page", {}),
            Position("after=<middle>", {"after": cursor}),
            Position("assistant_id + total", {"assistant_id": "asst_sql", "include_total": "1"}),
        ]
    cursor = "thread_" + middle_id(db, threads, main.and_(is_null("deleted_at")))
    return [
        Position("first page", {}),
        Position("after=<middle>", {"after": cursor}),
        Position("assistantId filter", {"assistantId": "asst_sql", "visibleInUi": "true"}),
    ]


def measure(client: httpx.Client, url: str, params: dict[str, str], requests: int) -> list[float]:
    for _ in range(10):  # warm-up: connection, SQLite page cache, statement cache
        client.get(url, params=params).raise_for_status()
    timings = []
    for _ in range(requests):
        began = time.perf_counter()
        client.get(url, params=params).raise_for_status()
        timings.append((time.perf_counter() - began) * 1000)
    return timings


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def bench(contract: str, threads: int, db: Path, requests: int) -> list[str]:
    rows = []
    with start(contract, threads=threads, db=db) as server, httpx.Client() as client:
        primary = server.credentials.primary
        if primary is not None:
            client.headers.update(header(contract, primary))
        for position in positions(contract, db, threads):
            timings = measure(client, server.url + PATHS[contract], position.params, requests)
            rows.append(
                f"| {contract} | {threads:,} | {position.name} | "
                f"{statistics.median(timings):.2f} | {percentile(timings, 0.99):.2f} |"
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 100_000])
    parser.add_argument("--contracts", nargs="+", default=list(PATHS))
    namespace = parser.parse_args()
    print("| contract | threads | position | p50 ms | p99 ms |")
    print("| --- | ---: | --- | ---: | ---: |")
    with tempfile.TemporaryDirectory() as directory:
        for size in namespace.sizes:
            db = Path(directory) / f"threads-{size}.sqlite"
            began = time.perf_counter()
            open_store(db, threads=size, seed=0).close()
            print(f"<!-- built {size:,} threads in {time.perf_counter() - began:.1f} s -->")
            for contract in namespace.contracts:
                for row in bench(contract, size, db, namespace.requests):
                    print(row, flush=True)


if __name__ == "__main__":
    main()
