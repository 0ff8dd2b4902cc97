"""Named, realistic defects a reference server can be started with (`--fault NAME`).

Each fault is a `Hooks` object (see `hooks.py`) that changes one or two well-named points of
the conforming handler: what a real vendor bug looks like, kept small so that it breaks the
rules in its `breaks` and, as far as possible, nothing else.

`breaks[0]` is the rule a conformance suite must report for the fault; the other entries
are rules it may report as well (one bug often shows through several checks). A `tolerated`
fault departs only from a SHOULD (listed in `breaks`) or from nothing: a suite must pass it.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from starlette.datastructures import MutableHeaders

from threadconform.reference import params
from threadconform.reference.auth import KORTIX_SECONDARY
from threadconform.reference.contracts.common import iso
from threadconform.reference.errors import ErrorReply
from threadconform.reference.hooks import CONFORMING, FaultCrash, Hooks, PageInfo
from threadconform.reference.params import Range
from threadconform.reference.store import Bound, KeysetQuery, OffsetQuery, ThreadRow, Where

Item = dict[str, Any]
Body = dict[str, Any]
ItemHook = Callable[[Item, ThreadRow], Item]
BodyHook = Callable[[Body, PageInfo], Body | ErrorReply]


@dataclass(frozen=True)
class Fault:
    name: str
    contracts: tuple[str, ...]
    description: str
    breaks: tuple[str, ...]
    tolerated: bool = False
    hooks: Hooks = field(default=CONFORMING, repr=False, compare=False)

    def __post_init__(self) -> None:
        # The catalogue builds `breaks` from shared groups; keep the first of each id.
        object.__setattr__(self, "breaks", tuple(dict.fromkeys(self.breaks)))


# --- item faults ---------------------------------------------------------------------


def _some(row: ThreadRow) -> bool:
    """About one thread in four, always the same ones."""
    return row.thread.id[0] in "0123"


def drop_on_some(*keys: str) -> ItemHook:
    def hook(item: Item, row: ThreadRow) -> Item:
        return {k: v for k, v in item.items() if k not in keys} if _some(row) else item

    return hook


def rewrite(keys: tuple[str, ...], change: Callable[[Any], Any]) -> ItemHook:
    """Apply `change` to whichever of `keys` the item has."""

    def hook(item: Item, row: ThreadRow) -> Item:
        return {k: change(v) if k in keys else v for k, v in item.items()}

    return hook


def add_fields(**extra: Any) -> ItemHook:
    def hook(item: Item, row: ThreadRow) -> Item:
        return {**item, **extra}

    return hook


def _no_updated_at_if_never_updated(item: Item, row: ThreadRow) -> Item:
    if row.thread.updated_at != row.thread.created_at:
        return item
    return {k: v for k, v in item.items() if k != "updated_at"}


def _null_tags_when_empty(item: Item, row: ThreadRow) -> Item:
    return {**item, "tags": item["tags"] or None}


def _no_empty_tags(item: Item, row: ThreadRow) -> Item:
    return {k: v for k, v in item.items() if k != "tags" or v}


def _project_id_from_thread(item: Item, row: ThreadRow) -> Item:
    if item["project"] is None:
        return item
    return {**item, "project": {**item["project"], "project_id": item["thread_id"]}}


def _hyphenated_agent_type(item: Item, row: ThreadRow) -> Item:
    agent = item.get("agent")
    if not agent:
        return item
    return {**item, "agent": {**agent, "type": agent["type"].replace("_", "-")}}


def _relative_icon(item: Item, row: ThreadRow) -> Item:
    if "agent" not in item or row.agent is None:
        return item
    return {**item, "agent": {**item["agent"], "icon": row.agent.icon}}


CHAT_REQUIRED_ITEM = ("threadId", "title", "projectId", "createdAt", "messageCount", "tags")
CHAT_REQUIRED_BODY = ("threads", "totalCount", "projectId")
CHAT_ECHOES = (
    "page", "pageSize", "totalPages", "hasNext", "hasPrevious", "sortBy", "sortOrder",
    "requestId",
)  # fmt: skip


def _optional_item_fields_null(item: Item, row: ThreadRow) -> Item:
    return {k: v if k in CHAT_REQUIRED_ITEM else None for k, v in item.items()}


# --- body faults ---------------------------------------------------------------------


def _names(body: Body) -> tuple[str, str, str]:
    """(first id, last id, has more) keys of a vendor or worker body."""
    if "has_more" in body:
        return "first_id", "last_id", "has_more"
    return "firstId", "lastId", "hasMore"


def _has_more_when_full(body: Body, page: PageInfo) -> Body:
    return {**body, _names(body)[2]: page.count == page.limit}


def _swap_first_last(body: Body, page: PageInfo) -> Body:
    first, last, _ = _names(body)
    return {**body, first: body[last], last: body[first]}


def _no_more_before(body: Body, page: PageInfo) -> Body:
    query = page.params or {}
    if query.get("before") and not query.get("after"):
        return {**body, _names(body)[2]: False}
    return body


def pagination(change: Callable[[dict[str, Any], PageInfo], dict[str, Any]]) -> BodyHook:
    def hook(body: Body, page: PageInfo) -> Body:
        return {**body, "pagination": change(dict(body["pagination"]), page)}

    return hook


def _pages_floor(meta: dict[str, Any], page: PageInfo) -> dict[str, Any]:
    return {**meta, "pages": meta["total"] // meta["limit"]}


def _page_zero_based(meta: dict[str, Any], page: PageInfo) -> dict[str, Any]:
    return {**meta, "page": meta["page"] - 1}


def _window_total(meta: dict[str, Any], page: PageInfo) -> dict[str, Any]:
    # COUNT(*) OVER () has no row to ride on past the last page.
    return {**meta, "total": 0, "pages": 0} if page.count == 0 else meta


def _has_more_echo(meta: dict[str, Any], page: PageInfo) -> dict[str, Any]:
    return {**meta, "has_more": meta["page"] * meta["limit"] < meta["total"]}


def _kortix_past_end_404(body: Body, page: PageInfo) -> Body | ErrorReply:
    if page.count == 0 and (page.page or 1) > 1:
        return ErrorReply(404, {"detail": "Page not found"}, "not_found")
    return body


def _worker_past_end_404(body: Body, page: PageInfo) -> Body | ErrorReply:
    if page.count == 0 and (page.offset or 0) > 0:
        return ErrorReply(404, {"error": "No threads at this offset"}, "not_found")
    return body


def set_body(**values: Any) -> BodyHook:
    def hook(body: Body, page: PageInfo) -> Body:
        return {**body, **values}

    return hook


def change_body(key: str, change: Callable[[Any], Any]) -> BodyHook:
    def hook(body: Body, page: PageInfo) -> Body:
        return {**body, key: change(body[key])}

    return hook


def _shuffled_threads(body: Body, page: PageInfo) -> Body:
    # Results gathered from shards in completion order: a different order every time.
    threads = list(body["threads"])
    random.Random().shuffle(threads)
    return {**body, "threads": threads}


def _chat_optional_body_null(body: Body, page: PageInfo) -> Body:
    return {k: v if k in CHAT_REQUIRED_BODY else None for k, v in body.items()}


def _chat_no_echoes(body: Body, page: PageInfo) -> Body:
    return {k: v for k, v in body.items() if k not in CHAT_ECHOES}


def _echo_default_project(body: Body, page: PageInfo) -> Body:
    return {**body, "projectId": "all"}


# --- request faults ------------------------------------------------------------------


def crash_unless_integer(param: str) -> Callable[[Mapping[str, str]], None]:
    def hook(query: Mapping[str, str]) -> None:
        raw = query.get(param)
        if raw is not None and params.to_int(raw) is None:
            raise FaultCrash(f"invalid literal for int() with base 10: {raw!r}")

    return hook


def _crash_on_page_zero(query: Mapping[str, str]) -> None:
    if params.to_int(query.get("page", "1")) == 0:
        raise FaultCrash("OFFSET must not be negative")


def _crash_on_bad_pattern(query: Mapping[str, str]) -> None:
    for name in ("project_id", "project_type"):
        raw = query.get(name)
        if raw is not None and not (raw and all(c.isalnum() or c in "_-" for c in raw)):
            raise FaultCrash(f"{name} failed the hand-written slug check")


def no_maximum(param: str) -> Callable[[str, Range], Range]:
    def hook(name: str, bounds: Range) -> Range:
        return replace(bounds, hi=None) if name == param else bounds

    return hook


def _clamp(name: str, bounds: Range) -> Range:
    return replace(bounds, clamp=True)


def with_default(param: str, value: Any) -> Callable[[str, Any], Any]:
    def hook(name: str, documented: Any) -> Any:
        return value if name == param else documented

    return hook


def _missing_credential_is_primary(tenant: int | None, credential: str | None) -> int | None:
    return 0 if credential is None else tenant


def _always_member(member: bool) -> bool:
    return True


def _ignore_order(args: Any) -> Any:
    return replace(args, paging=replace(args.paging, descending=True))


# --- query faults --------------------------------------------------------------------


def without(*columns: str) -> Callable[[Where], Where]:
    def hook(where: Where) -> Where:
        return where.without(*columns)

    return hook


def _org_replaces_tenant(where: Where) -> Where:
    return where.without("tenant") if where.has("organization_id") else where


FILTER_COLUMNS = (
    "chat_project", "assistant_id", "workflow_id", "organization_id", "pinned_at", "agent_id",
    "end_user",
)  # fmt: skip


def ordered(descending: bool, key: str = "created_at") -> Callable[[Any], Any]:
    def hook(query: OffsetQuery | KeysetQuery) -> OffsetQuery | KeysetQuery:
        return replace(query, order=replace(query.order, descending=descending, key=key))

    return hook


def _ties_by_chance(query: OffsetQuery) -> OffsetQuery:
    # ORDER BY created_at alone: the database breaks ties however it likes, per query.
    return replace(query, order=replace(query.order, tie_slice=random.Random().randint(1, 27)))


def _one_based_offset(query: OffsetQuery) -> OffsetQuery:
    return replace(query, offset=query.offset + 1) if query.offset > 0 else query


def _capped_at_100(query: OffsetQuery) -> OffsetQuery:
    return replace(query, limit=min(query.limit, 100))


def cursor_bounds(
    change: Callable[[Bound], Bound], *, from_end: bool | None = None
) -> Callable[[KeysetQuery], KeysetQuery]:
    def hook(query: KeysetQuery) -> KeysetQuery:
        moved = replace(query, bounds=tuple(change(b) for b in query.bounds))
        return moved if from_end is None else replace(moved, from_end=from_end)

    return hook


def _chronological(bound: Bound) -> Bound:
    return replace(bound, op=">" if bound.source == "after" else "<")


def _inclusive(bound: Bound) -> Bound:
    return replace(bound, op=bound.op[0] + "=")  # type: ignore[arg-type]


def _created_at_only(bound: Bound) -> Bound:
    return replace(bound, ties=False)


# Cursors naming threads older than this are "expired" by the cursor-loop fault.
EXPIRY = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp())


def _expire_old_cursors(query: KeysetQuery) -> KeysetQuery:
    kept = tuple(b for b in query.bounds if b.source != "after" or b.key[0] >= EXPIRY)
    return replace(query, bounds=kept)


# --- error faults --------------------------------------------------------------------


def status_for(kind: str, status: int) -> Callable[[ErrorReply], ErrorReply]:
    def hook(reply: ErrorReply) -> ErrorReply:
        return replace(reply, status=status) if reply.kind == kind else reply

    return hook


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


def _empty_page(reply: ErrorReply) -> None:
    return None


def _milliseconds(value: Any) -> Any:
    return value * 1000 if isinstance(value, int) else value


def _iso(value: Any) -> Any:
    return iso(value) if isinstance(value, int) else value


# --- the catalogue -------------------------------------------------------------------

VENDOR = ("aitronos", "freddy")
AUTHENTICATED = ("kortix", "aitronos", "freddy")
_REJECT = ("PARAM-INVALID-REJECTED", "PARAM-ERROR-STATUS", "PARAM-ERROR-ENVELOPE")
_CRASH = ("HTTP-NO-5XX", *_REJECT)
_AUTH = ("AUTH-REQUIRED", "AUTH-STATUS-401", "AUTH-ERROR-ENVELOPE")
_WALK = ("PAGE-NO-DUPLICATES", "PAGE-NO-GAPS", "WALK-TERMINATES", "META-TOTAL")
# A cursor bug corrupts every walk, so every check that compares walks may trip over it.
_CURSOR = (
    "CURSOR-AFTER", "CURSOR-AFTER-LAST", "CURSOR-BEFORE", "CURSOR-BEFORE-PREVIOUS-PAGE",
    "CURSOR-EXCLUSIVE", "META-HAS-MORE", "META-TOTAL-OPT-IN", "ORDER-SORTED", "ORDER-REVERSE",
    "FILTER-SUBSET", "FILTER-SUPERSET", "FILTER-TOTAL",
)  # fmt: skip

SHARED: tuple[Fault, ...] = (
    Fault(
        "auth-not-required",
        AUTHENTICATED,
        "A request without any credential is served as the demo user (a development "
        "fallback left on); a wrong credential is still refused.",
        _AUTH,
        hooks=Hooks(auth=_missing_credential_is_primary),
    ),
    Fault(
        "limit-above-max-accepted",
        ("kortix", "chat", *VENDOR),
        "The documented maximum of `limit` is not enforced: larger values are served.",
        (*_REJECT, "PAGE-LIMIT-RESPECTED"),
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
        _CRASH,
        hooks=Hooks(raw=crash_unless_integer("limit")),
    ),
    Fault(
        "has-more-len-equals-limit",
        (*VENDOR, "worker"),
        "`has_more` is computed as `len(page) == limit`, so a full last page claims more.",
        ("META-HAS-MORE", "CURSOR-AFTER-LAST"),
        hooks=Hooks(body=_has_more_when_full),
    ),
    Fault(
        "ties-shuffled-per-request",
        ("kortix", "worker"),
        "ORDER BY created_at without a tiebreak: threads with equal timestamps come back "
        "in a different order on every query, so they repeat or vanish across pages.",
        ("DETERMINISM", "ORDER-STABLE", *_WALK),
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

_VENDOR_ONLY: tuple[Fault, ...] = (
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
        ("CURSOR-AFTER", *_WALK, *_CURSOR),
        hooks=Hooks(query=cursor_bounds(_chronological, from_end=False)),
    ),
    Fault(
        "inclusive-cursor",
        VENDOR,
        "The cursor comparison uses <= / >=, so the cursor thread starts the next page.",
        ("CURSOR-EXCLUSIVE", *_WALK, *_CURSOR),
        hooks=Hooks(query=cursor_bounds(_inclusive)),
    ),
    Fault(
        "cursor-drops-ties",
        VENDOR,
        "The cursor compares created_at alone: threads sharing the cursor thread's "
        "timestamp but after it in order are skipped.",
        ("PAGE-NO-GAPS", *_WALK, *_CURSOR),
        hooks=Hooks(query=cursor_bounds(_created_at_only)),
    ),
    Fault(
        "first-last-swapped",
        VENDOR,
        "first_id and last_id are swapped.",
        ("META-FIRST-LAST-ID", *_WALK, *_CURSOR),
        hooks=Hooks(body=_swap_first_last),
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
        ("WALK-TERMINATES", *_WALK, *_CURSOR),
        hooks=Hooks(query=_expire_old_cursors),
    ),
    Fault(
        "unknown-cursor-empty-page",
        VENDOR,
        "A cursor naming no thread gets 200 with an empty page instead of a 400.",
        (),
        tolerated=True,
        hooks=Hooks(unknown_cursor=_empty_page),
    ),
    Fault(
        "before-not-adjacent",
        VENDOR,
        "`before=X` returns the first threads of the list (those furthest from X) rather "
        "than the page just before X.",
        ("CURSOR-BEFORE-PREVIOUS-PAGE",),
        tolerated=True,
        hooks=Hooks(query=cursor_bounds(lambda b: b, from_end=False), body=_no_more_before),
    ),
)

KORTIX: tuple[Fault, ...] = (
    Fault(
        "missing-updated-at-on-some-items",
        ("kortix",),
        "Threads never updated since creation are serialized without `updated_at`.",
        ("SCHEMA-RESPONSE",),
        hooks=Hooks(item=_no_updated_at_if_never_updated),
    ),
    Fault(
        "is-public-as-string",
        ("kortix",),
        '`is_public` is the database text "true"/"false", not a JSON boolean.',
        ("SCHEMA-RESPONSE",),
        hooks=Hooks(item=rewrite(("is_public",), lambda v: str(v).lower())),
    ),
    Fault(
        "500-on-page-zero",
        ("kortix",),
        "`page=0` slips past validation and reaches the database as a negative OFFSET: 500.",
        _CRASH,
        hooks=Hooks(raw=_crash_on_page_zero),
    ),
    Fault(
        "page-off-by-one",
        ("kortix",),
        "Pages after the first start one row late (a 1-based row number used as OFFSET): "
        "the first thread of page 2 is never listed.",
        ("PAGE-NO-GAPS", "META-TOTAL", "META-LENGTH", "PAGE-FULL"),
        hooks=Hooks(query=_one_based_offset),
    ),
    Fault(
        "pages-floor",
        ("kortix",),
        "`pages` is total // limit: the last, partial page is not counted.",
        ("META-PAGES", "META-TOTAL", "PAGE-NO-GAPS"),
        hooks=Hooks(body=pagination(_pages_floor)),
    ),
    Fault(
        "total-counts-other-tenants",
        ("kortix",),
        "The count query has no tenant condition: `total` counts every user's threads.",
        ("META-TOTAL", "META-LENGTH", "META-PAGES", "PAGE-PAST-END-TOTAL"),
        hooks=Hooks(count_where=without("tenant")),
    ),
    Fault(
        "project-id-mismatch",
        ("kortix",),
        "A join alias mix-up fills `project.project_id` with the thread's id.",
        ("ITEM-FIELDS-AGREE",),
        hooks=Hooks(item=_project_id_from_thread),
    ),
    Fault(
        "oldest-first",
        ("kortix",),
        "Threads are listed oldest first, against the documented created_at DESC.",
        ("ORDER-SORTED",),
        hooks=Hooks(query=ordered(descending=False)),
    ),
    Fault(
        "past-end-404",
        ("kortix",),
        "A page past the last is answered 404 instead of an empty page.",
        ("PAGE-PAST-END", "PARAM-VALID-ACCEPTED", "PAGE-PAST-END-TOTAL", *_REJECT[1:]),
        hooks=Hooks(body=_kortix_past_end_404),
    ),
    Fault(
        "page-echo-zero-based",
        ("kortix",),
        "`pagination.page` echoes the 0-based page index used internally.",
        ("META-ECHO", "SCHEMA-RESPONSE"),
        hooks=Hooks(body=pagination(_page_zero_based)),
    ),
    Fault(
        "extra-fields",
        ("kortix",),
        "Undocumented extras: `message_count` on threads, `has_more` in pagination.",
        (),
        tolerated=True,
        hooks=Hooks(
            item=lambda item, row: {**item, "message_count": row.thread.message_count},
            body=pagination(_has_more_echo),
        ),
    ),
    Fault(
        "total-zero-past-end",
        ("kortix",),
        "The total comes from COUNT(*) OVER (), so a page past the end reports total 0.",
        ("PAGE-PAST-END-TOTAL",),
        tolerated=True,
        hooks=Hooks(body=pagination(_window_total)),
    ),
    Fault(
        "403-instead-of-401",
        ("kortix",),
        'A missing or bad token gets 403 {"detail": ...} (older FastAPI HTTPBearer).',
        ("AUTH-STATUS-401",),
        tolerated=True,
        hooks=Hooks(error=status_for("auth", 403)),
    ),
    Fault(
        "400-instead-of-422",
        ("kortix",),
        "Validation errors keep FastAPI's body but are answered with 400, not 422.",
        ("PARAM-ERROR-STATUS",),
        tolerated=True,
        hooks=Hooks(error=status_for("validation", 400)),
    ),
)

CHAT: tuple[Fault, ...] = (
    Fault(
        "missing-message-count",
        ("chat",),
        "Threads whose message count is not cached are serialized without `messageCount`.",
        ("SCHEMA-RESPONSE",),
        hooks=Hooks(item=drop_on_some("messageCount")),
    ),
    Fault(
        "total-count-as-string",
        ("chat",),
        "`totalCount` is serialized as a string.",
        ("SCHEMA-RESPONSE", "META-LENGTH", "FILTER-TOTAL"),
        hooks=Hooks(body=change_body("totalCount", str)),
    ),
    Fault(
        "tags-null",
        ("chat",),
        "Threads without tags get `tags: null` instead of an empty list.",
        ("SCHEMA-RESPONSE",),
        hooks=Hooks(item=_null_tags_when_empty),
    ),
    Fault(
        "500-on-bad-pattern",
        ("chat",),
        "A hand-written slug check on project_id/project_type raises instead of answering "
        "422: 500.",
        _CRASH,
        hooks=Hooks(raw=_crash_on_bad_pattern),
    ),
    Fault(
        "400-instead-of-422",
        ("chat",),
        "Validation errors keep the HTTPValidationError body but are answered with 400.",
        ("PARAM-ERROR-STATUS",),
        hooks=Hooks(error=status_for("validation", 400)),
    ),
    Fault(
        "caps-limit-at-100",
        ("chat",),
        "The repository silently caps every query at 100 rows, whatever `limit` says.",
        ("META-LENGTH",),
        hooks=Hooks(query=_capped_at_100),
    ),
    Fault(
        "filter-ignored",
        ("chat",),
        "`project_id` is echoed but never applied: every project's threads are listed.",
        ("FILTER-EXACT", "FILTER-TOTAL"),
        hooks=Hooks(where=without("chat_project")),
    ),
    Fault(
        "echo-wrong-project",
        ("chat",),
        'The response\'s `projectId` is always "all", even when a project was asked for.',
        ("FILTER-ECHO",),
        hooks=Hooks(body=_echo_default_project),
    ),
    Fault(
        "random-order-per-request",
        ("chat",),
        "Threads gathered from shards are returned in completion order: a new order on "
        "every request.",
        ("DETERMINISM", "ORDER-PREFIX"),
        hooks=Hooks(body=_shuffled_threads),
    ),
    Fault(
        "quality-score-out-of-range",
        ("chat",),
        "`qualityScore` is sent on a 0..1000 scale instead of the documented <= 100.",
        ("SCHEMA-RESPONSE",),
        hooks=Hooks(item=rewrite(("qualityScore",), lambda v: round(v * 10, 1))),
    ),
    Fault(
        "extra-fields",
        ("chat",),
        "Undocumented extras: `workspaceId` on threads, `nextCursor` in the body.",
        (),
        tolerated=True,
        hooks=Hooks(item=add_fields(workspaceId="ws_default"), body=set_body(nextCursor=None)),
    ),
    Fault(
        "optional-fields-null",
        ("chat",),
        "Every optional field (thread and response) is present but null.",
        (),
        tolerated=True,
        hooks=Hooks(item=_optional_item_fields_null, body=_chat_optional_body_null),
    ),
    Fault(
        "alphabetical-order",
        ("chat",),
        "Threads are sorted by title (then id): deterministic, just not by date.",
        (),
        tolerated=True,
        hooks=Hooks(
            query=ordered(descending=False, key="title"),
            body=set_body(sortBy="title", sortOrder="asc"),
        ),
    ),
    Fault(
        "no-pagination-echoes",
        ("chat",),
        "None of the optional paging echoes (page, pageSize, hasNext, ...) are sent.",
        (),
        tolerated=True,
        hooks=Hooks(body=_chat_no_echoes),
    ),
)

AITRONOS: tuple[Fault, ...] = (
    Fault(
        "message-count-as-string",
        ("aitronos",),
        "`message_count` is serialized as a string.",
        ("SCHEMA-RESPONSE",),
        hooks=Hooks(item=rewrite(("message_count",), str)),
    ),
    Fault(
        "visible-default-not-applied",
        ("aitronos",),
        "Without `visible_in_ui`, hidden threads are listed too (the default true is lost).",
        ("FILTER-DEFAULT", "FILTER-EXACT"),
        hooks=Hooks(default=with_default("visible_in_ui", None)),
    ),
    Fault(
        "include-total-ignored",
        ("aitronos",),
        "`include_total=true` is ignored: `total` is always null.",
        ("META-TOTAL-OPT-IN", "FILTER-TOTAL"),
        hooks=Hooks(body=set_body(total=None)),
    ),
    Fault(
        "foreign-organization-visible",
        ("aitronos",),
        "`organization_id` replaces the membership scope instead of narrowing it: any "
        "organization's threads can be listed.",
        ("TENANT-FILTER",),
        hooks=Hooks(member=_always_member, where=_org_replaces_tenant),
    ),
    Fault(
        "extra-fields",
        ("aitronos",),
        "Undocumented extras: `archived` on threads, `url` in the body.",
        (),
        tolerated=True,
        hooks=Hooks(item=add_fields(archived=False), body=set_body(url="/v1/threads")),
    ),
    Fault(
        "sparse-optional-fields",
        ("aitronos",),
        "`last_model_used` is always null, `metadata` always {} and `space_ids` always [].",
        (),
        tolerated=True,
        hooks=Hooks(
            item=lambda item, row: {
                **item,
                "last_model_used": None,
                "metadata": {},
                "space_ids": [],
            }
        ),
    ),
)

FREDDY: tuple[Fault, ...] = (
    Fault(
        "assistant-filter-ignored",
        ("freddy",),
        "`assistantId` is accepted but never applied.",
        ("FILTER-EXACT", "FILTER-SUBSET"),
        hooks=Hooks(where=without("assistant_id")),
    ),
    Fault(
        "extra-fields",
        ("freddy",),
        "Undocumented extras: `lastMessageAt` on threads, `limit` in the body.",
        (),
        tolerated=True,
        hooks=Hooks(
            item=lambda item, row: {**item, "lastMessageAt": row.thread.last_message_at},
            body=lambda body, page: {**body, "limit": page.limit},
        ),
    ),
    Fault(
        "visible-default-applied",
        ("freddy",),
        "Without `visibleInUi`, only visible threads are listed (no default is documented, "
        "so this is allowed).",
        (),
        tolerated=True,
        hooks=Hooks(default=with_default("visibleInUi", True)),
    ),
)

WORKER: tuple[Fault, ...] = (
    Fault(
        "missing-tags",
        ("worker",),
        "Threads without tags are serialized without the required `tags` key.",
        ("SCHEMA-RESPONSE",),
        hooks=Hooks(item=_no_empty_tags),
    ),
    Fault(
        "bad-agent-type",
        ("worker",),
        'Agent types are written with a hyphen ("ai-human", "dual-ai").',
        ("SCHEMA-RESPONSE",),
        hooks=Hooks(item=_hyphenated_agent_type),
    ),
    Fault(
        "offset-off-by-one",
        ("worker",),
        "A non-zero offset skips one row too many (1-based OFFSET): one thread is lost at "
        "every page boundary.",
        ("PAGE-NO-GAPS", "META-LENGTH", "META-TOTAL", "META-HAS-MORE", "PAGE-PAST-END-TOTAL"),
        hooks=Hooks(query=_one_based_offset),
    ),
    Fault(
        "relative-icon-urls",
        ("worker",),
        "Agent icons stored as paths are not resolved against the request's URL.",
        ("ITEM-ABSOLUTE-URL", "SCHEMA-RESPONSE"),
        hooks=Hooks(item=_relative_icon),
    ),
    Fault(
        "agent-filter-ignored",
        ("worker",),
        "`agent_id` is accepted but never applied.",
        ("FILTER-EXACT", "FILTER-TOTAL", "FILTER-SUBSET"),
        hooks=Hooks(where=without("agent_id")),
    ),
    Fault(
        "limit-above-max-returns-more",
        ("worker",),
        "`limit` above 100 is neither rejected nor clamped: more than 100 threads come back.",
        ("PARAM-INVALID-REJECTED", "PAGE-LIMIT-RESPECTED"),
        hooks=Hooks(bounds=no_maximum("limit")),
    ),
    Fault(
        "past-end-404",
        ("worker",),
        "An offset past the last thread is answered 404 instead of an empty page.",
        ("PAGE-PAST-END", "PARAM-VALID-ACCEPTED", "PAGE-PAST-END-TOTAL"),
        hooks=Hooks(body=_worker_past_end_404),
    ),
    Fault(
        "total-off-by-one",
        ("worker",),
        "`total` is one more than the number of matching threads.",
        ("META-TOTAL", "META-LENGTH", "META-HAS-MORE", "FILTER-TOTAL", "PAGE-PAST-END-TOTAL"),
        hooks=Hooks(body=change_body("total", lambda total: total + 1)),
    ),
    Fault(
        "clamp-out-of-range",
        ("worker",),
        "Out-of-range `limit`/`offset` are clamped into range instead of rejected.",
        (),
        tolerated=True,
        hooks=Hooks(bounds=_clamp),
    ),
    Fault(
        "extra-fields",
        ("worker",),
        "Undocumented extras: `updated_at` on threads, `limit` and `offset` in the body.",
        (),
        tolerated=True,
        hooks=Hooks(
            item=lambda item, row: {**item, "updated_at": row.thread.updated_at},
            body=lambda body, page: {**body, "limit": page.limit, "offset": page.offset},
        ),
    ),
    Fault(
        "no-agent-object",
        ("worker",),
        "The optional `agent` object is left out of every thread.",
        (),
        tolerated=True,
        hooks=Hooks(item=lambda item, row: {k: v for k, v in item.items() if k != "agent"}),
    ),
    Fault(
        "oldest-first",
        ("worker",),
        "Threads are listed oldest first (the order is not documented: a SHOULD only).",
        ("ORDER-SORTED",),
        tolerated=True,
        hooks=Hooks(query=ordered(descending=False)),
    ),
    Fault(
        "422-instead-of-400",
        ("worker",),
        "Out-of-range parameters are refused with 422 instead of 400 (no status documented).",
        (),
        tolerated=True,
        hooks=Hooks(error=status_for("validation", 422)),
    ),
)

# --- security faults (issue 15): what a vendor's security review wants to hear ----------
# Real-world shapes: the SQL text is what the Kortix backend (FastAPI + SQLAlchemy +
# psycopg) answers for a page beyond bigint; the auth faults are one-line parsing habits.

_BIGINT_MAX = 2**63 - 1
_KORTIX_SQL_500 = (
    "(psycopg.errors.NumericValueOutOfRange) bigint out of range\n"
    "[SQL: SELECT t.thread_id, t.project_id, t.name, t.metadata, t.is_public, t.created_at, "
    "t.updated_at FROM threads AS t LEFT OUTER JOIN projects AS p ON p.project_id = "
    "t.project_id WHERE t.account_id = %(account_id_1)s::UUID ORDER BY t.created_at DESC "
    "LIMIT %(param_1)s OFFSET %(param_2)s]\n"
    "[parameters: {{'account_id_1': '7b1e7c52-3f0a-4d6e-9a51-2c7f0e6d8a11', "
    "'param_1': {limit}, 'param_2': {offset}}}]\n"
    "(Background on this error at: https://sqlalche.me/e/20/9h9h)"
)
_PYTHON_TRACE = (
    "Traceback (most recent call last):\n"
    '  File "/app/api/threads.py", line 88, in list_threads\n'
    "    limit = int(request.query_params.get('limit', 20))\n"
    "ValueError: {message}"
)


def _sql_in_500(body: Body, page: PageInfo) -> Body | ErrorReply:
    """An offset past bigint reaches PostgreSQL, and the handler returns str(exception)."""
    offset = ((page.page or 1) - 1) * page.limit
    if offset <= _BIGINT_MAX:
        return body
    detail = _KORTIX_SQL_500.format(limit=page.limit, offset=offset)
    return ErrorReply(500, {"detail": detail}, "server")


def _stack_trace_in_400(reply: ErrorReply) -> ErrorReply:
    """A validation error's message is the formatted traceback (`traceback.format_exc()`)."""
    if reply.kind != "validation" or not isinstance(reply.body, dict):
        return reply
    error = reply.body.get("error")
    if isinstance(error, dict):
        message = _PYTHON_TRACE.format(message=error.get("message", ""))
        return replace(reply, body={**reply.body, "error": {**error, "message": message}})
    if isinstance(error, str):
        return replace(reply, body={"error": _PYTHON_TRACE.format(message=error)})
    return reply


def _api_key_on_some(item: Item, row: ThreadRow) -> Item:
    """The owner's API key, serialized with the thread by a model that includes every column."""
    if not _some(row):
        return item
    return {**item, "api_key": "sk_live_" + (row.thread.id * 2)[:24]}


def _mutable(headers: Mapping[str, str]) -> MutableHeaders:
    return MutableHeaders(raw=[(k.lower().encode(), v.encode()) for k, v in headers.items()])


def _case_sensitive_bearer(headers: Mapping[str, str], query: Mapping[str, str]) -> Any:
    """`if not header.startswith("Bearer "): raise Unauthorized` (RFC 9110: case-insensitive)."""
    value = headers.get("authorization")
    if value is None or value.startswith("Bearer "):
        return headers
    changed = _mutable(headers)
    changed["authorization"] = "Invalid"
    return changed


def _split_on_one_space(headers: Mapping[str, str], query: Mapping[str, str]) -> Any:
    """`token = header.split(" ")[1]`: a second space leaves an empty token."""
    value = headers.get("authorization")
    if value is None or "  " not in value:
        return headers
    changed = _mutable(headers)
    changed["authorization"] = value.split(" ")[0] + " "
    return changed


def _credential_from_query(headers: Mapping[str, str], query: Mapping[str, str]) -> Any:
    """A convenience for browser links: `?access_token=` / `?api_key=` stands in for the header."""
    changed = _mutable(headers)
    if "access_token" in query and "authorization" not in changed:
        changed["authorization"] = "Bearer " + query["access_token"]
    if "api_key" in query and "x-api-key" not in changed:
        changed["x-api-key"] = query["api_key"]
    return changed


def _api_key_checked_first(headers: Mapping[str, str], query: Mapping[str, str]) -> Any:
    """An `X-API-Key` header is validated first and, failing, refuses the request (Kortix)."""
    if "x-api-key" not in headers:
        return headers
    changed = _mutable(headers)
    changed["authorization"] = "Bearer not-a-valid-api-key"
    return changed


def _api_key_header_is_a_service_account(
    headers: Mapping[str, str], query: Mapping[str, str]
) -> Any:
    """Any `X-API-Key` header switches to the service account (here: the second tenant)."""
    if "x-api-key" not in headers:
        return headers
    changed = _mutable(headers)
    changed["authorization"] = "Bearer " + KORTIX_SECONDARY
    return changed


SECURITY: tuple[Fault, ...] = (
    Fault(
        "sql-in-500-beyond-bigint",
        ("kortix",),
        "A page whose offset passes bigint reaches PostgreSQL; the 500 body is str(exception): "
        "the psycopg error class, the SQL text and its bound parameters.",
        ("HTTP-NO-5XX", "SEC-ERROR-INTERNALS"),
        hooks=Hooks(body=_sql_in_500),
    ),
    Fault(
        "stack-trace-in-400",
        (*VENDOR, "worker"),
        "A rejected parameter's error message is the Python traceback of the failed int().",
        ("SEC-ERROR-INTERNALS",),
        tolerated=True,
        hooks=Hooks(error=_stack_trace_in_400),
    ),
    Fault(
        "credential-in-items",
        ("kortix", "chat", *VENDOR, "worker"),
        "About one thread in four carries its owner's `api_key` (every column serialized).",
        ("SEC-ITEM-CREDENTIALS",),
        tolerated=True,
        hooks=Hooks(item=_api_key_on_some),
    ),
    Fault(
        "bearer-scheme-case-sensitive",
        ("kortix", "freddy"),
        "Only `Bearer ` with a capital B is recognised; `bearer <token>` gets 401.",
        ("SEC-AUTH-SCHEME-CASE",),
        tolerated=True,
        hooks=Hooks(headers=_case_sensitive_bearer),
    ),
    Fault(
        "bearer-split-on-one-space",
        ("kortix", "freddy"),
        'The token is `header.split(" ")[1]`: with two spaces after Bearer it is empty.',
        ("SEC-AUTH-WHITESPACE",),
        tolerated=True,
        hooks=Hooks(headers=_split_on_one_space),
    ),
    Fault(
        "credential-in-query-accepted",
        ("kortix", *VENDOR),
        "`?access_token=` (`?api_key=`) is accepted in place of the credential header.",
        ("SEC-AUTH-NOT-IN-QUERY",),
        tolerated=True,
        hooks=Hooks(headers=_credential_from_query),
    ),
    Fault(
        "api-key-header-checked-first",
        ("kortix", "freddy"),
        "An `X-API-Key` header is validated before the bearer token and refuses the request, "
        "even when the bearer token is valid (the real Kortix backend).",
        ("SEC-AUTH-SECOND-HEADER",),
        tolerated=True,
        hooks=Hooks(headers=_api_key_checked_first),
    ),
    Fault(
        "api-key-header-switches-account",
        ("kortix",),
        "An `X-API-Key` header, whatever its value, switches the caller to a service "
        "account: the same valid bearer token then lists another account's threads.",
        ("SEC-AUTH-SECOND-HEADER",),
        tolerated=True,
        hooks=Hooks(headers=_api_key_header_is_a_service_account),
    ),
)
# --- end of security faults ---------------------------------------------------------------

FAULTS: tuple[Fault, ...] = (
    SHARED + _VENDOR_ONLY + KORTIX + CHAT + AITRONOS + FREDDY + WORKER + SECURITY
)


def faults(contract: str) -> dict[str, Fault]:
    """The faults a contract's server accepts, by name."""
    return {f.name: f for f in FAULTS if contract in f.contracts}


def hooks_for(contract: str, fault: str | None) -> Hooks:
    """The hooks for a server of `contract` with `fault` (None: conforming)."""
    if fault is None:
        return CONFORMING
    known = faults(contract)
    if fault not in known:
        valid = ", ".join(known) or "(none)"
        raise ValueError(f"unknown fault {fault!r} for {contract}; valid faults: {valid}")
    return known[fault].hooks
