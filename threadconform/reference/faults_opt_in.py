"""Faults of the opt-in contracts (see `faults.py` for what a fault is).

stripe: the behaviours Stripe-style list endpoints document and get wrong: the tie-break
direction, the status and `code` of an unknown cursor, and `has_more` on `ending_before`
pages, next to the classic cursor bugs.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import replace
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from threadconform.reference.errors import ErrorReply
from threadconform.reference.faults import (
    Fault,
    _created_at_only,
    _empty_page,
    _has_more_when_full,
    _inclusive,
    _one_based_offset,
    cursor_bounds,
    set_body,
)
from threadconform.reference.hooks import Hooks, PageInfo
from threadconform.reference.store import Bound, KeysetQuery

Body = dict[str, object]
STRIPE = ("stripe",)
GMAIL = ("gmail",)


def _ids_ascending_on_ties(query: KeysetQuery) -> KeysetQuery:
    """ORDER BY created DESC, id ASC: a consistent order, just not the documented one."""
    bounds = tuple(replace(b, ties_flipped=True) for b in query.bounds)
    return replace(query, order=replace(query.order, ties_flipped=True), bounds=bounds)


def _not_found(reply: ErrorReply) -> ErrorReply:
    return replace(reply, status=404)


def _code(code: str) -> object:
    def hook(reply: ErrorReply) -> ErrorReply:
        body = reply.body
        if not isinstance(body, dict):
            return reply
        return replace(reply, body={"error": {**body["error"], "code": code}})

    return hook


def _more_ahead_on_before_pages(body: Body, page: PageInfo) -> Body:
    """has_more on an ending_before page answers "do objects follow?" (always yes there)."""
    query = page.params or {}
    if query.get("ending_before") and not query.get("starting_after"):
        return {**body, "has_more": True}
    return body


def _doc_url(reply: ErrorReply) -> ErrorReply:
    body = reply.body
    if not isinstance(body, dict) or "error" not in body:
        return reply
    extra = {"doc_url": "https://stripe.invalid/docs/error-codes", "request_log_url": None}
    return replace(reply, body={"error": {**body["error"], **extra}})


def _unchanged(bound: Bound) -> Bound:
    return bound


def _no_more(body: Body, page: PageInfo) -> Body:
    query = page.params or {}
    if query.get("ending_before") and not query.get("starting_after"):
        return {**body, "has_more": False}
    return body


# --- gmail (style token) ---------------------------------------------------------------


def _token_repeats(body: Body, page: PageInfo) -> Body:
    """The next token handed out is the one the request came with: page 2 forever."""
    sent = (page.params or {}).get("pageToken")
    if sent and "nextPageToken" in body:
        return {**body, "nextPageToken": sent}
    return body


def _token_never_ends(body: Body, page: PageInfo) -> Body:
    """Past the end, every (empty) page still carries a fresh token."""
    if "nextPageToken" in body:
        return body
    from threadconform.reference.contracts import gmail

    sent = gmail.decode((page.params or {}).get("pageToken") or "")
    created = min(sent[0], 0) - 1 if sent else -1
    return {**body, "nextPageToken": gmail.encode((created, "0" * 32))}


def _trailing_empty_page(body: Body, page: PageInfo) -> Body:
    """The last full page still carries a token; it leads to an empty page with none."""
    from threadconform.reference.contracts import gmail

    threads = body.get("threads") or []
    if "nextPageToken" in body or not threads or page.count < page.limit:
        return body
    return {**body, "nextPageToken": gmail.encode((-(10**11), "f" * 32))}


def _rotating_tokens(body: Body, page: PageInfo) -> Body:
    """Tokens carry a per-request nonce, as many servers' encrypted tokens do."""
    from threadconform.reference.contracts import gmail

    token = body.get("nextPageToken")
    if not isinstance(token, str):
        return body
    key = gmail.decode(token)
    assert key is not None
    return {**body, "nextPageToken": gmail.encode(key, nonce=secrets.token_hex(4))}


def _default_limit_with_token(args: object) -> object:
    if getattr(args, "token", None) is None:
        return args
    return replace(args, limit=100)  # type: ignore[type-var]


# --- github (style link-header) --------------------------------------------------------

GITHUB = ("github",)
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


def _no_last(body: Body, page: PageInfo) -> Body:
    link = ", ".join(p for p in str(body.get("link") or "").split(", ") if 'rel="last"' not in p)
    return {**body, "link": link}


# --- graph (style next-link) -----------------------------------------------------------

GRAPH = ("graph",)
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
    from threadconform.reference.contracts import graph

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
    from threadconform.reference.contracts import graph

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


OPT_IN_FAULTS: tuple[Fault, ...] = (
    Fault(
        "next-link-drops-top",
        GRAPH,
        "The nextLink is built without `$top`, so page 2 onwards holds the default 50.",
        ("LINK-KEEPS-PARAMS", "PAGE-LIMIT-RESPECTED", "PAGE-NO-GAPS", "PAGE-NO-DUPLICATES"),
        hooks=Hooks(body=_rewrite_next_link(_without("$top"))),  # type: ignore[arg-type]
    ),
    Fault(
        "next-link-drops-filter",
        GRAPH,
        "The nextLink keeps `$top` and `$skiptoken` only: `$filter` is lost from page 2 on.",
        ("LINK-KEEPS-PARAMS", "FILTER-SUBSET", "PAGE-NO-GAPS", "PAGE-NO-DUPLICATES"),
        hooks=Hooks(body=_rewrite_next_link(_without("$filter"))),  # type: ignore[arg-type]
    ),
    Fault(
        "next-link-to-another-host",
        GRAPH,
        "The nextLink names graph.microsoft.com (the public host) instead of the host the "
        "request reached.",
        ("LINK-SAME-ORIGIN", "PAGE-NO-GAPS"),
        hooks=Hooks(body=_rewrite_next_link(_other_host)),  # type: ignore[arg-type]
    ),
    Fault(
        "next-link-loops",
        GRAPH,
        "Every nextLink points at the second page.",
        ("WALK-TERMINATES", "PAGE-NO-GAPS", "PAGE-NO-DUPLICATES"),
        hooks=Hooks(body=_rewrite_next_link(_skip_moved(None))),  # type: ignore[arg-type]
    ),
    Fault(
        "next-link-never-ends",
        GRAPH,
        "The last page, and every empty page after it, still carries a nextLink.",
        ("WALK-TERMINATES", "PAGE-NO-GAPS"),
        hooks=Hooks(body=_next_link_forever),
    ),
    Fault(
        "next-link-skips-one",
        GRAPH,
        "The nextLink's skip token is one item too far: the first chat of every later "
        "page is never listed.",
        ("PAGE-NO-GAPS", "WALK-TERMINATES"),
        hooks=Hooks(body=_rewrite_next_link(_skip_moved(1))),  # type: ignore[arg-type]
    ),
    Fault(
        "next-link-repeats-one",
        GRAPH,
        "The nextLink's skip token is one item short: every later page repeats the last "
        "chat of the page before.",
        ("PAGE-NO-DUPLICATES", "PAGE-NO-GAPS", "WALK-TERMINATES"),
        hooks=Hooks(body=_rewrite_next_link(_skip_moved(-1))),  # type: ignore[arg-type]
    ),
    Fault(
        "relative-next-link",
        GRAPH,
        "nextLinks are relative (`/v1.0/me/chats?%24top=7&%24skiptoken=...`): allowed, "
        "resolved against the page's URL.",
        (),
        tolerated=True,
        hooks=Hooks(body=_rewrite_next_link(_relative)),  # type: ignore[arg-type]
    ),
    Fault(
        "extra-fields",
        GRAPH,
        "Undocumented extras: `@odata.count` and `@microsoft.graph.tips` in the body, "
        "`viewpoint` on every chat.",
        (),
        tolerated=True,
        hooks=Hooks(
            item=lambda item, row: {**item, "viewpoint": {"isHidden": False}},
            body=set_body(**{"@odata.count": 0, "@microsoft.graph.tips": "Use $select"}),
        ),
    ),
    Fault(
        "link-drops-per-page",
        GITHUB,
        "The next link is built without `per_page`, so page 2 onwards uses the default 50.",
        ("LINK-KEEPS-PARAMS", "PAGE-LIMIT-RESPECTED", "PAGE-NO-GAPS", "PAGE-NO-DUPLICATES"),
        hooks=Hooks(body=_rewrite_next(_without("per_page"))),  # type: ignore[arg-type]
    ),
    Fault(
        "link-drops-filter",
        GITHUB,
        "The next link keeps only `page` and `per_page`: `participating` and `all` are lost "
        "from page 2 on.",
        ("LINK-KEEPS-PARAMS", "PAGE-NO-GAPS", "PAGE-NO-DUPLICATES"),
        hooks=Hooks(body=_rewrite_next(_without("participating", "all"))),  # type: ignore[arg-type]
    ),
    Fault(
        "link-to-another-host",
        GITHUB,
        "The next link names the public API host (a proxy's configured name) instead of the "
        "host the request reached.",
        ("LINK-SAME-ORIGIN", "PAGE-NO-GAPS"),
        hooks=Hooks(body=_rewrite_next(_other_host)),  # type: ignore[arg-type]
    ),
    Fault(
        "link-loops",
        GITHUB,
        'rel="next" always points at page 2.',
        ("WALK-TERMINATES", "PAGE-NO-GAPS", "PAGE-NO-DUPLICATES"),
        hooks=Hooks(body=_rewrite_next(_page(2))),  # type: ignore[arg-type]
    ),
    Fault(
        "link-never-ends",
        GITHUB,
        'The last page, and every empty page after it, still has a rel="next" link.',
        ("WALK-TERMINATES", "PAGE-NO-GAPS"),
        hooks=Hooks(body=_next_forever),
    ),
    Fault(
        "page-off-by-one",
        GITHUB,
        "Pages after the first start one thread late (a 1-based row number used as OFFSET).",
        ("PAGE-NO-GAPS", "WALK-TERMINATES"),
        hooks=Hooks(query=_one_based_offset),
    ),
    Fault(
        "relative-links",
        GITHUB,
        "Links are relative (`</notifications?page=2&per_page=7>`): allowed, resolved against "
        "the page's URL.",
        (),
        tolerated=True,
        hooks=Hooks(body=_rewrite_next(_relative)),  # type: ignore[arg-type]
    ),
    Fault(
        "no-last-link",
        GITHUB,
        'No rel="last" link (only rel="next" is needed to walk).',
        (),
        tolerated=True,
        hooks=Hooks(body=_no_last),
    ),
    Fault(
        "extra-fields",
        GITHUB,
        "Undocumented extras: `repository` on every thread.",
        (),
        tolerated=True,
        hooks=Hooks(item=lambda item, row: {**item, "repository": {"full_name": "acme/app"}}),
    ),
    Fault(
        "token-repeats",
        GMAIL,
        "The next page token handed out is the one the request came with: the second page "
        "comes back forever.",
        ("WALK-TERMINATES", "PAGE-NO-GAPS"),
        hooks=Hooks(body=_token_repeats),
    ),
    Fault(
        "token-never-ends",
        GMAIL,
        "Past the last thread, every (empty) page still carries a fresh next page token.",
        ("WALK-TERMINATES", "PAGE-NO-GAPS"),
        hooks=Hooks(body=_token_never_ends),
    ),
    Fault(
        "token-drops-ties",
        GMAIL,
        "The token compares the creation time alone: threads created in the same second as "
        "the page's last one are skipped.",
        ("PAGE-NO-GAPS", "WALK-TERMINATES"),
        hooks=Hooks(query=cursor_bounds(_created_at_only)),
    ),
    Fault(
        "token-inclusive",
        GMAIL,
        "The page after a token starts with the thread the token names (<= instead of <).",
        ("PAGE-NO-DUPLICATES", "PAGE-NO-GAPS", "WALK-TERMINATES"),
        hooks=Hooks(query=cursor_bounds(_inclusive)),
    ),
    Fault(
        "max-results-lost-with-token",
        GMAIL,
        "Pages fetched with a pageToken ignore maxResults and hold the default 100.",
        ("PAGE-LIMIT-RESPECTED", "PAGE-NO-GAPS"),
        hooks=Hooks(args=_default_limit_with_token),
    ),
    Fault(
        "trailing-empty-page",
        GMAIL,
        "A last page that is exactly full still carries a token, which leads to an empty "
        "page without one (AIP-158 allows it).",
        (),
        tolerated=True,
        hooks=Hooks(body=_trailing_empty_page),
    ),
    Fault(
        "rotating-tokens",
        GMAIL,
        "Each response's token differs (a per-request nonce) though it names the same "
        "position: tokens are opaque and `nextPageToken` is volatile.",
        (),
        tolerated=True,
        hooks=Hooks(body=_rotating_tokens),
    ),
    Fault(
        "extra-fields",
        GMAIL,
        "Undocumented extras: `labelIds` on threads.",
        (),
        tolerated=True,
        hooks=Hooks(item=lambda item, row: {**item, "labelIds": ["INBOX"]}),
    ),
    Fault(
        "id-asc-tie-break",
        STRIPE,
        "Conversations created in the same second come back by id ascending, not the "
        "documented id descending (ORDER BY created DESC, id ASC): consistent, so every "
        "walk is complete, just in the wrong order.",
        ("ORDER-SORTED", "ORDER-STABLE"),
        hooks=Hooks(query=_ids_ascending_on_ties),
    ),
    Fault(
        "unknown-cursor-404",
        STRIPE,
        "A cursor naming no conversation gets 404 (the envelope, resource_missing) instead "
        "of the documented 400.",
        ("CURSOR-UNKNOWN", "CURSOR-MALFORMED"),
        hooks=Hooks(unknown_cursor=_not_found),
    ),
    Fault(
        "unknown-cursor-wrong-code",
        STRIPE,
        "A cursor naming no conversation gets 400 with `code: invalid_cursor` instead of "
        "the documented `resource_missing`.",
        ("CURSOR-UNKNOWN", "CURSOR-MALFORMED"),
        hooks=Hooks(unknown_cursor=_code("invalid_cursor")),  # type: ignore[arg-type]
    ),
    Fault(
        "unknown-cursor-empty-page",
        STRIPE,
        "A cursor naming no conversation gets 200 with an empty list instead of the "
        "documented 400 resource_missing.",
        ("CURSOR-UNKNOWN", "CURSOR-MALFORMED"),
        hooks=Hooks(unknown_cursor=_empty_page),
    ),
    Fault(
        "has-more-forward-on-before-pages",
        STRIPE,
        "On ending_before pages `has_more` says whether objects follow the page (always "
        "true) instead of whether more precede it, so a backward walk never sees its end.",
        ("META-HAS-MORE",),
        hooks=Hooks(body=_more_ahead_on_before_pages),
    ),
    Fault(
        "no-more-before",
        STRIPE,
        "`has_more` is always false on ending_before pages.",
        ("META-HAS-MORE",),
        hooks=Hooks(body=_no_more),
    ),
    Fault(
        "ending-before-oldest-page",
        STRIPE,
        "`ending_before=X` returns the newest conversations of the list (those furthest "
        "from X) instead of the page just before X.",
        ("WALK-BACKWARD", "CURSOR-BEFORE-PREVIOUS-PAGE", "META-HAS-MORE"),
        hooks=Hooks(query=cursor_bounds(_unchanged, from_end=False)),
    ),
    Fault(
        "inclusive-cursor",
        STRIPE,
        "The cursor comparison uses <= / >=, so the cursor conversation starts the next page.",
        ("CURSOR-EXCLUSIVE", "PAGE-NO-DUPLICATES", "CURSOR-AFTER", "WALK-BACKWARD"),
        hooks=Hooks(query=cursor_bounds(_inclusive)),
    ),
    Fault(
        "has-more-len-equals-limit",
        STRIPE,
        "`has_more` is computed as `len(page) == limit`, so a full last page claims more.",
        ("META-HAS-MORE", "CURSOR-AFTER-LAST"),
        hooks=Hooks(body=_has_more_when_full),
    ),
    Fault(
        "extra-fields",
        STRIPE,
        "Undocumented extras: `livemode` in the body and on every conversation.",
        (),
        tolerated=True,
        hooks=Hooks(
            item=lambda item, row: {**item, "livemode": False}, body=set_body(livemode=False)
        ),
    ),
    Fault(
        "error-doc-url",
        STRIPE,
        "Errors carry Stripe's extra `doc_url` and `request_log_url` fields.",
        (),
        tolerated=True,
        hooks=Hooks(error=_doc_url),
    ),
)
