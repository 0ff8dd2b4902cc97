"""Assemble one contract's Starlette application."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from types import ModuleType

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from threadconform.reference.contracts import aitronos, chat, freddy, kortix, worker
from threadconform.reference.contracts.common import Context
from threadconform.reference.errors import ErrorReply
from threadconform.reference.hooks import CONFORMING, FaultCrash, Hooks
from threadconform.reference.store import Store

MODULES: dict[str, ModuleType] = {
    "kortix": kortix,
    "chat": chat,
    "aitronos": aitronos,
    "freddy": freddy,
    "worker": worker,
}
CONTRACTS: tuple[str, ...] = tuple(MODULES)
PATHS: dict[str, str] = {name: module.PATH for name, module in MODULES.items()}
# Where a server started with every fault serves fault NAME: /__fault/NAME/<the usual paths>.
FAULT_PREFIX = "/__fault"

log = logging.getLogger("threadconform.reference")
Endpoint = Callable[[Request], Awaitable[Response]]


def build_app(contract: str, store: Store, hooks: Hooks = CONFORMING) -> Starlette:
    module = MODULES[contract]
    crash: Callable[[], ErrorReply] = module.internal_error
    routes = [
        Route(r.path, guarded(r.endpoint, crash), methods=sorted(r.methods or ()))
        for r in module.ROUTES
    ]
    app = Starlette(routes=routes)
    app.state.context = Context(contract, store, hooks)
    return app


def build_fault_app(contract: str, store: Store, faults: Mapping[str, Hooks]) -> Starlette:
    """The conforming application, plus each fault's application under its own prefix.

    One server (one store) then serves every variant of the mutation matrix, and every
    faulty variant sits under a path prefix, as real deployments behind a gateway do. The
    conforming routes are the very ones `build_app` makes: no prefix, no fault.
    """
    app = build_app(contract, store)
    for name, hooks in faults.items():
        app.router.routes.append(Mount(f"{FAULT_PREFIX}/{name}", build_app(contract, store, hooks)))
    return app


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
