"""The faults of the opt-in gmail contract (style token: `pageToken`/`nextPageToken`)."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from threadconform.reference.contracts import gmail
from threadconform.reference.faults.fault import Fault
from threadconform.reference.faults.helpers import Body, created_at_only, cursor_bounds, inclusive
from threadconform.reference.hooks import FaultCrash, Hooks, PageInfo

__all__ = ["GMAIL"]


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
    sent = gmail.decode((page.params or {}).get("pageToken") or "")
    created = min(sent[0], 0) - 1 if sent else -1
    return {**body, "nextPageToken": gmail.encode((created, "0" * 32))}


def _trailing_empty_page(body: Body, page: PageInfo) -> Body:
    """The last full page still carries a token; it leads to an empty page with none."""
    threads = body.get("threads") or []
    if "nextPageToken" in body or not threads or page.count < page.limit:
        return body
    return {**body, "nextPageToken": gmail.encode((-(10**11), "f" * 32))}


def _rotating_tokens(body: Body, page: PageInfo) -> Body:
    """Tokens carry a per-request nonce, as many servers' encrypted tokens do."""
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


def _filters_first_page_only(args: Any) -> Any:
    """A page fetched with a pageToken is served without `labelIds` and `includeSpamTrash`,
    resuming after the token's thread in the unfiltered list."""
    if getattr(args, "token", None) is None:
        return args
    return replace(args, labels=(), include_spam_trash=False)


# The offset fault's tokens: a position no thread has (created before the epoch, id zeros),
# so the contract's own decoder accepts them and the query hook can tell them apart.
_NO_ID = "0" * 32


def _offset_of(token: str | None) -> int:
    key = gmail.decode(token or "")
    return -key[0] - 1 if key is not None and key[1] == _NO_ID and key[0] < 0 else 0


def _offset_token(body: Body, page: PageInfo) -> Body:
    """The next token is the offset of the next page, not the last thread's position."""
    if "nextPageToken" not in body:
        return body
    start = _offset_of((page.params or {}).get("pageToken"))
    return {**body, "nextPageToken": gmail.encode((-(start + page.count) - 1, _NO_ID))}


def _offset_query(query: Any) -> Any:
    """A token of `_offset_token` is served as OFFSET n of the unbounded listing."""
    marked = [b for b in query.bounds if b.key[1] == _NO_ID and b.key[0] < 0]
    if not marked:
        return query
    offset = -marked[0].key[0] - 1
    rest = tuple(b for b in query.bounds if b not in marked)
    return replace(query, bounds=rest, offset=offset)


def _token_crashes(query: Mapping[str, str]) -> None:
    """An undecodable `pageToken` reaches the decoder unchecked: 500."""
    token = query.get("pageToken")
    if token and gmail.decode(token) is None:
        raise FaultCrash("cannot decode pageToken")


GMAIL: tuple[Fault, ...] = (
    Fault(
        "token-repeats",
        ("gmail",),
        "The next page token handed out is the one the request came with: the second page "
        "comes back forever.",
        ("WALK-TERMINATES", "PAGE-NO-GAPS"),
        hooks=Hooks(body=_token_repeats),
    ),
    Fault(
        "token-never-ends",
        ("gmail",),
        "Past the last thread, every (empty) page still carries a fresh next page token.",
        ("WALK-TERMINATES", "PAGE-NO-GAPS"),
        hooks=Hooks(body=_token_never_ends),
    ),
    Fault(
        "token-drops-ties",
        ("gmail",),
        "The token compares the creation time alone: threads created in the same second as "
        "the page's last one are skipped.",
        ("PAGE-NO-GAPS", "WALK-TERMINATES"),
        hooks=Hooks(query=cursor_bounds(created_at_only)),
    ),
    Fault(
        "token-inclusive",
        ("gmail",),
        "The page after a token starts with the thread the token names (<= instead of <).",
        ("PAGE-NO-DUPLICATES", "PAGE-NO-GAPS", "WALK-TERMINATES"),
        hooks=Hooks(query=cursor_bounds(inclusive)),
    ),
    Fault(
        "max-results-lost-with-token",
        ("gmail",),
        "Pages fetched with a pageToken ignore maxResults and hold the default 100.",
        ("PAGE-LIMIT-RESPECTED", "PAGE-NO-GAPS"),
        hooks=Hooks(args=_default_limit_with_token),
    ),
    Fault(
        "filter-dropped-later-pages",
        ("gmail",),
        "Pages fetched with a pageToken are served without `labelIds` and "
        "`includeSpamTrash`, resuming after the token's thread in the unfiltered list.",
        ("FILTER-SUBSET", "FILTER-SUPERSET", "PAGE-NO-GAPS", "PAGE-NO-DUPLICATES"),
        hooks=Hooks(args=_filters_first_page_only),
    ),
    Fault(
        "page-token-500",
        ("gmail",),
        "An undecodable `pageToken` is answered 500 instead of the documented 400.",
        ("HTTP-NO-5XX",),
        hooks=Hooks(raw=_token_crashes),
    ),
    Fault(
        "token-encodes-offset",
        ("gmail",),
        "The page token encodes the next page's offset, not the last thread's position: "
        "right on a frozen listing, but a thread created during a walk makes the next page "
        "repeat the previous page's last thread (live-only).",
        ("WALK-HOLDS-PLACE", "PAGE-NO-DUPLICATES", "PAGE-NO-GAPS"),
        live_only=True,
        hooks=Hooks(body=_offset_token, query=_offset_query),
    ),
    Fault(
        "trailing-empty-page",
        ("gmail",),
        "A last page that is exactly full still carries a token, which leads to an empty "
        "page without one (AIP-158 allows it).",
        (),
        tolerated=True,
        hooks=Hooks(body=_trailing_empty_page),
    ),
    Fault(
        "rotating-tokens",
        ("gmail",),
        "Each response's token differs (a per-request nonce) though it names the same "
        "position: tokens are opaque and `nextPageToken` is volatile.",
        (),
        tolerated=True,
        hooks=Hooks(body=_rotating_tokens),
    ),
    Fault(
        "extra-fields",
        ("gmail",),
        "Undocumented extras: `labelIds` on threads.",
        (),
        tolerated=True,
        hooks=Hooks(item=lambda item, row: {**item, "labelIds": ["INBOX"]}),
    ),
)
