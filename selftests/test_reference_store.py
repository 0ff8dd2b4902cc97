"""The SQL paging helpers: keyset with ties, offsets, counts, and index use."""

from __future__ import annotations

from collections.abc import Iterator
from random import Random

import pytest

from threadconform.reference.data import EXACT_ASSISTANT, PRIMARY, SECONDARY, new_thread
from threadconform.reference.store import (
    Bound,
    KeysetQuery,
    OffsetQuery,
    Order,
    Store,
    Where,
    eq,
    is_null,
    not_null,
    open_store,
)

MAIN = Where((eq("tenant", PRIMARY),))


@pytest.fixture(scope="module")
def store() -> Iterator[Store]:
    opened = open_store(threads=237, seed=3)
    yield opened
    opened.close()


def full_list(store: Store, where: Where, descending: bool = True) -> list[str]:
    rows = store.offset_page(OffsetQuery(where, Order(descending), 10_000, 0))
    return [r.thread.id for r in rows]


def keyset_walk(store: Store, where: Where, limit: int, descending: bool = True) -> list[str]:
    seen: list[str] = []
    bounds: tuple[Bound, ...] = ()
    while True:
        query = KeysetQuery(where, Order(descending), limit, bounds)
        rows, more = store.keyset_page(query)
        seen += [r.thread.id for r in rows]
        if not more:
            return seen
        last = rows[-1].thread
        bounds = (Bound((last.created_at, last.id), "<" if descending else ">"),)


def test_full_list_is_sorted_with_id_tiebreak(store: Store) -> None:
    rows = store.offset_page(OffsetQuery(MAIN, Order(), 10_000, 0))
    keys = [(r.thread.created_at, r.thread.id) for r in rows]
    assert len(keys) == 237 and keys == sorted(keys, reverse=True)
    assert len({k[0] for k in keys}) < len(keys)  # there are ties to get right


@pytest.mark.parametrize("descending", [True, False])
def test_keyset_walk_every_limit_yields_every_row_once(store: Store, descending: bool) -> None:
    expected = full_list(store, MAIN, descending)
    for limit in range(1, len(expected) + 2):
        assert keyset_walk(store, MAIN, limit, descending) == expected, limit


def test_keyset_with_filters_and_ties(store: Store) -> None:
    where = MAIN.and_(eq("visible", 1), is_null("deleted_at"))
    expected = full_list(store, where)
    for limit in (1, 3, 7, 20):
        assert keyset_walk(store, where, limit) == expected


def test_previous_page_from_end(store: Store) -> None:
    expected = full_list(store, MAIN)
    pivot = store.key_of(expected[60], PRIMARY)
    assert pivot is not None
    query = KeysetQuery(MAIN, Order(), 20, (Bound(pivot, ">"),), from_end=True)
    rows, more = store.keyset_page(query)
    assert [r.thread.id for r in rows] == expected[40:60] and more
    query = KeysetQuery(MAIN, Order(), 100, (Bound(pivot, ">"),), from_end=True)
    rows, more = store.keyset_page(query)
    assert [r.thread.id for r in rows] == expected[:60] and not more


def test_offset_pages_partition_the_list(store: Store) -> None:
    expected = full_list(store, MAIN)
    for limit in (1, 7, 20, 50, 100, 236, 237, 1000):
        pages = [
            [r.thread.id for r in store.offset_page(OffsetQuery(MAIN, Order(), limit, offset))]
            for offset in range(0, 237, limit)
        ]
        assert [i for page in pages for i in page] == expected
    assert store.offset_page(OffsetQuery(MAIN, Order(), 10, 237)) == []
    assert store.offset_page(OffsetQuery(MAIN, Order(), 10, 10**30)) == []


def test_counts_with_filters(store: Store) -> None:
    assert store.count(MAIN) == 237
    assert store.count(Where((eq("tenant", SECONDARY),))) == 41
    assert store.count(MAIN.and_(eq("assistant_id", EXACT_ASSISTANT))) == 40
    pinned = store.count(MAIN.and_(not_null("pinned_at")))
    unpinned = store.count(MAIN.and_(is_null("pinned_at")))
    assert pinned > 0 and pinned + unpinned == 237
    assert store.count(MAIN.and_(eq("assistant_id", "nobody"))) == 0


def test_unknown_column_is_refused(store: Store) -> None:
    with pytest.raises(ValueError):
        store.count(Where((eq("tenant; DROP TABLE threads", 1),)))


def test_key_of_respects_tenant(store: Store) -> None:
    first = full_list(store, MAIN)[0]
    assert store.key_of(first, PRIMARY) is not None
    assert store.key_of(first, SECONDARY) is None
    assert store.key_of("0" * 32, None) is None


@pytest.mark.parametrize(
    ("where", "index"),
    [
        (MAIN, "threads_by_tenant"),
        (MAIN.and_(eq("assistant_id", EXACT_ASSISTANT)), "threads_by_assistant"),
        (MAIN.and_(eq("agent_id", "billing_agent")), "threads_by_agent"),
        (MAIN.and_(eq("end_user", "user_abc123")), "threads_by_end_user"),
        (MAIN.and_(eq("project_type", "general"), eq("chat_project", "billing")), "chat_project"),
    ],
)
def test_pages_use_an_index(store: Store, where: Where, index: str) -> None:
    text, params = where.sql()
    order = Order().sql()
    sql = f"SELECT t.id FROM threads t WHERE {text} AND (t.created_at, t.id) < (?, ?)"
    plan = " ".join(store.explain(f"{sql} ORDER BY {order} LIMIT 21", (*params, 2**40, "f")))
    assert index in plan and "TEMP B-TREE" not in plan, plan
    offset_sql = f"SELECT t.rowid FROM threads t WHERE {text} ORDER BY {order} LIMIT 20 OFFSET 40"
    plan = " ".join(store.explain(offset_sql, params))
    assert "USING" in plan and "INDEX" in plan and "TEMP B-TREE" not in plan, plan


def test_file_database_is_reused(tmp_path: object) -> None:
    path = f"{tmp_path}/threads.sqlite"
    first = open_store(path, threads=50, seed=1)
    ids = full_list(first, MAIN)
    first.close()
    again = open_store(path, threads=50, seed=1)
    assert full_list(again, MAIN) == ids
    again.close()
    other = open_store(path, threads=60, seed=1)
    assert other.count(MAIN) == 60
    other.close()


def test_a_cached_count_follows_every_write() -> None:
    """Totals are cached per filter until the next write (a total on every page of a
    walk would scan the tenant each time); a live server's inserts and deletes move them."""
    opened = open_store(threads=40, seed=5)
    try:
        before = opened.count(MAIN)
        assert opened.count(MAIN) == before
        fresh = new_thread(Random(1), PRIMARY, 4_000_000_000)
        opened.insert_thread(fresh)
        assert opened.count(MAIN) == before + 1
        opened.delete_thread(full_list(opened, MAIN)[-1])
        opened.delete_thread(fresh.id)
        assert opened.count(MAIN) == before - 1
    finally:
        opened.close()
