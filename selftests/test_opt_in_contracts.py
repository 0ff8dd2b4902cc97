"""The opt-in token and link-header contracts (gmail, github; graph, style next-link, in
test_graph_contract.py): their reference servers end
their lists as documented, and every opt-in contract has a spec, a server and faults."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from threadconform import reference, spec
from threadconform.reference.contracts import gmail


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, reference.RunningServer]]:
    running = {name: reference.start(name, threads=45, seed=4) for name in ("gmail", "github")}
    yield running
    for server in running.values():
        server.stop()


def get(server: reference.RunningServer, path: str, **params: object) -> httpx.Response:
    assert server.credentials.primary
    headers = reference.header(server.contract, server.credentials.primary)
    url = path if path.startswith("http") else server.url + path
    return httpx.get(url, params=params or None, headers=headers, timeout=10)


def test_every_opt_in_contract_has_a_spec_a_server_and_faults() -> None:
    assert set(reference.OPT_IN) == {"stripe", "gmail", "github", "graph"}
    for name in reference.OPT_IN:
        contract = spec.load(spec.find(name))
        assert contract.opt_in and name not in spec.default_names()
        faults = reference.faults(name).values()
        assert sum(not f.tolerated for f in faults) >= 5 and sum(f.tolerated for f in faults) >= 2
        assert "https://" in contract.document["info"]["description"]  # the vendor's docs


def test_gmail_tokens_walk_to_an_end(servers: dict[str, reference.RunningServer]) -> None:
    server, seen, token, pages = servers["gmail"], [], None, 0
    while True:
        params: dict[str, object] = {"maxResults": 7}
        if token:
            params["pageToken"] = token
        body = get(server, gmail.PATH, **params).json()
        seen += [t["id"] for t in body["threads"]]
        pages += 1
        token = body.get("nextPageToken")
        if not token:
            break
    everything = get(server, gmail.PATH, maxResults=500).json()
    assert seen == [t["id"] for t in everything["threads"]] and len(set(seen)) == len(seen)
    assert pages == -(-len(seen) // 7) and "nextPageToken" not in everything
    bad = get(server, gmail.PATH, pageToken="not-a-token")
    assert bad.status_code == 400 and bad.json()["error"]["status"] == "INVALID_ARGUMENT"


def test_github_link_headers_carry_the_query(servers: dict[str, reference.RunningServer]) -> None:
    server = servers["github"]
    first = get(server, "/notifications", per_page=7, participating="true")
    assert isinstance(first.json(), list) and len(first.json()) == 7
    nxt = re.search(r'<([^>]*)>; rel="next"', first.headers["link"])
    assert nxt and nxt.group(1).startswith(server.url)
    assert "per_page=7" in nxt.group(1) and "participating=true" in nxt.group(1)
    url, ids = nxt.group(1), [t["id"] for t in first.json()]
    while url:
        page = get(server, url)
        ids += [t["id"] for t in page.json()]
        found = re.search(r'<([^>]*)>; rel="next"', page.headers.get("link", ""))
        url = found.group(1) if found else ""
    every = get(server, "/notifications", per_page=50, participating="true").json()
    assert ids == [t["id"] for t in every]
