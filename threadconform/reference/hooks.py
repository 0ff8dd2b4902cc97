"""The points where a fault may change a reference server's behaviour.

Every handler consults one `Hooks` object at the same few places: authentication, the raw
query, parameter defaults and ranges, the parsed arguments, the SQL filter and query, the
cursor, each serialized item, the response body and error replies. Each hook is the identity
by default, so with no fault set the conforming path runs untouched. The catalogue of faults
built from these hooks is `faults.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from threadconform.reference.errors import ErrorReply
from threadconform.reference.params import Range
from threadconform.reference.store import ThreadRow, Where

__all__ = ["CONFORMING", "FaultCrash", "Hooks", "PageInfo", "T"]

T = TypeVar("T")


@dataclass(frozen=True)
class PageInfo:
    """What a body hook may need besides the body: the effective paging values."""

    limit: int
    count: int  # items on this page
    total: int | None  # the conforming total, when the handler computed one
    page: int | None = None  # page-style contracts
    offset: int | None = None  # offset-style contracts
    params: Mapping[str, str] | None = None  # the raw query


class FaultCrash(RuntimeError):
    """An exception a fault raises on purpose (logged quietly, answered with a 500)."""


def _same(value: T) -> T:
    return value


def _second(_name: Any, value: T) -> T:
    return value


def _tenant(tenant: int | None, _credential: str | None) -> int | None:
    return tenant


def _accept(_query: Mapping[str, str]) -> None:
    return None


def _scope(_headers: Mapping[str, str], where: Where) -> Where | ErrorReply:
    return where


def _headers(headers: Mapping[str, str], _query: Mapping[str, str]) -> Mapping[str, str]:
    return headers


def _item(item: dict[str, Any], _row: ThreadRow) -> dict[str, Any]:
    return item


def _body(body: dict[str, Any], _page: PageInfo) -> dict[str, Any] | ErrorReply:
    return body


@dataclass(frozen=True)
class Hooks:
    # (tenant the credential names or None, credential presented or None) -> tenant served
    auth: Callable[[int | None, str | None], int | None] = _tenant
    # (request headers, raw query) -> the headers the credential is read from
    headers: Callable[[Mapping[str, str], Mapping[str, str]], Mapping[str, str]] = _headers
    # Sees the raw query before validation; a fault may raise FaultCrash here.
    raw: Callable[[Mapping[str, str]], None] = _accept
    # The raw query as the handler parses it (a fault may read a value differently);
    # only the contracts whose faults need it consult it (github)
    reads: Callable[[Mapping[str, str]], Mapping[str, str]] = _same
    # (parameter, documented default) -> default applied
    default: Callable[[str, Any], Any] = _second
    # (parameter, documented range) -> range enforced
    bounds: Callable[[str, Range], Range] = _second
    # The contract's parsed-arguments dataclass -> the arguments used
    args: Callable[[Any], Any] = _same
    # Is the caller a member of the organization it filters on? -> answer used
    member: Callable[[bool], bool] = _same
    # The filter of both the listing and the count
    where: Callable[[Where], Where] = _same
    # (request headers, the listing's filter) -> the filter used, or an error reply: lets a
    # fault make a contract that documents no auth demand one and scope to the caller
    scope: Callable[[Mapping[str, str], Where], Where | ErrorReply] = _scope
    # The filter of the count only
    count_where: Callable[[Where], Where] = _same
    # The SQL-level query just before it runs
    query: Callable[[Any], Any] = _same
    # The 400 for a cursor naming no thread; None answers with an empty page instead
    unknown_cursor: Callable[[ErrorReply], ErrorReply | None] = _same
    # One serialized thread
    item: Callable[[dict[str, Any], ThreadRow], dict[str, Any]] = _item
    # The whole 2xx body; may turn the page into an error reply
    body: Callable[[dict[str, Any], PageInfo], dict[str, Any] | ErrorReply] = _body
    # Any error reply
    error: Callable[[ErrorReply], ErrorReply] = _same


CONFORMING = Hooks()
