"""Faults several built-in contracts share: security basics and parameter handling
(`SHARED`), the cursor faults of the vendor contracts (`VENDOR_ONLY`), and the page-boundary
faults that show only when a walk puts a page boundary at the right place (`BOUNDARY`)."""

from __future__ import annotations

import math
import random
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from threadconform.reference.contracts.common import iso
from threadconform.reference.errors import ErrorReply
from threadconform.reference.faults.fault import Fault
from threadconform.reference.faults.helpers import (
    AUTH,
    AUTHENTICATED,
    CRASH,
    CURSOR,
    REJECT,
    VENDOR,
    WALK,
    Body,
    crash_unless_integer,
    created_at_only,
    cursor_bounds,
    drop_on_some,
    empty_page,
    has_more_when_full,
    inclusive,
    no_maximum,
    no_more_before,
    rewrite,
    swap_first_last,
    with_default,
    without,
)
from threadconform.reference.hooks import Hooks, PageInfo
from threadconform.reference.store import Bound, KeysetQuery, OffsetQuery

__all__ = ["BOUNDARY", "EXPIRY", "FILTER_COLUMNS", "PLAN_FLIP_SHARE", "SHARED", "VENDOR_ONLY"]


# --- shared by several built-in contracts ---------------------------------------------


def _missing_credential_is_primary(tenant: int | None, credential: str | None) -> int | None:
    return 0 if credential is None else tenant


def _detail_string(reply: ErrorReply) -> ErrorReply:
    """A custom handler that flattens every validation error to `{"detail": "<message>"}`."""
    if reply.kind != "validation" or not isinstance(reply.body, dict):
        return reply
    body = reply.body
    if "detail" in body:
        message = "; ".join(str(d["msg"]) for d in body["detail"])
    else:
        message = str(body["error"]["message"])
    return replace(reply, body={"detail": message})


def _ties_by_chance(query: OffsetQuery) -> OffsetQuery:
    # ORDER BY created_at alone: the database breaks ties however it likes, per query.
    return replace(query, order=replace(query.order, tie_slice=random.Random().randint(1, 27)))


def _milliseconds(value: Any) -> Any:
    return value * 1000 if isinstance(value, int) else value


def _iso(value: Any) -> Any:
    return iso(value) if isinstance(value, int) else value


FILTER_COLUMNS = (
    "chat_project", "assistant_id", "workflow_id", "organization_id", "pinned_at", "agent_id",
    "end_user",
)  # fmt: skip


SHARED: tuple[Fault, ...] = (
    Fault(
        "auth-not-required",
        AUTHENTICATED,
        "A request without any credential is served as the demo user (a development "
        "fallback left on); a wrong credential is still refused.",
        AUTH,
        hooks=Hooks(auth=_missing_credential_is_primary),
    ),
    Fault(
        "limit-above-max-accepted",
        ("kortix", "chat", *VENDOR),
        "The documented maximum of `limit` is not enforced: larger values are served.",
        (*REJECT, "PAGE-LIMIT-RESPECTED"),
        hooks=Hooks(bounds=no_maximum("limit")),
    ),
    Fault(
        "other-tenant-leak",
        ("kortix", *VENDOR),
        "The list query lost its tenant condition: every caller sees every tenant's threads.",
        # PARAM-VALID-ACCEPTED: a leaked organization id, sent back as a filter, gets a 403.
        ("TENANT-ISOLATION", "TENANT-FILTER", "PARAM-VALID-ACCEPTED"),
        hooks=Hooks(where=without("tenant")),
    ),
    Fault(
        "wrong-error-envelope",
        ("chat", *VENDOR),
        'Validation errors are flattened to `{"detail": "<message>"}` by a custom handler.',
        ("PARAM-ERROR-ENVELOPE",),
        hooks=Hooks(error=_detail_string),
    ),
    Fault(
        "default-limit-20",
        ("chat", "worker"),
        "Without `limit`, 20 threads are returned instead of the documented 50.",
        ("PAGE-DEFAULT-LIMIT", "META-LENGTH"),
        hooks=Hooks(default=with_default("limit", 20)),
    ),
    Fault(
        "total-ignores-filter",
        ("chat", "aitronos", "worker"),
        "The total is counted without the request's filters (the count query is built "
        "from the base scope only).",
        ("FILTER-TOTAL", "META-TOTAL-OPT-IN", "META-TOTAL", "META-LENGTH", "META-HAS-MORE"),
        hooks=Hooks(count_where=without(*FILTER_COLUMNS)),
    ),
    Fault(
        "500-on-bad-limit",
        (*VENDOR, "worker"),
        "A non-integer `limit` reaches int() outside the validation layer: 500.",
        CRASH,
        hooks=Hooks(raw=crash_unless_integer("limit")),
    ),
    Fault(
        "has-more-len-equals-limit",
        (*VENDOR, "worker"),
        "`has_more` is computed as `len(page) == limit`, so a full last page claims more.",
        ("META-HAS-MORE", "CURSOR-AFTER-LAST"),
        hooks=Hooks(body=has_more_when_full),
    ),
    Fault(
        "ties-shuffled-per-request",
        ("kortix", "worker"),
        "ORDER BY created_at without a tiebreak: threads with equal timestamps come back "
        "in a different order on every query, so they repeat or vanish across pages.",
        ("DETERMINISM", "ORDER-STABLE", *WALK),
        hooks=Hooks(query=_ties_by_chance),
    ),
    Fault(
        "timestamps-in-milliseconds",
        ("freddy", "worker"),
        "Unix timestamps are written in milliseconds (JavaScript's Date.now()).",
        ("ITEM-UNIX-SECONDS",),
        hooks=Hooks(item=rewrite(("createdAt", "updatedAt", "created_at"), _milliseconds)),
    ),
    Fault(
        "created-at-iso-string",
        ("freddy", "worker"),
        "The creation time is serialized as an ISO 8601 string instead of Unix seconds.",
        ("SCHEMA-RESPONSE", "ITEM-UNIX-SECONDS"),
        hooks=Hooks(item=rewrite(("createdAt", "created_at"), _iso)),
    ),
)


# --- the vendor contracts' cursors (aitronos, freddy) ---------------------------------


def _chronological(bound: Bound) -> Bound:
    return replace(bound, op=">" if bound.source == "after" else "<")


def _ignore_order(args: Any) -> Any:
    return replace(args, paging=replace(args.paging, descending=True))


# Cursors naming threads older than this are "expired" by the cursor-loop fault.
EXPIRY = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp())


def _expire_old_cursors(query: KeysetQuery) -> KeysetQuery:
    kept = tuple(b for b in query.bounds if b.source != "after" or b.key[0] >= EXPIRY)
    return replace(query, bounds=kept)


VENDOR_ONLY: tuple[Fault, ...] = (
    Fault(
        "missing-object-on-some-items",
        VENDOR,
        'Threads loaded through a second code path lack `"object": "thread"`.',
        ("SCHEMA-RESPONSE", "META-OBJECT"),
        hooks=Hooks(item=drop_on_some("object")),
    ),
    Fault(
        "after-chronological",
        VENDOR,
        "`after=X` returns threads created after X (newer) and `before=X` older ones, "
        "whatever the order: the prose reading, which breaks the newest-first walk.",
        ("CURSOR-AFTER", *WALK, *CURSOR),
        hooks=Hooks(query=cursor_bounds(_chronological, from_end=False)),
    ),
    Fault(
        "inclusive-cursor",
        VENDOR,
        "The cursor comparison uses <= / >=, so the cursor thread starts the next page.",
        ("CURSOR-EXCLUSIVE", *WALK, *CURSOR),
        hooks=Hooks(query=cursor_bounds(inclusive)),
    ),
    Fault(
        "cursor-drops-ties",
        VENDOR,
        "The cursor compares created_at alone: threads sharing the cursor thread's "
        "timestamp but after it in order are skipped.",
        ("PAGE-NO-GAPS", *WALK, *CURSOR),
        hooks=Hooks(query=cursor_bounds(created_at_only)),
    ),
    Fault(
        "first-last-swapped",
        VENDOR,
        "first_id and last_id are swapped.",
        ("META-FIRST-LAST-ID", *WALK, *CURSOR),
        hooks=Hooks(body=swap_first_last),
    ),
    Fault(
        "order-asc-ignored",
        VENDOR,
        "The `order` parameter is parsed but never reaches the query: always newest first.",
        ("ORDER-ASC", "ORDER-REVERSE"),
        hooks=Hooks(args=_ignore_order),
    ),
    Fault(
        "cursor-loop",
        VENDOR,
        "Cursors naming threads older than 2026-01-01 are treated as expired and silently "
        "ignored, so a long walk falls back to the first page and loops.",
        ("WALK-TERMINATES", *WALK, *CURSOR),
        hooks=Hooks(query=_expire_old_cursors),
    ),
    Fault(
        "unknown-cursor-empty-page",
        VENDOR,
        "A cursor naming no thread gets 200 with an empty page instead of a 400.",
        (),
        tolerated=True,
        hooks=Hooks(unknown_cursor=empty_page),
    ),
    Fault(
        "before-not-adjacent",
        VENDOR,
        "`before=X` returns the first threads of the list (those furthest from X) rather "
        "than the page just before X.",
        ("CURSOR-BEFORE-PREVIOUS-PAGE",),
        tolerated=True,
        hooks=Hooks(query=cursor_bounds(lambda b: b, from_end=False), body=no_more_before),
    ),
)


# --- page boundaries ------------------------------------------------------------------


def _page_count_total(body: Body, page: PageInfo) -> Body:
    """The total is COUNT(*) OVER () of the page's own rows: the page length."""
    if "pagination" in body:
        meta = dict(body["pagination"])
        meta.update(total=page.count, pages=math.ceil(page.count / page.limit))
        return {**body, "pagination": meta}
    return {**body, "total": page.count} if body.get("total") is not None else body


def _offset_minus_one(query: OffsetQuery) -> OffsetQuery:
    # OFFSET (page - 1) * limit - 1: every page after the first starts one item early.
    return replace(query, offset=query.offset - 1) if query.offset > 0 else query


# Where the plan-flip faults flip: near this share of the listing (snapped into a tie group).
PLAN_FLIP_SHARE = 0.4


def _plan_flip(query: OffsetQuery | KeysetQuery) -> OffsetQuery | KeysetQuery:
    return replace(query, order=replace(query.order, flip_at=PLAN_FLIP_SHARE))


# Page-boundary faults: each shows only when a walk puts a page boundary at the right
# place, so a suite that walks only limits that divide the total (or exceed it) misses them.
BOUNDARY: tuple[Fault, ...] = (
    Fault(
        "page-repeats-last-item",
        ("kortix", "worker"),
        "OFFSET is computed one too low after the first page: every page starts with the "
        "previous page's last item (and the item that should end each page is never served).",
        ("PAGE-NO-DUPLICATES", "PAGE-NO-GAPS", *WALK, "PAGE-FULL", "META-LENGTH"),
        hooks=Hooks(query=_offset_minus_one),
    ),
    Fault(
        "total-counts-page",
        ("kortix", "worker", "aitronos"),
        "The total is a window count over the page's own rows: it equals the page length.",
        (
            "META-TOTAL",
            "META-PAGES",
            "META-LENGTH",
            "META-HAS-MORE",
            "META-TOTAL-OPT-IN",
            "FILTER-TOTAL",
            "PAGE-NO-GAPS",
            "PAGE-PAST-END-TOTAL",
            "PAGE-DEFAULT-LIMIT",
            "WALK-TERMINATES",
            "PAGE-FULL",
            *CURSOR,
        ),
        hooks=Hooks(body=_page_count_total),
    ),
    Fault(
        "tie-order-plan-flip",
        ("kortix", "worker"),
        "ORDER BY created_at without a tie-breaker: once OFFSET+LIMIT passes a point inside "
        "a tie group (about 40% into the listing) the database switches plans and returns "
        "tied threads in the other order, so at some limits a walk repeats one thread and "
        "drops another (as the real Kortix backend does on PostgreSQL).",
        ("PAGE-NO-DUPLICATES", "PAGE-NO-GAPS", *WALK, "ORDER-STABLE", "DETERMINISM"),
        hooks=Hooks(query=_plan_flip),
    ),
    Fault(
        "cursor-tie-order-plan-flip",
        VENDOR,
        "The cursor analogue: once a page reaches about 40% into the listing, tied threads "
        "come back in ascending id order while the cursor still compares (created_at, id) "
        "descending, so a page that ends inside a tie group is followed by repeats and gaps.",
        ("PAGE-NO-DUPLICATES", "PAGE-NO-GAPS", *WALK, *CURSOR, "CURSOR-AFTER"),
        hooks=Hooks(query=_plan_flip),
    ),
)
