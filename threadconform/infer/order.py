"""The order of the listing: a timestamp-like field sorted across the walk, its encoding
and direction, and the id order that breaks ties.
"""

from __future__ import annotations

import itertools
from typing import Any

from threadconform import paths
from threadconform.infer.facts import todo
from threadconform.infer.shapes import is_date_time, is_unix_seconds
from threadconform.infer.state import Inference

__all__ = ["find_order"]


def find_order(inf: Inference) -> None:
    items = inf.walked
    walked = f"the walk's {len(items)} items"
    candidates = _timestamps(items)
    sorted_keys = [(k, enc, d) for k, enc in candidates if (d := _direction(items, k)) is not None]
    if len(items) < 3 or not sorted_keys:
        why = f"no timestamp-like field is sorted across {walked}"
        inf.found.put(("order",), None, why)
        return
    sorted_keys.sort(key=lambda entry: _preference(entry[0]))
    key, encoding, direction = sorted_keys[0]
    others = ", ".join(k for k, _, _ in sorted_keys[1:]) or "none"
    evidence = f"{key} is {direction} across {walked} (also sorted: {others})"
    inf.found.put(("order", "key"), key, evidence)
    inf.found.put(("order", "encoding"), encoding, f"the values of {key} are {encoding}")
    inf.found.put(("order", "direction"), direction, evidence)
    inf.found.put(
        ("order", "documented"),
        todo(
            "does the vendor document this order? true: MUST; false: a SHOULD convention; "
            "or set order: null"
        ),
        "requests show an order, never whether it is promised",
    )
    _tie_breaker(inf, key, encoding, direction)


def _timestamps(items: list[Any]) -> list[tuple[str, str]]:
    if not items or not isinstance(items[0], dict):
        return []
    found = []
    for key in items[0]:
        values = [i.get(key) for i in items if isinstance(i, dict)]
        if all(is_date_time(v) for v in values):
            found.append((key, "date-time"))
        elif all(is_unix_seconds(v) for v in values):
            found.append((key, "unix-seconds"))
    return found


def _sortable(value: Any) -> Any:
    return value.replace("Z", "+00:00") if isinstance(value, str) else value


def _direction(items: list[Any], key: str) -> str | None:
    values = [_sortable(i[key]) for i in items]
    if len(set(values)) < 2:
        return None
    if all(a >= b for a, b in itertools.pairwise(values)):
        return "desc"
    if all(a <= b for a, b in itertools.pairwise(values)):
        return "asc"
    return None


def _preference(key: str) -> int:
    lowered = key.lower()
    for rank, word in enumerate(("created", "updated", "date", "time")):
        if word in lowered:
            return rank
    return 9


def _tie_breaker(inf: Inference, key: str, encoding: str, direction: str) -> None:
    groups: list[list[str]] = []
    previous: Any = object()
    for item in inf.walked:
        if item[key] != previous:
            groups.append([])
        groups[-1].append(str(paths.get(item, inf.id_path)))
        previous = item[key]
    tied = [g for g in groups if len(g) > 1]
    count = sum(len(g) for g in tied)
    if len(tied) < 3 or count < 8:
        inf.found.put(("order", "ties"), None, f"{count} items share a {key}: too few to tell")
        return
    for order, ok in (
        ("desc", all(g == sorted(g, reverse=True) for g in tied)),
        ("asc", all(g == sorted(g) for g in tied)),
    ):
        if ok:
            evidence = f"{count} items in {len(tied)} groups share a {key}; ids {order} in each"
            keys = [
                {"path": key, "encoding": encoding},
                {"path": inf.id_path, "encoding": "string", "direction": order},
            ]
            inf.found.put(("order", "keys"), keys, evidence)
            return
    inf.found.put(("order", "ties"), None, f"{count} tied items follow no id order")
