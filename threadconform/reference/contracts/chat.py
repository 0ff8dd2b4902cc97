"""chat: GET /api/chat/threads — the first `limit` threads, no auth, FastAPI errors.

Seed: `project_id` (optional, <= 100 chars, ^[a-zA-Z0-9_-]+$), `project_type` (default
"general", <= 50 chars, same pattern) and `limit` (1..1000, default 50) filter and bound the
listing. Order is undocumented; this server returns newest first (ties by id), so a shorter
listing is always a prefix of a longer one. Without `project_id` the response's `projectId`
is "all". Only the main tenant's threads are served (the endpoint has no notion of users).
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from threadconform.reference import errors, params
from threadconform.reference.contracts.common import Context, context, dashed, iso, refuse, respond
from threadconform.reference.data import PRIMARY
from threadconform.reference.hooks import PageInfo
from threadconform.reference.params import Invalid, Range
from threadconform.reference.store import OffsetQuery, Order, ThreadRow, Where, eq

__all__ = [
    "ALL_PROJECTS",
    "PATH",
    "PATTERN",
    "ROUTES",
    "Args",
    "internal_error",
    "list_threads",
    "parse",
    "thread",
]

PATH = "/api/chat/threads"
PATTERN = "^[a-zA-Z0-9_-]+$"
ALL_PROJECTS = "all"


@dataclass(frozen=True)
class Args:
    project_id: str | None
    project_type: str
    limit: int


def parse(ctx: Context, query: Any) -> Args | list[Invalid]:
    hooks, problems = ctx.hooks, []
    values: dict[str, Any] = {}
    parsers = {
        "project_id": lambda: params.text(query, "project_id", max_length=100, pattern=PATTERN),
        "project_type": lambda: params.text(
            query,
            "project_type",
            hooks.default("project_type", "general"),
            max_length=50,
            pattern=PATTERN,
        ),
        "limit": lambda: params.integer(
            query, "limit", hooks.default("limit", 50), hooks.bounds("limit", Range(1, 1000))
        ),
    }
    for name, parser in parsers.items():
        try:
            values[name] = parser()
        except Invalid as problem:
            problems.append(problem)
    return problems or hooks.args(Args(**values))


async def list_threads(request: Request) -> Response:
    ctx = context(request)
    ctx.hooks.raw(request.query_params)
    args = parse(ctx, request.query_params)
    if isinstance(args, list):
        return refuse(ctx, errors.fastapi_validation(args))
    where = Where((eq("tenant", PRIMARY), eq("project_type", args.project_type)))
    if args.project_id is not None:
        where = where.and_(eq("chat_project", args.project_id))
    where = ctx.hooks.where(where)
    total = ctx.store.count(ctx.hooks.count_where(where))
    rows = ctx.store.offset_page(ctx.hooks.query(OffsetQuery(where, Order(), args.limit, 0)))
    body = {
        "threads": [ctx.hooks.item(thread(row), row) for row in rows],
        "totalCount": total,
        "projectId": args.project_id or ALL_PROJECTS,
        "page": 1,
        "pageSize": args.limit,
        "totalPages": math.ceil(total / args.limit),
        "hasNext": total > len(rows),
        "hasPrevious": False,
        "sortBy": "createdAt",
        "sortOrder": "desc",
        # Volatile by design: a fresh id per request, as a real API's request id would be.
        "requestId": f"req_{uuid.uuid4().hex}",
    }
    return respond(ctx, body, PageInfo(args.limit, len(rows), total, params=request.query_params))


def thread(row: ThreadRow) -> dict[str, Any]:
    t = row.thread
    return {
        "threadId": dashed(t.id),
        "title": t.title,
        "projectId": t.chat_project,
        "createdAt": iso(t.created_at),
        "messageCount": t.message_count,
        "tags": list(t.tags),
        "userId": t.end_user,
        "status": "active" if t.message_count else "inactive",
        "isPinned": t.pinned_at is not None,
        "isArchived": False,
        "lastMessageAt": iso(t.last_message_at),
        "modelUsed": t.last_model,
        "qualityScore": t.quality,
        "relevanceScore": t.relevance,
        "settings": {"temperature": t.temperature, "maxTokens": t.max_tokens},
    }


def internal_error() -> errors.ErrorReply:
    return errors.fastapi_detail(500, "Internal Server Error", "server")


ROUTES = [Route(PATH, list_threads, methods=["GET"])]
