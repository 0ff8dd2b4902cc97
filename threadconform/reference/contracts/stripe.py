"""stripe (opt-in): GET /v1/conversations — Stripe-style cursors, written from Stripe's
documented list pagination (https://docs.stripe.com/api/pagination) and error shape
(https://docs.stripe.com/api/errors), applied to conversations.

`starting_after=X` returns what follows X, `ending_before=X` the page just before X (still
newest first); `has_more` says whether more objects lie beyond the page in its direction
of travel. Newest `created` first, ties broken by id descending. A cursor naming no
conversation of the caller's account (unknown, malformed, another account's) is 400
`invalid_request_error` / `resource_missing` naming the parameter. Both cursors together
(the docs call them mutually exclusive) return the conversations strictly between them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from threadconform.reference import errors, params
from threadconform.reference.contracts.common import Context, authenticate, context, refuse, respond
from threadconform.reference.errors import ErrorReply
from threadconform.reference.hooks import PageInfo
from threadconform.reference.params import Invalid, Range
from threadconform.reference.store import (
    Bound,
    Key,
    KeysetQuery,
    Order,
    ThreadRow,
    Where,
    eq,
    is_null,
)

__all__ = [
    "ID_PREFIX",
    "PATH",
    "ROUTES",
    "Args",
    "conversation",
    "internal_error",
    "list_conversations",
    "parse",
    "resolve",
    "unauthenticated",
]

PATH = "/v1/conversations"
ID_PREFIX = "conv_"
_HEX_ID = re.compile(r"[0-9a-f]{32}")


def _error(
    status: int,
    kind: errors.Kind,
    message: str,
    type_: str,
    code: str | None,
    param: str | None = None,
) -> ErrorReply:
    body: dict[str, Any] = {"type": type_, "message": message}
    if code is not None:
        body["code"] = code
    if param is not None:
        body["param"] = param
    return ErrorReply(status, {"error": body}, kind)


def internal_error() -> ErrorReply:
    return _error(500, "server", "An unknown error occurred", "api_error", None)


def unauthenticated(credential: str | None) -> ErrorReply:
    if credential is None:
        message = "You did not provide an API key."
    else:
        message = "Invalid API Key provided."
    return _error(401, "auth", message, "invalid_request_error", "api_key_invalid")


@dataclass(frozen=True)
class Args:
    limit: int
    starting_after: str | None
    ending_before: str | None


def parse(ctx: Context, query: Any) -> Args | ErrorReply:
    hooks = ctx.hooks
    try:
        limit = params.integer(
            query, "limit", hooks.default("limit", 10), hooks.bounds("limit", Range(1, 100))
        )
        args = Args(
            limit,
            params.filter_value(query, "starting_after"),
            params.filter_value(query, "ending_before"),
        )
    except Invalid as problem:
        message = f"Invalid {problem.param}: {problem.message}"
        return _error(
            400,
            "validation",
            message,
            "invalid_request_error",
            "parameter_invalid_integer",
            problem.param,
        )
    return hooks.args(args)


def resolve(ctx: Context, raw: str | None, param: str, tenant: int) -> Key | ErrorReply | None:
    if raw is None:
        return None
    hex_id = raw.removeprefix(ID_PREFIX)
    key = None
    if raw.startswith(ID_PREFIX) and _HEX_ID.fullmatch(hex_id):
        key = ctx.store.key_of(hex_id, tenant)
    if key is None:
        return _error(
            400,
            "validation",
            f"No such conversation: '{raw}'",
            "invalid_request_error",
            "resource_missing",
            param,
        )
    return key


async def list_conversations(request: Request) -> Response:
    ctx = context(request)
    tenant, credential = authenticate(ctx, request)
    if tenant is None:
        return refuse(ctx, unauthenticated(credential))
    ctx.hooks.raw(request.query_params)
    args = parse(ctx, request.query_params)
    if isinstance(args, ErrorReply):
        return refuse(ctx, args)
    after = resolve(ctx, args.starting_after, "starting_after", tenant)
    before = resolve(ctx, args.ending_before, "ending_before", tenant)
    for key in (after, before):
        if isinstance(key, ErrorReply):
            refusal = ctx.hooks.unknown_cursor(key)
            if refusal is not None:
                return refuse(ctx, refusal)
            return respond(
                ctx, _body([], False), PageInfo(args.limit, 0, None, params=request.query_params)
            )
    assert not isinstance(after, ErrorReply) and not isinstance(before, ErrorReply)
    where = ctx.hooks.where(Where((eq("tenant", tenant), is_null("deleted_at"))))
    bounds = []
    if after is not None:
        bounds.append(Bound(after, "<", source="after"))
    if before is not None:
        bounds.append(Bound(before, ">", source="before"))
    query = KeysetQuery(
        where,
        Order(descending=True),
        args.limit,
        tuple(bounds),
        from_end=before is not None and after is None,
    )
    rows, has_more = ctx.store.keyset_page(ctx.hooks.query(query))
    data = [ctx.hooks.item(conversation(row), row) for row in rows]
    page = PageInfo(args.limit, len(rows), None, params=request.query_params)
    return respond(ctx, _body(data, has_more), page)


def _body(data: list[dict[str, Any]], has_more: bool) -> dict[str, Any]:
    return {"object": "list", "url": PATH, "has_more": has_more, "data": data}


def conversation(row: ThreadRow) -> dict[str, Any]:
    t = row.thread
    return {
        "id": ID_PREFIX + t.id,
        "object": "conversation",
        "created": t.created_at,
        "title": t.title,
        "status": t.status,
        "message_count": t.message_count,
        "metadata": dict(t.metadata),
    }


ROUTES = [Route(PATH, list_conversations, methods=["GET"])]
