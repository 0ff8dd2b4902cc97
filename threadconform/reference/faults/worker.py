"""The faults of the worker contract (limit/offset with `total`)."""

from __future__ import annotations

from dataclasses import replace

from threadconform.reference.errors import ErrorReply
from threadconform.reference.faults.fault import Fault
from threadconform.reference.faults.helpers import (
    Body,
    Item,
    change_body,
    no_maximum,
    one_based_offset,
    ordered,
    status_for,
    without,
)
from threadconform.reference.hooks import Hooks, PageInfo
from threadconform.reference.params import Range
from threadconform.reference.store import ThreadRow

__all__ = ["WORKER"]


def _no_empty_tags(item: Item, row: ThreadRow) -> Item:
    return {k: v for k, v in item.items() if k != "tags" or v}


def _hyphenated_agent_type(item: Item, row: ThreadRow) -> Item:
    agent = item.get("agent")
    if not agent:
        return item
    return {**item, "agent": {**agent, "type": agent["type"].replace("_", "-")}}


def _relative_icon(item: Item, row: ThreadRow) -> Item:
    if "agent" not in item or row.agent is None:
        return item
    return {**item, "agent": {**item["agent"], "icon": row.agent.icon}}


def _worker_past_end_404(body: Body, page: PageInfo) -> Body | ErrorReply:
    if page.count == 0 and (page.offset or 0) > 0:
        return ErrorReply(404, {"error": "No threads at this offset"}, "not_found")
    return body


def _clamp(name: str, bounds: Range) -> Range:
    return replace(bounds, clamp=True)


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
        hooks=Hooks(query=one_based_offset),
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
