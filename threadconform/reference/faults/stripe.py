"""The faults of the opt-in stripe contract.

The behaviours Stripe-style list endpoints document and get wrong: the tie-break direction,
the status and `code` of an unknown cursor, and `has_more` on `ending_before` pages, next to
the classic cursor bugs.
"""

from __future__ import annotations

from dataclasses import replace

from threadconform.reference.errors import ErrorReply
from threadconform.reference.faults.fault import Fault
from threadconform.reference.faults.helpers import (
    Body,
    cursor_bounds,
    empty_page,
    has_more_when_full,
    inclusive,
    set_body,
)
from threadconform.reference.hooks import Hooks, PageInfo
from threadconform.reference.store import Bound, KeysetQuery

__all__ = ["STRIPE"]


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


def _one_short(query: KeysetQuery) -> KeysetQuery:
    """Pages of `limit - 1` (at least 1) objects; has_more stays exact for that page."""
    return replace(query, limit=max(1, query.limit - 1))


STRIPE: tuple[Fault, ...] = (
    Fault(
        "id-asc-tie-break",
        ("stripe",),
        "Conversations created in the same second come back by id ascending, not the "
        "documented id descending (ORDER BY created DESC, id ASC): consistent, so every "
        "walk is complete, just in the wrong order.",
        ("ORDER-SORTED", "ORDER-STABLE"),
        hooks=Hooks(query=_ids_ascending_on_ties),
    ),
    Fault(
        "unknown-cursor-404",
        ("stripe",),
        "A cursor naming no conversation gets 404 (the envelope, resource_missing) instead "
        "of the documented 400.",
        ("CURSOR-UNKNOWN", "CURSOR-MALFORMED"),
        hooks=Hooks(unknown_cursor=_not_found),
    ),
    Fault(
        "unknown-cursor-wrong-code",
        ("stripe",),
        "A cursor naming no conversation gets 400 with `code: invalid_cursor` instead of "
        "the documented `resource_missing`.",
        ("CURSOR-UNKNOWN", "CURSOR-MALFORMED"),
        hooks=Hooks(unknown_cursor=_code("invalid_cursor")),  # type: ignore[arg-type]
    ),
    Fault(
        "unknown-cursor-empty-page",
        ("stripe",),
        "A cursor naming no conversation gets 200 with an empty list instead of the "
        "documented 400 resource_missing.",
        ("CURSOR-UNKNOWN", "CURSOR-MALFORMED"),
        hooks=Hooks(unknown_cursor=empty_page),
    ),
    Fault(
        "has-more-forward-on-before-pages",
        ("stripe",),
        "On ending_before pages `has_more` says whether objects follow the page (always "
        "true) instead of whether more precede it, so a backward walk never sees its end.",
        ("META-HAS-MORE",),
        hooks=Hooks(body=_more_ahead_on_before_pages),
    ),
    Fault(
        "no-more-before",
        ("stripe",),
        "`has_more` is always false on ending_before pages.",
        ("META-HAS-MORE",),
        hooks=Hooks(body=_no_more),
    ),
    Fault(
        "ending-before-oldest-page",
        ("stripe",),
        "`ending_before=X` returns the newest conversations of the list (those furthest "
        "from X) instead of the page just before X.",
        ("WALK-BACKWARD", "CURSOR-BEFORE-PREVIOUS-PAGE", "META-HAS-MORE"),
        hooks=Hooks(query=cursor_bounds(_unchanged, from_end=False)),
    ),
    Fault(
        "inclusive-cursor",
        ("stripe",),
        "The cursor comparison uses <= / >=, so the cursor conversation starts the next page.",
        ("CURSOR-EXCLUSIVE", "PAGE-NO-DUPLICATES", "CURSOR-AFTER", "WALK-BACKWARD"),
        hooks=Hooks(query=cursor_bounds(inclusive)),
    ),
    Fault(
        "has-more-len-equals-limit",
        ("stripe",),
        "`has_more` is computed as `len(page) == limit`, so a full last page claims more.",
        ("META-HAS-MORE", "CURSOR-AFTER-LAST"),
        hooks=Hooks(body=has_more_when_full),
    ),
    Fault(
        "extra-fields",
        ("stripe",),
        "Undocumented extras: `livemode` in the body and on every conversation.",
        (),
        tolerated=True,
        hooks=Hooks(
            item=lambda item, row: {**item, "livemode": False}, body=set_body(livemode=False)
        ),
    ),
    Fault(
        "short-pages",
        ("stripe",),
        "Every page holds `limit - 1` conversations (one row kept back), `has_more` exact: "
        "Stripe promises 'up to' `limit`, so full pages are only a SHOULD (PAGE-FULL).",
        ("PAGE-FULL",),
        tolerated=True,
        hooks=Hooks(query=_one_short),
    ),
    Fault(
        "error-doc-url",
        ("stripe",),
        "Errors carry Stripe's extra `doc_url` and `request_log_url` fields.",
        (),
        tolerated=True,
        hooks=Hooks(error=_doc_url),
    ),
)
