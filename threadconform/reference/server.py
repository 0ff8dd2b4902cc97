"""Starting and stopping reference servers: in a background thread, or as a subprocess."""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import IO, Any
from urllib.parse import urlsplit

import uvicorn
from starlette.applications import Starlette

from threadconform.reference.app import FAULT_PREFIX, SERVED, build_app, build_fault_app, live_of
from threadconform.reference.auth import Credentials
from threadconform.reference.data import check_ties
from threadconform.reference.faults import credentials_for, faults, hooks_for
from threadconform.reference.live import CHANGE_LINE, Change, Live, LiveData, Mode
from threadconform.reference.store import Store, open_store

__all__ = [
    "STARTUP_SECONDS",
    "URL_LINE",
    "ChangeCounter",
    "RunningServer",
    "check_contract",
    "delayed",
    "listen",
    "prepare",
    "start",
    "start_subprocess",
    "url_of",
    "uvicorn_server",
    "wait_answering",
]

STARTUP_SECONDS = 30.0
URL_LINE = re.compile(r"threadconform reference server for (\S+) at (http://\S+)")


@dataclass
class RunningServer:
    url: str  # base URL, no trailing slash
    contract: str
    credentials: Credentials
    fault: str | None = None
    _stop: Callable[[], None] = field(default=lambda: None, repr=False)
    _stopped: bool = field(default=False, repr=False)
    # How many changes live mode has made so far (always 0 on a frozen server).
    _changes: Callable[[], int] = field(default=lambda: 0, repr=False)
    _write: Callable[[], object] | None = field(default=None, repr=False)

    @property
    def changes(self) -> int:
        """The changes live mode made to the data so far (0 on a frozen server)."""
        return self._changes()

    def write(self) -> None:
        """Make one live-mode change now (a server started in live mode only): a write
        hook's stand-in for the self-tests."""
        if self._write is None:
            raise ValueError("write() needs a server started in live mode (live_every=...)")
        self._write()

    def fault_url(self, fault: str | None) -> str:
        """Where a server started with `all_faults=True` serves `fault` (None: conforming)."""
        return self.url if fault is None else f"{self.url}{FAULT_PREFIX}/{fault}"

    def stop(self) -> None:
        """Stop the server (once; later calls do nothing)."""
        if not self._stopped:
            self._stopped = True
            self._stop()

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def check_contract(contract: str) -> None:
    if contract not in SERVED:
        raise ValueError(f"unknown contract {contract!r}; valid contracts: {', '.join(SERVED)}")


def prepare(
    contract: str,
    *,
    threads: int,
    seed: int,
    fault: str | None,
    db: str | Path | None,
    ties: Sequence[int] | None = None,
    compress: str | None = None,
    prefix: str = "",
    all_faults: bool = False,
    live: Live | None = None,
    report: Callable[[Change], None] | None = None,
) -> tuple[Starlette, Store]:
    """The application and its loaded store (raises ValueError for unknown names).

    `all_faults`: conforming at the root and every fault under /__fault/NAME (`fault_url`).
    `live`: the data changes as the list route is requested (`live.py`; `live_of(app)` is
    the state, `report` hears of each change).
    """
    check_contract(contract)
    if all_faults and fault is not None:
        raise ValueError(f"fault {fault!r} given with all_faults (which serves every fault)")
    hooks = hooks_for(contract, fault)
    store = open_store(db, threads=threads, seed=seed, ties=ties)
    made = None
    if live is not None:
        made = partial(LiveData, live, contract=contract, seed=seed, report=report)
    if all_faults:
        every = {name: found.hooks for name, found in faults(contract).items()}
        return build_fault_app(contract, store, every, live=made), store
    state = None if made is None else made(store)
    try:
        app = build_app(contract, store, hooks, compress=compress, prefix=prefix, live=state)
    except ValueError:
        store.close()
        raise
    return app, store


def listen(host: str, port: int) -> socket.socket:
    """A listening socket, bound before the server starts so port 0 has a known port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # An explicit IPPROTO_TCP: asyncio only sets TCP_NODELAY on sockets that name it, and
    # without it Nagle's algorithm adds ~40 ms to every keep-alive response.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def uvicorn_server(app: Starlette) -> uvicorn.Server:
    config = uvicorn.Config(
        app,
        log_level="error",  # not "warning": uvicorn warns on every malformed request
        access_log=False,
        lifespan="off",
        http="h11",
        loop="asyncio",
        timeout_graceful_shutdown=2,
    )
    return uvicorn.Server(config)


def start(
    contract: str,
    *,
    threads: int = 237,
    seed: int = 0,
    fault: str | None = None,
    db: str | Path | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    ties: Sequence[int] | None = None,
    compress: str | None = None,
    prefix: str = "",
    all_faults: bool = False,
    live: Live | None = None,
    live_every: int | None = None,
    live_mode: Mode = "insert",
    delay_ms: float = 0,
) -> RunningServer:
    """Serve `contract` from a background thread of this process until `stop()`.

    `compress="gzip"` gzips every response (when the request accepts gzip); `prefix`
    mounts the routes under a path such as `/v1` (the URL stays the server's root); `ties`
    lays out the main tenant's tie groups (see `data.generate`); `all_faults=True` serves the
    conforming API at `url` and each fault at `fault_url`; `live=Live(every=3)` (or
    `live_every=3, live_mode="delete"`) changes the data as the listing is requested
    (see `live.py`; `changes` counts the changes); `delay_ms` answers every request that
    much later, as a server across a network does (requests wait side by side)."""
    live = _live(live, live_every, live_mode)
    app, store = prepare(
        contract,
        threads=threads,
        seed=seed,
        fault=fault,
        db=db,
        ties=ties,
        compress=compress,
        prefix=prefix,
        all_faults=all_faults,
        live=live,
    )
    sock = listen(host, port)
    server = uvicorn_server(delayed(app, delay_ms) if delay_ms else app)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"reference-{contract}", daemon=True
    )

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        store.close()

    running = RunningServer(url_of(sock), contract, credentials_for(contract, fault), fault, stop)
    state = live_of(app)
    if state is not None:
        running._changes = lambda: state.changes
        running._write = state.change_now
    thread.start()
    try:
        _wait_started(server, thread)
        wait_answering(running.url)
    except BaseException:
        running.stop()
        raise
    return running


def delayed(app: Any, delay_ms: float) -> Any:
    """`app` answering each request `delay_ms` later: an ASGI wrapper that sleeps on the
    event loop first, so delayed requests overlap as they would across a network."""
    if delay_ms < 0:
        raise ValueError(f"delay_ms must be >= 0, got {delay_ms}")

    async def wrapper(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            await asyncio.sleep(delay_ms / 1000)
        await app(scope, receive, send)

    return wrapper


def _live(live: Live | None, every: int | None, mode: Mode) -> Live | None:
    """The live mode the keyword arguments ask for (`live` and `live_every` exclude)."""
    if live is not None and every is not None:
        raise ValueError("give live or live_every, not both")
    return Live(every, mode) if every is not None else live


def _wait_started(server: uvicorn.Server, thread: threading.Thread) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("reference server thread ended during start-up")
        if time.monotonic() > deadline:
            raise TimeoutError("reference server did not start")
        time.sleep(0.005)


def wait_answering(url: str, timeout: float = STARTUP_SECONDS) -> None:
    """Poll until the server answers any HTTP request (http.client: no TLS set-up cost)."""
    parts = urlsplit(url)
    deadline = time.monotonic() + timeout
    while True:
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=2.0)
        try:
            connection.request("GET", "/")
            connection.getresponse().read()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)
        finally:
            connection.close()


def start_subprocess(
    contract: str,
    *,
    threads: int = 237,
    seed: int = 0,
    fault: str | None = None,
    db: str | Path | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    ties: Sequence[int] | None = None,
    compress: str | None = None,
    prefix: str = "",
    live: Live | None = None,
    live_every: int | None = None,
    live_mode: Mode = "insert",
) -> RunningServer:
    """Serve `contract` from `python -m threadconform serve ...` until `stop()`.

    In live mode the child reports each change on stderr; `changes` counts those lines
    (the others pass through to this process's stderr)."""
    check_contract(contract)
    live = _live(live, live_every, live_mode)
    check_ties(threads, ties)
    hooks_for(contract, fault)  # fail here, with the valid names, not in the child
    command = [sys.executable, "-m", "threadconform", "serve", contract]
    command += ["--host", host, "--port", str(port), "--threads", str(threads)]
    command += ["--seed", str(seed)]
    command += ["--db", str(db)] if db is not None else []
    command += ["--fault", fault] if fault is not None else []
    command += ["--ties", ",".join(map(str, ties))] if ties is not None else []
    command += ["--compress", compress] if compress is not None else []
    command += ["--prefix", prefix] if prefix else []
    command += ["--live", str(live.every), "--live-mode", live.mode] if live else []
    stderr = subprocess.PIPE if live else None
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, text=True)
    reader = ChangeCounter(process.stderr) if process.stderr is not None else None

    def stop() -> None:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.stdout is not None:
            process.stdout.close()
        if reader is not None:
            reader.join(timeout=10)

    try:
        url = _announced_url(process)
        running = RunningServer(url, contract, credentials_for(contract, fault), fault, stop)
        if reader is not None:
            running._changes = lambda: reader.count
        wait_answering(url)
    except BaseException:
        stop()
        raise
    return running


class ChangeCounter:
    """Reads a live child's stderr in a thread: counts its change lines, passes the rest on.

    The count trails the child a little (the child prints before answering the request, the
    thread reads when scheduled): poll it rather than reading it once."""

    def __init__(self, stream: IO[str]) -> None:
        self.count = 0
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: IO[str]) -> None:
        with stream:
            for line in stream:
                if line.startswith(CHANGE_LINE):
                    self.count += 1
                else:
                    with contextlib.suppress(ValueError, OSError):  # our stderr may be closed
                        sys.stderr.write(line)

    def join(self, timeout: float = 10.0) -> None:
        self._thread.join(timeout=timeout)


def _announced_url(process: subprocess.Popen[str]) -> str:
    """The URL from the child's first stdout line (read in a thread, to time out)."""
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    reader = threading.Thread(
        target=lambda: lines.put(process.stdout.readline() if process.stdout else ""),
        daemon=True,
    )
    reader.start()
    try:
        line = lines.get(timeout=STARTUP_SECONDS)
    except queue.Empty:
        raise TimeoutError("reference server subprocess printed no URL") from None
    match = URL_LINE.search(line)
    if match is None:
        code = process.poll()
        raise RuntimeError(f"reference server subprocess failed (exit {code}): {line.strip()!r}")
    return match.group(2)
