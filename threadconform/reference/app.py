"""Assemble one contract's Starlette application."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from types import ModuleType

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route

from threadconform.reference.contracts import (
    aitronos,
    chat,
    freddy,
    github,
    gmail,
    graph,
    kortix,
    stripe,
    worker,
)
from threadconform.reference.contracts.common import Context
from threadconform.reference.errors import ErrorReply
from threadconform.reference.hooks import CONFORMING, FaultCrash, Hooks
from threadconform.reference.live import LiveData, LiveGroup
from threadconform.reference.store import Store

__all__ = [
    "COMPRESSIONS",
    "CONTRACTS",
    "FAULT_PREFIX",
    "MODULES",
    "OPT_IN",
    "PATHS",
    "SERVED",
    "Endpoint",
    "build_app",
    "build_fault_app",
    "counted",
    "guarded",
    "live_of",
    "log",
]

MODULES: dict[str, ModuleType] = {
    "kortix": kortix,
    "chat": chat,
    "aitronos": aitronos,
    "freddy": freddy,
    "worker": worker,
    "stripe": stripe,
    "gmail": gmail,
    "github": github,
    "graph": graph,
}
# The five seeds: the default run, the matrix's "every contract" and the shape tests.
CONTRACTS: tuple[str, ...] = ("kortix", "chat", "aitronos", "freddy", "worker")
# Opt-in contracts (`--contract stripe`): served and matrix-tested, never run by default.
OPT_IN: tuple[str, ...] = tuple(name for name in MODULES if name not in CONTRACTS)
SERVED: tuple[str, ...] = (*CONTRACTS, *OPT_IN)
COMPRESSIONS: tuple[str, ...] = ("gzip",)
PATHS: dict[str, str] = {name: module.PATH for name, module in MODULES.items()}
# Where a server started with every fault serves fault NAME: /__fault/NAME/<the usual paths>.
FAULT_PREFIX = "/__fault"

log = logging.getLogger("threadconform.reference")
Endpoint = Callable[[Request], Awaitable[Response]]


def build_app(
    contract: str,
    store: Store,
    hooks: Hooks = CONFORMING,
    *,
    compress: str | None = None,
    prefix: str = "",
    live: LiveData | None = None,
) -> Starlette:
    """The contract's app; `compress="gzip"` gzips every response the client accepts
    gzip for (as Cloudflare workerd and every CDN do), `prefix="/v1"` serves the routes
    under that path only (as the real Kortix backend serves `/v1/threads`); `live` counts
    the list route's requests and changes the data before answering some (`live.py`)."""
    module = MODULES[contract]
    crash: Callable[[], ErrorReply] = module.internal_error
    routes: list[BaseRoute] = []
    for route in module.ROUTES:
        endpoint = route.endpoint
        if live is not None and route.path == module.PATH:
            endpoint = counted(endpoint, live)
        routes.append(
            Route(route.path, guarded(endpoint, crash), methods=sorted(route.methods or ()))
        )
    if prefix.strip("/"):
        routes = [Mount("/" + prefix.strip("/"), routes=routes)]
    if compress not in (None, *COMPRESSIONS):
        raise ValueError(f"unknown compression {compress!r}; valid: {', '.join(COMPRESSIONS)}")
    # minimum_size=0: even a tiny error body is compressed, as a CDN does.
    middleware = [Middleware(GZipMiddleware, minimum_size=0)] if compress else []
    app = Starlette(routes=routes, middleware=middleware)
    app.state.context = Context(contract, store, hooks)
    app.state.live = live
    return app


def build_fault_app(
    contract: str,
    store: Store,
    faults: Mapping[str, Hooks],
    *,
    live: Callable[[Store], LiveData] | None = None,
) -> Starlette:
    """The conforming application, plus each fault's application under its own prefix.

    One server then serves every variant of the mutation matrix, and every faulty variant
    sits under a path prefix, as real deployments behind a gateway do. The conforming
    routes are the very ones `build_app` makes: no prefix, no fault. Frozen, every variant
    reads the one store. With `live` (which makes a variant's live state for its store),
    every variant gets a copy of the store and a live state of its own: it sees the data
    and the writes a server of its own would, whatever the other variants' runs do
    meanwhile, so a matrix's live runs do not depend on which runs share their time.
    """

    members: list[LiveData] = []

    def part(hooks: Hooks) -> Starlette:
        if live is None:
            return build_app(contract, store, hooks)
        own = store.copy()
        members.append(live(own))
        return build_app(contract, own, hooks, live=members[-1])

    app = part(CONFORMING)
    for name, hooks in faults.items():
        app.router.routes.append(Mount(f"{FAULT_PREFIX}/{name}", part(hooks)))
    app.state.live = LiveGroup(members) if members else None
    return app


def live_of(app: Starlette) -> LiveData | LiveGroup | None:
    """The live-mode state of an app `build_app` or `build_fault_app` made (None: frozen)."""
    found: LiveData | LiveGroup | None = app.state.live
    return found


def counted(endpoint: Endpoint, live: LiveData) -> Endpoint:
    """Count the request, and let live mode change the data before the endpoint reads it."""

    async def run(request: Request) -> Response:
        live.on_list_request()
        return await endpoint(request)

    return run


def guarded(endpoint: Endpoint, crash: Callable[[], ErrorReply]) -> Endpoint:
    """Answer an exception with the contract's 500 envelope instead of a bare text 500.

    A 500 here always means a bug: a genuine one (logged with its traceback) or one a fault
    put there on purpose (logged in one line).
    """

    async def run(request: Request) -> Response:
        try:
            return await endpoint(request)
        except FaultCrash as exc:
            log.info("injected 500 for %s: %s", request.url, exc)
        except Exception:
            log.exception("500 for %s", request.url)
        return crash().response()

    return run
