"""worker: GET /api/threads — offset + limit, no auth, Unix-second timestamps.

Seed: optional exact filters `agent_id` and `user_id`; `limit` 1..100 (default 50),
`offset` >= 0 (default 0); body `{threads, total, hasMore}`. Agent icons stored as paths
are resolved against the request's base URL ("absolute paths are resolved to full URLs").

Choices where the seed is silent: order newest first, ties by id (descending); an offset
or limit that is out of range or not an integer is a 400 `{"error": "..."}` (the seed
documents no errors; a Workers script answers with a small JSON error); an empty filter
value counts as absent. Only the main tenant's threads are served (no users, no auth).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from threadconform.reference import errors, params
from threadconform.reference.contracts.common import Context, context, dashed, refuse, respond
from threadconform.reference.data import AGENTS, PRIMARY, Agent
from threadconform.reference.hooks import PageInfo
from threadconform.reference.params import Invalid, Range
from threadconform.reference.store import OffsetQuery, Order, ThreadRow, Where, eq

__all__ = [
    "PATH",
    "ROUTES",
    "Args",
    "agent",
    "icon",
    "internal_error",
    "list_threads",
    "parse",
    "thread",
]

PATH = "/api/threads"
_ICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16">'
    '<circle cx="8" cy="8" r="7"/></svg>'
)
_MESSAGES = {
    "limit": "limit must be an integer between 1 and 100",
    "offset": "offset must be a non-negative integer",
}


@dataclass(frozen=True)
class Args:
    agent_id: str | None
    user_id: str | None
    limit: int
    offset: int


def parse(ctx: Context, query: Any) -> Args | errors.ErrorReply:
    hooks = ctx.hooks
    try:
        args = Args(
            agent_id=params.filter_value(query, "agent_id"),
            user_id=params.filter_value(query, "user_id"),
            limit=params.integer(
                query, "limit", hooks.default("limit", 50), hooks.bounds("limit", Range(1, 100))
            ),
            offset=params.integer(
                query, "offset", hooks.default("offset", 0), hooks.bounds("offset", Range(0, None))
            ),
        )
    except Invalid as problem:
        return errors.worker(400, _MESSAGES[problem.param], "validation")
    return hooks.args(args)


async def list_threads(request: Request) -> Response:
    ctx = context(request)
    ctx.hooks.raw(request.query_params)
    args = parse(ctx, request.query_params)
    if isinstance(args, errors.ErrorReply):
        return refuse(ctx, args)
    where = Where((eq("tenant", PRIMARY),))
    if args.agent_id is not None:
        where = where.and_(eq("agent_id", args.agent_id))
    if args.user_id is not None:
        where = where.and_(eq("end_user", args.user_id))
    scoped = ctx.hooks.scope(request.headers, where)
    if isinstance(scoped, errors.ErrorReply):
        return refuse(ctx, scoped)
    where = ctx.hooks.where(scoped)
    total = ctx.store.count(ctx.hooks.count_where(where))
    query = ctx.hooks.query(OffsetQuery(where, Order(), args.limit, args.offset))
    rows = ctx.store.offset_page(query)
    base = str(request.base_url).rstrip("/")
    body = {
        "threads": [ctx.hooks.item(thread(row, base), row) for row in rows],
        "total": total,
        "hasMore": args.offset + len(rows) < total,
    }
    info = PageInfo(args.limit, len(rows), total, offset=args.offset, params=request.query_params)
    return respond(ctx, body, info)


def thread(row: ThreadRow, base: str) -> dict[str, Any]:
    t = row.thread
    item: dict[str, Any] = {
        "id": dashed(t.id),
        "agent_id": t.agent_id,
        "user_id": t.end_user,
        "tags": list(t.tags),
        "created_at": t.created_at,
    }
    if row.agent is not None:
        item["agent"] = agent(row.agent, base)
    return item


def agent(a: Agent, base: str) -> dict[str, Any]:
    icon = base + a.icon if a.icon.startswith("/") else a.icon
    return {"title": a.title, "type": a.type, "description": a.description, "icon": icon}


def internal_error() -> errors.ErrorReply:
    return errors.worker(500, "Internal Server Error", "server")


async def icon(request: Request) -> Response:
    """The agent icons the thread items link to, so their URLs resolve."""
    name = request.path_params["name"]
    if f"/icons/{name}" not in {a.icon for a in AGENTS}:
        return errors.worker(404, "Not found", "not_found").response()
    return Response(_ICON, media_type="image/svg+xml")


ROUTES = [
    Route(PATH, list_threads, methods=["GET"]),
    Route("/icons/{name}", icon, methods=["GET"]),
]
