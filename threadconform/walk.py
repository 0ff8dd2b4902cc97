"""Walkers: follow a contract's pagination from the first page to the end, and record it.

One walker per style (page, offset, cursor, first-n), chosen by `pagination.style`: no
contract is named here. A walk always ends: at the end of the data, at the page cap, when
the request budget is spent, on an error, or on a cycle (a page, offset or cursor asked
for twice, or a body seen twice). Ending on a cycle is recorded, not raised: the
WALK-TERMINATES invariant turns it into a failure.

Each item keeps only what the invariants read (its id, its sort key, and the fields that
filters and item rules name), so a walk over 100,000 threads stays small.
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
from urllib.parse import parse_qsl, urljoin, urlsplit

from threadconform import paths
from threadconform.client import Params, encode_params
from threadconform.exchange import Request, Response
from threadconform.model import Bounded, Pagination
from threadconform.outcomes import BudgetSpent

__all__ = [
    "OBJECT",
    "Fetcher",
    "Item",
    "Meta",
    "Page",
    "Stop",
    "Walk",
    "extract_page",
    "fetch_page",
    "item_paths",
    "position",
    "walk",
    "walk_backward",
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
    """The page-level fields a contract documents; None when absent or null."""

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
            f"{pagination.response.items!r}, got {_kind(raw_items)}"
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
            error = error or f"item #{index} has no usable id at {id_path!r}: {_kind(ident)}"
            continue
        pairs = [
            _share(shared, (path, _compact(value)))
            for path in keep
            if (value := paths.get(raw, path)) is not paths.MISSING
        ]
        fields = shared.setdefault(tuple(map(id, pairs)), tuple(pairs))
        items.append(Item(str(ident), _sort_key(pagination, raw), fields, _ties(pagination, raw)))
    return tuple(items), error


def _share(shared: dict[Any, Any], pair: tuple[str, Any]) -> tuple[str, Any]:
    # Keyed by repr: True == 1 == 1.0 as dict keys, but they are different JSON values.
    return shared.setdefault(repr(pair), pair)


def _meta(pagination: Pagination, body: Any) -> Meta:
    fields = pagination.response

    def at(path: str | None) -> Any:
        return None if path is None else paths.get(body, path, None)

    return Meta(
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


def _kind(value: Any) -> str:
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


# -- walking -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Halt:
    """A step's refusal to go on that is not the end of the list (a link elsewhere)."""

    stop: Stop
    note: str


# A step looks at the previous page (None before the first) and returns either the next
# request as (cycle key, params), a string (the reason the walk has reached its end), or a
# _Halt (why it must not go on).
Step = Callable[[Page | None], tuple[tuple[str, str], StrParams] | str | _Halt]


def walk(
    client: Fetcher,
    pagination: Pagination,
    params: Params = (),
    *,
    max_pages: int,
    direction: str | None = None,
) -> Walk:
    """Walk forward from the first page (or the page/offset/cursor in `params`) to the end."""
    base = _base_params(pagination, params, direction)
    steps: dict[str, Callable[[Pagination, StrParams], Step]] = {
        "page": _page_steps,
        "offset": _offset_steps,
        "cursor": _after_steps,
        "first-n": _single_step,
        "token": _token_steps,
        "next-link": _link_steps,
        "link-header": _link_steps,
    }
    step = steps[pagination.style](pagination, base)
    return _run(client, pagination, base, step, max_pages, _direction(pagination, base))


def walk_backward(
    client: Fetcher,
    pagination: Pagination,
    params: Params = (),
    *,
    start: str | Page,
    max_pages: int,
    direction: str | None = None,
) -> Walk:
    """Walk back from item `start` (or from a page: its first item), with
    `before=<first id of the page fetched last>` until a page comes back empty.

    Stops on an empty page only: what has-more means on a `before` page is not settled
    by any contract, so it is not trusted to end the walk.
    """
    if pagination.cursor is None or pagination.cursor.before is None:
        raise ValueError("walk_backward needs a contract with a `before` cursor")
    before = pagination.cursor.before
    base = _base_params(pagination, params, direction)
    if isinstance(start, Page):
        if not start.items:
            raise ValueError("walk_backward needs a start page with at least one item")
        start = start.items[0].id
    first: str = start

    def step(previous: Page | None) -> tuple[tuple[str, str], StrParams] | str:
        if previous is None:
            return (before, first), _with(base, before, first)
        if not previous.items:
            return "an empty page"
        cursor = previous.items[0].id
        return (before, cursor), _with(base, before, cursor)

    walked = _run(client, pagination, base, step, max_pages, _direction(pagination, base))
    return Walk(walked.params, walked.direction, walked.pages, walked.stop, walked.note, True)


def _run(
    client: Fetcher,
    pagination: Pagination,
    base: StrParams,
    step: Step,
    max_pages: int,
    direction: str | None,
) -> Walk:
    pages: list[Page] = []
    requested: dict[tuple[str, str], int] = {}  # cycle key -> page number that asked it
    digests: dict[str, int] = {}  # body digest -> page number that returned it

    def done(stop: Stop, note: str) -> Walk:
        return Walk(base, direction, tuple(pages), stop, note)

    while True:
        previous = pages[-1] if pages else None
        nxt = step(previous)
        if isinstance(nxt, str):
            return done("end", f"ended after {len(pages)} page(s): {nxt}")
        if isinstance(nxt, _Halt):
            return done(nxt.stop, nxt.note)
        key, request_params = nxt
        if key in requested:
            return done("cycle", f"{_label(key)} was already requested for page #{requested[key]}")
        if len(pages) >= max_pages:
            return done("page-cap", f"stopped at the cap of {max_pages} pages before {_label(key)}")
        try:
            page = fetch_page(client, pagination, request_params)
        except BudgetSpent as exc:
            return done("budget", str(exc))
        pages.append(page)
        number = len(pages)
        if not page.ok:
            return done("error", f"page #{number} ({_label(key)}) failed: {page.error}")
        if page.body_digest and page.body_digest in digests:
            first = digests[page.body_digest]
            return done(
                "cycle", f"page #{number} ({_label(key)}) repeated the body of page #{first}"
            )
        requested[key] = number
        digests[page.body_digest] = number


def _page_steps(pagination: Pagination, base: StrParams) -> Step:
    name = pagination.page.param if pagination.page else "page"
    first = _start(base, name, pagination.page, 1)

    def step(previous: Page | None) -> tuple[tuple[str, str], StrParams] | str:
        number = first
        if previous is not None:
            if not previous.items:
                return "an empty page"
            number = (_int(previous.param(name)) or first) + 1
            pages = previous.meta.pages
            if _is_count(pages) and number > pages:
                return f"{name}={number - 1} was the last of {pages} pages"
        return (name, str(number)), _with(base, name, number)

    return step


def _offset_steps(pagination: Pagination, base: StrParams) -> Step:
    name = pagination.offset.param if pagination.offset else "offset"
    first = _start(base, name, pagination.offset, 0)
    limit = _int(dict(base).get(pagination.limit.param)) or pagination.limit.default

    def step(previous: Page | None) -> tuple[tuple[str, str], StrParams] | str:
        offset = first
        if previous is not None:
            if not previous.items:
                return "an empty page"
            if previous.meta.has_more is False:
                return "has-more was false"
            offset = (_int(previous.param(name)) or 0) + (limit or len(previous.items))
            total = previous.meta.total
            if _is_count(total) and offset >= total:
                return f"{name}={offset} reached the total of {total}"
        return (name, str(offset)), _with(base, name, offset)

    return step


def _after_steps(pagination: Pagination, base: StrParams) -> Step:
    after = pagination.cursor.after if pagination.cursor else "after"

    def step(previous: Page | None) -> tuple[tuple[str, str], StrParams] | str:
        if previous is None:
            return (after, dict(base).get(after, "")), base
        if not previous.items:
            return "an empty page"
        if previous.meta.has_more is False:
            return "has-more was false"
        cursor = previous.items[-1].id
        return (after, cursor), _with(base, after, cursor)

    return step


def _token_steps(pagination: Pagination, base: StrParams) -> Step:
    """Send back the token the previous page carried; an empty, null or absent one ends.
    An empty page with a token does not end the walk (AIP-158 and Slack allow short and
    even empty pages): a server that never stops issuing tokens is stopped by the page
    cap, and WALK-TERMINATES reports it."""
    name = pagination.token.param if pagination.token else "page_token"

    def step(previous: Page | None) -> tuple[tuple[str, str], StrParams] | str:
        if previous is None:
            return (name, dict(base).get(name, "")), base
        token = previous.meta.next
        if token is None or token == "":
            return "the next page token was empty"
        if not isinstance(token, str):
            return f"the next page token was {_kind(token)}, not a string"
        return (name, token), _with(base, name, token)

    return step


def _link_steps(pagination: Pagination, base: StrParams) -> Step:
    """Follow the next link (body or Link header) as it is: its query is sent exactly, so a
    link that drops a filter or the limit shows. A link to another origin or endpoint is
    never followed: the walk halts ("off-origin") and says where it pointed."""

    def step(previous: Page | None) -> tuple[tuple[str, str], StrParams] | str | _Halt:
        if previous is None:
            return ("link", ""), base
        link = previous.meta.next
        if link is None or link == "":
            return "there was no next link"
        if not isinstance(link, str):
            return _Halt("error", f"the next link was {_kind(link)}, not a URL")
        return follow(previous.request, link)

    return step


def follow(request: Request, link: str) -> tuple[tuple[str, str], StrParams] | _Halt:
    """The request a next link asks for, if it stays on the target's origin and endpoint."""
    target = urlsplit(urljoin(request.full_url, link))
    here = urlsplit(request.url)
    if (target.scheme, target.netloc) != (here.scheme, here.netloc):
        where = f"{target.scheme}://{target.netloc}" if target.netloc else repr(link)
        note = (
            f"the next link {link!r} leads to {where}, not the target's origin "
            f"{here.scheme}://{here.netloc}: not followed (the suite only talks to the target)"
        )
        return _Halt("off-origin", note)
    if target.path.rstrip("/") != here.path.rstrip("/"):
        note = (
            f"the next link {link!r} leads to the path {target.path}, not the endpoint "
            f"{here.path}: not followed"
        )
        return _Halt("off-origin", note)
    params = tuple(parse_qsl(target.query, keep_blank_values=True))
    return ("link", target.geturl()), params


def _single_step(pagination: Pagination, base: StrParams) -> Step:
    def step(previous: Page | None) -> tuple[tuple[str, str], StrParams] | str:
        if previous is None:
            return ("", ""), base
        return "the style returns a single page"

    return step


def _base_params(pagination: Pagination, params: Params, direction: str | None) -> StrParams:
    base = encode_params(params)
    order = pagination.order
    if direction and order and order.param:
        base = _with(base, order.param, order.values.get(direction, direction))
    return base


def _direction(pagination: Pagination, base: StrParams) -> str | None:
    order = pagination.order
    if order is None:
        return None
    sent = dict(base).get(order.param) if order.param else None
    if sent is None:
        return order.direction
    by_value = {value: name for name, value in order.values.items()}
    return by_value.get(sent, sent)


def _with(params: StrParams, name: str, value: object) -> StrParams:
    """`params` with `name` set to `value` (replacing any earlier value)."""
    kept = tuple((key, old) for key, old in params if key != name)
    return (*kept, *encode_params([(name, value)]))  # type: ignore[list-item]  # any scalar


def _label(key: tuple[str, str]) -> str:
    return f"{key[0]}={key[1]}" if key[1] else "the first page"


def _start(base: StrParams, name: str, bounded: Bounded | None, fallback: int) -> int:
    """Where a walk starts: the value the caller sent, else the default, else the minimum."""
    sent = _int(dict(base).get(name))
    if sent is not None:
        return sent
    if bounded is None:
        return fallback
    for value in (bounded.default, bounded.minimum):
        if value is not None:
            return value
    return fallback


def _int(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
