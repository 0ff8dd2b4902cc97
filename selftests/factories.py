"""Hand-made contracts, records and fake servers for the self-tests.

One `Pagination` per style, each mirroring a contract of docs/contracts.md (page like kortix,
offset like worker, cursor like aitronos, first-n like chat), built directly from
`threadconform.model` so these tests do not depend on the spec loader.

The fake servers are written out by hand per style with literal field names: they must
not read `x-pagination`, or a walker bug and a server bug could cancel out.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from threadconform.client import Client
from threadconform.exchange import Request
from threadconform.model import (
    Auth,
    Bounded,
    ConstField,
    Contract,
    Cursor,
    FieldsAgree,
    Filter,
    ItemRules,
    Limit,
    Order,
    Pagination,
    ResponseFields,
)
from threadconform.walk import Item, Meta, Page, Stop, Walk

BASE = "http://127.0.0.1:8000"
Handler = Callable[[httpx.Request], httpx.Response]

# -- contracts -----------------------------------------------------------------------------


def page_pagination() -> Pagination:
    """Like kortix: page + limit, `pagination.{page,limit,total,pages}`, created_at desc."""
    return Pagination(
        style="page",
        limit=Limit("limit", default=100, minimum=1, maximum=1000),
        page=Bounded("page", default=1, minimum=1),
        response=ResponseFields(
            items="threads",
            id="thread_id",
            total="pagination.total",
            pages="pagination.pages",
            page="pagination.page",
            limit="pagination.limit",
        ),
        order=Order("created_at", "date-time", "desc", documented=True),
        items=ItemRules(agree=(FieldsAgree("project_id", "project.project_id", "project"),)),
    )


def offset_pagination() -> Pagination:
    """Like worker: offset + limit, `total`/`hasMore`, unix-seconds, agent icon URL."""
    return Pagination(
        style="offset",
        limit=Limit("limit", 50, 1, 100, out_of_range="reject-or-clamp"),
        offset=Bounded("offset", default=0, minimum=0),
        response=ResponseFields(items="threads", id="id", total="total", has_more="hasMore"),
        order=Order("created_at", "unix-seconds", "desc", documented=False),
        filters=(
            Filter("agent_id", "exact", field="agent_id"),
            Filter("user_id", "exact", field="user_id"),
        ),
        items=ItemRules(unix_seconds=("created_at",), absolute_urls=("agent.icon",)),
    )


def cursor_pagination() -> Pagination:
    """Like aitronos: after/before cursors, order param, opt-in total, filters."""
    return Pagination(
        style="cursor",
        limit=Limit("limit", 20, 1, 100),
        cursor=Cursor("after", "before", unknown="error-or-empty"),
        response=ResponseFields(
            items="data",
            id="id",
            total="total",
            total_requires="include_total",
            has_more="has_more",
            first_id="first_id",
            last_id="last_id",
            limit="limit",
            object=ConstField("object", "list"),
            item_object=ConstField("object", "thread"),
        ),
        order=Order(
            "created_at", "date-time", "desc", True, "order", {"asc": "asc", "desc": "desc"}
        ),
        filters=(
            Filter("organization_id", "exact", field="organization_id", tenant=True),
            Filter("assistant_id", "exact", field="assistant_id"),
            Filter("workflow_id", "subset"),
            Filter("is_pinned", "exact", "boolean", field="is_pinned"),
            Filter("visible_in_ui", "exact", "boolean", field="visible_in_ui", default=True),
            Filter("include_deleted", "superset", "boolean"),
        ),
        volatile=("request_id",),
    )


def first_n_pagination() -> Pagination:
    """Like chat: limit only, `totalCount`, optional hasNext/totalPages/pageSize echoes."""
    return Pagination(
        style="first-n",
        limit=Limit("limit", 50, 1, 1000),
        response=ResponseFields(
            items="threads",
            id="threadId",
            total="totalCount",
            has_more="hasNext",
            pages="totalPages",
            page_size="pageSize",
        ),
        filters=(Filter("project_id", "exact", field="projectId", echo="projectId"),),
    )


PAGINATIONS: dict[str, Callable[[], Pagination]] = {
    "page": page_pagination,
    "offset": offset_pagination,
    "cursor": cursor_pagination,
    "first-n": first_n_pagination,
}


def contract(pagination: Pagination, name: str = "fake", auth: Auth | None = None) -> Contract:
    return Contract(
        name=name,
        path=Path(f"specs/{name}.yaml"),
        title=name,
        version="0",
        method="GET",
        endpoint="/threads",
        auth=auth,
        pagination=pagination,
        document={},
        response_schema={},
        parameters={},
    )


# -- records for the invariant tests -------------------------------------------------------


def request(params: Iterable[tuple[str, object]] = ()) -> Request:
    encoded = tuple((name, _text(value)) for name, value in params)
    return Request("GET", f"{BASE}/threads", encoded, (("Accept", "application/json"),))


def item(ident: str, key: float | str | None = None, fields: dict[str, Any] | None = None) -> Item:
    return Item(ident, key, tuple((fields or {}).items()))


def items(ids: Iterable[str], *, start: float = 1_700_000_000.0, step: float = -60.0) -> list[Item]:
    """Items with sort keys `start`, `start + step`, ... (descending by default)."""
    return [Item(ident, start + step * index) for index, ident in enumerate(ids)]


def page(
    content: Iterable[Item | str] = (),
    *,
    params: Iterable[tuple[str, object]] = (),
    status: int | None = 200,
    error: str | None = None,
    digest: str | None = None,
    **meta: Any,
) -> Page:
    records = tuple(i if isinstance(i, Item) else Item(i, None) for i in content)
    meta_record = Meta(**meta)
    if digest is None:
        digest = hashlib.sha256(repr((records, meta_record)).encode()).hexdigest()
    return Page(request(params), status, error, records, meta_record, digest)


def walk(
    pages: Iterable[Page],
    *,
    params: Iterable[tuple[str, object]] = (),
    stop: Stop = "end",
    note: str = "",
    direction: str | None = None,
    backward: bool = False,
) -> Walk:
    encoded = tuple((name, _text(value)) for name, value in params)
    return Walk(encoded, direction, tuple(pages), stop, note, backward)


def ids(count: int, prefix: str = "t") -> list[str]:
    return [f"{prefix}{index:04d}" for index in range(count)]


def chunks(seq: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [seq[start : start + size] for start in range(0, len(seq), size)]


def cursor_walk(records: Sequence[Item], limit: int, *, direction: str = "desc") -> Walk:
    """A correct aitronos-style forward walk over `records` (already in walk order)."""
    pages = []
    previous: Sequence[Item] = ()
    for chunk in chunks(records, limit) or [()]:
        params: list[tuple[str, object]] = [("limit", limit), ("order", direction)]
        if previous:
            params.append(("after", previous[-1].id))
        pages.append(
            page(
                chunk,
                params=params,
                has_more=chunk[-1] is not records[-1] if chunk else False,
                first_id=chunk[0].id if chunk else None,
                last_id=chunk[-1].id if chunk else None,
                limit=limit,
                object="list",
            )
        )
        previous = chunk
    base = [("limit", limit), ("order", direction)]
    return walk(pages, params=base, direction=direction)


def page_walk(records: Sequence[Item], limit: int) -> Walk:
    """A correct kortix-style walk: pages 1..pages, each echoing page/limit/total/pages."""
    total = len(records)
    pages_count = math.ceil(total / limit)
    pages = [
        page(
            chunk,
            params=[("limit", limit), ("page", number)],
            total=total,
            pages=pages_count,
            page=number,
            limit=limit,
        )
        for number, chunk in enumerate(chunks(records, limit), start=1)
    ]
    if not pages:  # an empty dataset: one empty page 1
        pages = [
            page((), params=[("limit", limit), ("page", 1)], total=0, pages=0, page=1, limit=limit)
        ]
    return walk(pages, params=[("limit", limit)], direction="desc")


def offset_walk(records: Sequence[Item], limit: int) -> Walk:
    """A correct worker-style walk: offsets 0, limit, 2*limit, ... with total/hasMore."""
    total = len(records)
    pages = [
        page(
            chunk,
            params=[("limit", limit), ("offset", offset)],
            total=total,
            has_more=offset + len(chunk) < total,
        )
        for offset, chunk in zip(range(0, total, limit), chunks(records, limit), strict=True)
    ]
    return walk(pages, params=[("limit", limit)], direction="desc")


def first_n_page(records: Sequence[Item], limit: int, total: int | None = None) -> Page:
    """A correct chat-style answer: the first `limit` of `records`."""
    total = len(records) if total is None else total
    return page(records[:limit], params=[("limit", limit)], total=total, has_more=total > limit)


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# -- fake servers for the walker and client tests ------------------------------------------

T0 = 1_700_000_000  # 2023-11-14, a plausible creation time


def iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def threads(count: int, style: str, *, padding: int = 0) -> list[dict[str, Any]]:
    """`count` threads, newest first, shaped like the contract that uses `style`.

    `padding` adds that many characters of junk per thread, to show walks keep none of it.
    """
    shape = _SHAPES[style]
    return [shape(i, T0 - 60 * i, "x" * padding) for i in range(count)]


def _page_thread(i: int, when: int, junk: str) -> dict[str, Any]:
    project = {"project_id": f"p{i % 3}", "name": "Project", "sandbox": None}
    return {
        "thread_id": f"th-{i:05d}",
        "project_id": f"p{i % 3}",
        "name": junk,
        "created_at": iso(when),
        "project": project,
    }


def _offset_thread(i: int, when: int, junk: str) -> dict[str, Any]:
    icon = "https://example.test/icons/a.svg"
    agent = {"title": "A", "type": "ai_human", "description": junk, "icon": icon}
    return {
        "id": f"w-{i:05d}",
        "agent_id": f"agent{i % 2}",
        "user_id": None,
        "tags": [],
        "created_at": when,
        "agent": agent,
    }


def _cursor_thread(i: int, when: int, junk: str) -> dict[str, Any]:
    return {
        "id": f"thrd_{i:05d}",
        "object": "thread",
        "created_at": iso(when),
        "organization_id": "org_1",
        "assistant_id": None,
        "is_pinned": i % 5 == 0,
        "visible_in_ui": True,
        "metadata": {"junk": junk},
    }


def _first_n_thread(i: int, when: int, junk: str) -> dict[str, Any]:
    return {
        "threadId": f"c-{i:05d}",
        "projectId": "proj",
        "title": junk,
        "createdAt": iso(when),
        "messageCount": 1,
    }


_SHAPES: dict[str, Callable[[int, int, str], dict[str, Any]]] = {
    "page": _page_thread,
    "offset": _offset_thread,
    "cursor": _cursor_thread,
    "first-n": _first_n_thread,
}


def json_response(body: Any, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json=body)


def _arg(request: httpx.Request, name: str, default: int) -> int:
    value = request.url.params.get(name)
    return default if value is None else int(value)


def page_server(
    data: Sequence[dict[str, Any]], *, endless: bool = False, fail_on: int | None = None
) -> Handler:
    """kortix-like. `endless`: every page is full of fresh made-up threads, forever.
    `fail_on`: that page number answers 500."""

    def handle(request: httpx.Request) -> httpx.Response:
        number, limit = _arg(request, "page", 1), _arg(request, "limit", 100)
        if number == fail_on:
            return json_response({"detail": "boom"}, 500)
        chunk = list(data[(number - 1) * limit : number * limit])
        total = len(data)
        if endless:
            chunk = threads(limit, "page")
            for index, thread in enumerate(chunk):
                thread["thread_id"] = f"made-{number}-{index}"
            total = number * limit + limit
        pagination = {
            "page": number,
            "limit": limit,
            "total": total,
            "pages": math.ceil(total / limit),
        }
        return json_response({"threads": chunk, "pagination": pagination})

    return handle


def offset_server(data: Sequence[dict[str, Any]], *, overlap: int = 0) -> Handler:
    """worker-like. `overlap`: each page starts that many items early (duplicates)."""

    def handle(request: httpx.Request) -> httpx.Response:
        offset, limit = _arg(request, "offset", 0), _arg(request, "limit", 50)
        start = max(0, offset - overlap) if offset else 0
        chunk = list(data[start : start + limit])
        total = len(data)
        body = {"threads": chunk, "total": total, "hasMore": offset + len(chunk) < total}
        return json_response(body)

    return handle


def cursor_server(data: Sequence[dict[str, Any]], *, loop: bool = False) -> Handler:
    """aitronos-like. `loop`: `after` is ignored, so every page is the first page.
    Every answer carries a fresh `request_id` (declared volatile by cursor_pagination)."""
    served = itertools.count(1)

    def handle(request: httpx.Request) -> httpx.Response:
        params = request.url.params
        limit = _arg(request, "limit", 20)
        ordered = list(data) if params.get("order", "desc") == "desc" else list(data)[::-1]
        ids = [thread["id"] for thread in ordered]
        start, end = 0, len(ordered)
        if "after" in params and not loop:
            if params["after"] not in ids:
                return _envelope(400, "invalid_cursor", "after")
            start = ids.index(params["after"]) + 1
        if "before" in params:
            if params["before"] not in ids:
                return _envelope(400, "invalid_cursor", "before")
            end = ids.index(params["before"])
            start = max(0, end - limit)
        chunk = ordered[start : min(end, start + limit)]
        return json_response(
            {
                "object": "list",
                "data": chunk,
                "first_id": chunk[0]["id"] if chunk else None,
                "last_id": chunk[-1]["id"] if chunk else None,
                "has_more": start + len(chunk) < end if "before" not in params else start > 0,
                "limit": limit,
                "total": None,
                "request_id": f"req-{next(served)}",
            }
        )

    return handle


def first_n_server(data: Sequence[dict[str, Any]]) -> Handler:
    def handle(request: httpx.Request) -> httpx.Response:
        limit = _arg(request, "limit", 50)
        body = {"threads": list(data[:limit]), "totalCount": len(data), "projectId": "proj"}
        return json_response(body)

    return handle


def _envelope(status: int, code: str, param: str) -> httpx.Response:
    error = {
        "message": f"bad {param}",
        "type": "invalid_request_error",
        "code": code,
        "param": param,
    }
    return json_response({"error": error}, status)


def counting(handler: Handler) -> tuple[Handler, list[httpx.Request]]:
    """`handler`, plus the list of the requests it has seen."""
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    return handle, seen


def mock_client(handler: Handler, **options: Any) -> Client:
    options.setdefault("auth", None)
    options.setdefault("credential", None)
    return Client(BASE, "/threads", transport=httpx.MockTransport(handler), **options)
