"""The faults of the opt-in link contracts: github (style link-header: a `Link` header's
rel="next") and graph (style next-link: `@odata.nextLink` in the body)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from threadconform.reference.contracts import graph
from threadconform.reference.data import PRIMARY, SECONDARY
from threadconform.reference.faults.fault import Fault
from threadconform.reference.faults.helpers import Body, one_based_offset, set_body
from threadconform.reference.hooks import FaultCrash, Hooks, PageInfo
from threadconform.reference.store import Cond, Where

__all__ = ["GITHUB", "GRAPH", "NEXT_LINK"]


# --- github (style link-header) --------------------------------------------------------

_NEXT = re.compile(r'<([^>]*)>; rel="next"')


def _rewrite_next(change: object) -> object:
    """A body hook that rewrites the URL of rel="next" (github's body hook sees the link)."""

    def hook(body: Body, page: PageInfo) -> Body:
        link = str(body.get("link") or "")
        match = _NEXT.search(link)
        if match is None:
            return body
        url = change(match.group(1), page)  # type: ignore[operator]
        return {**body, "link": link.replace(match.group(0), f'<{url}>; rel="next"')}

    return hook


def _without(*names: str) -> object:
    def change(url: str, page: PageInfo) -> str:
        parts = urlsplit(url)
        kept = [(k, v) for k, v in parse_qsl(parts.query) if k not in names]
        return urlunsplit(parts._replace(query=urlencode(kept)))

    return change


def _other_host(url: str, page: PageInfo) -> str:
    return urlunsplit(urlsplit(url)._replace(scheme="https", netloc="api.github.invalid"))


def _relative(url: str, page: PageInfo) -> str:
    parts = urlsplit(url)
    return urlunsplit(("", "", parts.path, parts.query, ""))


def _page(number: int) -> object:
    def change(url: str, page: PageInfo) -> str:
        parts = urlsplit(url)
        query = [(k, v) for k, v in parse_qsl(parts.query) if k != "page"]
        return urlunsplit(parts._replace(query=urlencode([*query, ("page", str(number))])))

    return change


def _next_forever(body: Body, page: PageInfo) -> Body:
    """The last page (and every empty one after it) still links to the page after."""
    link = str(body.get("link") or "")
    if _NEXT.search(link) or page.page is None:
        return body
    last = re.search(r"<([^>]*)>; rel=\"last\"", link)
    if last is None:
        return body
    url = _page(page.page + 1)(last.group(1), page)  # type: ignore[operator]
    return {**body, "link": f'<{url}>; rel="next", {link}'}


def _empty_as_default(query: Mapping[str, str]) -> Mapping[str, str]:
    """`all=` (an empty value) reads as no `all` at all: the documented default."""
    return {k: v for k, v in query.items() if not (k == "all" and v == "")}


@dataclass(frozen=True)
class _LeakingTenant(Cond):
    """`tenant = ?`, or one of the first tenant's five newest read (hidden) threads: a
    join that lost its tenant condition on the read-state table only."""

    def sql(self) -> tuple[str, tuple[object, ...]]:
        leaked = (
            "SELECT id FROM threads WHERE tenant = ? AND visible = 0 AND deleted_at IS NULL "
            "ORDER BY created_at DESC, id DESC LIMIT 5"
        )
        return f"(t.tenant = ? OR t.id IN ({leaked}))", (self.value, PRIMARY)


def _read_threads_leak(where: Where) -> Where:
    """The second tenant's listing also holds five of the first tenant's read threads."""
    conds = tuple(
        _LeakingTenant("tenant", "=", c.value)
        if c.column == "tenant" and c.op == "=" and c.value == SECONDARY
        else c
        for c in where.conds
    )
    return Where(conds)


def _github_filters_first_page_only(args: Any) -> Any:
    """Pages after the first are served without `participating` and `all` (the link still
    carries them: the server forgets them, not the link)."""
    if args.page > 1:
        return replace(args, participating=False, all=False)
    return args


def _graph_filter_first_page_only(args: Any) -> Any:
    """A page reached through a `$skiptoken` is served without `$filter`."""
    if args.skip > 0:
        return replace(args, chat_type=None)
    return args


def _skiptoken_crashes(query: Mapping[str, str]) -> None:
    """An undecodable `$skiptoken` reaches the decoder unchecked: 500."""
    token = query.get(graph.SKIP)
    if token is not None and graph.decode(token) is None:
        raise FaultCrash(f"cannot decode {graph.SKIP}")


def _skiptoken_ignored(query: Mapping[str, str]) -> Mapping[str, str]:
    """An undecodable `$skiptoken` is read as no token at all: the first page."""
    token = query.get(graph.SKIP)
    if token is not None and graph.decode(token) is None:
        return {k: v for k, v in query.items() if k != graph.SKIP}
    return query


def _no_last(body: Body, page: PageInfo) -> Body:
    link = ", ".join(p for p in str(body.get("link") or "").split(", ") if 'rel="last"' not in p)
    return {**body, "link": link}


# --- graph (style next-link) ----------------------------------------------------------

NEXT_LINK = "@odata.nextLink"


def _rewrite_next_link(change: object) -> object:
    """A body hook that rewrites `@odata.nextLink` where there is one."""

    def hook(body: Body, page: PageInfo) -> Body:
        link = body.get(NEXT_LINK)
        if not isinstance(link, str):
            return body
        return {**body, NEXT_LINK: change(link, page)}  # type: ignore[operator]

    return hook


def _skip_moved(delta: int | None) -> object:
    """Move the link's `$skiptoken` by `delta` items (None: back to the second page)."""

    def change(url: str, page: PageInfo) -> str:
        parts = urlsplit(url)
        query = parse_qsl(parts.query)
        offset = next((graph.decode(v) for k, v in query if k == graph.SKIP), None)
        if offset is None:
            return url
        moved = page.limit if delta is None else max(0, offset + delta)
        kept = [(k, v) for k, v in query if k != graph.SKIP]
        return urlunsplit(
            parts._replace(query=urlencode([*kept, (graph.SKIP, graph.encode(moved))]))
        )

    return change


def _next_link_forever(body: Body, page: PageInfo) -> Body:
    """The last page (and every empty one after it) still carries a nextLink."""
    if NEXT_LINK in body:
        return body
    query = dict(page.params or {})
    sent = graph.decode(str(query.get(graph.SKIP) or "")) or 0
    query[graph.SKIP] = graph.encode(sent + page.limit)
    # `@odata.context` is `<service root>/$metadata#chats`, the root as the client reached
    # it (`.../v1.0`, any path prefix included).
    context = str(body.get("@odata.context") or "")
    endpoint = context.split("/$metadata", 1)[0] + graph.PATH.removeprefix("/v1.0")
    return {**body, NEXT_LINK: f"{endpoint}?{urlencode(query)}"}


# --- the faults -----------------------------------------------------------------------

GRAPH: tuple[Fault, ...] = (
    Fault(
        "next-link-drops-top",
        ("graph",),
        "The nextLink is built without `$top`, so page 2 onwards holds the default 50.",
        ("LINK-KEEPS-PARAMS", "PAGE-LIMIT-RESPECTED", "PAGE-NO-GAPS", "PAGE-NO-DUPLICATES"),
        hooks=Hooks(body=_rewrite_next_link(_without("$top"))),  # type: ignore[arg-type]
    ),
    Fault(
        "next-link-drops-filter",
        ("graph",),
        "The nextLink keeps `$top` and `$skiptoken` only: `$filter` is lost from page 2 on.",
        ("LINK-KEEPS-PARAMS", "FILTER-SUBSET", "PAGE-NO-GAPS", "PAGE-NO-DUPLICATES"),
        hooks=Hooks(body=_rewrite_next_link(_without("$filter"))),  # type: ignore[arg-type]
    ),
    Fault(
        "filter-dropped-later-pages",
        ("graph",),
        "Pages reached through a `$skiptoken` are served without `$filter` (the link keeps "
        "it; the server forgets it), resuming at the token's offset of the unfiltered list.",
        ("FILTER-SUBSET", "PAGE-NO-GAPS", "PAGE-NO-DUPLICATES", "WALK-TERMINATES"),
        hooks=Hooks(args=_graph_filter_first_page_only),
    ),
    Fault(
        "skiptoken-500",
        ("graph",),
        "An undecodable `$skiptoken` (`?$skiptoken=garbage`) is answered 500 instead of "
        "the documented 400.",
        ("HTTP-NO-5XX",),
        hooks=Hooks(raw=_skiptoken_crashes),
    ),
    Fault(
        "skiptoken-ignored",
        ("graph",),
        "An undecodable `$skiptoken` is read as no token: 200 with the first page, where "
        "the spec documents 400 (a client that garbles its link starts over silently).",
        ("CURSOR-MALFORMED",),
        hooks=Hooks(reads=_skiptoken_ignored),
    ),
    Fault(
        "next-link-to-another-host",
        ("graph",),
        "The nextLink names graph.microsoft.com (the public host) instead of the host the "
        "request reached.",
        ("LINK-SAME-ORIGIN", "PAGE-NO-GAPS"),
        hooks=Hooks(body=_rewrite_next_link(_other_host)),  # type: ignore[arg-type]
    ),
    Fault(
        "next-link-loops",
        ("graph",),
        "Every nextLink points at the second page.",
        ("WALK-TERMINATES", "PAGE-NO-GAPS", "PAGE-NO-DUPLICATES"),
        hooks=Hooks(body=_rewrite_next_link(_skip_moved(None))),  # type: ignore[arg-type]
    ),
    Fault(
        "next-link-never-ends",
        ("graph",),
        "The last page, and every empty page after it, still carries a nextLink.",
        ("WALK-TERMINATES", "PAGE-NO-GAPS"),
        hooks=Hooks(body=_next_link_forever),
    ),
    Fault(
        "next-link-skips-one",
        ("graph",),
        "The nextLink's skip token is one item too far: the first chat of every later "
        "page is never listed.",
        ("PAGE-NO-GAPS", "WALK-TERMINATES"),
        hooks=Hooks(body=_rewrite_next_link(_skip_moved(1))),  # type: ignore[arg-type]
    ),
    Fault(
        "next-link-repeats-one",
        ("graph",),
        "The nextLink's skip token is one item short: every later page repeats the last "
        "chat of the page before.",
        ("PAGE-NO-DUPLICATES", "PAGE-NO-GAPS", "WALK-TERMINATES"),
        hooks=Hooks(body=_rewrite_next_link(_skip_moved(-1))),  # type: ignore[arg-type]
    ),
    Fault(
        "relative-next-link",
        ("graph",),
        "nextLinks are relative (`/v1.0/me/chats?%24top=7&%24skiptoken=...`): allowed, "
        "resolved against the page's URL.",
        (),
        tolerated=True,
        hooks=Hooks(body=_rewrite_next_link(_relative)),  # type: ignore[arg-type]
    ),
    Fault(
        "extra-fields",
        ("graph",),
        "Undocumented extras: `@odata.count` and `@microsoft.graph.tips` in the body, "
        "`viewpoint` on every chat.",
        (),
        tolerated=True,
        hooks=Hooks(
            item=lambda item, row: {**item, "viewpoint": {"isHidden": False}},
            body=set_body(**{"@odata.count": 0, "@microsoft.graph.tips": "Use $select"}),
        ),
    ),
)


GITHUB: tuple[Fault, ...] = (
    Fault(
        "link-drops-per-page",
        ("github",),
        "The next link is built without `per_page`, so page 2 onwards uses the default 50.",
        ("LINK-KEEPS-PARAMS", "PAGE-LIMIT-RESPECTED", "PAGE-NO-GAPS", "PAGE-NO-DUPLICATES"),
        hooks=Hooks(body=_rewrite_next(_without("per_page"))),  # type: ignore[arg-type]
    ),
    Fault(
        "link-drops-filter",
        ("github",),
        "The next link keeps only `page` and `per_page`: `participating` and `all` are lost "
        "from page 2 on.",
        ("LINK-KEEPS-PARAMS", "PAGE-NO-GAPS", "PAGE-NO-DUPLICATES"),
        hooks=Hooks(body=_rewrite_next(_without("participating", "all"))),  # type: ignore[arg-type]
    ),
    Fault(
        "filter-dropped-later-pages",
        ("github",),
        "Pages after the first are served without `participating` and `all` (the link "
        "keeps them; the server forgets them).",
        ("FILTER-SUBSET", "FILTER-SUPERSET", "PAGE-NO-GAPS", "PAGE-NO-DUPLICATES"),
        hooks=Hooks(args=_github_filters_first_page_only),
    ),
    Fault(
        "link-to-another-host",
        ("github",),
        "The next link names the public API host (a proxy's configured name) instead of the "
        "host the request reached.",
        ("LINK-SAME-ORIGIN", "PAGE-NO-GAPS"),
        hooks=Hooks(body=_rewrite_next(_other_host)),  # type: ignore[arg-type]
    ),
    Fault(
        "link-loops",
        ("github",),
        'rel="next" always points at page 2.',
        ("WALK-TERMINATES", "PAGE-NO-GAPS", "PAGE-NO-DUPLICATES"),
        hooks=Hooks(body=_rewrite_next(_page(2))),  # type: ignore[arg-type]
    ),
    Fault(
        "link-never-ends",
        ("github",),
        'The last page, and every empty page after it, still has a rel="next" link.',
        ("WALK-TERMINATES", "PAGE-NO-GAPS"),
        hooks=Hooks(body=_next_forever),
    ),
    Fault(
        "tenant-leak-read-only",
        ("github",),
        "The second user's listing also holds the first user's five newest read threads "
        "(as many as there are), so they show only with `all=true` (a read-state join "
        "without its tenant condition).",
        ("TENANT-ISOLATION",),
        hooks=Hooks(where=_read_threads_leak),
    ),
    Fault(
        "page-off-by-one",
        ("github",),
        "Pages after the first start one thread late (a 1-based row number used as OFFSET).",
        ("PAGE-NO-GAPS", "WALK-TERMINATES"),
        hooks=Hooks(query=one_based_offset),
    ),
    Fault(
        "relative-links",
        ("github",),
        "Links are relative (`</notifications?page=2&per_page=7>`): allowed, resolved against "
        "the page's URL.",
        (),
        tolerated=True,
        hooks=Hooks(body=_rewrite_next(_relative)),  # type: ignore[arg-type]
    ),
    Fault(
        "empty-all-default",
        ("github",),
        "`all=` (an empty value) is read as no `all`: 200 with the default listing. A lexical "
        "case on which frameworks differ (docs/contracts.md#lexical-corner-cases).",
        (),
        tolerated=True,
        hooks=Hooks(reads=_empty_as_default),
    ),
    Fault(
        "no-last-link",
        ("github",),
        'No rel="last" link (only rel="next" is needed to walk).',
        (),
        tolerated=True,
        hooks=Hooks(body=_no_last),
    ),
    Fault(
        "extra-fields",
        ("github",),
        "Undocumented extras: `repository` on every thread.",
        (),
        tolerated=True,
        hooks=Hooks(item=lambda item, row: {**item, "repository": {"full_name": "acme/app"}}),
    ),
)
