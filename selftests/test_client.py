"""The client against real loopback sockets (refused, slow, broken, TLS) and mock transports."""

from __future__ import annotations

import itertools
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx
import pytest

from threadconform.client import (
    BudgetSpent,
    Client,
    ReadOnlyError,
    encode_params,
    is_unreachable,
)
from threadconform.exchange import REDACTED, Response
from threadconform.model import Auth

try:  # run as a package (selftests/__init__.py) or as loose files (pytest's rootdir)
    from selftests.factories import Handler, counting, json_response, mock_client
except ImportError:
    from factories import Handler, counting, json_response, mock_client  # type: ignore[no-redef]

SECRET = "s3cret-token-value"
BEARER = Auth(kind="bearer")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def raw_server(talk: Callable[[socket.socket], None]) -> Iterator[str]:
    """A one-thread TCP server on 127.0.0.1 that runs `talk` on each connection."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                talk(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


def read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def assert_one_line(error: str | None, *parts: str) -> None:
    assert error is not None
    assert "\n" not in error
    for part in parts:
        assert part in error, error


# -- unreachable targets -------------------------------------------------------------------


def test_connection_refused_is_one_unreachable_line() -> None:
    port = free_port()
    with Client(f"http://127.0.0.1:{port}", "/threads", auth=BEARER, credential=SECRET) as client:
        response = client.get({"limit": 5})
    assert response.status is None
    assert response.error == f"GET http://127.0.0.1:{port}/threads?limit=5: connection refused"
    assert is_unreachable(response)
    assert client.is_unreachable(response)


def test_tls_to_a_plain_http_server_is_an_unreachable_tls_error() -> None:
    def plain(conn: socket.socket) -> None:
        conn.recv(4096)
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    with raw_server(plain) as url:
        https = url.replace("http://", "https://")
        with Client(https, "/threads", auth=None, credential=None, timeout=2) as client:
            response = client.get()
    assert_one_line(response.error, https, "TLS error")
    assert is_unreachable(response)


def test_slow_server_times_out_quickly_and_is_not_unreachable() -> None:
    release = threading.Event()

    def slow(conn: socket.socket) -> None:
        read_request(conn)
        release.wait(5)

    with raw_server(slow) as url:
        started = time.perf_counter()
        with Client(url, "/threads", auth=None, credential=None, timeout=0.2) as client:
            response = client.get()
        release.set()
    assert time.perf_counter() - started < 2
    assert_one_line(response.error, f"GET {url}/threads", "no response within 0.2 s")
    assert response.status is None
    assert not is_unreachable(response)


def test_body_cut_short_keeps_the_status() -> None:
    def short(conn: socket.socket) -> None:
        read_request(conn)
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
        conn.sendall(head + b'{"threads": [')

    with raw_server(short) as url, Client(url, "/t", auth=None, credential=None) as client:
        response = client.get()
    assert response.status == 200
    assert response.body is None
    assert_one_line(response.error, "body cut short")


@pytest.mark.parametrize(
    ("raised", "says", "unreachable"),
    [
        (httpx.ConnectError("[Errno -2] Name or service not known"), "DNS lookup failed", True),
        (httpx.ConnectTimeout("timed out"), "connect timeout after 10 s", True),
        (httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] bad"), "TLS error", True),
        (httpx.ConnectError("[Errno 101] Network is unreachable"), "cannot connect", True),
        (httpx.ReadTimeout("timed out"), "no response within 10 s", False),
        (
            httpx.RemoteProtocolError("illegal header\nline"),
            "the server broke the HTTP exchange",
            False,
        ),
    ],
)
def test_transport_failures_become_one_line(
    raised: Exception, says: str, unreachable: bool
) -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        raise raised

    response = mock_client(handle).get()
    assert response.status is None
    assert_one_line(response.error, "GET http://127.0.0.1:8000/threads: " + says)
    assert is_unreachable(response) is unreachable


# -- bodies --------------------------------------------------------------------------------


def test_html_body_keeps_status_and_quotes_the_start() -> None:
    html = "<!doctype html><html><head><title>Login</title></head><body>" + "x" * 500
    client = mock_client(lambda r: httpx.Response(200, html=html))
    response = client.get()
    assert response.status == 200
    assert response.body is None
    assert_one_line(
        response.error, "GET http://127.0.0.1:8000/threads: expected JSON, got text/html"
    )
    assert "'<!doctype html>" in (response.error or "")
    assert len(response.text) <= 4096


def test_truncated_json_says_so() -> None:
    body = b'{"threads": [{"id": "a"}, {"id": "b"'
    client = mock_client(
        lambda r: httpx.Response(200, content=body, headers={"content-type": "application/json"})
    )
    response = client.get()
    assert response.status == 200 and response.body is None
    assert_one_line(response.error, "invalid JSON", "truncated")


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_huge_body_is_capped_and_fast(declared: bool) -> None:
    sent = 0
    block = b"[" + b"0," * 32_767 + b"0"  # 64 KiB of a JSON array that never ends

    def stream() -> Iterator[bytes]:
        nonlocal sent
        for _ in range(160):  # 10 MiB
            sent += len(block)
            yield block

    def handle(request: httpx.Request) -> httpx.Response:
        headers = {"content-type": "application/json"}
        if declared:
            headers["content-length"] = str(160 * len(block))
        return httpx.Response(200, headers=headers, content=stream())

    started = time.perf_counter()
    response = mock_client(handle).get()
    assert time.perf_counter() - started < 2
    assert response.status == 200 and response.body is None
    assert_one_line(response.error, "body larger than 2,000,000 bytes; read stopped")
    assert sent <= 2_000_000 + 2 * len(block)
    assert len(response.text) <= 4096


def test_redirect_is_recorded_not_followed() -> None:
    handler, seen = counting(
        lambda r: httpx.Response(302, headers={"location": "https://login.example.test/"})
    )
    response = mock_client(handler).get()
    assert len(seen) == 1
    assert response.status == 302
    assert response.headers["location"] == "https://login.example.test/"
    assert_one_line(response.error, "redirected (302) to https://login.example.test/")


def test_json_body_is_parsed_and_head_has_no_error() -> None:
    client = mock_client(lambda r: json_response({"threads": []}))
    assert client.get().body == {"threads": []}
    head = client.head()
    assert head.request.method == "HEAD" and head.error is None and head.status == 200


# -- retries -------------------------------------------------------------------------------


def answers(*responses: httpx.Response) -> tuple[Handler, list[httpx.Request]]:
    """A handler giving `responses` in turn, then the last one forever."""
    queue = list(responses)
    return counting(lambda r: queue.pop(0) if len(queue) > 1 else queue[0])


def test_429_retry_after_is_honoured_then_success() -> None:
    handler, seen = answers(
        httpx.Response(429, headers={"retry-after": "1"}, json={"error": "slow down"}),
        json_response({"threads": []}),
    )
    sleeps: list[float] = []
    client = mock_client(handler, sleep=sleeps.append)
    response = client.get()
    assert response.status == 200
    assert sleeps == [1.0]
    assert len(seen) == 2 and client.requests_sent == 2


def test_429_retry_after_is_capped_and_retries_are_bounded() -> None:
    handler, seen = answers(httpx.Response(429, headers={"retry-after": "3600"}, json={}))
    sleeps: list[float] = []
    client = mock_client(handler, sleep=sleeps.append, max_retries=2, retry_after_cap=5.0)
    response = client.get()
    assert response.status == 429
    assert sleeps == [5.0, 5.0]
    assert len(seen) == 3


def test_503_is_retried_with_a_small_backoff_then_success() -> None:
    handler, _ = answers(httpx.Response(503, json={}), json_response({"threads": []}))
    sleeps: list[float] = []
    exchanges: list[int | None] = []
    client = mock_client(
        handler, sleep=sleeps.append, on_exchange=lambda r: exchanges.append(r.status)
    )
    assert client.get().status == 200
    assert len(sleeps) == 1 and 0 < sleeps[0] <= 1
    assert exchanges == [503, 200]


# -- read-only, budget, rate ---------------------------------------------------------------


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"])
def test_writing_methods_are_refused_before_sending(method: str) -> None:
    handler, seen = counting(lambda r: json_response({}))
    client = mock_client(handler)
    with pytest.raises(ReadOnlyError, match=method):
        client.request(method)
    assert seen == [] and client.requests_sent == 0


def test_budget_exhaustion_raises_and_sends_nothing_more() -> None:
    handler, seen = counting(lambda r: json_response({}))
    client = mock_client(handler, max_requests=2)
    client.get()
    client.get()
    with pytest.raises(BudgetSpent, match="budget of 2"):
        client.get()
    assert len(seen) == 2 and client.requests_sent == 2 and client.budget_left == 0


def test_retries_stop_when_the_budget_is_spent() -> None:
    handler, seen = answers(httpx.Response(503, json={}))
    client = mock_client(handler, sleep=lambda s: None, max_requests=2, max_retries=5)
    assert client.get().status == 503
    assert len(seen) == 2


def test_max_rps_spaces_requests_with_an_injected_clock() -> None:
    now = [100.0]
    sent_at: list[float] = []

    def sleep(seconds: float) -> None:
        now[0] += seconds

    def handle(request: httpx.Request) -> httpx.Response:
        sent_at.append(now[0])
        return json_response({})

    client = mock_client(handle, max_rps=4, clock=lambda: now[0], sleep=sleep)
    for _ in range(4):
        client.get()
    gaps = [b - a for a, b in itertools.pairwise(sent_at)]
    assert gaps == pytest.approx([0.25, 0.25, 0.25])
    now[0] += 10  # idle time is not "saved up" beyond one request
    client.get()
    client.get()
    assert sent_at[-1] - sent_at[-2] == pytest.approx(0.25)


# -- parameters and credentials ------------------------------------------------------------


def test_params_keep_order_and_booleans_are_lowercase() -> None:
    assert encode_params({"is_pinned": True, "x": False, "limit": 5}) == (
        ("is_pinned", "true"),
        ("x", "false"),
        ("limit", "5"),
    )
    handler, seen = counting(lambda r: json_response({}))
    mock_client(handler).get([("a", "1"), ("a", "2")])
    assert str(seen[0].url.query, "ascii") == "a=1&a=2"


@pytest.mark.parametrize(
    ("auth", "header", "value"),
    [
        (Auth(kind="bearer"), "authorization", f"Bearer {SECRET}"),
        (Auth(kind="header", header="X-API-Key"), "x-api-key", SECRET),
    ],
)
def test_credential_is_sent_but_never_recorded(auth: Auth, header: str, value: str) -> None:
    handler, seen = counting(lambda r: json_response({"echo": r.headers.get(header)}))
    client = mock_client(handler, auth=auth, credential=SECRET)
    response = client.get({"limit": 1})
    assert seen[0].headers[header] == value
    recorded = dict((name.lower(), v) for name, v in response.request.headers)
    assert recorded[header] == value.replace(SECRET, REDACTED)
    assert SECRET not in repr(response.request) and SECRET not in response.request.curl()
    assert SECRET not in response.text and SECRET not in repr(response.body)


def test_credential_override_none_and_other() -> None:
    handler, seen = counting(lambda r: json_response({}))
    client = mock_client(handler, auth=BEARER, credential=SECRET)
    client.get(credential=None)
    other = client.get(credential="wrong-credential-123")
    assert "authorization" not in seen[0].headers
    assert seen[1].headers["authorization"] == "Bearer wrong-credential-123"
    assert "wrong-credential-123" not in other.request.curl()
    assert client.redact(f"a {SECRET} b wrong-credential-123") == "a *** b ***"


def test_credential_never_in_error_strings() -> None:
    port = free_port()
    with Client(f"http://127.0.0.1:{port}", f"/{SECRET}", auth=BEARER, credential=SECRET) as c:
        response = c.get({"q": SECRET})
    assert response.error and SECRET not in response.error
    assert "connection refused" in response.error


def test_each_exchange_keeps_its_own_deadline_when_requests_are_out_at_once() -> None:
    """At --concurrency N, one client sends from N threads: a quick exchange that starts
    and ends while a slow one is out must neither clear nor move the slow one's deadline
    (a header trickled a byte at a time would otherwise go on for as long as it likes)."""
    from selftests.hostile import raw_server as threaded_server

    def behave(conn: socket.socket, done: threading.Event) -> None:
        if b"kind=slow" in read_request(conn):
            conn.sendall(b"HTTP/1.1 200 OK\r\n")
            for _ in range(25):  # 5 s of a header that never ends, then hang up
                if done.wait(0.2):
                    return
                conn.sendall(b"X")
            return
        body = b'{"threads": []}'
        head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}"
        conn.sendall(head.encode() + b"\r\nConnection: close\r\n\r\n" + body)

    with (
        threaded_server(behave) as url,
        Client(url, "/threads", auth=None, credential=None, timeout=0.6, concurrency=2) as client,
    ):
        slow: list[Response] = []
        thread = threading.Thread(target=lambda: slow.append(client.get({"kind": "slow"})))
        thread.start()
        while thread.is_alive():
            assert client.get({"kind": "quick"}).status == 200
            time.sleep(0.05)
        thread.join()
    assert_one_line(slow[0].error, "kind=slow", "no complete answer within 0.6 s")
