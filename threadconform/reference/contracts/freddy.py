"""freddy: GET /v1/threads — cursor paging, camelCase, `Authorization: Bearer <key>`.

The same vendor as aitronos (see `vendor.py` for cursors and errors) with fewer parameters:
`limit`, `order`, `after`, `before`, `assistantId`, `visibleInUi`. `visibleInUi` has no
documented default, so without it hidden and visible threads are both listed. Soft-deleted
threads are never listed (there is no parameter to ask for them). Timestamps are Unix
seconds; the body has no `limit` or `total`.
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
    refuse,
    respond,
)
from threadconform.reference.errors import ErrorReply
from threadconform.reference.hooks import PageInfo
from threadconform.reference.params import Invalid
from threadconform.reference.store import ThreadRow, Where, eq, is_null

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
ID_PREFIX = "thread_"
internal_error = vendor.internal_error


@dataclass(frozen=True)
class Args:
    paging: vendor.Paging
    assistant_id: str | None
    visible_in_ui: bool | None


def parse(ctx: Context, query: Any) -> Args | ErrorReply:
    try:
        args = Args(
            paging=vendor.parse_paging(ctx, query),
            assistant_id=params.filter_value(query, "assistantId"),
            visible_in_ui=params.boolean(
                query, "visibleInUi", ctx.hooks.default("visibleInUi", None)
            ),
        )
    except Invalid as problem:
        return vendor.invalid(problem)
    return ctx.hooks.args(args)


def filters(tenant: int, args: Args) -> Where:
    where = Where((eq("tenant", tenant), is_null("deleted_at")))
    if args.assistant_id is not None:
        where = where.and_(eq("assistant_id", args.assistant_id))
    if args.visible_in_ui is not None:
        where = where.and_(eq("visible", int(args.visible_in_ui)))
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
    where = ctx.hooks.where(filters(tenant, args))
    paging = args.paging
    found = vendor.fetch(ctx, where, paging, tenant, ID_PREFIX)
    if isinstance(found, ErrorReply):
        return refuse(ctx, found)
    rows, has_more = found
    data = [ctx.hooks.item(thread(row), row) for row in rows]
    body = {
        "object": "list",
        "data": data,
        "firstId": data[0]["id"] if data else None,
        "lastId": data[-1]["id"] if data else None,
        "hasMore": has_more,
    }
    return respond(ctx, body, PageInfo(paging.limit, len(rows), None, params=request.query_params))


def thread(row: ThreadRow) -> dict[str, Any]:
    t = row.thread
    return {
        "id": ID_PREFIX + t.id,
        "object": "thread",
        "createdAt": t.created_at,
        "updatedAt": t.updated_at,
        "metadata": dict(t.metadata),
        "assistantId": t.assistant_id,
        "organizationId": t.organization_id,
        "userId": t.owner,
        "title": t.title,
        "visibleInUi": t.visible,
        "messageCount": t.message_count,
        "status": t.status,
    }


ROUTES = [Route(PATH, list_threads, methods=["GET"])]
