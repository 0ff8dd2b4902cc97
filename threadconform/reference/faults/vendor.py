"""The faults of the aitronos and freddy contracts that the other contracts do not share."""

from __future__ import annotations

from threadconform.reference.faults.fault import Fault
from threadconform.reference.faults.helpers import (
    add_fields,
    rewrite,
    set_body,
    with_default,
    without,
)
from threadconform.reference.hooks import Hooks
from threadconform.reference.store import Where

__all__ = ["AITRONOS", "FREDDY"]


def _always_member(member: bool) -> bool:
    return True


def _org_replaces_tenant(where: Where) -> Where:
    return where.without("tenant") if where.has("organization_id") else where


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
