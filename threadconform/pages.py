"""Pages and walks as the invariants see them, and how a response becomes a page.

`Item`, `Meta`, `Page` and `Walk` are the records every invariant reads: each item keeps
only what the invariants need (its id, its sort key, the fields filters and item rules
name), so a walk over 100,000 threads stays small. `extract_page` turns one response into
a page; the walkers that chain pages live in `threadconform.walk`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from threadconform import paths
from threadconform.client import Params
from threadconform.exchange import Request, Response
from threadconform.model import Pagination

__all__ = [
    "OBJECT",
    "Fetcher",
    "Item",
    "Meta",
    "Page",
    "Stop",
    "StrParams",
    "Walk",
    "extract_page",
    "fetch_page",
    "header_link",
    "item_paths",
    "kind_of",
    "position",
]

Stop = Literal["end", "budget", "cycle", "error", "page-cap", "off-origin"]
StrParams = tuple[tuple[str, str], ...]


class Fetcher(Protocol):
    """What a walker needs of a client: `Client`, or a wrapper sending another credential."""

    def get(self, params: Params = ...) -> Response: ...


class _Object:
    """Stands in for a nested object in `Item.fields`: only its presence matters."""

    def __repr__(self) -> str:
        return "{...}"

    def __reduce__(self) -> str:
        return "OBJECT"


OBJECT = _Object()


@dataclass(frozen=True, slots=True)
class Item:
    id: str
    sort_key: float | str | None  # POSIX seconds; the raw string if it would not parse
    fields: tuple[tuple[str, Any], ...] = ()  # (item path, value) for present paths only
    ties: tuple[float | str | None, ...] = ()  # the documented tie-breakers' values, in order

    @property
    def full_key(self) -> tuple[float | str | None, ...]:
        """The whole documented sort key: the primary key, then each tie-breaker."""
        return (self.sort_key, *self.ties)

    def get(self, path: str, default: Any = paths.MISSING) -> Any:
        for name, value in self.fields:
            if name == path:
                return value
        return default


@dataclass(frozen=True, slots=True)
class Meta:
    """The page-level fields a contract documents; None when absent or null (`absent`
    tells the two apart, for the evidence a person reads)."""

    total: Any = None
    has_more: Any = None
    pages: Any = None
    page: Any = None
    limit: Any = None
    page_size: Any = None
    first_id: Any = None
    last_id: Any = None
    object: Any = None
    echoes: tuple[tuple[str, Any], ...] = ()  # (body path, value) of filter echoes
    next: Any = None  # token: the next page token; next-link / link-header: the next URL
    absent: tuple[str, ...] = ()  # the documented body paths the body lacks (not null)

    def echo(self, path: str) -> Any:
        return dict(self.echoes).get(path)


@dataclass(frozen=True, slots=True)
class Page:
    request: Request
    status: int | None
    error: str | None  # why the page has no usable items (transport, non-2xx, shape)
    items: tuple[Item, ...]
    meta: Meta
    body_digest: str  # sha256 of the body minus volatile paths; "" without a JSON body

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300 and self.error is None

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(item.id for item in self.items)

    def param(self, name: str) -> str | None:
        """The value sent for query parameter `name` (the last one if repeated)."""
        found = None
        for key, value in self.request.params:
            if key == name:
                found = value
        return found


@dataclass(frozen=True, slots=True)
class Walk:
    params: StrParams  # the parameters every page shared (filters, limit, order)
    direction: str | None  # "asc"/"desc" as requested, else the contract's default
    pages: tuple[Page, ...]
    stop: Stop
    note: str  # one line: why the walk stopped
    backward: bool = False  # pages were fetched with `before`, each one further back

    @property
    def items(self) -> tuple[Item, ...]:
        """Every item in the requested order (a backward walk's pages are put back in order)."""
        pages = reversed(self.pages) if self.backward else self.pages
        return tuple(item for page in pages for item in page.items)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(item.id for item in self.items)

    @property
    def requests(self) -> tuple[Request, ...]:
        return tuple(page.request for page in self.pages)

    @property
    def complete(self) -> bool:
        return self.stop == "end"

    def param(self, name: str) -> str | None:
        return dict(self.params).get(name)


# -- extraction ----------------------------------------------------------------------------


def item_paths(pagination: Pagination) -> tuple[str, ...]:
    """The item paths a walk keeps: filter fields and every path an item rule names."""
    rules = pagination.items
    wanted = [f.field for f in pagination.filters if f.field]
    wanted += [*rules.unix_seconds, *rules.absolute_urls]
    for agree in rules.agree:
        wanted += [agree.field, agree.other] + ([agree.when] if agree.when else [])
    if pagination.response.item_object:
        wanted.append(pagination.response.item_object.path)
    return tuple(dict.fromkeys(wanted))  # unique, in order


def fetch_page(client: Fetcher, pagination: Pagination, params: Params) -> Page:
    """GET one page. `BudgetSpent` propagates: the caller decides how to stop."""
    response = client.get(params)
    return extract_page(pagination, response.request, response)


def extract_page(pagination: Pagination, request: Request, response: Response) -> Page:
    """Keep what the invariants need of one response; never the whole body."""
    if response.status is None or not 200 <= response.status < 300 or response.error:
        failed = response.error or f"{request.method} {request.full_url}: HTTP {response.status}"
        return Page(request, response.status, failed, (), Meta(), _digest(pagination, response))
    body = response.body
    raw_items = paths.get(body, pagination.response.items)
    error: str | None = None
    if not isinstance(raw_items, list):
        error = (
            f"{request.method} {request.full_url}: expected a list at "
            f"{pagination.response.items!r}, got {kind_of(raw_items)}"
        )
        raw_items = []
    items, item_error = _items(pagination, raw_items)
    if item_error and not error:
        error = f"{request.method} {request.full_url}: {item_error}"
    meta = _meta(pagination, body)
    link = pagination.link
    if pagination.style == "link-header" and link is not None:
        meta = dataclasses.replace(meta, next=header_link(response.headers, link.rel))
    return Page(request, response.status, error, items, meta, _digest(pagination, response))


_LINK = re.compile(r"<([^>]*)>((?:\s*;\s*[^;,]+)*)")
_REL = re.compile(r"""\brel\s*=\s*(?:"([^"]*)"|([^\s;,"]+))""", re.IGNORECASE)


def header_link(headers: Mapping[str, str], rel: str) -> str | None:
    """The target of relation `rel` in an RFC 8288 `Link` header, or None."""
    value = next((v for k, v in headers.items() if k.lower() == "link"), None)
    for target, attributes in _LINK.findall(value or ""):
        match = _REL.search(attributes)
        if match and rel in (match.group(1) or match.group(2) or "").lower().split():
            return target
    return None


# A top-level item field named like a moment (created_at, updatedAt, last_message_time,
# sent_date, modifiedOn, timestamp), kept so that an order failure can say which of them
# the items are really sorted by. At most MOST_MOMENTS per item: a walk stays small.
MOMENT_NAME = re.compile(r"(?:_at|At|_on|On|[Tt]ime|[Dd]ate|[Tt]imestamp|[Ss]tamp)$")
MOST_MOMENTS = 3


def _moments(pagination: Pagination, raw: Any, kept: tuple[str, ...]) -> list[str]:
    """The moment-named top-level fields of one item beyond the ones kept anyway and its
    documented sort keys (its sort key is kept on the item already)."""
    if not isinstance(raw, dict):
        return []
    known = {*kept, *(key.path for key in pagination.order.keys)} if pagination.order else set(kept)
    names = [n for n in raw if isinstance(n, str) and n not in known and MOMENT_NAME.search(n)]
    return names[:MOST_MOMENTS]


def _items(pagination: Pagination, raw_items: list[Any]) -> tuple[tuple[Item, ...], str | None]:
    keep = item_paths(pagination)
    id_path = pagination.response.id
    items: list[Item] = []
    error = None
    # Items on a page mostly share their field values (one organization, a few flags), so
    # equal (path, value) pairs and equal field tuples are stored once per page.
    shared: dict[Any, Any] = {}
    for index, raw in enumerate(raw_items):
        ident = paths.get(raw, id_path, None)
        if ident is None or isinstance(ident, dict | list):
            error = error or f"item #{index} has no usable id at {id_path!r}: {kind_of(ident)}"
            continue
        pairs = [
            _share(shared, (path, _compact(value)))
            for path in keep
            if (value := paths.get(raw, path)) is not paths.MISSING
        ]
        # top-level keys read as keys: one holding a dot is no nested path
        pairs += [(name, _compact(raw[name])) for name in _moments(pagination, raw, keep)]
        fields = shared.setdefault(tuple(map(id, pairs)), tuple(pairs))
        items.append(Item(str(ident), _sort_key(pagination, raw), fields, _ties(pagination, raw)))
    return tuple(items), error


def _share(shared: dict[Any, Any], pair: tuple[str, Any]) -> tuple[str, Any]:
    # Keyed by repr: True == 1 == 1.0 as dict keys, but they are different JSON values.
    return shared.setdefault(repr(pair), pair)


def _meta(pagination: Pagination, body: Any) -> Meta:
    fields = pagination.response
    absent: list[str] = []

    def at(path: str | None) -> Any:
        if path is None:
            return None
        value = paths.get(body, path)
        if value is paths.MISSING:
            absent.append(path)
            return None
        return value

    meta = Meta(
        total=at(fields.total),
        has_more=at(fields.has_more),
        pages=at(fields.pages),
        page=at(fields.page),
        limit=at(fields.limit),
        page_size=at(fields.page_size),
        first_id=at(fields.first_id),
        last_id=at(fields.last_id),
        object=at(fields.object.path) if fields.object else None,
        echoes=tuple((f.echo, at(f.echo)) for f in pagination.filters if f.echo),
        next=_next_at(pagination, at),
    )
    return dataclasses.replace(meta, absent=tuple(dict.fromkeys(absent)))


def _next_at(pagination: Pagination, at: Callable[[str | None], Any]) -> Any:
    if pagination.token is not None:
        return at(pagination.token.next)
    if pagination.style == "next-link" and pagination.link is not None:
        return at(pagination.link.next)
    return None


def _sort_key(pagination: Pagination, raw: Any) -> float | str | None:
    if pagination.order is None:
        return None
    return _key_value(raw, pagination.order.key, pagination.order.encoding)


def _ties(pagination: Pagination, raw: Any) -> tuple[float | str | None, ...]:
    if pagination.order is None or not pagination.order.ties:
        return ()
    return tuple(_key_value(raw, key.path, key.encoding) for key in pagination.order.ties)


def _key_value(raw: Any, path: str, encoding: str) -> float | str | None:
    """A sort key value: numbers and dates as floats, strings as they are, else None."""
    value = paths.get(raw, path, None)
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and encoding == "date-time":
        return _posix(value)
    return str(value)


def _posix(text: str) -> float | str:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text  # kept as is: the schema check reports the format
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _compact(value: Any) -> Any:
    """Scalars as they are, lists as tuples, objects as OBJECT: items stay small."""
    if isinstance(value, dict):
        return OBJECT
    if isinstance(value, list):
        return tuple(_compact(element) for element in value)
    return value


def _digest(pagination: Pagination, response: Response) -> str:
    if response.body is None:
        return ""
    stable = paths.without(response.body, pagination.volatile)
    text = json.dumps(stable, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def kind_of(value: Any) -> str:
    if value is None:
        return "null"
    if value is paths.MISSING:
        return "nothing (no such path in the body)"
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )


def position(pagination: Pagination, page: Page) -> str:
    """Where a page sits, in the contract's own terms: `page=3`, `offset=40`, `after=X`."""
    names = [
        pagination.page.param if pagination.page else None,
        pagination.offset.param if pagination.offset else None,
        pagination.cursor.after if pagination.cursor else None,
        pagination.cursor.before if pagination.cursor else None,
        pagination.token.param if pagination.token else None,
    ]
    for name in names:
        if name and (value := page.param(name)) is not None:
            return f"{name}={value}"
    if pagination.link is not None and page.request.params:
        return page.request.full_url.rsplit("/", 1)[-1]  # the followed link's query
    return "the first page"
