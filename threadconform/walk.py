"""Walkers: follow a contract's pagination from the first page to the end, and record it.

One walker per style (page, offset, cursor, first-n), chosen by `pagination.style`: no
contract is named here. A walk always ends: at the end of the data, at the page cap, when
the request budget is spent, on an error, or on a cycle (a page, offset or cursor asked
for twice, or a body seen twice). Ending on a cycle is recorded, not raised: the
WALK-TERMINATES invariant turns it into a failure.

Each item keeps only what the invariants read (its id, its sort key, and the fields that
filters and item rules name), so a walk over 100,000 threads stays small.

Fetching ahead: once a page or offset walk knows where the listing ends (a page count, a
total), the next AHEAD pages are known before any of them is read, and `together` may
fetch them side by side (across a network, one round trip instead of four). They are then
judged one by one exactly as if fetched in turn; where the walk leaves the predicted path
(an empty page, has-more false, a repeated body, an error) the pages fetched ahead of that
point go unread. The predicted pages are the same at any concurrency, so the requests a
walk sends never depend on how many may be out at once.

A walk by `after=<id>` knows its path only from a listing already read: given `path` (the
ids of the reference walk of the same listing, which a correct server's pages follow), it
predicts the next cursors the same way. The first page off that path (a fault, or a write
since the reference) ends the fetching ahead for the rest of the walk, so a server whose
every page leaves the path costs at most AHEAD - 1 requests more than a walk in turn.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl, urljoin, urlsplit

from threadconform.client import Params, encode_params
from threadconform.exchange import Request
from threadconform.model import Bounded, Pagination
from threadconform.outcomes import BudgetSpent
from threadconform.pages import (
    OBJECT,
    Fetcher,
    Item,
    Meta,
    Page,
    Stop,
    StrParams,
    Walk,
    extract_page,
    fetch_page,
    header_link,
    item_paths,
    kind_of,
    position,
)

__all__ = [
    "AHEAD",
    "OBJECT",
    "Fetcher",
    "Item",
    "Meta",
    "Page",
    "Stop",
    "Together",
    "Walk",
    "extract_page",
    "fetch_page",
    "follow",
    "header_link",
    "item_paths",
    "position",
    "walk",
    "walk_backward",
]


# -- walking -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Halt:
    """A step's refusal to go on that is not the end of the list (a link elsewhere)."""

    stop: Stop
    note: str


# A step looks at the previous page (None before the first) and returns either the next
# request as (cycle key, params), a string (the reason the walk has reached its end), or a
# _Halt (why it must not go on).
Next = tuple[tuple[str, str], StrParams]
Step = Callable[[Page | None], Next | str | _Halt]
# Given the next request and the page before it (None before the first), up to `room`
# requests after it that a walk over a listing which goes on as that page (or the path it
# was given) says would send (see the module doc).
Ahead = Callable[[Next, Page | None, int], list[Next]]
# Runs fetches and returns their results in order: one after another, or side by side.
Together = Callable[[Sequence[Callable[[], "Page | BudgetSpent"]]], list["Page | BudgetSpent"]]
# Pages fetched in one go where the end is known: the first one and the three after it.
AHEAD = 4


def _one_by_one(fetches: Sequence[Callable[[], Page | BudgetSpent]]) -> list[Page | BudgetSpent]:
    return [fetch() for fetch in fetches]


def walk(
    client: Fetcher,
    pagination: Pagination,
    params: Params = (),
    *,
    max_pages: int,
    direction: str | None = None,
    together: Together = _one_by_one,
    path: Sequence[str] | None = None,
) -> Walk:
    """Walk forward from the first page (or the page/offset/cursor in `params`) to the end;
    `together` fetches the pages known ahead, `path` the ids a cursor walk's pages should
    follow (see the module doc)."""
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
    ahead = _ahead(pagination, base, path)
    return _run(
        client,
        pagination,
        base,
        step,
        max_pages,
        _direction(pagination, base),
        _Fetching(client, pagination, ahead, together),
    )


def walk_backward(
    client: Fetcher,
    pagination: Pagination,
    params: Params = (),
    *,
    start: str | Page,
    max_pages: int,
    direction: str | None = None,
    together: Together = _one_by_one,
    path: Sequence[str] | None = None,
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

    ahead = _before_ahead(before, base, pagination, path) if path else None
    fetching = _Fetching(client, pagination, ahead, together)
    walked = _run(client, pagination, base, step, max_pages, _direction(pagination, base), fetching)
    return Walk(walked.params, walked.direction, walked.pages, walked.stop, walked.note, True)


def _ahead(pagination: Pagination, base: StrParams, path: Sequence[str] | None) -> Ahead | None:
    if pagination.style == "page":
        return _page_ahead(pagination, base)
    if pagination.style == "offset":
        return _offset_ahead(pagination, base)
    if pagination.style == "cursor" and path:
        return _after_ahead(pagination, base, path)
    return None


@dataclass
class _Fetching:
    """How a walk gets its pages: one at a time, or with the pages known ahead."""

    client: Fetcher
    pagination: Pagination
    ahead: Ahead | None = None
    together: Together = _one_by_one
    fetched: list[tuple[Next, Page | BudgetSpent]] | None = None  # ahead, not yet read

    def get(self, nxt: Next, previous: Page | None, room: int) -> Page | BudgetSpent:
        """The page `nxt` asks for: fetched ahead already, or fetched now (with the pages
        after it, where the end is known)."""
        if self.fetched and self.fetched[0][0] == nxt:
            return self.fetched.pop(0)[1]
        if self.fetched:  # off the predicted path: no more guessing in this walk
            self.ahead = None
        wanted = [nxt]
        if self.ahead is not None:
            wanted += self.ahead(nxt, previous, min(AHEAD, room) - 1)
        results = self.together([self._fetcher(params) for _, params in wanted])
        self.fetched = list(zip(wanted[1:], results[1:], strict=True))
        return results[0]

    def _fetcher(self, params: StrParams) -> Callable[[], Page | BudgetSpent]:
        def fetch() -> Page | BudgetSpent:
            try:
                return fetch_page(self.client, self.pagination, params)
            except BudgetSpent as exc:
                return exc

        return fetch


def _run(
    client: Fetcher,
    pagination: Pagination,
    base: StrParams,
    step: Step,
    max_pages: int,
    direction: str | None,
    fetching: _Fetching,
) -> Walk:
    pages: list[Page] = []
    requested: dict[tuple[str, str], int] = {}  # cycle key -> page number that asked it
    digests: dict[str, int] = {}  # body digest -> page number that returned it
    names: dict[int, str] = {}  # page number -> how the notes call that page
    positional = pagination.style in ("page", "offset")

    def done(stop: Stop, note: str) -> Walk:
        return Walk(base, direction, tuple(pages), stop, note)

    while True:
        previous = pages[-1] if pages else None
        nxt = step(previous)
        if isinstance(nxt, str):
            return done("end", f"ended after {len(pages)} page(s): {nxt}")
        if isinstance(nxt, _Halt):
            return done(nxt.stop, nxt.note)
        key = nxt[0]
        if key in requested:
            earlier = "earlier in the walk" if positional else f"for page #{requested[key]}"
            return done("cycle", f"{_label(key)} was already requested {earlier}")
        if len(pages) >= max_pages:
            return done("page-cap", f"stopped at the cap of {max_pages} pages before {_label(key)}")
        page = fetching.get(nxt, previous, max_pages - len(pages))
        if isinstance(page, BudgetSpent):
            return done("budget", str(page))
        pages.append(page)
        number = len(pages)
        names[number] = _name(key, number, positional)
        if not page.ok:
            return done("error", f"{names[number]} failed: {page.error}")
        if page.body_digest and page.body_digest in digests:
            first = names[digests[page.body_digest]]
            return done("cycle", f"{names[number]} repeated the body of {first}")
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
    limit = _limit(pagination, base)

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


def _page_ahead(pagination: Pagination, base: StrParams) -> Ahead:
    name = pagination.page.param if pagination.page else "page"

    def ahead(nxt: Next, previous: Page | None, room: int) -> list[Next]:
        if previous is None:
            return []
        pages, number = previous.meta.pages, _int(nxt[0][1])
        if not _is_count(pages) or number is None:
            return []
        last = min(number + room, pages)
        return [((name, str(n)), _with(base, name, n)) for n in range(number + 1, last + 1)]

    return ahead


def _offset_ahead(pagination: Pagination, base: StrParams) -> Ahead:
    name = pagination.offset.param if pagination.offset else "offset"
    limit = _limit(pagination, base)

    def ahead(nxt: Next, previous: Page | None, room: int) -> list[Next]:
        if previous is None:
            return []
        total, offset = previous.meta.total, _int(nxt[0][1])
        if not limit or not _is_count(total) or offset is None:
            return []
        offsets = range(offset + limit, offset + limit * (room + 1), limit)
        return [((name, str(o)), _with(base, name, o)) for o in offsets if o < total]

    return ahead


def _limit(pagination: Pagination, base: StrParams) -> int | None:
    """The page size a walk asks for: its limit parameter, else the documented default."""
    return _int(dict(base).get(pagination.limit.param)) or pagination.limit.default


def _after_ahead(pagination: Pagination, base: StrParams, path: Sequence[str]) -> Ahead:
    after = pagination.cursor.after if pagination.cursor else "after"
    limit = _limit(pagination, base)
    where = {ident: n for n, ident in enumerate(path)}

    def ahead(nxt: Next, previous: Page | None, room: int) -> list[Next]:
        # `after=path[i]` serves path[i+1 .. i+limit]; the page after it asks
        # `after=path[i+limit]`. Only cursors with threads after them: where the walk
        # ends (has-more false, or an empty page after the last) is not guessed.
        at = -1 if nxt[0][1] == "" else where.get(nxt[0][1])  # "": the first page
        if not limit or at is None:
            return []
        cursors = range(at + limit, min(at + limit * (room + 1), len(path) - 1), limit)
        return [((after, path[i]), _with(base, after, path[i])) for i in cursors]

    return ahead


def _before_ahead(
    before: str, base: StrParams, pagination: Pagination, path: Sequence[str]
) -> Ahead:
    limit = _limit(pagination, base)
    where = {ident: n for n, ident in enumerate(path)}

    def ahead(nxt: Next, previous: Page | None, room: int) -> list[Next]:
        # `before=path[i]` serves path[i-limit .. i-1]; the page after it asks
        # `before=path[i-limit]`, down to the first thread (whose page is the empty end).
        at = where.get(nxt[0][1])
        if not limit or at is None:
            return []
        cursors = range(at - limit, max(at - limit * (room + 1), 0), -limit)
        return [((before, path[i]), _with(base, before, path[i])) for i in cursors]

    return ahead


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
            return f"the next page token was {kind_of(token)}, not a string"
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
            return _Halt("error", f"the next link was {kind_of(link)}, not a URL")
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


def _name(key: tuple[str, str], number: int, positional: bool) -> str:
    """A page as a note calls it: by its own parameter where that says where it is
    (`page=3`; a walk may start mid-listing, so `page #1 (page=3)` would contradict
    itself), else by its place in the walk and the opaque value that fetched it."""
    if positional or not key[1]:
        return _label(key)
    return f"page #{number} of the walk ({_label(key)})"


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
