"""The faults of the kortix contract (page/limit pagination under `pagination`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from threadconform.reference import params
from threadconform.reference.errors import ErrorReply
from threadconform.reference.faults.fault import Fault
from threadconform.reference.faults.helpers import (
    CRASH,
    REJECT,
    Body,
    Item,
    one_based_offset,
    ordered,
    pagination,
    rewrite,
    status_for,
    without,
)
from threadconform.reference.hooks import FaultCrash, Hooks, PageInfo
from threadconform.reference.store import ThreadRow

__all__ = ["KORTIX"]


def _no_updated_at_if_never_updated(item: Item, row: ThreadRow) -> Item:
    if row.thread.updated_at != row.thread.created_at:
        return item
    return {k: v for k, v in item.items() if k != "updated_at"}


def _project_id_from_thread(item: Item, row: ThreadRow) -> Item:
    if item["project"] is None:
        return item
    return {**item, "project": {**item["project"], "project_id": item["thread_id"]}}


def _crash_on_page_zero(query: Mapping[str, str]) -> None:
    if params.to_int(query.get("page", "1")) == 0:
        raise FaultCrash("OFFSET must not be negative")


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


def _by_activity(query: Any) -> Any:
    """The listing sorted by last update instead of creation (the wrong column of an index)."""
    return replace(query, order=replace(query.order, key="updated_at"))


KORTIX: tuple[Fault, ...] = (
    Fault(
        "missing-updated-at-on-some-items",
        ("kortix",),
        "Threads never updated since creation are serialized without `updated_at`.",
        ("SCHEMA-RESPONSE",),
        hooks=Hooks(item=_no_updated_at_if_never_updated),
    ),
    Fault(
        "sorted-by-updated-at",
        ("kortix",),
        "The listing is sorted by `updated_at` (last activity), not by `created_at` as "
        "documented: the order a thread list ordered by activity would have.",
        ("ORDER-SORTED",),
        hooks=Hooks(query=_by_activity),
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
        CRASH,
        hooks=Hooks(raw=_crash_on_page_zero),
    ),
    Fault(
        "page-off-by-one",
        ("kortix",),
        "Pages after the first start one row late (a 1-based row number used as OFFSET): "
        "the first thread of page 2 is never listed.",
        ("PAGE-NO-GAPS", "META-TOTAL", "META-LENGTH", "PAGE-FULL"),
        hooks=Hooks(query=one_based_offset),
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
        ("PAGE-PAST-END", "PARAM-VALID-ACCEPTED", "PAGE-PAST-END-TOTAL", *REJECT[1:]),
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
