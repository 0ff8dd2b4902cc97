"""One request and what came back, as the suite records it.

Every check's evidence is a list of these. They never hold a credential: the client
records the header *name* of the credential and a redacted value, so a report, a JUnit
file or a curl line built from them cannot leak a token.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

__all__ = ["REDACTED", "Request", "Response"]

REDACTED = "***"


@dataclass(frozen=True)
class Request:
    method: str
    url: str  # base URL + endpoint, without the query string
    params: tuple[tuple[str, str], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()  # already redacted

    @property
    def full_url(self) -> str:
        return f"{self.url}?{urlencode(self.params)}" if self.params else self.url

    def curl(self) -> str:
        """A shell command that repeats this request; the credential stays a placeholder."""
        parts = ["curl", "-sS"]
        if self.method != "GET":
            parts += ["-X", self.method]
        parts.append(self.full_url)
        for name, value in self.headers:
            parts += ["-H", f"{name}: {value}"]
        return " ".join(shlex.quote(part) for part in parts)


@dataclass(frozen=True)
class Response:
    """A response, or the reason there is none (`error` set, `status` None).

    `body` is the parsed JSON, or None when the body is not JSON (then `text` holds the
    start of it and `error` says why). `text` is capped: never a whole 10 MB body.
    """

    request: Request
    status: int | None
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    text: str = ""
    error: str | None = None
    elapsed: float = 0.0
    items_dropped: int = 0  # list items past what the probes examine (probes.context)
    unreachable: bool = False  # no connection could be made (refused, DNS, connect, TLS)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    @property
    def is_json(self) -> bool:
        kind = self.content_type.split(";", 1)[0].strip().lower()
        return kind == "application/json" or kind.endswith("+json")

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300 and self.error is None
