"""graph (opt-in): GET /v1.0/me/chats — Microsoft Graph "List chats", paged by following
`@odata.nextLink`, a URL in the body (style next-link).

Written from Graph's reference (https://learn.microsoft.com/en-us/graph/api/chat-list:
"Retrieve the list of chats that the user is part of"; `$top` "Controls the number of
items per response. Maximum allowed $top value is 50"; `$filter` "Filters results"; "if
the result set spans multiple pages ... the response object contains an @odata.nextLink
property that contains a URL to the next page") and its paging guide
(https://learn.microsoft.com/en-us/graph/paging: keep requesting the nextLink URL "until
the @odata.nextLink property is no longer returned"; the link is opaque).

The body is `{"@odata.context", "value": [chat...], "@odata.nextLink"?}`. The link is an
absolute URL on the request's own origin and path carrying every query parameter plus an
opaque `$skiptoken` (the base64url offset of the next page). A chat with an end user is
`oneOnOne`, any other `group`; `$filter` takes `chatType eq '<type>'` for those two.
"""

from __future__ import annotations

import base64
import binascii
import re
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
    iso,
    refuse,
    respond,
)
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
    "CHAT_TYPES",
    "PATH",
    "ROUTES",
    "SKIP",
    "Args",
    "bad_request",
    "chat",
    "decode",
    "encode",
    "filters",
    "graph_error",
    "internal_error",
    "list_chats",
    "parse",
]

PATH = "/v1.0/me/chats"
SKIP = "$skiptoken"
CHAT_TYPES = ("oneOnOne", "group")
_FILTER = re.compile(r"chatType eq '([A-Za-z]+)'")
_SKIP = re.compile(r"skip:([0-9]{1,9})")


def graph_error(status: int, kind: errors.Kind, code: str, message: str) -> ErrorReply:
    return ErrorReply(status, {"error": {"code": code, "message": message}}, kind)


def internal_error() -> ErrorReply:
    return graph_error(500, "server", "InternalServerError", "An internal error occurred.")


def bad_request(message: str) -> ErrorReply:
    return graph_error(400, "validation", "BadRequest", message)


def encode(offset: int) -> str:
    return base64.urlsafe_b64encode(f"skip:{offset}".encode()).decode().rstrip("=")


def decode(token: str) -> int | None:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    match = _SKIP.fullmatch(text)
    return int(match.group(1)) if match else None


@dataclass(frozen=True)
class Args:
    top: int
    skip: int
    chat_type: str | None


def parse(ctx: Context, query: Any) -> Args | ErrorReply:
    hooks = ctx.hooks
    expression = query.get("$filter")
    match = _FILTER.fullmatch(expression) if expression is not None else None
    if expression is not None and (match is None or match.group(1) not in CHAT_TYPES):
        return bad_request(f"Invalid filter clause: {expression}")
    token = query.get(SKIP)
    skip = decode(token) if token is not None else 0
    if skip is None:
        return bad_request("Invalid $skiptoken.")
    try:
        top = params.integer(
            query, "$top", hooks.default("$top", 50), hooks.bounds("$top", Range(1, 50))
        )
    except Invalid as problem:
        return bad_request(f"Invalid value for {problem.param}: {problem.message}")
    return hooks.args(Args(top, skip, match.group(1) if match else None))


def filters(tenant: int, args: Args) -> Where:
    where = Where((eq("tenant", tenant), is_null("deleted_at")))
    if args.chat_type == "oneOnOne":
        where = where.and_(not_null("end_user"))
    elif args.chat_type == "group":
        where = where.and_(is_null("end_user"))
    return where


async def list_chats(request: Request) -> Response:
    ctx = context(request)
    tenant, _credential = authenticate(ctx, request)
    if tenant is None:
        reply = graph_error(401, "auth", "InvalidAuthenticationToken", "Access token is empty.")
        return refuse(ctx, reply)
    ctx.hooks.raw(request.query_params)
    args = parse(ctx, ctx.hooks.reads(request.query_params))
    if isinstance(args, ErrorReply):
        return refuse(ctx, args)
    where = ctx.hooks.where(filters(tenant, args))
    query = ctx.hooks.query(OffsetQuery(where, Order(descending=True), args.top, args.skip))
    rows = ctx.store.offset_page(query)
    total = ctx.store.count(ctx.hooks.count_where(where))
    # The service root as the client reached it (any path prefix included): `.../v1.0`.
    root = str(request.url.replace(query="")).removesuffix("/me/chats")
    body: dict[str, Any] = {
        "@odata.context": f"{root}/$metadata#chats",
        "value": [ctx.hooks.item(chat(row), row) for row in rows],
    }
    if args.skip + args.top < total:
        after = {SKIP: encode(args.skip + args.top)}
        body["@odata.nextLink"] = str(request.url.include_query_params(**after))
    page = PageInfo(args.top, len(rows), total, params=request.query_params)
    return respond(ctx, body, page)


def chat(row: ThreadRow) -> dict[str, Any]:
    t = row.thread
    return {
        "id": f"19:{t.id}@thread.v2",
        "topic": t.title if not t.end_user else None,
        "createdDateTime": iso(t.created_at),
        "lastUpdatedDateTime": iso(t.updated_at),
        "chatType": "oneOnOne" if t.end_user else "group",
        "tenantId": f"{t.tenant:08d}-0000-4000-8000-000000000000",
    }


ROUTES = [Route(PATH, list_chats, methods=["GET"])]
