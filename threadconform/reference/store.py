"""SQLite storage for the reference servers: schema, loading, and the paging queries.

One connection per store, shared by uvicorn's threads and guarded by a lock (an in-memory
database lives in its connection). The data is written once at start-up and only read
afterwards, except on a live server (`live.py`), whose few writes each run as one
transaction under the same lock.

Paging is real SQL, because that is where real list endpoints go wrong:
  * keyset pages compare `(created_at, id)` as a row value against the cursor's pair, so
    threads with equal `created_at` are neither repeated nor dropped between pages;
  * offset pages use LIMIT/OFFSET on the row ids alone (a "deferred join"), so a deep page
    walks a covering index instead of fetching every skipped row;
  * every sort and filter is backed by a composite index `(tenant, <filter>, created_at, id)`.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import astuple, dataclass, field, fields, replace
from pathlib import Path
from typing import Literal, cast

from threadconform.reference.data import Agent, Dataset, Project, Thread, generate

__all__ = [
    "AGENT_COLUMNS",
    "INDEXES",
    "MAX_OFFSET",
    "PROJECT_COLUMNS",
    "SCHEMA_VERSION",
    "THREAD_COLUMNS",
    "Bound",
    "Cond",
    "Key",
    "KeysetQuery",
    "OffsetQuery",
    "Op",
    "Order",
    "Store",
    "ThreadRow",
    "Where",
    "eq",
    "is_null",
    "load",
    "not_null",
    "open_store",
]

SCHEMA_VERSION = "4"
# SQLite integers are 64-bit; a larger OFFSET would overflow, and is past any data anyway.
MAX_OFFSET = 2**62

THREAD_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(Thread))
PROJECT_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(Project))
AGENT_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(Agent))
_JSON_COLUMNS = ("tags", "metadata", "space_ids")

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE projects (
    project_id TEXT PRIMARY KEY, tenant INTEGER NOT NULL, name TEXT NOT NULL,
    icon_name TEXT, is_public INTEGER NOT NULL, created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL, sandbox_id TEXT, sandbox_pass TEXT, sandbox_token TEXT
);
CREATE TABLE agents (
    agent_id TEXT PRIMARY KEY, title TEXT NOT NULL, type TEXT NOT NULL,
    description TEXT NOT NULL, icon TEXT NOT NULL
);
CREATE TABLE threads (
    id TEXT NOT NULL UNIQUE, tenant INTEGER NOT NULL, owner TEXT NOT NULL,
    organization_id TEXT NOT NULL, project_id TEXT REFERENCES projects (project_id),
    chat_project TEXT NOT NULL, project_type TEXT NOT NULL, assistant_id TEXT,
    workflow_id TEXT, agent_id TEXT NOT NULL REFERENCES agents (agent_id), end_user TEXT,
    title TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
    last_message_at INTEGER NOT NULL, message_count INTEGER NOT NULL, status TEXT NOT NULL,
    visible INTEGER NOT NULL, pinned_at INTEGER, deleted_at INTEGER,
    is_public INTEGER NOT NULL, last_model TEXT, tags TEXT NOT NULL, metadata TEXT NOT NULL,
    space_ids TEXT NOT NULL, quality REAL NOT NULL, relevance REAL NOT NULL,
    temperature REAL NOT NULL, max_tokens INTEGER NOT NULL
);
"""

# Each list query's equality filters lead, the sort key follows, the id breaks ties. The
# vendor contracts' boolean filters trail, so their pages and counts read the index alone.
_FLAGS = "visible, deleted_at, pinned_at"
INDEXES: dict[str, str] = {
    "threads_by_tenant": f"tenant, created_at, id, {_FLAGS}",
    "threads_by_assistant": f"tenant, assistant_id, created_at, id, {_FLAGS}",
    "threads_by_workflow": f"tenant, workflow_id, created_at, id, {_FLAGS}",
    "threads_by_organization": f"tenant, organization_id, created_at, id, {_FLAGS}",
    "threads_by_project_type": "tenant, project_type, created_at, id",
    "threads_by_chat_project": "tenant, chat_project, project_type, created_at, id",
    "threads_by_agent": "tenant, agent_id, created_at, id",
    "threads_by_end_user": "tenant, end_user, created_at, id",
}

Key = tuple[int, str]  # (created_at, id): the position of a thread in the list order
Op = Literal["<", "<=", ">", ">="]
_FLIP: dict[str, Op] = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}


@dataclass(frozen=True)
class Cond:
    """One filter term: `column = value`, `column IS NULL` or `column IS NOT NULL`."""

    column: str
    op: Literal["=", "is null", "is not null"] = "="
    value: object = None

    def sql(self) -> tuple[str, tuple[object, ...]]:
        if self.column not in THREAD_COLUMNS:
            raise ValueError(f"unknown thread column {self.column!r}")
        if self.op == "=":
            return f"t.{self.column} = ?", (self.value,)
        return f"t.{self.column} {self.op.upper()}", ()


def eq(column: str, value: object) -> Cond:
    return Cond(column, "=", value)


def is_null(column: str) -> Cond:
    return Cond(column, "is null")


def not_null(column: str) -> Cond:
    return Cond(column, "is not null")


@dataclass(frozen=True)
class Where:
    conds: tuple[Cond, ...] = ()

    def and_(self, *conds: Cond) -> Where:
        return Where(self.conds + conds)

    def without(self, *columns: str) -> Where:
        return Where(tuple(c for c in self.conds if c.column not in columns))

    def has(self, column: str) -> bool:
        return any(c.column == column for c in self.conds)

    def sql(self) -> tuple[str, tuple[object, ...]]:
        parts = [c.sql() for c in self.conds]
        text = " AND ".join(p[0] for p in parts) or "1"
        return text, tuple(v for p in parts for v in p[1])


@dataclass(frozen=True)
class Order:
    descending: bool = True
    key: Literal["created_at", "title", "updated_at"] = "created_at"  # updated_at: a fault
    # Only faults set this: ties are broken on a slice of the id starting here, which
    # differs per request, instead of on the whole id.
    tie_slice: int | None = None
    # Only faults set these. `ties_flipped`: ties are broken by id in the opposite direction
    # of the key. `flip_at`: once a page reaches past this share of the listing, the
    # database switches plans and breaks ties the other way round (ORDER BY created_at
    # without a tie-breaker; see `Store.flip_threshold` for where it flips).
    ties_flipped: bool = False
    flip_at: float | None = None
    ties_reversed: bool = False

    def sql(self, *, reverse: bool = False) -> str:
        way = "DESC" if self.descending != reverse else "ASC"
        flipped = self.ties_flipped != self.ties_reversed
        tie_way = {"DESC": "ASC", "ASC": "DESC"}[way] if flipped else way
        terms = [f"t.{self.key} {way}"]
        if self.tie_slice is not None:
            terms.append(f"substr(t.id, {int(self.tie_slice)}, 6) {way}")
        terms.append(f"t.id {tie_way}")
        return ", ".join(terms)


@dataclass(frozen=True)
class Bound:
    """Keep the threads whose position compares `op` to `key`."""

    key: Key
    op: Op
    ties: bool = True  # False compares created_at alone (a fault: it drops tied threads)
    source: str = ""  # the parameter the bound comes from (after/before), for faults
    ties_flipped: bool = False  # pairs with Order.ties_flipped: ids compare the other way

    def sql(self) -> tuple[str, tuple[object, ...]]:
        if self.ties and self.ties_flipped:
            strict, tie = self.op[0], _FLIP[self.op]
            sql = f"(t.created_at {strict} ? OR (t.created_at = ? AND t.id {tie} ?))"
            return sql, (self.key[0], self.key[0], self.key[1])
        if self.ties:
            return f"(t.created_at, t.id) {self.op} (?, ?)", self.key
        return f"t.created_at {self.op} ?", (self.key[0],)


@dataclass(frozen=True)
class OffsetQuery:
    where: Where
    order: Order = field(default_factory=Order)
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True)
class KeysetQuery:
    where: Where
    order: Order = field(default_factory=Order)
    limit: int = 20
    bounds: tuple[Bound, ...] = ()
    # True: the page is the `limit` threads nearest the end of the bounded range (the
    # previous page, for `before`), still returned in `order`.
    from_end: bool = False
    offset: int = 0  # threads skipped first: only a fault pages a keyset listing by offset

    def flipped(self) -> KeysetQuery:
        return replace(self, bounds=tuple(replace(b, op=_FLIP[b.op]) for b in self.bounds))


@dataclass(frozen=True)
class ThreadRow:
    thread: Thread
    project: Project | None
    agent: Agent | None


_MOST_COUNTS = 4096  # cached totals (one per distinct filter); past it the cache restarts


class Store:
    """Access to one loaded database; safe to share between threads."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection
        self._lock = threading.Lock()
        self._listings: dict[object, tuple[int, dict[str, int]]] = {}  # fault use only
        # COUNT(*) per filter, until the next write: a total on every page of a walk would
        # otherwise scan the whole tenant each time (8-10 ms at 100,000 threads), which
        # makes the reference server, not the suite, the cost of a large-target run.
        self._counts: dict[tuple[str, tuple[object, ...]], int] = {}
        self._copies: list[Store] = []

    def close(self) -> None:
        with self._lock:
            self._connection.close()
        for copy in self._copies:
            copy.close()

    def copy(self) -> Store:
        """A store of its own (in memory) holding this one's data as it is now; closing
        this store closes it too."""
        connection = sqlite3.connect(":memory:", check_same_thread=False)
        with self._lock:
            self._connection.backup(connection)
        copy = Store(connection)
        self._copies.append(copy)
        return copy

    def rows(self, sql: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]:
        with self._lock:
            return self._connection.execute(sql, params).fetchall()

    def count(self, where: Where) -> int:
        text, params = where.sql()
        key = (text, tuple(params))
        with self._lock:
            if key not in self._counts:
                if len(self._counts) >= _MOST_COUNTS:
                    self._counts.clear()
                sql = f"SELECT COUNT(*) FROM threads t WHERE {text}"
                (found,) = self._connection.execute(sql, params).fetchone()
                self._counts[key] = int(cast(int, found))
            return self._counts[key]

    def offset_page(self, query: OffsetQuery) -> list[ThreadRow]:
        """LIMIT/OFFSET over the sorted, filtered threads."""
        if query.order.flip_at is not None:
            threshold, _ = self.flip_threshold(query.where, query.order)
            flipped = query.offset + query.limit > threshold
            query = replace(query, order=replace(query.order, ties_reversed=flipped))
        text, params = query.where.sql()
        order = query.order.sql()
        offset = min(max(query.offset, 0), MAX_OFFSET)
        inner = f"SELECT t.rowid FROM threads t WHERE {text} ORDER BY {order} LIMIT ? OFFSET ?"
        sql = f"{_SELECT} WHERE t.rowid IN ({inner}) ORDER BY {order}"
        return [_row(r) for r in self.rows(sql, (*params, query.limit, offset))]

    def keyset_page(self, query: KeysetQuery) -> tuple[list[ThreadRow], bool]:
        """The page, and whether more threads follow it in the direction of travel."""
        if query.order.flip_at is not None:
            query = self._flip_keyset(query)
        terms = [query.where.sql(), *(b.sql() for b in query.bounds)]
        text = " AND ".join(t[0] for t in terms)
        params = tuple(v for t in terms for v in t[1])
        order = query.order.sql(reverse=query.from_end)
        sql = f"{_SELECT} WHERE {text} ORDER BY {order} LIMIT ? OFFSET ?"
        found = [_row(r) for r in self.rows(sql, (*params, query.limit + 1, query.offset))]
        page = found[: query.limit]
        return (page[::-1] if query.from_end else page), len(found) > query.limit

    def flip_threshold(self, where: Where, order: Order) -> tuple[int, dict[str, int]]:
        """Where a plan-flip fault flips (OFFSET+LIMIT past it), and each id's position.

        The threshold lies strictly inside the tie group nearest `order.flip_at` of the
        listing: a flip anywhere else repeats or drops nothing, so the fault would not be
        a fault on that data. Without tie groups the threshold is past the end."""
        text, params = where.sql()
        cache_key = (text, params, order.descending, order.key, order.flip_at)
        if cache_key not in self._listings:
            plain = replace(order, flip_at=None, ties_reversed=False).sql()
            sql = f"SELECT t.{order.key}, t.id FROM threads t WHERE {text} ORDER BY {plain}"
            rows = self.rows(sql, params)
            groups, start = [], 0
            for index in range(1, len(rows) + 1):
                if index == len(rows) or rows[index][0] != rows[start][0]:
                    if index - start >= 2:
                        groups.append((start, index - 1))
                    start = index
            target = (order.flip_at or 0) * len(rows)
            threshold = len(rows) + 1
            if groups:
                s, e = min(groups, key=lambda g: abs((g[0] + g[1]) / 2 - target))
                threshold = s + (e - s + 1) // 2
            positions = {str(row[1]): index for index, row in enumerate(rows)}
            self._listings[cache_key] = (threshold, positions)
        return self._listings[cache_key]

    def _flip_keyset(self, query: KeysetQuery) -> KeysetQuery:
        """A keyset page past the threshold comes back with its ties in reverse id order,
        while the cursor still compares (created_at, id) the documented way."""
        after = [b for b in query.bounds if b.source == "after"]
        if not after or query.from_end:
            return query
        threshold, positions = self.flip_threshold(query.where, query.order)
        start = positions.get(after[0].key[1], -1) + 1
        flipped = start + query.limit > threshold
        return replace(query, order=replace(query.order, ties_reversed=flipped))

    def key_of(self, thread_id: str, tenant: int | None) -> Key | None:
        """The position of a thread, if it exists (and belongs to `tenant`, when given)."""
        sql = "SELECT created_at, id, tenant FROM threads WHERE id = ?"
        for created_at, id_, owner in self.rows(sql, (thread_id,)):
            if tenant is None or owner == tenant:
                return int(created_at), str(id_)  # type: ignore[call-overload]
        return None

    def explain(self, sql: str, params: Sequence[object] = ()) -> list[str]:
        return [str(r[-1]) for r in self.rows(f"EXPLAIN QUERY PLAN {sql}", params)]

    # Writes: only a live server makes them (see `live.py`).

    def latest_instant(self) -> int:
        """The greatest timestamp any thread carries (created, updated, pinned, deleted...)."""
        columns = ("created_at", "updated_at", "last_message_at", "pinned_at", "deleted_at")
        terms = ", ".join(f"COALESCE(MAX({c}), 0)" for c in columns)
        (latest,) = self.rows(f"SELECT MAX({terms}) FROM threads")[0]
        return int(cast(int, latest))

    def listed_ids(self, tenant: int) -> list[str]:
        """The ids of the tenant's threads every contract lists by default (visible, not
        deleted, project type general), newest first as the contracts sort them."""
        sql = (
            "SELECT id FROM threads WHERE tenant = ? AND visible = 1 AND deleted_at IS NULL"
            " AND project_type = 'general' ORDER BY created_at DESC, id DESC"
        )
        return [str(row[0]) for row in self.rows(sql, (tenant,))]

    def id_prefix_taken(self, prefix: str) -> bool:
        """Whether a thread id starts with `prefix` (contracts show shortened ids)."""
        sql = "SELECT 1 FROM threads WHERE substr(id, 1, ?) = ? LIMIT 1"
        return bool(self.rows(sql, (len(prefix), prefix)))

    def insert_thread(self, thread: Thread) -> None:
        marks = ", ".join("?" for _ in THREAD_COLUMNS)
        sql = f"INSERT INTO threads ({', '.join(THREAD_COLUMNS)}) VALUES ({marks})"
        self._write(sql, _thread_values(thread))

    def delete_thread(self, thread_id: str) -> None:
        self._write("DELETE FROM threads WHERE id = ?", (thread_id,))

    def touch_thread(self, thread_id: str, at: int, *, created: bool = False) -> None:
        """New activity on a thread: `updated_at` and `last_message_at` become `at` (and
        `created_at` too when `created`, for a contract whose sort key is that column)."""
        columns = ["updated_at", "last_message_at", *(["created_at"] if created else [])]
        assignments = ", ".join(f"{c} = ?" for c in columns)
        params = (*(at for _ in columns), thread_id)
        self._write(f"UPDATE threads SET {assignments} WHERE id = ?", params)

    def _write(self, sql: str, params: Sequence[object]) -> None:
        """One write in its own transaction. The data no longer matches its meta, so a
        database file is rebuilt when next opened; fault caches of listings are stale."""
        with self._lock, self._connection:
            self._connection.execute(sql, params)
            self._connection.execute("INSERT OR REPLACE INTO meta VALUES ('changed', 'live')")
            self._listings.clear()
            self._counts.clear()


_SELECT = (
    "SELECT "
    + ", ".join(
        [f"t.{c}" for c in THREAD_COLUMNS]
        + [f"p.{c}" for c in PROJECT_COLUMNS]
        + [f"a.{c}" for c in AGENT_COLUMNS]
    )
    + " FROM threads t LEFT JOIN projects p ON p.project_id = t.project_id"
    + " LEFT JOIN agents a ON a.agent_id = t.agent_id"
)


def _row(raw: Sequence[object]) -> ThreadRow:
    n, m = len(THREAD_COLUMNS), len(PROJECT_COLUMNS)
    values = dict(zip(THREAD_COLUMNS, raw[:n], strict=True))
    for name in _JSON_COLUMNS:
        decoded = json.loads(str(values[name]))
        values[name] = tuple(tuple(p) for p in decoded) if name == "metadata" else tuple(decoded)
    for name in ("visible", "is_public"):
        values[name] = bool(values[name])
    project_values = raw[n : n + m]
    project = None
    if project_values[0] is not None:
        project = Project(*project_values)  # type: ignore[arg-type]
        project = replace(project, is_public=bool(project.is_public))
    agent_values = raw[n + m :]
    agent = Agent(*agent_values) if agent_values[0] is not None else None  # type: ignore[arg-type]
    return ThreadRow(Thread(**values), project, agent)  # type: ignore[arg-type]


def open_store(
    db: str | Path | None = None,
    *,
    threads: int = 237,
    seed: int = 0,
    ties: Sequence[int] | None = None,
) -> Store:
    """A store holding `generate(threads, seed, ties)`: in memory, or in the file `db`.

    A file that already holds the same data set (same seed, size and schema) is reused,
    so large benchmark databases are built once; any other file content is replaced.
    """
    target = ":memory:" if db is None else str(db)
    connection = sqlite3.connect(target, check_same_thread=False)
    wanted = {"schema": SCHEMA_VERSION, "threads": str(threads), "seed": str(seed)}
    if ties is not None:
        wanted["ties"] = ",".join(map(str, ties))
    if db is None or _meta(connection) != wanted:
        _rebuild(connection, generate(threads, seed, ties), wanted)
    return Store(connection)


def _meta(connection: sqlite3.Connection) -> dict[str, str]:
    try:
        return dict(connection.execute("SELECT key, value FROM meta").fetchall())
    except sqlite3.DatabaseError:
        return {}


def _rebuild(connection: sqlite3.Connection, dataset: Dataset, meta: dict[str, str]) -> None:
    for table in ("threads", "projects", "agents", "meta"):
        connection.execute(f"DROP TABLE IF EXISTS {table}")
    connection.executescript(_SCHEMA)
    with connection:
        load(connection, dataset)
        connection.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
    for name, columns in INDEXES.items():
        connection.execute(f"CREATE INDEX {name} ON threads ({columns})")
    # Statistics let the planner pick the narrowest index for each filter.
    connection.execute("ANALYZE")
    connection.commit()


def load(connection: sqlite3.Connection, dataset: Dataset) -> None:
    """Insert a data set into freshly created tables (one executemany per table)."""
    _insert(connection, "projects", (astuple(p) for p in dataset.projects), PROJECT_COLUMNS)
    _insert(connection, "agents", (astuple(a) for a in dataset.agents), AGENT_COLUMNS)
    _insert(connection, "threads", (_thread_values(t) for t in dataset.threads), THREAD_COLUMNS)


def _insert(
    connection: sqlite3.Connection,
    table: str,
    rows: Iterable[tuple[object, ...]],
    columns: tuple[str, ...],
) -> None:
    marks = ", ".join("?" for _ in columns)
    connection.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)


def _thread_values(thread: Thread) -> tuple[object, ...]:
    # astuple() would deep-copy every field; the plain attributes are all we need.
    values: list[object] = [getattr(thread, c) for c in THREAD_COLUMNS]
    for name in _JSON_COLUMNS:
        position = THREAD_COLUMNS.index(name)
        values[position] = json.dumps(values[position])
    return tuple(values)
