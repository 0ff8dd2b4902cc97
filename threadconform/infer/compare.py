"""Draft against hand-written spec, field by field: what `selftests/test_infer.py` checks
and `bench/infer_table.py` prints."""

from __future__ import annotations

from typing import Any

from threadconform import model, spec
from threadconform.infer import Draft, infer
from threadconform.reference import start
from threadconform.spec_lint import is_todo, operation

__all__ = ["FIELDS", "compare", "drafted", "hand_written", "infer_reference"]

FIELDS = (
    "style",
    "items",
    "id",
    "limit.param",
    "limit.default",
    "limit.maximum",
    "order.key",
    "order.direction",
)


def hand_written(contract: model.Contract) -> dict[str, Any]:
    p = contract.pagination
    return {
        "style": p.style,
        "items": p.response.items,
        "id": p.response.id,
        "limit.param": p.limit.param,
        "limit.default": p.limit.default,
        "limit.maximum": p.limit.maximum,
        "order.key": p.order.key if p.order else None,
        "order.direction": p.order.direction if p.order else None,
    }


def drafted(draft: Draft) -> dict[str, Any]:
    block = operation(draft.document)["x-pagination"]
    order = block.get("order")
    key = None
    if isinstance(order, dict):
        key = order.get("key") or (order.get("keys") or [{}])[0].get("path")
    return {
        "style": block.get("style"),
        "items": block["response"].get("items"),
        "id": block["response"].get("id"),
        "limit.param": block["limit"].get("param"),
        "limit.default": block["limit"].get("default"),
        "limit.maximum": block["limit"].get("maximum"),
        "order.key": key,
        "order.direction": order.get("direction") if isinstance(order, dict) else None,
    }


def infer_reference(name: str, max_requests: int = 300) -> tuple[Draft, model.Contract]:
    """Start the reference server of contract `name` and draft its spec from its URL."""
    contract = spec.load(spec.find(name))
    with start(name) as server:
        draft = infer(
            server.url + contract.endpoint,
            token=server.credentials.primary,
            max_requests=max_requests,
        )
    return draft, contract


def compare(draft: Draft, contract: model.Contract) -> list[tuple[str, Any, Any, str]]:
    """(field, hand-written, drafted, verdict): `same`, `TODO` (left to the user) or `DIFF`."""
    theirs, ours = hand_written(contract), drafted(draft)
    order = operation(draft.document)["x-pagination"].get("order")
    undecided = isinstance(order, dict) and is_todo(order.get("documented"))
    rows = []
    for field in FIELDS:
        verdict = "same" if theirs[field] == ours[field] else "DIFF"
        if is_todo(ours[field]):
            verdict = "TODO"
        elif verdict == "DIFF" and field.startswith("order.") and theirs[field] is None:
            # The server sorts; whether the vendor promises it is the user's TODO.
            verdict = "observed (documented: TODO)" if undecided else verdict
        rows.append((field, theirs[field], ours[field], verdict))
    return rows
