"""kortix: GET /threads — page + limit, Bearer JWT, FastAPI-style errors.

Seed: threads owned by the caller, newest first (`created_at DESC`; ties broken by
`thread_id DESC` so pages never overlap), with project and sandbox via LEFT JOINs.
`page` >= 1 (default 1), `limit` 1..1000 (default 100); anything else is a 422.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from threadconform.reference import errors, params
from threadconform.reference.contracts.common import (
    Context,
    authenticate,
    context,
    dashed,
    iso,
    refuse,
    respond,
)
from threadconform.reference.hooks import PageInfo
from threadconform.reference.params import Invalid, Range
from threadconform.reference.store import OffsetQuery, Order, Project, ThreadRow, Where, eq

__all__ = [
    "PATH",
    "ROUTES",
    "SANDBOX_HOST",
    "Args",
    "internal_error",
    "list_threads",
    "parse",
    "project",
    "thread",
]

PATH = "/threads"
SANDBOX_HOST = "https://sandbox.example.com"


@dataclass(frozen=True)
class Args:
    page: int
    limit: int


def parse(ctx: Context, query: Any) -> Args | list[Invalid]:
    """The arguments, or every invalid parameter (FastAPI reports them all at once)."""
    hooks, problems = ctx.hooks, []
    values: dict[str, int] = {}
    for name, default, bounds in (("page", 1, Range(1, None)), ("limit", 100, Range(1, 1000))):
        try:
            values[name] = params.integer(
                query, name, hooks.default(name, default), hooks.bounds(name, bounds)
            )
        except Invalid as problem:
            problems.append(problem)
    return problems or hooks.args(Args(**values))


async def list_threads(request: Request) -> Response:
    ctx = context(request)
    tenant, credential = authenticate(ctx, request)
    if tenant is None:
        message = "Not authenticated" if credential is None else "Invalid or expired token"
        return refuse(ctx, errors.fastapi_detail(401, message, "auth", bearer=True))
    ctx.hooks.raw(request.query_params)
    args = parse(ctx, request.query_params)
    if isinstance(args, list):
        return refuse(ctx, errors.fastapi_validation(args))
    where = ctx.hooks.where(Where((eq("tenant", tenant),)))
    total = ctx.store.count(ctx.hooks.count_where(where))
    offset = (args.page - 1) * args.limit
    query = ctx.hooks.query(OffsetQuery(where, Order(), args.limit, offset))
    rows = ctx.store.offset_page(query)
    body = {
        "threads": [ctx.hooks.item(thread(row), row) for row in rows],
        "pagination": {
            "page": args.page,
            "limit": args.limit,
            "total": total,
            "pages": math.ceil(total / args.limit),
        },
    }
    info = PageInfo(args.limit, len(rows), total, page=args.page, params=request.query_params)
    return respond(ctx, body, info)


def thread(row: ThreadRow) -> dict[str, Any]:
    t = row.thread
    return {
        "thread_id": dashed(t.id),
        "project_id": t.project_id,
        "name": t.title,
        "metadata": dict(t.metadata),
        "is_public": t.is_public,
        "created_at": iso(t.created_at),
        "updated_at": iso(t.updated_at),
        "project": project(row.project) if row.project else None,
    }


def project(p: Project) -> dict[str, Any]:
    sandbox = None
    if p.sandbox_id is not None:
        short = p.sandbox_id.removeprefix("sandbox_")
        sandbox = {
            "id": p.sandbox_id,
            "pass": p.sandbox_pass,
            "vnc_preview": f"{SANDBOX_HOST}/vnc/{short}",
            "sandbox_url": f"{SANDBOX_HOST}/web/{short}",
            "token": p.sandbox_token,
        }
    return {
        "project_id": p.project_id,
        "name": p.name,
        "icon_name": p.icon_name,
        "is_public": p.is_public,
        "created_at": iso(p.created_at),
        "updated_at": iso(p.updated_at),
        "sandbox": sandbox,
    }


def internal_error() -> errors.ErrorReply:
    return errors.fastapi_detail(500, "Internal Server Error", "server")


ROUTES = [Route(PATH, list_threads, methods=["GET"])]
