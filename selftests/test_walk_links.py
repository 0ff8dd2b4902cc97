"""Walks over next links (a URL in the body, or an RFC 8288 Link header): relative and
absolute links are followed on the target's origin only; a link elsewhere halts the walk
(LINK-SAME-ORIGIN); a link that drops the filter or limit shows (LINK-KEEPS-PARAMS); a
link that loops or never ends is WALK-TERMINATES. Several data sizes each."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from threadconform import invariants as inv
from threadconform.model import Limit, Link, Pagination, ResponseFields
from threadconform.walk import header_link, walk

try:
    from selftests import factories as f
except ImportError:  # pragma: no cover
    import factories as f  # type: ignore[no-redef]

BODY = Pagination(
    "next-link", Limit("limit", 5, 1, 50), ResponseFields("value", "id"),
    link=Link(next="@odata\\.nextLink"),
)  # fmt: skip
HEADER = Pagination(
    "link-header", Limit("per_page", 5, 1, 50), ResponseFields("$", "id"), link=Link(rel="next")
)

Shape = Callable[[httpx.Request, int, int, dict[str, str]], str | None]


def absolute(request: httpx.Request, page: int, limit: int, query: dict[str, str]) -> str | None:
    return f"{f.BASE}/threads?{urlencode({**query, 'page': page + 1})}"


def relative(request: httpx.Request, page: int, limit: int, query: dict[str, str]) -> str | None:
    return f"/threads?{urlencode({**query, 'page': page + 1})}"


def elsewhere(request: httpx.Request, page: int, limit: int, query: dict[str, str]) -> str | None:
    return f"https://cdn.example.invalid/threads?{urlencode({**query, 'page': page + 1})}"


def drops_filter(request: httpx.Request, page: int, limit: int, query: dict[str, str]) -> str:
    kept = {k: v for k, v in query.items() if k != "status"}
    return f"/threads?{urlencode({**kept, 'page': page + 1})}"


def loops(request: httpx.Request, page: int, limit: int, query: dict[str, str]) -> str:
    return f"/threads?{urlencode({**query, 'page': 2})}"


def server(count: int, shape: Shape, *, header: bool, endless: bool = False) -> Any:
    data = [{"id": f"t{n:04d}", "status": "open" if n % 3 else "closed"} for n in range(count)]
    name = "per_page" if header else "limit"

    def handle(request: httpx.Request) -> httpx.Response:
        query = dict(request.url.params)
        limit = int(query.get(name, "5"))
        page = int(query.get("page", "1"))
        rows = [d for d in data if query.get("status") in (None, d["status"])]
        chunk = rows[(page - 1) * limit : page * limit]
        more = page * limit < len(rows) or endless
        link = shape(request, page, limit, query) if more else None
        if header:
            headers = (
                {"Link": f'<{link}>; rel="next", </threads?page=1>; rel="first"'} if link else {}
            )
            return httpx.Response(200, json=chunk, headers=headers)
        body: dict[str, Any] = {"value": chunk}
        if link:
            body["@odata.nextLink"] = link
        return httpx.Response(200, json=body)

    return handle


@pytest.mark.parametrize("header", [False, True], ids=["next-link", "link-header"])
@pytest.mark.parametrize("count", [0, 4, 5, 23])
@pytest.mark.parametrize("shape", [absolute, relative])
def test_links_are_followed_to_the_end(header: bool, count: int, shape: Shape) -> None:
    pagination = HEADER if header else BODY
    client = f.mock_client(server(count, shape, header=header))
    params = ((pagination.limit.param, "5"),)
    result = walk(client, pagination, params, max_pages=20)
    assert result.complete and len(result.ids) == count == len(set(result.ids)), result.note
    assert inv.link_same_origin(pagination, result) == []
    assert inv.link_keeps_params(pagination, result) == []
    assert inv.walk_terminates(pagination, result) == []


@pytest.mark.parametrize("header", [False, True], ids=["next-link", "link-header"])
def test_a_link_to_another_host_is_never_followed(header: bool) -> None:
    pagination = HEADER if header else BODY
    handler, seen = f.counting(server(23, elsewhere, header=header))
    result = walk(
        f.mock_client(handler), pagination, ((pagination.limit.param, "5"),), max_pages=20
    )
    assert result.stop == "off-origin" and len(seen) == 1 and "not followed" in result.note
    (violation,) = inv.link_same_origin(pagination, result)
    assert violation.rule == "LINK-SAME-ORIGIN" and "cdn.example.invalid" in violation.message
    assert inv.INVARIANTS["WALK-TERMINATES"].skip_reason(pagination, result)


@pytest.mark.parametrize("header", [False, True], ids=["next-link", "link-header"])
@pytest.mark.parametrize("count", [12, 23])
def test_a_link_that_drops_the_filter_is_caught(header: bool, count: int) -> None:
    pagination = HEADER if header else BODY
    client = f.mock_client(server(count, drops_filter, header=header))
    params = (("status", "open"), (pagination.limit.param, "3"))
    result = walk(client, pagination, params, max_pages=20)
    violations = inv.link_keeps_params(pagination, result)
    assert violations and violations[0].rule == "LINK-KEEPS-PARAMS"
    assert "status=open" in violations[0].message


@pytest.mark.parametrize("header", [False, True], ids=["next-link", "link-header"])
def test_links_that_loop_or_never_end_fail_walk_terminates(header: bool) -> None:
    pagination = HEADER if header else BODY
    limit = ((pagination.limit.param, "5"),)
    looped = walk(f.mock_client(server(23, loops, header=header)), pagination, limit, max_pages=20)
    assert looped.stop == "cycle" and inv.walk_terminates(pagination, looped)
    endless = server(7, absolute, header=header, endless=True)
    forever = walk(f.mock_client(endless), pagination, limit, max_pages=10)
    assert forever.stop in ("page-cap", "cycle")  # bare empty lists repeat as bodies
    assert inv.walk_terminates(pagination, forever), "empty pages that still link on"


def test_link_header_parsing() -> None:
    value = '<https://a/x?page=2>; rel="next last", <https://a/x?page=1>; rel=prev'
    assert header_link({"link": value}, "next") == "https://a/x?page=2"
    assert header_link({"Link": value}, "prev") == "https://a/x?page=1"
    assert header_link({"link": value}, "first") is None
    assert header_link({}, "next") is None
    assert header_link({"link": "garbage, <>; rel=next"}, "next") == ""
