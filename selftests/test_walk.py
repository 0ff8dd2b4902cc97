"""Walkers against in-process fake servers, correct and defective, one per style."""

from __future__ import annotations

import dataclasses
import gc
import tracemalloc
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from threadconform.exchange import Request, Response
from threadconform.outcomes import BudgetSpent
from threadconform.walk import (
    AHEAD,
    OBJECT,
    Together,
    Walk,
    extract_page,
    fetch_page,
    item_paths,
    position,
    walk,
    walk_backward,
)

try:  # run as a package (selftests/__init__.py) or as loose files (pytest's rootdir)
    from selftests import factories as f
except ImportError:
    import factories as f  # type: ignore[no-redef]

SERVERS = {
    "page": f.page_server,
    "offset": f.offset_server,
    "cursor": f.cursor_server,
    "first-n": f.first_n_server,
}
ID_FIELD = {"page": "thread_id", "offset": "id", "cursor": "id", "first-n": "threadId"}


def expected_ids(data: list[dict[str, Any]], style: str) -> list[str]:
    return [thread[ID_FIELD[style]] for thread in data]


# -- correct servers -----------------------------------------------------------------------


@pytest.mark.parametrize("style", ["page", "offset", "cursor"])
@pytest.mark.parametrize(("count", "limit"), [(23, 5), (20, 5), (3, 10), (0, 5)])
def test_walk_reaches_the_end_in_order(style: str, count: int, limit: int) -> None:
    data = f.threads(count, style)
    handler, seen = f.counting(SERVERS[style](data))
    result = walk(f.mock_client(handler), f.PAGINATIONS[style](), {"limit": limit}, max_pages=50)
    assert result.stop == "end", result.note
    assert list(result.ids) == expected_ids(data, style)
    assert len(result.requests) == len(seen) == len(result.pages)
    assert len(seen) <= count // limit + 2  # never more than one page past the data


def test_page_walk_stops_at_the_reported_page_count_without_asking_further() -> None:
    data = f.threads(10, "page")
    handler, seen = f.counting(f.page_server(data))
    result = walk(f.mock_client(handler), f.page_pagination(), {"limit": 5}, max_pages=50)
    assert [r.url.params["page"] for r in seen] == ["1", "2"]
    assert result.note.endswith("page=2 was the last of 2 pages")


def test_first_n_is_a_single_request() -> None:
    data = f.threads(30, "first-n")
    handler, seen = f.counting(f.first_n_server(data))
    result = walk(f.mock_client(handler), f.first_n_pagination(), {"limit": 7}, max_pages=50)
    assert result.stop == "end" and len(seen) == 1
    assert list(result.ids) == expected_ids(data, "first-n")[:7]


def test_cursor_walk_sends_after_the_last_id_and_the_direction() -> None:
    data = f.threads(9, "cursor")
    handler, seen = f.counting(f.cursor_server(data))
    result = walk(
        f.mock_client(handler), f.cursor_pagination(), {"limit": 4}, max_pages=9, direction="asc"
    )
    assert result.direction == "asc"
    assert [dict(r.url.params) for r in seen] == [
        {"limit": "4", "order": "asc"},
        {"limit": "4", "order": "asc", "after": "thrd_00005"},
        {"limit": "4", "order": "asc", "after": "thrd_00001"},
    ]
    assert list(result.ids) == expected_ids(data, "cursor")[::-1]


def test_backward_walk_puts_pages_back_in_order() -> None:
    data = f.threads(12, "cursor")
    handler, seen = f.counting(f.cursor_server(data))
    result = walk_backward(
        f.mock_client(handler),
        f.cursor_pagination(),
        {"limit": 3},
        start="thrd_00008",
        max_pages=10,
    )
    assert result.stop == "end" and result.backward
    assert list(result.ids) == expected_ids(data, "cursor")[:8]
    assert seen[0].url.params["before"] == "thrd_00008"
    assert seen[1].url.params["before"] == "thrd_00005"


def test_backward_walk_can_start_from_a_page() -> None:
    data = f.threads(12, "cursor")
    client = f.mock_client(f.cursor_server(data))
    forward = walk(client, f.cursor_pagination(), {"limit": 5}, max_pages=10)
    back = walk_backward(
        client, f.cursor_pagination(), {"limit": 5}, start=forward.pages[-1], max_pages=10
    )
    assert list(back.ids) == list(forward.ids[:10])


def test_offset_walk_records_duplicates_instead_of_hiding_them() -> None:
    data = f.threads(10, "offset")
    result = walk(
        f.mock_client(f.offset_server(data, overlap=1)),
        f.offset_pagination(),
        {"limit": 4},
        max_pages=10,
    )
    assert result.stop == "end"
    assert len(result.ids) > len(set(result.ids))


# -- defective servers ---------------------------------------------------------------------


def test_cursor_loop_stops_as_a_cycle_in_bounded_requests() -> None:
    data = f.threads(30, "cursor")
    handler, seen = f.counting(f.cursor_server(data, loop=True))
    result = walk(f.mock_client(handler), f.cursor_pagination(), {"limit": 5}, max_pages=1000)
    assert result.stop == "cycle"
    assert len(seen) == 2  # the second page repeats the first body (request_id is volatile)
    assert "page #2 of the walk (after=thrd_00004) repeated the body of the first page" in (
        result.note
    )


def test_cursor_loop_is_caught_by_the_repeated_cursor_when_bodies_differ() -> None:
    pagination = dataclasses.replace(f.cursor_pagination(), volatile=())  # request_id differs
    handler, seen = f.counting(f.cursor_server(f.threads(30, "cursor"), loop=True))
    result = walk(f.mock_client(handler), pagination, {"limit": 5}, max_pages=1000)
    assert result.stop == "cycle" and len(seen) == 2
    assert result.note == "after=thrd_00004 was already requested for page #2"


def test_page_parameter_ignored_is_a_cycle() -> None:
    data = f.threads(30, "page")
    server = f.page_server(data)

    def ignores_page(request: httpx.Request) -> httpx.Response:
        return server(httpx.Request("GET", request.url.copy_remove_param("page")))

    handler, seen = f.counting(ignores_page)
    result = walk(f.mock_client(handler), f.page_pagination(), {"limit": 5}, max_pages=100)
    assert result.stop == "cycle" and len(result.pages) == 2
    # Pages 2 to 5 were fetched together (the page count was known): the cycle is caught
    # on page 2, and the three fetched after it go unread.
    assert len(seen) == 1 + AHEAD


# -- fetching ahead ------------------------------------------------------------------------


def _together_in_threads(batches: list[int]) -> Together:
    def together(fetches: Sequence[Callable[[], Any]]) -> list[Any]:
        batches.append(len(fetches))
        with ThreadPoolExecutor(len(fetches)) as pool:
            return list(pool.map(lambda fetch: fetch(), fetches))

    return together


@pytest.mark.parametrize("style", ["page", "offset"])
@pytest.mark.parametrize(("count", "limit"), [(23, 5), (20, 5), (23, 1), (3, 10)])
def test_pages_known_ahead_are_fetched_together_and_read_in_order(
    style: str, count: int, limit: int
) -> None:
    """Once the end is known, AHEAD pages go out together, and the walk is the one a walk
    one page at a time makes: the same pages, in the same order, from the same requests."""
    data = f.threads(count, style)
    handler, one_seen = f.counting(SERVERS[style](data))
    alone = walk(f.mock_client(handler), f.PAGINATIONS[style](), {"limit": limit}, max_pages=50)
    batches: list[int] = []
    handler, seen = f.counting(SERVERS[style](data))
    together = walk(
        f.mock_client(handler),
        f.PAGINATIONS[style](),
        {"limit": limit},
        max_pages=50,
        together=_together_in_threads(batches),
    )
    assert together.pages == alone.pages and together.note == alone.note
    assert sorted(str(r.url) for r in seen) == sorted(str(r.url) for r in one_seen)
    pages = -(-count // limit)
    assert (max(batches) == min(AHEAD, pages - 1)) if pages > 1 else batches == [1]


def test_fetching_ahead_stops_at_the_page_cap() -> None:
    handler, seen = f.counting(f.offset_server(f.threads(100, "offset")))
    result = walk(f.mock_client(handler), f.offset_pagination(), {"limit": 5}, max_pages=6)
    assert result.stop == "page-cap" and len(seen) == len(result.pages) == 6


def test_a_walk_that_leaves_the_predicted_path_reads_none_of_the_pages_fetched_ahead() -> None:
    """A server that says has-more false early: the walk ends there as it would page by
    page; the pages fetched ahead of that point are never part of it."""
    data = f.threads(40, "offset")
    server = f.offset_server(data)

    def ends_early(request: httpx.Request) -> httpx.Response:
        reply = server(request)
        if request.url.params.get("offset") == "10":
            body = reply.json()
            body["hasMore"] = False
            return httpx.Response(200, json=body)
        return reply

    handler, seen = f.counting(ends_early)
    result = walk(f.mock_client(handler), f.offset_pagination(), {"limit": 5}, max_pages=50)
    assert [p.param("offset") for p in result.pages] == ["0", "5", "10"]
    assert result.note.endswith("has-more was false")
    assert len(seen) == 1 + AHEAD  # offset 0, then 5 to 20 together: 15 and 20 unread


def _cursor_walks(
    handler_for: Callable[[], Any], path: Sequence[str], limit: int
) -> tuple[Walk, list[httpx.Request], Walk, list[httpx.Request], list[int]]:
    """The same cursor walk in turn without a path, and with `path` fetching ahead."""
    handler, alone_seen = f.counting(handler_for())
    alone = walk(f.mock_client(handler), f.cursor_pagination(), {"limit": limit}, max_pages=50)
    batches: list[int] = []
    handler, seen = f.counting(handler_for())
    ahead = walk(
        f.mock_client(handler),
        f.cursor_pagination(),
        {"limit": limit},
        max_pages=50,
        together=_together_in_threads(batches),
        path=path,
    )
    return alone, alone_seen, ahead, seen, batches


@pytest.mark.parametrize(("count", "limit"), [(23, 5), (20, 5), (9, 1), (3, 10)])
def test_a_cursor_walk_on_a_known_path_fetches_the_next_cursors_together(
    count: int, limit: int
) -> None:
    """Given the reference walk's ids, `after=<id>` pages are predicted as offsets are: the
    same walk, the same requests, AHEAD at a time."""
    data = f.threads(count, "cursor")
    path = [thread["id"] for thread in data]
    alone, alone_seen, ahead, seen, batches = _cursor_walks(
        lambda: f.cursor_server(data), path, limit
    )
    assert ahead.pages == alone.pages and ahead.note == alone.note and ahead.ids == tuple(path)
    assert sorted(str(r.url) for r in seen) == sorted(str(r.url) for r in alone_seen)
    pages = -(-count // limit)  # all known from the path, the first one too
    assert max(batches) == min(AHEAD, pages)


def test_a_cursor_walk_off_its_path_stops_guessing_and_costs_at_most_three_requests() -> None:
    """An inclusive cursor (each page starts with the last one's last thread): every page
    leaves the predicted path. The walk is the one taken in turn, with at most AHEAD - 1
    requests more, not AHEAD - 1 more per page."""
    data = f.threads(40, "cursor")
    path = [thread["id"] for thread in data]

    def inclusive() -> Any:
        serve = f.cursor_server(data)

        def handle(request: httpx.Request) -> httpx.Response:
            after = request.url.params.get("after")
            if after in path and path.index(after) > 0:
                before = path[path.index(after) - 1]
                request = httpx.Request("GET", request.url.copy_set_param("after", before))
            return serve(request)

        return handle

    alone, alone_seen, ahead, seen, _ = _cursor_walks(inclusive, path, 5)
    assert ahead.pages == alone.pages and ahead.stop == alone.stop
    assert len(alone_seen) < len(seen) <= len(alone_seen) + AHEAD - 1


def test_a_cursor_walk_with_a_stale_path_is_the_walk_in_turn() -> None:
    """The listing lost threads since the reference was read: the walk follows the server,
    not the path."""
    data = f.threads(30, "cursor")
    path = [thread["id"] for thread in data]
    del data[7:9]
    alone, alone_seen, ahead, seen, _ = _cursor_walks(lambda: f.cursor_server(data), path, 5)
    assert ahead.pages == alone.pages and ahead.ids == alone.ids and len(ahead.ids) == 28
    assert len(seen) <= len(alone_seen) + AHEAD - 1


@pytest.mark.parametrize(("count", "limit"), [(23, 5), (21, 7), (9, 1)])
def test_a_walk_back_on_a_known_path_fetches_the_next_cursors_together(
    count: int, limit: int
) -> None:
    data = f.threads(count, "cursor")
    path = [thread["id"] for thread in data]
    walks = []
    for together, known in ((None, None), (_together_in_threads(batches := []), path)):
        handler, seen = f.counting(f.cursor_server(data))
        back = walk_backward(
            f.mock_client(handler),
            f.cursor_pagination(),
            {"limit": limit},
            start=path[-1],
            max_pages=50,
            **({"together": together, "path": known} if together else {}),
        )
        walks.append((back, sorted(str(r.url) for r in seen)))
    (alone, alone_urls), (ahead, urls) = walks
    assert ahead.pages == alone.pages and ahead.ids == alone.ids and urls == alone_urls
    assert set(ahead.ids) == set(path[:-1])
    assert max(batches) == min(AHEAD, -(-(count - 1) // limit))  # the empty end: not guessed


def test_pages_that_never_end_stop_at_the_page_cap() -> None:
    handler, seen = f.counting(f.page_server([], endless=True))
    result = walk(f.mock_client(handler), f.page_pagination(), {"limit": 5}, max_pages=7)
    assert result.stop == "page-cap"
    assert len(seen) == 7 and len(result.pages) == 7
    assert result.note == "stopped at the cap of 7 pages before page=8"


def test_budget_exhausted_stops_the_walk() -> None:
    client = f.mock_client(f.page_server(f.threads(50, "page")), max_requests=3)
    result = walk(client, f.page_pagination(), {"limit": 5}, max_pages=100)
    assert result.stop == "budget"
    assert len(result.pages) == 3 and client.requests_sent == 3
    assert "budget of 3" in result.note


def test_error_page_stops_the_walk_and_is_kept() -> None:
    client = f.mock_client(f.page_server(f.threads(50, "page"), fail_on=2))
    result = walk(client, f.page_pagination(), {"limit": 5}, max_pages=100)
    assert result.stop == "error"
    assert len(result.pages) == 2 and result.pages[1].status == 500
    assert "page=2 failed" in result.note and "HTTP 500" in result.note
    assert len(result.ids) == 5


def test_html_page_stops_the_walk_with_the_clients_error() -> None:
    client = f.mock_client(lambda r: httpx.Response(200, html="<!doctype html><p>login</p>"))
    result = walk(client, f.cursor_pagination(), {}, max_pages=5)
    assert result.stop == "error" and "expected JSON, got text/html" in result.note


def test_fetch_page_lets_budget_exhaustion_through() -> None:
    client = f.mock_client(f.first_n_server([]), max_requests=0)
    with pytest.raises(BudgetSpent):
        fetch_page(client, f.first_n_pagination(), {})


# -- extraction ----------------------------------------------------------------------------


def response(body: Any, status: int = 200) -> Response:
    request = Request("GET", "http://127.0.0.1/threads", (("limit", "2"),))
    return Response(request, status, {"content-type": "application/json"}, body)


def test_extract_keeps_only_what_invariants_need() -> None:
    pagination = f.page_pagination()
    body = {"threads": f.threads(2, "page", padding=50), "pagination": {"total": 2, "page": 1}}
    page = extract_page(pagination, response(body).request, response(body))
    first = page.items[0]
    assert first.id == "th-00000"
    assert first.sort_key == f.T0
    assert dict(first.fields) == {
        "project_id": "p0",
        "project.project_id": "p0",
        "project": OBJECT,
    }
    assert page.meta.total == 2 and page.meta.page == 1 and page.meta.pages is None
    assert item_paths(pagination) == ("project_id", "project.project_id", "project")


def test_extract_unix_seconds_and_unparseable_keys() -> None:
    pagination = f.offset_pagination()
    threads = f.threads(2, "offset")
    threads[1]["created_at"] = "yesterday"
    page = extract_page(pagination, response({}).request, response({"threads": threads}))
    assert page.items[0].sort_key == float(f.T0)
    assert page.items[1].sort_key == "yesterday"
    assert page.items[0].get("agent.icon") == "https://example.test/icons/a.svg"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"threads": None}, "expected a list at 'threads', got null"),
        ({"threads": [{"thread_id": None}]}, "item #0 has no usable id at 'thread_id'"),
        ([], "expected a list at 'threads', got nothing"),
    ],
)
def test_extract_reports_unusable_bodies(body: Any, message: str) -> None:
    page = extract_page(f.page_pagination(), response(body).request, response(body))
    assert not page.ok and message in (page.error or "")


def test_extract_non_2xx_is_an_error_page() -> None:
    page = extract_page(f.cursor_pagination(), response({}).request, response({"error": {}}, 400))
    assert not page.ok and page.status == 400 and page.error and "HTTP 400" in page.error


def test_volatile_paths_do_not_change_the_digest() -> None:
    pagination = f.cursor_pagination()  # volatile: request_id
    one = {"object": "list", "data": [], "request_id": "a"}
    two = {"object": "list", "data": [], "request_id": "b"}
    three = {"object": "list", "data": [], "request_id": "b", "has_more": True}
    digest = [
        extract_page(pagination, response(b).request, response(b)).body_digest
        for b in (one, two, three)
    ]
    assert digest[0] == digest[1] != digest[2]


def test_position_names_the_contracts_own_parameter() -> None:
    cursor, offset = f.cursor_pagination(), f.offset_pagination()
    assert position(cursor, f.page(params=[("after", "x")])) == "after=x"
    assert position(cursor, f.page(params=[("limit", 3)])) == "the first page"
    assert position(offset, f.page(params=[("offset", 40)])) == "offset=40"


# -- memory --------------------------------------------------------------------------------


def test_a_large_walk_keeps_no_bodies() -> None:
    count, padding = 8_000, 1_000  # 8 MB of junk the walk must not keep
    data = f.threads(count, "cursor", padding=padding)
    client = f.mock_client(f.cursor_server(data))
    gc.collect()
    tracemalloc.start()
    try:
        result = walk(client, f.cursor_pagination(), {"limit": 100}, max_pages=1000)
        gc.collect()
        kept, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.stop == "end" and len(result.ids) == count
    assert kept / count < 400, f"{kept / count:.0f} bytes kept per item"
