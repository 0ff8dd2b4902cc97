"""What aitronos and freddy share (one vendor): cursor paging, parameters and errors.

Cursor meaning (docs/contracts.md#aitronos, the documented workflow wins over the prose):
`after=X` returns the threads that follow X in the requested order, `before=X` the ones
just before X in that order (the previous page), still presented in the requested order;
X itself never. Both together return the threads strictly between them, walking forward
from `after`. `has_more` says whether more threads follow the page in its direction of
travel (towards the end for `after`/no cursor, towards the start for `before` alone).

Choices where the seeds are silent: an id that is malformed, unknown, or another tenant's is
400 `invalid_cursor` (param after/before); an empty value counts as absent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from threadconform.reference import errors, params
from threadconform.reference.contracts.common import Context
from threadconform.reference.errors import ErrorReply
from threadconform.reference.params import Invalid, Range
from threadconform.reference.store import Bound, Key, KeysetQuery, Op, Order, ThreadRow, Where

__all__ = [
    "Paging",
    "fetch",
    "forbidden",
    "internal_error",
    "invalid",
    "keyset_query",
    "parse_paging",
    "resolve",
    "unauthenticated",
]

_HEX_ID = re.compile(r"[0-9a-f]{32}")
_MESSAGES = {
    "limit": "Invalid limit parameter: must be an integer between 1 and 100",
    "order": "Invalid order parameter: must be 'asc' or 'desc'",
}
_CODES = {"limit": "invalid_limit", "order": "invalid_order"}


@dataclass(frozen=True)
class Paging:
    limit: int
    descending: bool
    after: str | None
    before: str | None


def parse_paging(ctx: Context, query: Mapping[str, str]) -> Paging:
    """limit (1..100, default 20), order (asc|desc, default desc), after, before."""
    hooks = ctx.hooks
    limit = params.integer(
        query, "limit", hooks.default("limit", 20), hooks.bounds("limit", Range(1, 100))
    )
    order = params.choice(query, "order", ("asc", "desc"), hooks.default("order", "desc"))
    after = params.filter_value(query, "after")
    before = params.filter_value(query, "before")
    return Paging(limit, order == "desc", after, before)


def invalid(problem: Invalid) -> ErrorReply:
    """A 400 `invalid_request_error` naming the parameter, with a code that fits it."""
    if problem.kind == "bool_parsing":
        message = f"Invalid {problem.param} parameter: must be true or false"
        return errors.vendor(
            400, "validation", message, "invalid_request_error", "invalid_boolean", problem.param
        )
    message = _MESSAGES.get(problem.param, problem.message)
    code = _CODES.get(problem.param, "invalid_parameter")
    return errors.vendor(400, "validation", message, "invalid_request_error", code, problem.param)


def unauthenticated(credential: str | None) -> ErrorReply:
    if credential is None:
        return errors.vendor(
            401, "auth", "Authentication required", "authentication_error", "missing_authentication"
        )
    return errors.vendor(401, "auth", "Invalid API key", "authentication_error", "invalid_api_key")


def forbidden() -> ErrorReply:
    return errors.vendor(
        403,
        "forbidden",
        "Access denied to organization threads",
        "permission_error",
        "insufficient_permissions",
    )


def internal_error() -> ErrorReply:
    return errors.vendor(500, "server", "Internal server error", "server_error", "internal_error")


def resolve(
    ctx: Context, raw: str | None, param: str, prefix: str, tenant: int | None
) -> Key | ErrorReply | None:
    """The position a cursor names; None when absent; the 400 when it names no thread."""
    if raw is None:
        return None
    hex_id = raw.removeprefix(prefix)
    key = None
    if raw.startswith(prefix) and _HEX_ID.fullmatch(hex_id):
        key = ctx.store.key_of(hex_id, tenant)
    if key is None:
        message = f"Invalid {param} cursor: no thread with id '{raw}'"
        return errors.vendor(
            400, "validation", message, "invalid_request_error", "invalid_cursor", param
        )
    return key


def keyset_query(
    where: Where, paging: Paging, after: Key | None, before: Key | None
) -> KeysetQuery:
    forward: Op = "<" if paging.descending else ">"
    backward: Op = ">" if paging.descending else "<"
    bounds = []
    if after is not None:
        bounds.append(Bound(after, forward, source="after"))
    if before is not None:
        bounds.append(Bound(before, backward, source="before"))
    return KeysetQuery(
        where,
        Order(descending=paging.descending),
        paging.limit,
        tuple(bounds),
        from_end=before is not None and after is None,
    )


def fetch(
    ctx: Context, where: Where, paging: Paging, tenant: int, prefix: str
) -> tuple[list[ThreadRow], bool] | ErrorReply:
    """The page and its has-more flag, or the 400 for a cursor that names no thread."""
    # Cursors are looked up within the tenant the listing is scoped to.
    scope = tenant if where.has("tenant") else None
    after = resolve(ctx, paging.after, "after", prefix, scope)
    before = resolve(ctx, paging.before, "before", prefix, scope)
    for key in (after, before):
        if isinstance(key, ErrorReply):
            refusal = ctx.hooks.unknown_cursor(key)
            return ([], False) if refusal is None else refusal
    assert not isinstance(after, ErrorReply) and not isinstance(before, ErrorReply)
    query = ctx.hooks.query(keyset_query(where, paging, after, before))
    return ctx.store.keyset_page(query)
