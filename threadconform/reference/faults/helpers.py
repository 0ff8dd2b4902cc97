"""The building blocks the fault definitions share: hook factories and ready hooks that more
than one contract's faults use, and the groups of contracts and rules their entries name.

A hook here changes one well-named point of the conforming handler (see `hooks.py`); the
definition modules combine them into `Fault`s.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any, Literal

from threadconform.reference import params
from threadconform.reference.errors import ErrorReply
from threadconform.reference.hooks import FaultCrash, PageInfo
from threadconform.reference.params import Range
from threadconform.reference.store import Bound, KeysetQuery, OffsetQuery, ThreadRow, Where

__all__ = [
    "AUTH",
    "AUTHENTICATED",
    "CRASH",
    "CURSOR",
    "REJECT",
    "VENDOR",
    "WALK",
    "Body",
    "BodyHook",
    "Item",
    "ItemHook",
    "add_fields",
    "change_body",
    "crash_unless_integer",
    "created_at_only",
    "cursor_bounds",
    "drop_on_some",
    "empty_page",
    "has_more_when_full",
    "inclusive",
    "no_maximum",
    "no_more_before",
    "one_based_offset",
    "one_in_four",
    "ordered",
    "pagination",
    "rewrite",
    "set_body",
    "status_for",
    "swap_first_last",
    "with_default",
    "without",
]

# The shapes hooks see: one serialized thread, a 2xx body, and hooks on them.
Item = dict[str, Any]
Body = dict[str, Any]
ItemHook = Callable[[Item, ThreadRow], Item]
BodyHook = Callable[[Body, PageInfo], Body | ErrorReply]


# --- groups of contracts and of rules the entries name ---------------------------------

VENDOR = ("aitronos", "freddy")
AUTHENTICATED = ("kortix", "aitronos", "freddy")
REJECT = ("PARAM-INVALID-REJECTED", "PARAM-ERROR-STATUS", "PARAM-ERROR-ENVELOPE")
CRASH = ("HTTP-NO-5XX", *REJECT)
AUTH = ("AUTH-REQUIRED", "AUTH-STATUS-401", "AUTH-ERROR-ENVELOPE")
WALK = ("PAGE-NO-DUPLICATES", "PAGE-NO-GAPS", "WALK-TERMINATES", "META-TOTAL")
# A cursor bug corrupts every walk, so every check that compares walks may trip over it.
CURSOR = (
    "CURSOR-AFTER", "CURSOR-AFTER-LAST", "CURSOR-BEFORE", "CURSOR-BEFORE-PREVIOUS-PAGE",
    "CURSOR-EXCLUSIVE", "META-HAS-MORE", "META-TOTAL-OPT-IN", "ORDER-SORTED", "ORDER-REVERSE",
    "FILTER-SUBSET", "FILTER-SUPERSET", "FILTER-TOTAL",
)  # fmt: skip


# --- item hooks -----------------------------------------------------------------------


def one_in_four(row: ThreadRow) -> bool:
    """About one thread in four, always the same ones."""
    return row.thread.id[0] in "0123"


def drop_on_some(*keys: str) -> ItemHook:
    def hook(item: Item, row: ThreadRow) -> Item:
        return {k: v for k, v in item.items() if k not in keys} if one_in_four(row) else item

    return hook


def rewrite(keys: tuple[str, ...], change: Callable[[Any], Any]) -> ItemHook:
    """Apply `change` to whichever of `keys` the item has."""

    def hook(item: Item, row: ThreadRow) -> Item:
        return {k: change(v) if k in keys else v for k, v in item.items()}

    return hook


def add_fields(**extra: Any) -> ItemHook:
    def hook(item: Item, row: ThreadRow) -> Item:
        return {**item, **extra}

    return hook


# --- body hooks -----------------------------------------------------------------------


def _names(body: Body) -> tuple[str, str, str]:
    """(first id, last id, has more) keys of a vendor or worker body."""
    if "has_more" in body:
        return "first_id", "last_id", "has_more"
    return "firstId", "lastId", "hasMore"


def has_more_when_full(body: Body, page: PageInfo) -> Body:
    return {**body, _names(body)[2]: page.count == page.limit}


def swap_first_last(body: Body, page: PageInfo) -> Body:
    first, last, _ = _names(body)
    return {**body, first: body[last], last: body[first]}


def no_more_before(body: Body, page: PageInfo) -> Body:
    query = page.params or {}
    if query.get("before") and not query.get("after"):
        return {**body, _names(body)[2]: False}
    return body


def pagination(change: Callable[[dict[str, Any], PageInfo], dict[str, Any]]) -> BodyHook:
    def hook(body: Body, page: PageInfo) -> Body:
        return {**body, "pagination": change(dict(body["pagination"]), page)}

    return hook


def set_body(**values: Any) -> BodyHook:
    def hook(body: Body, page: PageInfo) -> Body:
        return {**body, **values}

    return hook


def change_body(key: str, change: Callable[[Any], Any]) -> BodyHook:
    def hook(body: Body, page: PageInfo) -> Body:
        return {**body, key: change(body[key])}

    return hook


# --- request hooks --------------------------------------------------------------------


def crash_unless_integer(param: str) -> Callable[[Mapping[str, str]], None]:
    def hook(query: Mapping[str, str]) -> None:
        raw = query.get(param)
        if raw is not None and params.to_int(raw) is None:
            raise FaultCrash(f"invalid literal for int() with base 10: {raw!r}")

    return hook


def no_maximum(param: str) -> Callable[[str, Range], Range]:
    def hook(name: str, bounds: Range) -> Range:
        return replace(bounds, hi=None) if name == param else bounds

    return hook


def with_default(param: str, value: Any) -> Callable[[str, Any], Any]:
    def hook(name: str, documented: Any) -> Any:
        return value if name == param else documented

    return hook


# --- query hooks ----------------------------------------------------------------------


def without(*columns: str) -> Callable[[Where], Where]:
    def hook(where: Where) -> Where:
        return where.without(*columns)

    return hook


def ordered(
    descending: bool, key: Literal["created_at", "title"] = "created_at"
) -> Callable[[Any], Any]:
    def hook(query: OffsetQuery | KeysetQuery) -> OffsetQuery | KeysetQuery:
        return replace(query, order=replace(query.order, descending=descending, key=key))

    return hook


def one_based_offset(query: OffsetQuery) -> OffsetQuery:
    return replace(query, offset=query.offset + 1) if query.offset > 0 else query


def cursor_bounds(
    change: Callable[[Bound], Bound], *, from_end: bool | None = None
) -> Callable[[KeysetQuery], KeysetQuery]:
    def hook(query: KeysetQuery) -> KeysetQuery:
        moved = replace(query, bounds=tuple(change(b) for b in query.bounds))
        return moved if from_end is None else replace(moved, from_end=from_end)

    return hook


def inclusive(bound: Bound) -> Bound:
    return replace(bound, op=bound.op[0] + "=")  # type: ignore[arg-type]


def created_at_only(bound: Bound) -> Bound:
    return replace(bound, ties=False)


# --- error hooks ----------------------------------------------------------------------


def status_for(kind: str, status: int) -> Callable[[ErrorReply], ErrorReply]:
    def hook(reply: ErrorReply) -> ErrorReply:
        return replace(reply, status=status) if reply.kind == kind else reply

    return hook


def empty_page(reply: ErrorReply) -> None:
    return None
