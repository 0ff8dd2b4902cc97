"""Behaviours of real deployments (issue 12).

Each reproduces what a real implementation was seen doing: the Standard Agents worker on
Cloudflare workerd and the Kortix backend (FastAPI + PostgreSQL). Compression and a path
prefix are server options (`--compress gzip`, `--prefix /v1`), not faults.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from threadconform.reference.auth import Credentials
from threadconform.reference.errors import ErrorReply
from threadconform.reference.faults.fault import Fault
from threadconform.reference.faults.helpers import Body, Item, crash_unless_integer
from threadconform.reference.hooks import Hooks, PageInfo
from threadconform.reference.params import Range
from threadconform.reference.store import ThreadRow, Where, eq

__all__ = ["INT4_MAX", "REAL", "WORKER_USERS"]

# Bearer tokens of two non-admin users of the worker that demands one undocumented.
WORKER_USERS: dict[str, str] = {
    "wk_demo_ada_5e1c9a7f3b20": "user_abc123",
    "wk_demo_bo_7d2e4f6a8c31": "user_def456",
}


def _worker_user_scope(headers: Mapping[str, str], where: Where) -> Where | ErrorReply:
    """A bearer token is required (the doc names none); a non-admin caller sees only its
    own threads, and its `user_id` filter is dropped rather than applied."""
    kind, _, token = headers.get("authorization", "").strip().partition(" ")
    user = WORKER_USERS.get(token.strip()) if kind.lower() == "bearer" else None
    if user is None:
        return ErrorReply(401, {"error": "Unauthorized"}, "auth")
    return where.without("end_user").and_(eq("end_user", user))


def _no_lower_limit(name: str, bounds: Range) -> Range:
    # `LIMIT ?` bound straight from the query: SQLite reads LIMIT -1 as "no limit".
    return replace(bounds, lo=None) if name == "limit" else bounds


def _raw_offset_in_has_more(name: str, bounds: Range) -> Range:
    # OFFSET -1 reaches SQL (which reads it as 0), but hasMore uses the raw -1.
    return replace(bounds, lo=None) if name == "offset" else bounds


INT4_MAX = 2**31 - 1


def _sql_error_past_int4(body: Body, page: PageInfo) -> Body | ErrorReply:
    """PostgreSQL's "integer out of range" for an OFFSET past int4, answered with the
    SQLAlchemy message: the SQL text and its bound parameters."""
    offset = ((page.page or 1) - 1) * page.limit
    if offset <= INT4_MAX:
        return body
    detail = (
        "(psycopg2.errors.NumericValueOutOfRange) integer out of range\n"
        "[SQL: SELECT threads.thread_id, threads.project_id, threads.name FROM threads "
        "WHERE threads.account_id = %(account_id_1)s ORDER BY threads.created_at DESC "
        "LIMIT %(param_1)s OFFSET %(param_2)s]\n"
        f"[parameters: {{'account_id_1': '7b1e7c52', 'param_1': {page.limit}, "
        f"'param_2': {offset}}}]"
    )
    return ErrorReply(500, {"detail": detail}, "server")


def _sandbox_token_null(item: Item, row: ThreadRow) -> Item:
    project = item.get("project")
    if not project or not project.get("sandbox"):
        return item
    sandbox = {**project["sandbox"], "token": None}
    return {**item, "project": {**project, "sandbox": sandbox}}


def _workerd_bounds(name: str, bounds: Range) -> Range:
    # Both reach SQL unchecked: LIMIT 101 and LIMIT -1 as given, OFFSET -1 read as 0.
    return replace(bounds, lo=None, hi=None)


REAL: tuple[Fault, ...] = (
    Fault(
        "negative-limit-unbounded",
        ("worker",),
        "`limit` has no lower bound: `limit=-1` reaches SQL as LIMIT -1 and every thread "
        "comes back (the real worker).",
        ("PARAM-INVALID-REJECTED", "PAGE-LIMIT-RESPECTED"),
        hooks=Hooks(bounds=_no_lower_limit),
    ),
    Fault(
        "negative-offset-has-more",
        ("worker",),
        "`offset=-1` is served as offset 0 but `hasMore` is computed with -1, so a listing "
        "that fits on one page claims more (the real worker).",
        ("PARAM-INVALID-REJECTED", "META-HAS-MORE"),
        hooks=Hooks(bounds=_raw_offset_in_has_more),
    ),
    Fault(
        "user-filter-ignored-for-non-admins",
        ("worker",),
        "An undocumented bearer token is required; a non-admin caller sees only its own "
        "threads and its `user_id` filter is ignored (the real worker).",
        ("FILTER-EXACT",),
        hooks=Hooks(scope=_worker_user_scope),
        credentials=Credentials(*WORKER_USERS),
    ),
    Fault(
        "500-sql-on-huge-page",
        ("kortix",),
        "A page whose OFFSET passes int4 fails in PostgreSQL; the 500 body carries the SQL "
        "text and its bound parameters (the real Kortix backend).",
        ("HTTP-NO-5XX",),
        hooks=Hooks(body=_sql_error_past_int4),
    ),
    Fault(
        "workerd-as-found",
        ("worker",),
        "Every MUST defect of the real worker at once: `limit` and `offset` unchecked "
        "(101 rows for limit=101, every thread for limit=-1, hasMore from offset -1), "
        "`limit=abc` a 500, a bearer token demanded and `user_id` ignored for non-admins. "
        "Serve it with --compress gzip, as workerd does.",
        ("PARAM-INVALID-REJECTED", "HTTP-NO-5XX", "FILTER-EXACT", "PAGE-LIMIT-RESPECTED"),
        hooks=Hooks(
            raw=crash_unless_integer("limit"), bounds=_workerd_bounds, scope=_worker_user_scope
        ),
        credentials=Credentials(*WORKER_USERS),
    ),
    Fault(
        "kortix-as-found",
        ("kortix",),
        "The real Kortix backend: `sandbox.token: null` (a SHOULD) and a 500 carrying SQL "
        "for a page past int4. Serve it with --prefix /v1, as the real one is.",
        ("HTTP-NO-5XX", "SCHEMA-EXAMPLE"),
        hooks=Hooks(item=_sandbox_token_null, body=_sql_error_past_int4),
    ),
    Fault(
        "sandbox-token-null",
        ("kortix",),
        "`project.sandbox.token` is null where the seed's example shows a string (the real "
        "Kortix backend): an example-only shape, so a SHOULD warning, not a failure.",
        ("SCHEMA-EXAMPLE",),
        tolerated=True,
        hooks=Hooks(item=_sandbox_token_null),
    ),
)
