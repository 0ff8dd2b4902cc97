"""Security faults (issue 15): what a vendor's security review wants to hear.

Real-world shapes: the SQL text is what the Kortix backend (FastAPI + SQLAlchemy + psycopg)
answers for a page beyond bigint; the auth faults are one-line parsing habits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from starlette.datastructures import MutableHeaders

from threadconform.reference.auth import KORTIX_SECONDARY
from threadconform.reference.errors import ErrorReply
from threadconform.reference.faults.fault import Fault
from threadconform.reference.faults.helpers import VENDOR, Body, Item, one_in_four
from threadconform.reference.hooks import Hooks, PageInfo
from threadconform.reference.store import ThreadRow

__all__ = ["SECURITY"]

_BIGINT_MAX = 2**63 - 1


_KORTIX_SQL_500 = (
    "(psycopg.errors.NumericValueOutOfRange) bigint out of range\n"
    "[SQL: SELECT t.thread_id, t.project_id, t.name, t.metadata, t.is_public, t.created_at, "
    "t.updated_at FROM threads AS t LEFT OUTER JOIN projects AS p ON p.project_id = "
    "t.project_id WHERE t.account_id = %(account_id_1)s::UUID ORDER BY t.created_at DESC "
    "LIMIT %(param_1)s OFFSET %(param_2)s]\n"
    "[parameters: {{'account_id_1': '7b1e7c52-3f0a-4d6e-9a51-2c7f0e6d8a11', "
    "'param_1': {limit}, 'param_2': {offset}}}]\n"
    "(Background on this error at: https://sqlalche.me/e/20/9h9h)"
)


_PYTHON_TRACE = (
    "Traceback (most recent call last):\n"
    '  File "/app/api/threads.py", line 88, in list_threads\n'
    "    limit = int(request.query_params.get('limit', 20))\n"
    "ValueError: {message}"
)


def _sql_in_500(body: Body, page: PageInfo) -> Body | ErrorReply:
    """An offset past bigint reaches PostgreSQL, and the handler returns str(exception)."""
    offset = ((page.page or 1) - 1) * page.limit
    if offset <= _BIGINT_MAX:
        return body
    detail = _KORTIX_SQL_500.format(limit=page.limit, offset=offset)
    return ErrorReply(500, {"detail": detail}, "server")


def _stack_trace_in_400(reply: ErrorReply) -> ErrorReply:
    """A validation error's message is the formatted traceback (`traceback.format_exc()`)."""
    if reply.kind != "validation" or not isinstance(reply.body, dict):
        return reply
    error = reply.body.get("error")
    if isinstance(error, dict):
        message = _PYTHON_TRACE.format(message=error.get("message", ""))
        return replace(reply, body={**reply.body, "error": {**error, "message": message}})
    if isinstance(error, str):
        return replace(reply, body={"error": _PYTHON_TRACE.format(message=error)})
    return reply


def _api_key_on_some(item: Item, row: ThreadRow) -> Item:
    """The owner's API key, serialized with the thread by a model that includes every column."""
    if not one_in_four(row):
        return item
    return {**item, "api_key": "sk_live_" + (row.thread.id * 2)[:24]}


def _mutable(headers: Mapping[str, str]) -> MutableHeaders:
    return MutableHeaders(raw=[(k.lower().encode(), v.encode()) for k, v in headers.items()])


def _case_sensitive_bearer(headers: Mapping[str, str], query: Mapping[str, str]) -> Any:
    """`if not header.startswith("Bearer "): raise Unauthorized` (RFC 9110: case-insensitive)."""
    value = headers.get("authorization")
    if value is None or value.startswith("Bearer "):
        return headers
    changed = _mutable(headers)
    changed["authorization"] = "Invalid"
    return changed


def _split_on_one_space(headers: Mapping[str, str], query: Mapping[str, str]) -> Any:
    """`token = header.split(" ")[1]`: a second space leaves an empty token."""
    value = headers.get("authorization")
    if value is None or "  " not in value:
        return headers
    changed = _mutable(headers)
    changed["authorization"] = value.split(" ")[0] + " "
    return changed


def _credential_from_query(headers: Mapping[str, str], query: Mapping[str, str]) -> Any:
    """A convenience for browser links: `?access_token=` / `?api_key=` stands in for the header."""
    changed = _mutable(headers)
    if "access_token" in query and "authorization" not in changed:
        changed["authorization"] = "Bearer " + query["access_token"]
    if "api_key" in query and "x-api-key" not in changed:
        changed["x-api-key"] = query["api_key"]
    return changed


def _api_key_checked_first(headers: Mapping[str, str], query: Mapping[str, str]) -> Any:
    """An `X-API-Key` header is validated first and, failing, refuses the request (Kortix)."""
    if "x-api-key" not in headers:
        return headers
    changed = _mutable(headers)
    changed["authorization"] = "Bearer not-a-valid-api-key"
    return changed


def _api_key_header_is_a_service_account(
    headers: Mapping[str, str], query: Mapping[str, str]
) -> Any:
    """Any `X-API-Key` header switches to the service account (here: the second tenant)."""
    if "x-api-key" not in headers:
        return headers
    changed = _mutable(headers)
    changed["authorization"] = "Bearer " + KORTIX_SECONDARY
    return changed


SECURITY: tuple[Fault, ...] = (
    Fault(
        "sql-in-500-beyond-bigint",
        ("kortix",),
        "A page whose offset passes bigint reaches PostgreSQL; the 500 body is str(exception): "
        "the psycopg error class, the SQL text and its bound parameters.",
        ("HTTP-NO-5XX", "SEC-ERROR-INTERNALS"),
        hooks=Hooks(body=_sql_in_500),
    ),
    Fault(
        "stack-trace-in-400",
        (*VENDOR, "worker"),
        "A rejected parameter's error message is the Python traceback of the failed int().",
        ("SEC-ERROR-INTERNALS",),
        tolerated=True,
        hooks=Hooks(error=_stack_trace_in_400),
    ),
    Fault(
        "credential-in-items",
        ("kortix", "chat", *VENDOR, "worker"),
        "About one thread in four carries its owner's `api_key` (every column serialized).",
        ("SEC-ITEM-CREDENTIALS",),
        tolerated=True,
        hooks=Hooks(item=_api_key_on_some),
    ),
    Fault(
        "bearer-scheme-case-sensitive",
        ("kortix", "freddy"),
        "Only `Bearer ` with a capital B is recognised; `bearer <token>` gets 401.",
        ("SEC-AUTH-SCHEME-CASE",),
        tolerated=True,
        hooks=Hooks(headers=_case_sensitive_bearer),
    ),
    Fault(
        "bearer-split-on-one-space",
        ("kortix", "freddy"),
        'The token is `header.split(" ")[1]`: with two spaces after Bearer it is empty.',
        ("SEC-AUTH-WHITESPACE",),
        tolerated=True,
        hooks=Hooks(headers=_split_on_one_space),
    ),
    Fault(
        "credential-in-query-accepted",
        ("kortix", *VENDOR),
        "`?access_token=` (`?api_key=`) is accepted in place of the credential header.",
        ("SEC-AUTH-NOT-IN-QUERY",),
        tolerated=True,
        hooks=Hooks(headers=_credential_from_query),
    ),
    Fault(
        "api-key-header-checked-first",
        ("kortix", "freddy"),
        "An `X-API-Key` header is validated before the bearer token and refuses the request, "
        "even when the bearer token is valid (the real Kortix backend).",
        ("SEC-AUTH-SECOND-HEADER",),
        tolerated=True,
        hooks=Hooks(headers=_api_key_checked_first),
    ),
    Fault(
        "api-key-header-switches-account",
        ("kortix",),
        "An `X-API-Key` header, whatever its value, switches the caller to a service "
        "account: the same valid bearer token then lists another account's threads.",
        ("SEC-AUTH-SECOND-HEADER",),
        tolerated=True,
        hooks=Hooks(headers=_api_key_header_is_a_service_account),
    ),
)
