"""The reference servers over real HTTP: shapes, errors, auth, and the `serve` command."""

from __future__ import annotations

import math
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from threadconform import cli, rules
from threadconform.reference import (
    CONTRACTS,
    FAULTS,
    RunningServer,
    credentials,
    faults,
    header,
    start,
    start_subprocess,
)
from threadconform.reference.store import open_store

PATHS = {
    "kortix": "/threads",
    "chat": "/api/chat/threads",
    "aitronos": "/v1/threads",
    "freddy": "/v1/threads",
    "worker": "/api/threads",
}
AUTHENTICATED = ("kortix", "aitronos", "freddy")
NASTY = [
    {"limit": "-1"},
    {"limit": "1e3"},
    {"limit": "99999999999999999999999999"},
    {"limit": ""},
    {"limit": "\x00"},
    {"limit": "５"},
    {"page": "0"},
    {"page": "99999999999999999999"},
    {"offset": "-5"},
    {"offset": "10000000000000000000000"},
    {"order": "sideways"},
    {"after": "thrd_nope"},
    {"before": "' OR 1=1 --"},
    {"after": "thread_" + "f" * 32},
    {"project_id": "a" * 101},
    {"project_id": "bad id!"},
    {"project_type": ""},
    {"visible_in_ui": "maybe"},
    {"visibleInUi": "2"},
    {"include_total": "yes please"},
    {"organization_id": "org_globex"},
    {"agent_id": "%00"},
    {"user_id": "\u2603" * 500},
    {"unknown": "ignored"},
]

THREAD_KEYS = {
    "kortix": {
        "thread_id", "project_id", "name", "metadata", "is_public", "created_at",
        "updated_at", "project",
    },
    "aitronos": {
        "id", "object", "created_at", "updated_at", "last_message_at", "metadata",
        "assistant_id", "organization_id", "user_id", "title", "status", "message_count",
        "visible_in_ui", "last_model_used", "is_pinned", "pinned_at", "space_ids",
    },
    "freddy": {
        "id", "object", "createdAt", "updatedAt", "metadata", "assistantId", "organizationId",
        "userId", "title", "visibleInUi", "messageCount", "status",
    },
    "worker": {"id", "agent_id", "user_id", "tags", "created_at", "agent"},
}  # fmt: skip


# One client for the module: CLIENT.get() would build a new client (and TLS context) per call.
CLIENT = httpx.Client(timeout=10)


@pytest.fixture(scope="module", autouse=True)
def client() -> Iterator[httpx.Client]:
    yield CLIENT
    CLIENT.close()


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, RunningServer]]:
    running = {contract: start(contract) for contract in CONTRACTS}
    yield running
    for server in running.values():
        server.stop()


def get(
    server: RunningServer, params: dict[str, Any] | None = None, credential: str | None = "primary"
) -> httpx.Response:
    headers = {}
    token = getattr(server.credentials, credential) if credential else None
    if token is not None:
        headers = header(server.contract, token)
    return CLIENT.get(server.url + PATHS[server.contract], params=params, headers=headers)


def test_kortix_default(servers: dict[str, RunningServer]) -> None:
    body = get(servers["kortix"]).json()
    assert set(body) == {"threads", "pagination"}
    assert body["pagination"] == {"page": 1, "limit": 100, "total": 237, "pages": 3}
    threads = body["threads"]
    assert len(threads) == 100
    assert all(set(t) == THREAD_KEYS["kortix"] for t in threads)
    with_project = [t for t in threads if t["project"]]
    assert all(t["project_id"] == t["project"]["project_id"] for t in with_project)
    assert any(t["project"] is None and t["project_id"] is None for t in threads)
    assert any(t["project"]["sandbox"] is None for t in with_project)
    sandbox = next(t["project"]["sandbox"] for t in with_project if t["project"]["sandbox"])
    assert set(sandbox) == {"id", "pass", "vnc_preview", "sandbox_url", "token"}
    created = [t["created_at"] for t in threads]
    assert created == sorted(created, reverse=True) and created[0].endswith("Z")


def test_kortix_pages(servers: dict[str, RunningServer]) -> None:
    server = servers["kortix"]
    seen = []
    for page in range(1, 26):
        body = get(server, {"page": page, "limit": 10}).json()
        assert body["pagination"]["pages"] == 24
        seen += [t["thread_id"] for t in body["threads"]]
    assert len(seen) == len(set(seen)) == 237
    past = get(server, {"page": 9_999_999}).json()
    assert past["threads"] == [] and past["pagination"]["total"] == 237


def test_chat_default_and_filter(servers: dict[str, RunningServer]) -> None:
    server = servers["chat"]
    body = get(server).json()
    assert len(body["threads"]) == min(50, body["totalCount"])
    assert body["projectId"] == "all" and isinstance(body["projectId"], str)
    assert body["hasNext"] == (body["totalCount"] > len(body["threads"]))
    assert body["totalPages"] == math.ceil(body["totalCount"] / body["pageSize"])
    for thread in body["threads"]:
        assert {"threadId", "title", "projectId", "createdAt", "messageCount"} <= set(thread)
        assert isinstance(thread["tags"], list)
        assert thread["qualityScore"] <= 100 and thread["relevanceScore"] <= 1
        assert thread["settings"]["temperature"] <= 2 and thread["settings"]["maxTokens"] >= 1
    billing = get(server, {"project_id": "billing", "limit": 1000}).json()
    assert billing["totalCount"] == 40 and billing["projectId"] == "billing"
    assert {t["projectId"] for t in billing["threads"]} == {"billing"}
    prefix = get(server, {"limit": 7}).json()["threads"]
    assert prefix == body["threads"][:7]


def test_aitronos_default_and_walks(servers: dict[str, RunningServer]) -> None:
    server = servers["aitronos"]
    body = get(server, {"include_total": "true"}).json()
    assert set(body) == {"object", "data", "first_id", "last_id", "has_more", "limit", "total"}
    assert body["object"] == "list" and body["limit"] == 20 and body["has_more"]
    assert all(set(t) == THREAD_KEYS["aitronos"] for t in body["data"])
    assert all(t["visible_in_ui"] and t["id"].startswith("thrd_") for t in body["data"])
    assert all((t["pinned_at"] is None) == (not t["is_pinned"]) for t in body["data"])
    assert get(server).json()["total"] is None
    down = walk(server, {"limit": 7}, "after")
    assert len(down) == len(set(down)) == body["total"]
    up = walk(server, {"limit": 7, "order": "asc"}, "after")
    assert up == down[::-1]
    back = get(server, {"limit": 5, "before": down[12]}).json()
    assert [t["id"] for t in back["data"]] == down[7:12] and back["has_more"]


def walk(server: RunningServer, params: dict[str, Any], direction: str) -> list[str]:
    ids: list[str] = []
    cursor = None
    first, last, more = ("first_id", "last_id", "has_more")
    if server.contract == "freddy":
        first, last, more = ("firstId", "lastId", "hasMore")
    for _ in range(200):
        page = get(server, {**params, **({direction: cursor} if cursor else {})}).json()
        ids += [t["id"] for t in page["data"]]
        if not page[more]:
            return ids
        cursor = page[last] if direction == "after" else page[first]
    raise AssertionError("walk did not end")


def test_aitronos_filters_and_exact_multiple(servers: dict[str, RunningServer]) -> None:
    server = servers["aitronos"]
    page = get(server, {"assistant_id": "asst_billing", "limit": 20, "include_total": "1"}).json()
    assert page["total"] == 40 and page["has_more"]
    second = get(server, {"assistant_id": "asst_billing", "after": page["last_id"]}).json()
    assert len(second["data"]) == 20 and not second["has_more"]
    hidden = get(server, {"visible_in_ui": "false", "limit": 100}).json()["data"]
    assert hidden and not any(t["visible_in_ui"] for t in hidden)
    pinned = get(server, {"is_pinned": "true", "limit": 100}).json()["data"]
    assert pinned and all(t["is_pinned"] and t["pinned_at"] for t in pinned)
    plain = get(server, {"limit": 100, "include_total": "true"}).json()["total"]
    more = get(server, {"limit": 100, "include_total": "true", "include_deleted": "true"})
    assert more.json()["total"] > plain
    org = get(server, {"organization_id": "org_acme_labs", "limit": 100}).json()["data"]
    assert org and {t["organization_id"] for t in org} == {"org_acme_labs"}
    foreign = get(server, {"organization_id": "org_globex"})
    assert foreign.status_code == 403
    assert foreign.json()["error"]["type"] == "permission_error"


def test_freddy_default_and_walks(servers: dict[str, RunningServer]) -> None:
    server = servers["freddy"]
    body = get(server).json()
    assert set(body) == {"object", "data", "firstId", "lastId", "hasMore"}
    assert all(set(t) == THREAD_KEYS["freddy"] for t in body["data"])
    assert all(isinstance(t["createdAt"], int) for t in body["data"])
    visibility = {t["visibleInUi"] for t in get(server, {"limit": 100}).json()["data"]}
    assert visibility == {True, False}  # no default: both
    down = walk(server, {"limit": 9}, "after")
    assert len(down) == len(set(down)) and down == walk(server, {"order": "asc"}, "after")[::-1]
    billing = walk(server, {"assistantId": "asst_billing", "limit": 20}, "after")
    assert len(billing) == 40


def test_worker_default_and_offsets(servers: dict[str, RunningServer]) -> None:
    server = servers["worker"]
    body = get(server).json()
    assert set(body) == {"threads", "total", "hasMore"}
    assert body["total"] == 237 and len(body["threads"]) == 50 and body["hasMore"]
    for thread in body["threads"]:
        assert set(thread) == THREAD_KEYS["worker"]
        assert thread["agent"]["icon"].startswith("http")
        assert thread["agent"]["type"] in {"ai_human", "dual_ai"}
    assert any(t["user_id"] is None for t in body["threads"])
    last = get(server, {"agent_id": "billing_agent", "limit": 20, "offset": 20}).json()
    assert last["total"] == 40 and len(last["threads"]) == 20 and not last["hasMore"]
    past = get(server, {"offset": 500}).json()
    assert past == {"threads": [], "total": 237, "hasMore": False}
    icon = CLIENT.get(body["threads"][0]["agent"]["icon"])
    assert icon.status_code == 200 or "cdn.example.com" in str(icon.url)


@pytest.mark.parametrize(
    ("contract", "params", "status"),
    [
        ("kortix", {"limit": "1001"}, 422),
        ("kortix", {"page": "0", "limit": "x"}, 422),
        ("chat", {"limit": "0"}, 422),
        ("chat", {"project_id": "no spaces"}, 422),
        ("aitronos", {"limit": "101"}, 400),
        ("aitronos", {"order": "up"}, 400),
        ("aitronos", {"after": "thrd_unknown"}, 400),
        ("freddy", {"limit": "0"}, 400),
        ("freddy", {"visibleInUi": "perhaps"}, 400),
        ("worker", {"limit": "101"}, 400),
        ("worker", {"offset": "-1"}, 400),
    ],
)
def test_bad_params_get_the_envelope(
    servers: dict[str, RunningServer], contract: str, params: dict[str, str], status: int
) -> None:
    response = get(servers[contract], params)
    assert response.status_code == status
    body = response.json()
    if contract in ("kortix", "chat"):
        assert all({"loc", "msg", "type"} <= set(d) for d in body["detail"])
        assert body["detail"][0]["loc"][0] == "query"
    elif contract == "worker":
        assert isinstance(body["error"], str)
    else:
        assert body["error"]["type"] == "invalid_request_error"
        assert body["error"]["param"] in params
    if params.get("limit") in ("101", "0") and contract in ("aitronos", "freddy"):
        assert body["error"]["code"] == "invalid_limit"


@pytest.mark.parametrize("contract", CONTRACTS)
def test_nasty_inputs_never_500(servers: dict[str, RunningServer], contract: str) -> None:
    for params in NASTY:
        response = get(servers[contract], params)
        assert response.status_code < 500, (params, response.text)
        assert response.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize("contract", AUTHENTICATED)
def test_auth(servers: dict[str, RunningServer], contract: str) -> None:
    server = servers[contract]
    primary = get(server, {"limit": 100}, "primary")
    secondary = get(server, {"limit": 100}, "secondary")
    assert primary.status_code == secondary.status_code == 200
    items = "threads" if contract == "kortix" else "data"
    key = "thread_id" if contract == "kortix" else "id"
    ids = [{t[key] for t in r.json()[items]} for r in (primary, secondary)]
    assert ids[0] and ids[1] and ids[0].isdisjoint(ids[1])
    url = server.url + PATHS[contract]
    wrong = {**header(contract, "not-a-real-token")}
    for headers in ({}, wrong, {"Authorization": "Basic dXNlcjpwYXNz"}):
        refused = CLIENT.get(url, headers=headers)
        assert refused.status_code == 401, headers
    if contract != "kortix":
        assert CLIENT.get(url).json()["error"]["code"] == "missing_authentication"
        assert CLIENT.get(url, headers=wrong).json()["error"]["type"] == "authentication_error"


def test_credentials_api() -> None:
    assert credentials("chat").primary is None and credentials("worker").secondary is None
    for contract in AUTHENTICATED:
        pair = credentials(contract)
        assert pair.primary and pair.secondary and pair.primary != pair.secondary
    assert credentials("kortix").primary.count(".") == 2  # type: ignore[union-attr]


def test_serve_rejects_unknown_names(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["serve", "nosuch"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and all(c in err for c in CONTRACTS)
    assert cli.main(["serve", "kortix", "--fault", "nosuch"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and all(name in err for name in faults("kortix"))


def test_start_rejects_unknown_names() -> None:
    with pytest.raises(ValueError, match="kortix"):
        start("nosuch")
    with pytest.raises(ValueError, match="valid faults"):
        start("kortix", fault="nosuch")


def test_subprocess_server() -> None:
    with start_subprocess("worker", threads=30, seed=5) as server:
        body = CLIENT.get(server.url + "/api/threads", params={"limit": 100}).json()
        assert body["total"] == 30 and len(body["threads"]) == 30


@pytest.fixture(scope="module")
def fault_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, RunningServer]]:
    """Every (contract, fault) server at once, on one shared database file (built once)."""
    db = tmp_path_factory.mktemp("faults") / "threads.sqlite"
    open_store(db).close()
    names = [(c, f.name) for f in FAULTS for c in f.contracts]
    # Started and stopped in parallel: each stop waits for uvicorn's 0.1 s tick.
    with ThreadPoolExecutor(len(names)) as pool:
        running = list(pool.map(lambda cf: start(cf[0], fault=cf[1], db=db), names))
        yield {f"{s.contract}:{s.fault}": s for s in running}
        list(pool.map(lambda server: server.stop(), running))


def test_every_fault_is_accepted_by_start(fault_servers: dict[str, RunningServer]) -> None:
    assert len(fault_servers) == sum(len(faults(c)) for c in CONTRACTS)
    for server in fault_servers.values():
        assert get(server, {"limit": "5"}).status_code < 500, server.fault


def test_fault_catalogue_shape() -> None:
    for contract in CONTRACTS:
        known = faults(contract)
        assert len(known) >= 12 and sum(f.tolerated for f in known.values()) >= 3
    for fault in FAULTS:
        assert fault.description and set(fault.breaks) <= set(rules.BY_ID), fault.name
        assert fault.breaks or fault.tolerated, fault.name
        assert fault.name == fault.name.lower() and " " not in fault.name


Probe = tuple[dict[str, str], str | None]  # query, credential ("primary", "wrong" or None)


def probes(contract: str, conforming: RunningServer) -> list[Probe]:
    """Requests on which every fault of `contract` answers differently from the reference."""
    if contract == "kortix":
        queries = [{}, {"page": "2", "limit": "10"}, {"page": "0"}, {"limit": "1001"}]
        beyond = {"page": str(2**63)}
        return [
            ({}, None),
            *((q, "primary") for q in [*queries, {"page": "999"}, {"limit": "x"}, beyond]),
            *(({}, variant) for variant in SECURITY_VARIANTS),
        ]
    if contract == "chat":
        billing = {"project_id": "billing", "limit": "1000"}
        queries = [{}, {"limit": "1000"}, billing, {"project_id": "bad id"}, {"limit": "0"}]
        return [(q, None) for q in [*queries, {"limit": "1001"}]]
    if contract == "worker":
        billing = {"agent_id": "billing_agent", "limit": "20", "offset": "20"}
        queries = [{}, {"limit": "abc"}, {"limit": "150"}, {"offset": "10"}, {"offset": "500"}]
        return [(q, None) for q in [*queries, {"agent_id": "billing_agent"}, billing]]
    return _vendor_probes(contract, conforming)


def _vendor_probes(contract: str, conforming: RunningServer) -> list[Probe]:
    created, assistant = ("created_at", "assistant_id")
    if contract == "freddy":
        created, assistant = ("createdAt", "assistantId")
    data = get(conforming, {"limit": "100"}).json()["data"]
    ids = [t["id"] for t in data]
    tied = next(i for i in range(1, 60) if data[i][created] == data[i + 1][created])
    queries = [
        {}, {"limit": "100"}, {"order": "asc"}, {"limit": "abc"}, {"limit": "101"},
        {"after": ids[tied]}, {"after": ids[20]}, {"after": ids[70]}, {"before": ids[70]},
        {"after": ids[0][:-4] + "0000"}, {assistant: "asst_billing", "limit": "40"},
        {"include_total": "true"}, {"include_total": "true", "assistant_id": "asst_billing"},
        {"organization_id": "org_globex"},
    ]  # fmt: skip
    variants = [({}, variant) for variant in SECURITY_VARIANTS]
    return [({}, None), ({}, "wrong"), *((q, "primary") for q in queries), *variants]


# Credential variants the security faults answer differently: (query, headers) to send.
SECURITY_VARIANTS: dict[str, Any] = {
    "lower": lambda c, t, q: (q, {"Authorization": f"bearer {t}"}),
    "spaced": lambda c, t, q: (q, {"Authorization": f"Bearer  {t}"}),
    "query": lambda c, t, q: ({**q, "access_token": t, "api_key": t}, {}),
    "extra-key": lambda c, t, q: (q, {**header(c, t), "X-API-Key": t}),
}


def answer(server: RunningServer, probe: Probe) -> tuple[int, object]:
    query, credential = probe
    if credential in SECURITY_VARIANTS:
        token = server.credentials.primary or ""
        params, headers = SECURITY_VARIANTS[credential](server.contract, token, query)
        response = CLIENT.get(server.url + PATHS[server.contract], params=params, headers=headers)
    elif credential == "wrong":
        url = server.url + PATHS[server.contract]
        response = CLIENT.get(url, params=query, headers=header(server.contract, "wrong"))
    else:
        response = get(server, query, credential)
    body = response.json()
    if isinstance(body, dict):
        body.pop("requestId", None)  # volatile by design
    return response.status_code, body


@pytest.mark.parametrize("contract", CONTRACTS)
def test_every_fault_changes_an_answer(
    servers: dict[str, RunningServer], fault_servers: dict[str, RunningServer], contract: str
) -> None:
    chosen = probes(contract, servers[contract])
    expected = [answer(servers[contract], p) for p in chosen]
    for name in faults(contract):
        got = [answer(fault_servers[f"{contract}:{name}"], p) for p in chosen]
        assert got != expected, f"{contract} fault {name} changed no answer"
