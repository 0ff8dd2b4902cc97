"""Error bodies, one builder per envelope the seeds document.

Handlers build an `ErrorReply` (status, body, what kind of refusal it is) and turn it into
a response at the very end, so a fault can rewrite any error in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from starlette.responses import JSONResponse

from threadconform.reference.params import Invalid

__all__ = [
    "ErrorReply",
    "Kind",
    "fastapi_detail",
    "fastapi_validation",
    "vendor",
    "vendor_invalid",
    "worker",
]

Kind = Literal["auth", "validation", "forbidden", "not_found", "server"]


@dataclass(frozen=True)
class ErrorReply:
    status: int
    body: object
    kind: Kind
    headers: tuple[tuple[str, str], ...] = ()

    def response(self) -> JSONResponse:
        return JSONResponse(self.body, status_code=self.status, headers=dict(self.headers))


def fastapi_validation(problems: list[Invalid]) -> ErrorReply:
    """FastAPI's 422 `HTTPValidationError`: one `detail` entry per invalid parameter."""
    detail = []
    for problem in problems:
        entry: dict[str, object] = {
            "type": problem.kind,
            "loc": ["query", problem.param],
            "msg": problem.message,
            "input": problem.value,
        }
        if problem.ctx:
            entry["ctx"] = dict(problem.ctx)
        detail.append(entry)
    return ErrorReply(422, {"detail": detail}, "validation")


def fastapi_detail(status: int, message: str, kind: Kind, *, bearer: bool = False) -> ErrorReply:
    """FastAPI's `HTTPException` body, `{"detail": "..."}`."""
    headers = (("WWW-Authenticate", "Bearer"),) if bearer else ()
    return ErrorReply(status, {"detail": message}, kind, headers)


def vendor(
    status: int, kind: Kind, message: str, type_: str, code: str, param: str | None = None
) -> ErrorReply:
    """The Aitronos/Freddy envelope `{"error": {message, type, code, param?}}`."""
    error = {"message": message, "type": type_, "code": code}
    if param is not None:
        error["param"] = param
    return ErrorReply(status, {"error": error}, kind)


def vendor_invalid(problem: Invalid, code: str) -> ErrorReply:
    return vendor(400, "validation", problem.message, "invalid_request_error", code, problem.param)


def worker(status: int, message: str, kind: Kind) -> ErrorReply:
    """The worker documents no errors; it answers like a small Workers script would."""
    return ErrorReply(status, {"error": message}, kind)
