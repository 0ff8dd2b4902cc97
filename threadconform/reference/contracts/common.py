"""What every contract handler shares: its context, timestamps, replies and auth."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from threadconform.reference import auth
from threadconform.reference.errors import ErrorReply
from threadconform.reference.hooks import Hooks, PageInfo
from threadconform.reference.store import Store

__all__ = ["Context", "authenticate", "context", "dashed", "iso", "refuse", "respond"]


@dataclass(frozen=True)
class Context:
    contract: str
    store: Store
    hooks: Hooks


def context(request: Request) -> Context:
    found: Context = request.app.state.context
    return found


def iso(instant: int | None) -> str | None:
    """Seconds since the epoch as RFC 3339 UTC with a `Z`, as in the seeds' examples."""
    if instant is None:
        return None
    return datetime.fromtimestamp(instant, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def dashed(hex_id: str) -> str:
    """A 32-hex-digit id as a UUID string; fixed dash positions keep the ids' sort order."""
    return f"{hex_id[:8]}-{hex_id[8:12]}-{hex_id[12:16]}-{hex_id[16:20]}-{hex_id[20:]}"


def refuse(ctx: Context, reply: ErrorReply) -> Response:
    return ctx.hooks.error(reply).response()


def respond(ctx: Context, body: dict[str, Any], page: PageInfo) -> Response:
    """The 2xx body after the body hook (which may turn it into an error)."""
    shaped = ctx.hooks.body(body, page)
    if isinstance(shaped, ErrorReply):
        return refuse(ctx, shaped)
    return JSONResponse(shaped)


def authenticate(ctx: Context, request: Request) -> tuple[int | None, str | None]:
    """(the tenant to serve or None, the credential presented or None when absent)."""
    headers = ctx.hooks.headers(request.headers, request.query_params)
    credential = auth.presented(ctx.contract, headers)
    tenant = auth.tenant_for(ctx.contract, credential)
    return ctx.hooks.auth(tenant, credential), credential
