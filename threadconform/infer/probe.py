"""The HTTP side of `infer`: one budgeted `Client`, the credential that works, and a log of
every request as evidence (`GET /v1/threads?limit=2 -> 200, 2 items`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from threadconform import paths
from threadconform.client import Client
from threadconform.exchange import Response

__all__ = ["Page", "Prober", "Target", "items_at", "link_next"]


@dataclass(frozen=True)
class Target:
    """The endpoint as the user gave it: origin, path, and the query it already carries."""

    origin: str
    path: str
    query: tuple[tuple[str, str], ...]

    @classmethod
    def parse(cls, url: str) -> Target:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"{url!r} is not an http(s) URL with a host")
        query = tuple(parse_qsl(parts.query, keep_blank_values=True))
        return cls(f"{parts.scheme}://{parts.netloc}", parts.path or "/", query)


@dataclass(frozen=True)
class Page:
    """One response as `infer` reads it: the items found at the items path (None: not a
    page of items) and a one-line description for the evidence comments."""

    params: tuple[tuple[str, str], ...]
    response: Response
    items: list[Any] | None
    shown: str

    @property
    def status(self) -> int | None:
        return self.response.status

    @property
    def body(self) -> Any:
        return self.response.body

    @property
    def ok(self) -> bool:
        return self.response.ok and self.items is not None

    def ids(self, id_path: str) -> list[str]:
        return [str(paths.get(item, id_path)) for item in self.items or []]


@dataclass
class Prober:
    """Sends GET requests to the one endpoint with the chosen credential headers."""

    client: Client
    target: Target
    items_path: str | None = None
    auth_headers: dict[str, str] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)

    def get(
        self,
        params: Mapping[str, Any] | tuple[tuple[str, str], ...] = (),
        *,
        headers: Mapping[str, str] | None = None,
    ) -> Page:
        pairs = tuple(params.items()) if isinstance(params, Mapping) else tuple(params)
        sent = tuple((str(k), str(v)) for k, v in (*self.target.query, *pairs))
        chosen = self.auth_headers if headers is None else headers
        response = self.client.get(sent, credential=None, headers=chosen)
        items = items_at(response.body, self.items_path) if response.ok else None
        shown = f"GET {self.show(sent)} -> {_outcome(response, items)}"
        self.log.append(shown)
        return Page(sent, response, items, shown)

    def show(self, params: tuple[tuple[str, str], ...]) -> str:
        return f"{self.target.path}?{urlencode(params)}" if params else self.target.path

    def follow(self, page: Page, link: str) -> tuple[tuple[str, str], ...] | None:
        """The query of a next link, if it points at this endpoint (else None)."""
        here = f"{self.target.origin}{self.show(page.params)}"
        there = urlsplit(urljoin(here, link))
        if f"{there.scheme}://{there.netloc}" != self.target.origin:
            return None
        if there.path.rstrip("/") != self.target.path.rstrip("/"):
            return None
        own = dict(self.target.query)
        pairs = parse_qsl(there.query, keep_blank_values=True)
        return tuple((k, v) for k, v in pairs if own.get(k) != v)

    @property
    def sent(self) -> int:
        return self.client.requests_sent


def items_at(body: Any, path: str | None) -> list[Any] | None:
    if path is None:
        return None
    found = paths.get(body, path)
    return found if isinstance(found, list) else None


def link_next(headers: Mapping[str, str], rel: str = "next") -> str | None:
    """The target of `rel` in an RFC 8288 Link header, if any."""
    value = {k.lower(): v for k, v in headers.items()}.get("link", "")
    for part in value.split(","):
        if "<" not in part or ">" not in part:
            continue
        url, _, attrs = part.strip().partition(">")
        rels = [a.split("=", 1)[1].strip().strip('"') for a in attrs.split(";") if "rel=" in a]
        if any(rel in r.split() for r in rels):
            return url.lstrip("<").strip()
    return None


def _outcome(response: Response, items: list[Any] | None) -> str:
    if response.status is None:
        return f"no response ({response.error})"
    if items is not None:
        return f"{response.status}, {len(items)} items"
    snippet = " ".join(response.text.split())[:80]
    return f"{response.status} {snippet}".rstrip()
