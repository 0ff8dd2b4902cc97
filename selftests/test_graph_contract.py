"""The opt-in Microsoft Graph contract (style next-link): its reference server ends the
list with the last `@odata.nextLink`, carries `$top` and `$filter` along the links, and
every graph fault is caught with no false alarm, on two datasets."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from threadconform import reference, spec
from threadconform.reference.contracts import graph

ONE_ON_ONE = "chatType eq 'oneOnOne'"


@pytest.fixture(scope="module")
def server() -> Iterator[reference.RunningServer]:
    running = reference.start("graph", threads=45, seed=4)
    yield running
    running.stop()


def get(server: reference.RunningServer, url: str, **params: object) -> httpx.Response:
    assert server.credentials.primary
    headers = reference.header("graph", server.credentials.primary)
    url = url if url.startswith("http") else server.url + url
    return httpx.get(url, params=params or None, headers=headers, timeout=10)


def walk(server: reference.RunningServer, **params: object) -> tuple[list[str], int]:
    """Every chat id and the number of pages, following the nextLinks as given."""
    body = get(server, graph.PATH, **params).json()
    ids, pages = [c["id"] for c in body["value"]], 1
    while link := body.get("@odata.nextLink"):
        assert link.startswith(server.url + graph.PATH)
        assert "%24top=" in link and (("%24filter=" in link) == ("$filter" in params))
        body = get(server, link).json()
        ids += [c["id"] for c in body["value"]]
        pages += 1
    return ids, pages


def test_graph_is_opt_in_and_cites_its_docs() -> None:
    contract = spec.load(spec.find("graph"))
    assert contract.opt_in and "graph" not in spec.default_names()
    assert contract.pagination.style == "next-link"
    description = contract.document["info"]["description"]
    assert "https://learn.microsoft.com/en-us/graph/api/chat-list" in description
    assert "https://learn.microsoft.com/en-us/graph/paging" in description


def test_next_links_walk_every_chat_once_and_end(server: reference.RunningServer) -> None:
    ids, pages = walk(server, **{"$top": 7})
    every = get(server, graph.PATH, **{"$top": 50}).json()
    assert ids == [c["id"] for c in every["value"]] and len(set(ids)) == len(ids)
    assert pages == -(-len(ids) // 7) and "@odata.nextLink" not in every


def test_next_links_keep_the_filter(server: reference.RunningServer) -> None:
    ids, pages = walk(server, **{"$top": 7, "$filter": ONE_ON_ONE})
    every = get(server, graph.PATH, **{"$top": 50}).json()["value"]
    assert pages > 1 and ids == [c["id"] for c in every if c["chatType"] == "oneOnOne"]


@pytest.mark.parametrize(
    "params",
    [{"$top": 51}, {"$top": 0}, {"$filter": "chatType eq 'nope'"}, {"$skiptoken": "x!"}],
)
def test_bad_queries_get_graphs_400(server: reference.RunningServer, params: dict) -> None:
    answer = get(server, graph.PATH, **params)
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "BadRequest"


def test_no_token_is_401(server: reference.RunningServer) -> None:
    answer = httpx.get(server.url + graph.PATH, timeout=10)
    assert answer.status_code == 401 and "code" in answer.json()["error"]


# The graph faults' matrix (default and small datasets) runs with every opt-in contract in
# selftests/test_stripe_contract.py, so the slow tier runs it once.
