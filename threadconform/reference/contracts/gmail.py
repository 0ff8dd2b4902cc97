"""gmail (opt-in): GET /gmail/v1/users/me/threads — opaque page tokens (style token).

Written from Gmail's users.threads.list reference
(https://developers.google.com/gmail/api/reference/rest/v1/users.threads/list):
`maxResults` (default 100, at most 500), `pageToken`, `labelIds` ("only return threads
with labels that match all of the specified label IDs"), `includeSpamTrash`; the body is
`{threads: [{id, snippet, historyId}], nextPageToken, resultSizeEstimate}` and the last
page carries no `nextPageToken` (Google AIP-158). Errors use Google's envelope
`{"error": {code, message, status}}`.

The token is the position of the page's last thread, base64url-encoded; a token that does
not decode to a position gets 400 INVALID_ARGUMENT. Labels are derived from the data set:
INBOX (visible), STARRED (pinned), UNREAD (unread status); a soft-deleted thread is in
TRASH, listed only with `includeSpamTrash=true`.
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
    refuse,
    respond,
)
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
    not_null,
)

__all__ = [
    "LABELS",
    "PATH",
    "ROUTES",
    "Args",
    "decode",
    "encode",
    "filters",
    "google_error",
    "internal_error",
    "invalid",
    "list_threads",
    "parse",
    "thread",
    "unauthenticated",
]

PATH = "/gmail/v1/users/me/threads"
_POSITION = re.compile(r"(-?[0-9]{1,12}):([0-9a-f]{32})(?::[0-9a-f]{0,16})?")
LABELS = ("INBOX", "STARRED", "UNREAD", "TRASH")


def google_error(status: int, kind: errors.Kind, message: str, state: str) -> ErrorReply:
    return ErrorReply(
        status, {"error": {"code": status, "message": message, "status": state}}, kind
    )


def internal_error() -> ErrorReply:
    return google_error(500, "server", "Internal error encountered.", "INTERNAL")


def unauthenticated() -> ErrorReply:
    message = "Request is missing required authentication credential."
    return google_error(401, "auth", message, "UNAUTHENTICATED")


def invalid(message: str) -> ErrorReply:
    return google_error(400, "validation", message, "INVALID_ARGUMENT")


def encode(key: Key, nonce: str = "") -> str:
    """The token of a position (a nonce, when given, makes equal positions differ)."""
    raw = f"{key[0]}:{key[1]}{':' + nonce if nonce else ''}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(token: str) -> Key | None:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    match = _POSITION.fullmatch(text)
    return (int(match.group(1)), match.group(2)) if match else None


@dataclass(frozen=True)
class Args:
    limit: int
    token: str | None
    labels: tuple[str, ...]
    include_spam_trash: bool


def parse(ctx: Context, request: Request) -> Args | ErrorReply:
    query = request.query_params
    hooks = ctx.hooks
    labels = tuple(query.getlist("labelIds"))
    unknown = [label for label in labels if label not in LABELS]
    if unknown:
        return invalid(f"Invalid label: {unknown[0]}")
    try:
        args = Args(
            params.integer(
                query, "maxResults", hooks.default("maxResults", 100),
                hooks.bounds("maxResults", Range(1, 500)),
            ),
            params.filter_value(query, "pageToken"),
            labels,
            bool(params.boolean(query, "includeSpamTrash", False)),
        )  # fmt: skip
    except Invalid as problem:
        return invalid(f"Invalid value for {problem.param}: {problem.message}")
    return hooks.args(args)


def filters(tenant: int, args: Args) -> Where:
    where = Where((eq("tenant", tenant),))
    if not args.include_spam_trash:
        where = where.and_(is_null("deleted_at"))
    for label in args.labels:
        if label == "INBOX":
            where = where.and_(eq("visible", 1))
        elif label == "STARRED":
            where = where.and_(not_null("pinned_at"))
        elif label == "UNREAD":
            where = where.and_(eq("status", "active"))
        else:
            where = where.and_(not_null("deleted_at"))
    return where


async def list_threads(request: Request) -> Response:
    ctx = context(request)
    tenant, _credential = authenticate(ctx, request)
    if tenant is None:
        return refuse(ctx, unauthenticated())
    ctx.hooks.raw(request.query_params)
    args = parse(ctx, request)
    if isinstance(args, ErrorReply):
        return refuse(ctx, args)
    bounds: tuple[Bound, ...] = ()
    if args.token is not None:
        key = decode(args.token)
        if key is None:
            return refuse(ctx, invalid("Invalid pageToken"))
        bounds = (Bound(key, "<", source="after"),)
    where = ctx.hooks.where(filters(tenant, args))
    query = ctx.hooks.query(KeysetQuery(where, Order(descending=True), args.limit, bounds))
    rows, more = ctx.store.keyset_page(query)
    body: dict[str, Any] = {
        "threads": [ctx.hooks.item(thread(row), row) for row in rows],
        "resultSizeEstimate": ctx.store.count(ctx.hooks.count_where(where)),
    }
    if more and rows:
        body["nextPageToken"] = encode((rows[-1].thread.created_at, rows[-1].thread.id))
    page = PageInfo(args.limit, len(rows), None, params=request.query_params)
    return respond(ctx, body, page)


def thread(row: ThreadRow) -> dict[str, Any]:
    t = row.thread
    return {"id": t.id[:16], "snippet": t.title, "historyId": str(t.updated_at)}


ROUTES = [Route(PATH, list_threads, methods=["GET"])]
