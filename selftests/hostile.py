"""Hostile targets, and the suite run against them as a user runs it.

One Starlette app serves every HTTP-level misbehaviour, each on its own path prefix, so
`--base-url {url}/{mode}` points the suite at one mode: `{url}/html/api/threads` is the
worker contract's endpoint answering HTML. Modes that need a valid-looking body forward to
a real reference server (chosen by the endpoint path, see `start`) and break one aspect
of its answer. A target that accepts TCP connections and never says a word cannot be
built with an HTTP framework: `silent_server` is a raw socket server.

Every request any mode sees is written to the server's `journal`, so tests can assert
what the suite sent (methods, retries, delays, whether a redirect was followed).

`run_suite` runs `python -m pytest ...` in a subprocess from the repository root and
`SuiteRun` is what came back: exit status, output, wall time and the child's peak memory.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from threadconform.reference.server import listen, url_of, uvicorn_server

try:  # imported as a package (selftests/__init__.py) or as a loose file
    from selftests.guard import scaled
except ImportError:
    from guard import scaled  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parent.parent
HUGE_BYTES = 10 * 1024 * 1024
SLOW_SECONDS = 3.0  # longer than the --timeout the tests pass
SLOW_AFTER = 20  # requests `slow` answers promptly before it slows down
RETRY_AFTER_LONG = 3600  # a Retry-After no client should honour in full
SLUGGISH_SECONDS = 2.0  # `sluggish` answers take this long; tests pass a longer --timeout
DIES_AFTER = 60  # requests `dies` serves before it stops answering
CROWD_ITEMS = 450_000  # `{}` items in `crowd`'s body (1.35 MB, under the 2 MB cap)
DEEP_LEVELS = 600  # how deep `deep` nests the credential it echoes
BOMB_BYTES = 100 * 1024 * 1024
BOMB = gzip.compress(b"0" * BOMB_BYTES, compresslevel=9, mtime=0)
HOP_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection"})
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"]


@dataclass(frozen=True)
class Seen:
    """One request a hostile server received."""

    mode: str
    method: str
    path: str  # the endpoint path after the mode prefix, e.g. /api/threads
    query: str
    headers: dict[str, str]
    at: float  # time.monotonic() on arrival


@dataclass
class Journal:
    entries: list[Seen] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, entry: Seen) -> None:
        with self._lock:
            self.entries.append(entry)

    def of(self, mode: str) -> list[Seen]:
        with self._lock:
            return [entry for entry in self.entries if entry.mode == mode]


@dataclass
class Hostile:
    """What the modes share: where to forward to, which tokens to swap, what was seen."""

    upstreams: Mapping[str, str]  # endpoint path -> reference server base URL
    tokens: Mapping[str, str]  # credential the suite sends -> the upstream's credential
    journal: Journal
    http: httpx.AsyncClient
    counts: dict[str, int] = field(default_factory=dict)

    def count(self, mode: str) -> int:
        """How many requests this mode has seen before this one."""
        number = self.counts.get(mode, 0)
        self.counts[mode] = number + 1
        return number


Mode = Callable[[Hostile, Request, str], Awaitable[Response]]


async def forward(
    hostile: Hostile, request: Request, path: str, query: str | None = None
) -> httpx.Response:
    """The reference server's answer to this request (same method, headers, query)."""
    headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_HEADERS}
    for name in ("x-api-key", "authorization"):
        if name in headers:
            prefix, _, value = headers[name].rpartition(" ")
            swapped = hostile.tokens.get(value, value)
            headers[name] = f"{prefix} {swapped}" if prefix else swapped
    url = hostile.upstreams[path] + path
    query = request.url.query if query is None else query
    return await hostile.http.request(
        request.method, url + (f"?{query}" if query else ""), headers=headers
    )


def relay(reply: httpx.Response, content: bytes | None = None) -> Response:
    headers = {k: v for k, v in reply.headers.items() if k.lower() not in HOP_HEADERS}
    headers.pop("content-encoding", None)
    return Response(reply.content if content is None else content, reply.status_code, headers)


# -- the modes -----------------------------------------------------------------------------


async def proxy(hostile: Hostile, request: Request, path: str) -> Response:
    """A faithful proxy: the recording proxy of the read-only tests."""
    return relay(await forward(hostile, request, path))


async def html(hostile: Hostile, request: Request, path: str) -> Response:
    page = "<!doctype html><html><body><h1>Welcome</h1><p>Please sign in.</p></body></html>"
    return Response(page, 200, media_type="text/html")


async def huge(hostile: Hostile, request: Request, path: str) -> Response:
    """10 MB of JSON, streamed without a Content-Length: only a read cap stops it."""

    async def chunks() -> AsyncIterator[bytes]:
        item = b'{"id":"t","agent_id":"a","tags":[],"created_at":1},'
        block = item * (1_048_576 // len(item))
        yield b'{"threads":['
        for _ in range(HUGE_BYTES // len(block)):
            if await request.is_disconnected():  # the client stopped reading: stop writing
                return
            yield block
        yield b'{"id":"end","agent_id":"a","tags":[],"created_at":1}],"total":1,"hasMore":false}'

    return StreamingResponse(chunks(), 200, media_type="application/json")


async def truncated(hostile: Hostile, request: Request, path: str) -> Response:
    """A real answer cut in half, with an honest Content-Length for the half."""
    reply = await forward(hostile, request, path)
    return relay(reply, reply.content[: len(reply.content) // 2])


async def redirect(hostile: Hostile, request: Request, path: str) -> Response:
    landing = f"{request.base_url}landing{path}"
    return Response(status_code=302, headers={"Location": landing})


async def landing(hostile: Hostile, request: Request, path: str) -> Response:
    """Where `redirect` points; the journal shows whether anyone came."""
    return relay(await forward(hostile, request, path))


async def hiccups(hostile: Hostile, request: Request, path: str) -> Response:
    """A target worth retrying: the first request is told to come back in an hour (429),
    and every tenth one after it gets a 503; the retries are all served."""
    number = hostile.count("hiccups")
    if number == 0:
        return _too_many(RETRY_AFTER_LONG)
    if number % 10 == 1:
        return JSONResponse({"error": "try again"}, 503)
    return relay(await forward(hostile, request, path))


async def ratelimit(hostile: Hostile, request: Request, path: str) -> Response:
    return _too_many(1)


def _too_many(seconds: int) -> Response:
    body = {"error": "rate limited", "retry_after": seconds}
    return JSONResponse(body, 429, headers={"Retry-After": str(seconds)})


async def unavailable(hostile: Hostile, request: Request, path: str) -> Response:
    return JSONResponse({"error": "service unavailable"}, 503)


async def loop(hostile: Hostile, request: Request, path: str) -> Response:
    """The next page never comes: the offset is ignored, and more is always promised."""
    query = "&".join(p for p in request.url.query.split("&") if not p.startswith("offset="))
    reply = await forward(hostile, request, path, query)
    body = reply.json()
    body.update(total=1_000_000, hasMore=True)
    return JSONResponse(body, reply.status_code)


async def slow(hostile: Hostile, request: Request, path: str) -> Response:
    """Prompt for the first SLOW_AFTER requests, then every answer takes SLOW_SECONDS."""
    if hostile.count("slow") >= SLOW_AFTER:
        await asyncio.sleep(SLOW_SECONDS)
    return relay(await forward(hostile, request, path))


async def trickle(hostile: Hostile, request: Request, path: str) -> Response:
    """Headers at once, then a real body one byte at a time: no read ever times out."""
    reply = await forward(hostile, request, path)

    async def drip() -> AsyncIterator[bytes]:
        for byte in reply.content:
            await asyncio.sleep(0.1)
            yield bytes([byte])

    return StreamingResponse(drip(), reply.status_code, media_type="application/json")


async def echo(hostile: Hostile, request: Request, path: str) -> Response:
    """Echoes the credential it got: into a plain-text 401 for an unknown one, into the
    200 body (a field, and every item's type marker) for a known one."""
    sent = request.headers.get("x-api-key") or request.headers.get("authorization", "")
    sent = sent.removeprefix("Bearer ")
    if sent not in hostile.tokens:
        # The key starts at character 44 and so straddles the 60th, where the client
        # cuts the quoted start of a non-JSON body: a cut made before redacting leaks.
        return PlainTextResponse(f"401 Unauthorized: the API key is not valid: {sent}\n", 401)
    reply = await forward(hostile, request, path)
    body = reply.json()
    if reply.status_code == 200 and isinstance(body, dict):
        body["debug_credential"] = sent
        for item in body.get("data") or []:
            item["object"] = f"thread for {sent}"
    elif isinstance(body, dict) and isinstance(body.get("error"), dict):
        body["error"]["message"] = f"{body['error'].get('message')} (key {sent})"
    return JSONResponse(body, reply.status_code)


async def later(hostile: Hostile, request: Request, path: str) -> Response:
    """503 with Retry-After: 3600 on every request: "come back in an hour"."""
    body = {"error": "down for maintenance"}
    return JSONResponse(body, 503, headers={"Retry-After": str(RETRY_AFTER_LONG)})


async def hour(hostile: Hostile, request: Request, path: str) -> Response:
    """429 with Retry-After: 3600 on every request, for ever."""
    return _too_many(RETRY_AFTER_LONG)


async def sluggish(hostile: Hostile, request: Request, path: str) -> Response:
    """Every answer takes SLUGGISH_SECONDS: under the --timeout the tests give, so no
    single request fails; only the run deadline bounds the run."""
    await asyncio.sleep(SLUGGISH_SECONDS)
    return relay(await forward(hostile, request, path))


async def dies(hostile: Hostile, request: Request, path: str) -> Response:
    """Serves DIES_AFTER requests, then never answers again (the backend is gone, the
    socket still accepts)."""
    if hostile.count(request.path_params["mode"]) >= DIES_AFTER:  # per alias: per run
        while not await request.is_disconnected():
            await asyncio.sleep(0.2)
        return Response(status_code=504)
    return relay(await forward(hostile, request, path))


async def crowd(hostile: Hostile, request: Request, path: str) -> Response:
    """A 1.35 MB body of 450,000 empty items: under the 2 MB cap, every item invalid."""
    body = b'{"threads":[' + b",".join([b"{}"] * CROWD_ITEMS) + b'],"total":1,"hasMore":false}'
    return Response(body, 200, media_type="application/json")


async def hexed(hostile: Hostile, request: Request, path: str) -> Response:
    """A real answer labelled `charset=hex`, a codec of bytes to bytes, not a charset."""
    reply = await forward(hostile, request, path)
    response = relay(reply)
    response.headers["content-type"] = "application/json; charset=hex"
    return response


async def nan(hostile: Hostile, request: Request, path: str) -> Response:
    """A real answer whose total is NaN (Python's json writes it; RFC 8259 has no NaN)."""
    reply = await forward(hostile, request, path)
    text = reply.content.replace(b'"total":', b'"total":NaN,"was":', 1)
    return relay(reply, text)


async def twice(hostile: Hostile, request: Request, path: str) -> Response:
    """A real answer with `"total": 999999` before the real total: a duplicate name."""
    reply = await forward(hostile, request, path)
    return relay(reply, reply.content.replace(b'"total":', b'"total":999999,"total":', 1))


async def deep(hostile: Hostile, request: Request, path: str) -> Response:
    """A real answer carrying the credential it got DEEP_LEVELS objects deep."""
    sent = request.headers.get("x-api-key") or request.headers.get("authorization", "")
    reply = await forward(hostile, request, path)
    nested: object = {"credential": sent.removeprefix("Bearer ")}
    for _ in range(DEEP_LEVELS):
        nested = {"debug": nested}
    text = reply.content.rstrip()
    if reply.status_code == 200 and text.endswith(b"}"):
        text = text[:-1] + b',"trace":' + json.dumps(nested).encode() + b"}"
    return relay(reply, text)


MARKUP = (
    "<script>alert(1)</script><img src=x onerror=alert(2)> ![pixel](http://127.0.0.1:9/p.png)"
    " [click](javascript:alert(3)) @everyone **bold** | cell | \x1b[2J\x1b[31mRED\x07"
)


async def markup(hostile: Hostile, request: Request, path: str) -> Response:
    """Every answer a 500 whose message is markup for each report format, and escapes
    for the terminal."""
    return JSONResponse({"error": MARKUP}, 500)


async def bomb(hostile: Hostile, request: Request, path: str) -> Response:
    """A gzip body of about 100 KB that inflates to BOMB_BYTES of zeros."""
    return Response(BOMB, 200, media_type="application/json", headers={"Content-Encoding": "gzip"})


def compressed(inner: Mode, coding: str) -> Mode:
    """`inner`, with every body it answers compressed (gzip or zlib-wrapped deflate), as
    a CDN or workerd sends it when the request allows it."""

    async def mode(hostile: Hostile, request: Request, path: str) -> Response:
        response = await inner(hostile, request, path)
        accepted = request.headers.get("accept-encoding", "")
        if coding not in accepted or not response.body:
            return response
        body = gzip.compress(response.body) if coding == "gzip" else zlib.compress(response.body)
        headers = {k: v for k, v in response.headers.items() if k.lower() not in HOP_HEADERS}
        headers["Content-Encoding"] = coding
        return Response(body, response.status_code, headers)

    return mode


MODES: dict[str, Mode] = {
    "proxy": proxy,
    "html": html,
    "huge": huge,
    "truncated": truncated,
    "redirect": redirect,
    "landing": landing,
    "hiccups": hiccups,
    "ratelimit": ratelimit,
    "unavailable": unavailable,
    "loop": loop,
    "slow": slow,
    "trickle": trickle,
    "echo": echo,
    "later": later,
    "hour": hour,
    "sluggish": sluggish,
    "dies": dies,
    "crowd": crowd,
    "hexed": hexed,
    "nan": nan,
    "twice": twice,
    "deep": deep,
    "markup": markup,
    "bomb": bomb,
}
MODES.update(
    {
        # Aliases for the runs under -n 2: counters are per mode name, so per run.
        "dies-n2": dies,
        "hour-n2": hour,
        "gzip": compressed(proxy, "gzip"),
        "deflate": compressed(proxy, "deflate"),
        "gzip-loop": compressed(loop, "gzip"),
        "deflate-loop": compressed(loop, "deflate"),
    }
)


# -- serving -------------------------------------------------------------------------------


@dataclass
class HostileServer:
    url: str
    journal: Journal
    _stop: Callable[[], None] = field(repr=False)

    def base(self, mode: str) -> str:
        """The --base-url that points the suite at one mode."""
        return f"{self.url}/{mode}"

    def stop(self) -> None:
        self._stop()


def build_app(hostile: Hostile) -> Starlette:
    async def dispatch(request: Request) -> Response:
        mode = request.path_params["mode"]
        path = "/" + request.path_params["rest"]
        headers = dict(request.headers.items())
        seen = Seen(mode, request.method, path, request.url.query, headers, time.monotonic())
        hostile.journal.add(seen)
        if mode not in MODES:
            return JSONResponse({"error": f"no mode {mode!r}"}, 404)
        return await MODES[mode](hostile, request, path)

    return Starlette(routes=[Route("/{mode}/{rest:path}", dispatch, methods=ALL_METHODS)])


def start(upstreams: Mapping[str, str], tokens: Mapping[str, str] | None = None) -> HostileServer:
    """Serve every mode on 127.0.0.1 (port 0) from a background thread until `stop()`.

    `upstreams` maps an endpoint path (`/api/threads`) to the reference server that
    answers it; `tokens` maps credentials the suite is given to the upstream's own.
    """
    journal = Journal()
    hostile = Hostile(dict(upstreams), dict(tokens or {}), journal, httpx.AsyncClient())
    sock = listen("127.0.0.1", 0)
    server = uvicorn_server(build_app(hostile))
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="hostile", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("hostile server did not start")
        time.sleep(0.005)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()

    return HostileServer(url_of(sock), journal, stop)


@contextmanager
def silent_server() -> Iterator[str]:
    """A base URL whose server accepts every TCP connection and never sends a byte."""
    with raw_server(lambda conn, done: None) as url:
        yield url


def header_trickle(conn: socket.socket, done: threading.Event) -> None:
    """A status line, then header bytes one a second, for ever: every read gets a byte."""
    conn.sendall(b"HTTP/1.1 200 OK\r\n")
    while not done.wait(1.0):
        conn.sendall(b"X")


def endless_1xx(conn: socket.socket, done: threading.Event) -> None:
    """`HTTP/1.1 102 Processing` every second, for ever: a final answer never comes."""
    while True:
        conn.sendall(b"HTTP/1.1 102 Processing\r\n\r\n")
        if done.wait(1.0):
            return


RAW_BEHAVIOURS: dict[str, Callable[[socket.socket, threading.Event], None]] = {
    "header-trickle": header_trickle,
    "endless-1xx": endless_1xx,
}


@contextmanager
def raw_server(behave: Callable[[socket.socket, threading.Event], None]) -> Iterator[str]:
    """A base URL whose server accepts every TCP connection and runs `behave(conn, done)`
    on it in a thread of its own (an HTTP framework cannot misbehave below HTTP)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(0.1)
    held: list[socket.socket] = []
    done = threading.Event()

    def serve(conn: socket.socket) -> None:
        with suppress(OSError):  # the client hung up: what it is meant to do, eventually
            behave(conn, done)

    def accept() -> None:
        while not done.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            held.append(conn)  # kept open until the server stops
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, name="raw", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        done.set()
        thread.join(timeout=5)
        for conn in held:
            conn.close()
        listener.close()


# -- running the suite ---------------------------------------------------------------------

# seconds (times THREADCONFORM_TEST_TIMEOUT_SCALE); a run still going then is killed and
# reported as a hang
HANG_GUARD = scaled(60.0)
PYCACHE = os.path.join(tempfile.gettempdir(), "threadconform-selftests-pycache")


@dataclass(frozen=True)
class SuiteRun:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    max_rss_mb: float  # the pytest process' peak resident memory
    report_dir: Path

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def explain(self) -> str:
        """What an assertion message shows: exit status, time and the end of the output."""
        return f"exit {self.returncode} after {self.seconds:.1f} s\n{self.output[-6000:]}"


def suite_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args]


def run_suite(
    *args: str,
    report_dir: Path,
    env: Mapping[str, str] | None = None,
    guard: float = HANG_GUARD,
) -> SuiteRun:
    """`pytest [args] --report-dir report_dir` from the repository root, as a user runs it.

    THREADCONFORM_* variables of this process are dropped so only `env` configures it. A
    run still going after `guard` seconds is killed (a hang must fail a test, not stall it).
    """
    environment = {k: v for k, v in os.environ.items() if not k.startswith("THREADCONFORM_")}
    # Bytecode caching on, in a cache outside the repository: without it every run would
    # compile and assertion-rewrite its plugins' modules again, a second of CPU per run.
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    environment["PYTHONPYCACHEPREFIX"] = PYCACHE
    environment.update(env or {})
    command = suite_command(*args, "--report-dir", str(report_dir))
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=out, stderr=err)
        timer = threading.Timer(guard, lambda: os.kill(process.pid, signal.SIGKILL))
        timer.start()
        try:
            # wait4, not Popen.wait: it also says how much memory this child used at most.
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            timer.cancel()
        process.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    max_rss_mb = usage.ru_maxrss / 1024  # kilobytes on Linux
    return SuiteRun(process.returncode, stdout, stderr, seconds, max_rss_mb, report_dir)


def files_under(directory: Path) -> dict[Path, str]:
    """Every file a run wrote under `directory`, as text."""
    return {
        path: path.read_text(errors="replace") for path in directory.rglob("*") if path.is_file()
    }
