"""The faults of the chat contract (page/pageSize with camelCase echoes)."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import replace

from threadconform.reference.faults.fault import Fault
from threadconform.reference.faults.helpers import (
    CRASH,
    Body,
    Item,
    add_fields,
    change_body,
    drop_on_some,
    ordered,
    rewrite,
    set_body,
    status_for,
    without,
)
from threadconform.reference.hooks import FaultCrash, Hooks, PageInfo
from threadconform.reference.store import OffsetQuery, ThreadRow

__all__ = ["CHAT", "CHAT_ECHOES", "CHAT_REQUIRED_BODY", "CHAT_REQUIRED_ITEM"]

CHAT_REQUIRED_ITEM = ("threadId", "title", "projectId", "createdAt", "messageCount", "tags")


CHAT_REQUIRED_BODY = ("threads", "totalCount", "projectId")


CHAT_ECHOES = (
    "page", "pageSize", "totalPages", "hasNext", "hasPrevious", "sortBy", "sortOrder",
    "requestId",
)  # fmt: skip


def _null_tags_when_empty(item: Item, row: ThreadRow) -> Item:
    return {**item, "tags": item["tags"] or None}


def _optional_item_fields_null(item: Item, row: ThreadRow) -> Item:
    return {k: v if k in CHAT_REQUIRED_ITEM else None for k, v in item.items()}


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


def _crash_on_bad_pattern(query: Mapping[str, str]) -> None:
    for name in ("project_id", "project_type"):
        raw = query.get(name)
        if raw is not None and not (raw and all(c.isalnum() or c in "_-" for c in raw)):
            raise FaultCrash(f"{name} failed the hand-written slug check")


def _capped_at_100(query: OffsetQuery) -> OffsetQuery:
    return replace(query, limit=min(query.limit, 100))


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
        CRASH,
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
