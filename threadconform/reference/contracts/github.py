"""github (opt-in): GET /notifications — page numbers followed through RFC 8288 `Link`
headers (style link-header).

Written from GitHub's notifications reference
(https://docs.github.com/en/rest/activity/notifications: "Notifications are returned as
threads", "sorted by most recently updated"; `all` "If true, show notifications marked as
read", `participating` "If true, only shows notifications in which the user is directly
participating or mentioned", `per_page` "(max 50)" default 50, `page` default 1) and its
pagination guide (https://docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api:
the `link` header's `rel="next"`, absent on the last page).

The body is a bare JSON array. A thread is unread when it is visible in the data set and
the user participates when it has an end user; `updated_at` is the data set's creation
time. Links are absolute URLs on the request's own origin, carrying every query parameter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from threadconform.reference import params
from threadconform.reference.contracts.common import Context, authenticate, context, iso, refuse
from threadconform.reference.errors import ErrorReply
from threadconform.reference.hooks import PageInfo
from threadconform.reference.params import Invalid, Range
from threadconform.reference.store import (
    OffsetQuery,
    Order,
    ThreadRow,
    Where,
    eq,
    is_null,
    not_null,
)

__all__ = [
    "DOCS",
    "PATH",
    "ROUTES",
    "Args",
    "filters",
    "github_error",
    "internal_error",
    "link_header",
    "list_notifications",
    "parse",
    "thread",
]

PATH = "/notifications"
DOCS = "https://docs.github.com/rest/activity/notifications"


def github_error(status: int, kind: Any, message: str) -> ErrorReply:
    return ErrorReply(status, {"message": message, "documentation_url": DOCS}, kind)


def internal_error() -> ErrorReply:
    return github_error(500, "server", "Server Error")


@dataclass(frozen=True)
class Args:
    per_page: int
    page: int
    all: bool
    participating: bool


def parse(ctx: Context, query: Any) -> Args | ErrorReply:
    hooks = ctx.hooks
    try:
        args = Args(
            params.integer(
                query, "per_page", hooks.default("per_page", 50),
                hooks.bounds("per_page", Range(1, 50)),
            ),
            params.integer(
                query, "page", hooks.default("page", 1), hooks.bounds("page", Range(1, None))
            ),
            bool(params.boolean(query, "all", hooks.default("all", False))),
            bool(params.boolean(query, "participating", False)),
        )  # fmt: skip
    except Invalid as problem:
        return github_error(
            422, "validation", f"Invalid value for {problem.param}: {problem.message}"
        )
    return hooks.args(args)


def filters(tenant: int, args: Args) -> Where:
    where = Where((eq("tenant", tenant), is_null("deleted_at")))
    if not args.all:
        where = where.and_(eq("visible", 1))
    if args.participating:
        where = where.and_(not_null("end_user"))
    return where


def link_header(request: Request, args: Args, total: int) -> str:
    """`<...page=N+1>; rel="next"` while threads remain, and `rel="last"`, on this origin."""
    last = max(1, -(-total // args.per_page))
    links = []
    if args.page < last:
        links.append(f'<{request.url.include_query_params(page=args.page + 1)}>; rel="next"')
    links.append(f'<{request.url.include_query_params(page=last)}>; rel="last"')
    return ", ".join(links)


async def list_notifications(request: Request) -> Response:
    ctx = context(request)
    tenant, _credential = authenticate(ctx, request)
    if tenant is None:
        return refuse(ctx, github_error(401, "auth", "Requires authentication"))
    ctx.hooks.raw(request.query_params)
    args = parse(ctx, ctx.hooks.reads(request.query_params))
    if isinstance(args, ErrorReply):
        return refuse(ctx, args)
    where = ctx.hooks.where(filters(tenant, args))
    offset = (args.page - 1) * args.per_page
    query = ctx.hooks.query(OffsetQuery(where, Order(descending=True), args.per_page, offset))
    rows = ctx.store.offset_page(query)
    total = ctx.store.count(ctx.hooks.count_where(where))
    base = str(request.base_url).rstrip("/")
    items = [ctx.hooks.item(thread(row, base), row) for row in rows]
    info = PageInfo(args.per_page, len(rows), total, page=args.page, params=request.query_params)
    shaped = ctx.hooks.body({"items": items, "link": link_header(request, args, total)}, info)
    if isinstance(shaped, ErrorReply):
        return refuse(ctx, shaped)
    headers = {"Link": shaped["link"]} if shaped.get("link") else {}
    return JSONResponse(shaped["items"], headers=headers)


def thread(row: ThreadRow, base: str) -> dict[str, Any]:
    t = row.thread
    ident = str(int(t.id[:12], 16))
    return {
        "id": ident,
        "unread": t.visible,
        "reason": "mention" if t.end_user else "subscribed",
        "updated_at": iso(t.created_at),
        "last_read_at": None,
        "subject": {"title": t.title, "type": "Issue"},
        "url": f"{base}{PATH}/threads/{ident}",
    }


ROUTES = [Route(PATH, list_notifications, methods=["GET"])]
