"""aitronos: GET /v1/threads — cursor paging, snake_case, `X-API-Key`.

Seed: threads of every organization the caller's user belongs to, filtered by
`organization_id`, `assistant_id`, `workflow_id`, `is_pinned`, `visible_in_ui` (default
true), `include_deleted` (default false); `include_total` adds the filtered count (else
`total` is null). An organization the caller is not in is a 403 (the vendor's documented
`permission_error`). Cursor semantics and errors: see `vendor.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from threadconform.reference import params
from threadconform.reference.contracts import vendor
from threadconform.reference.contracts.common import (
    Context,
    authenticate,
    context,
    iso,
    refuse,
    respond,
)
from threadconform.reference.data import ORGANIZATIONS
from threadconform.reference.errors import ErrorReply
from threadconform.reference.hooks import PageInfo
from threadconform.reference.params import Invalid
from threadconform.reference.store import ThreadRow, Where, eq, is_null, not_null

__all__ = [
    "ID_PREFIX",
    "PATH",
    "ROUTES",
    "Args",
    "filters",
    "internal_error",
    "list_threads",
    "parse",
    "thread",
]

PATH = "/v1/threads"
ID_PREFIX = "thrd_"
internal_error = vendor.internal_error


@dataclass(frozen=True)
class Args:
    paging: vendor.Paging
    organization_id: str | None
    assistant_id: str | None
    workflow_id: str | None
    is_pinned: bool | None
    visible_in_ui: bool | None
    include_deleted: bool
    include_total: bool


def parse(ctx: Context, query: Any) -> Args | ErrorReply:
    default = ctx.hooks.default
    try:
        args = Args(
            paging=vendor.parse_paging(ctx, query),
            organization_id=params.filter_value(query, "organization_id"),
            assistant_id=params.filter_value(query, "assistant_id"),
            workflow_id=params.filter_value(query, "workflow_id"),
            is_pinned=params.boolean(query, "is_pinned", None),
            visible_in_ui=params.boolean(query, "visible_in_ui", default("visible_in_ui", True)),
            include_deleted=bool(params.boolean(query, "include_deleted", False)),
            include_total=bool(params.boolean(query, "include_total", False)),
        )
    except Invalid as problem:
        return vendor.invalid(problem)
    return ctx.hooks.args(args)


def filters(tenant: int, args: Args) -> Where:
    where = Where((eq("tenant", tenant),))
    for column, value in (
        ("organization_id", args.organization_id),
        ("assistant_id", args.assistant_id),
        ("workflow_id", args.workflow_id),
    ):
        if value is not None:
            where = where.and_(eq(column, value))
    if args.is_pinned is not None:
        where = where.and_(not_null("pinned_at") if args.is_pinned else is_null("pinned_at"))
    if args.visible_in_ui is not None:
        where = where.and_(eq("visible", int(args.visible_in_ui)))
    if not args.include_deleted:
        where = where.and_(is_null("deleted_at"))
    return where


async def list_threads(request: Request) -> Response:
    ctx = context(request)
    tenant, credential = authenticate(ctx, request)
    if tenant is None:
        return refuse(ctx, vendor.unauthenticated(credential))
    ctx.hooks.raw(request.query_params)
    args = parse(ctx, request.query_params)
    if isinstance(args, ErrorReply):
        return refuse(ctx, args)
    org = args.organization_id
    if org is not None and not ctx.hooks.member(org in ORGANIZATIONS[tenant]):
        return refuse(ctx, vendor.forbidden())
    where = ctx.hooks.where(filters(tenant, args))
    paging = args.paging
    found = vendor.fetch(ctx, where, paging, tenant, ID_PREFIX)
    if isinstance(found, ErrorReply):
        return refuse(ctx, found)
    rows, has_more = found
    total = ctx.store.count(ctx.hooks.count_where(where)) if args.include_total else None
    data = [ctx.hooks.item(thread(row), row) for row in rows]
    body = {
        "object": "list",
        "data": data,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
        "has_more": has_more,
        "limit": paging.limit,
        "total": total,
    }
    return respond(ctx, body, PageInfo(paging.limit, len(rows), total, params=request.query_params))


def thread(row: ThreadRow) -> dict[str, Any]:
    t = row.thread
    return {
        "id": ID_PREFIX + t.id,
        "object": "thread",
        "created_at": iso(t.created_at),
        "updated_at": iso(t.updated_at),
        "last_message_at": iso(t.last_message_at),
        "metadata": dict(t.metadata),
        "assistant_id": t.assistant_id,
        "organization_id": t.organization_id,
        "user_id": t.owner,
        "title": t.title,
        "status": t.status,
        "message_count": t.message_count,
        "visible_in_ui": t.visible,
        "last_model_used": t.last_model,
        "is_pinned": t.pinned_at is not None,
        "pinned_at": iso(t.pinned_at),
        "space_ids": list(t.space_ids),
    }


ROUTES = [Route(PATH, list_threads, methods=["GET"])]
