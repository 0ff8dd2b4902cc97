"""The shape of a page: where the items are, which field is their id, and what the
body's other fields are (total, has-more flag, first/last id, echoes of the limit).
"""

from __future__ import annotations

import math
from typing import Any

from threadconform.infer.facts import todo
from threadconform.infer.probe import Page
from threadconform.infer.state import Inference, Stop

__all__ = ["find_items", "find_response_fields"]


def find_items(inf: Inference) -> None:
    assert inf.first is not None
    body = inf.first.body
    found = _arrays(body, ())
    if not found:
        raise Stop(f"{inf.first.shown}: no array of objects in the body")
    where, items = max(found, key=lambda pair: len(pair[1]))
    path = "$" if not where else ".".join(p.replace(".", "\\.") for p in where)
    inf.prober.items_path = path
    shown = f"GET {inf.prober.show(inf.first.params)} -> {inf.first.status}, {len(items)} items"
    inf.first = Page(inf.first.params, inf.first.response, items, shown)
    evidence = f"{inf.first.shown}: the largest array of objects is at {path!r}"
    inf.found.put(("response", "items"), path, evidence)
    ident = _id_field(items)
    if ident is None:
        inf.found.put(("response", "id"), todo("the item field holding a unique id"), evidence)
        raise Stop("no item field is unique across the first page")
    inf.found.put(("response", "id"), ident, f"{inf.first.shown}: {ident!r} is unique per item")


def _arrays(node: Any, where: tuple[str, ...]) -> list[tuple[tuple[str, ...], list[Any]]]:
    found: list[tuple[tuple[str, ...], list[Any]]] = []
    if isinstance(node, list) and node and all(isinstance(i, dict) for i in node):
        found.append((where, node))
    if isinstance(node, dict) and len(where) < 3:
        for key, value in node.items():
            found += _arrays(value, (*where, str(key)))
    return found


def _id_field(items: list[Any]) -> str | None:
    """ "id" if unique, else the first *id/*Id field unique across the page."""
    keys = [k for k in items[0] if all(isinstance(i.get(k), (str, int)) for i in items)]
    unique = [k for k in keys if len({str(i[k]) for i in items}) == len(items)]
    named = [k for k in unique if k == "id"] + [k for k in unique if k.lower().endswith("id")]
    return named[0] if named else None


def _scalars(body: Any, where: tuple[str, ...] = ()) -> dict[str, Any]:
    """Dotted path -> value of every scalar in the body outside lists (3 levels deep)."""
    found: dict[str, Any] = {}
    if isinstance(body, dict) and len(where) < 3:
        for key, value in body.items():
            here = (*where, str(key).replace(".", "\\."))
            if isinstance(value, dict):
                found.update(_scalars(value, here))
            elif not isinstance(value, list):
                found[".".join(here)] = value
    return found


def find_response_fields(inf: Inference) -> None:
    first, last, small = inf.first, inf.last_page, inf.small
    if first is None or first.items is None or not isinstance(first.body, dict):
        return
    total = int(inf.found.value("walk", default=0))
    head, tail = _scalars(first.body), _scalars(last.body if last else None)
    ids = first.ids(inf.id_path)
    shown = first.shown
    for path, value in head.items():
        if type(value) is int and value == total:
            if not inf.found.has("response", "total"):
                inf.found.put(("response", "total"), path, f"{shown}: {path} = {total} = the walk")
        elif value is None and "total" in path.lower() and not inf.found.has("response", "total"):
            inf.found.put(("response", "total"), path, f"{shown}: {path} is null")
            _total_flag(inf, path, total, shown)
        elif value is True and tail.get(path) is False:
            inf.found.put(("response", "has_more"), path, f"{shown}: {path} true; last page: false")
        elif isinstance(value, str) and ids and value == ids[0]:
            inf.found.put(("response", "first_id"), path, f"{shown}: {path} = the first id")
        elif isinstance(value, str) and ids and value == ids[-1]:
            inf.found.put(("response", "last_id"), path, f"{shown}: {path} = the last id")
        elif path == "object" and isinstance(value, str) and tail.get(path, value) == value:
            inf.found.put(("response", "object"), {"path": path, "value": value}, shown)
    _echoes(inf, head, _scalars(small.body) if small else {}, total)
    marker = [i.get("object") for i in first.items]
    if marker and isinstance(marker[0], str) and len(set(marker)) == 1:
        inf.found.put(("response", "item_object"), {"path": "object", "value": marker[0]}, shown)


_TOTAL_FLAGS = ("include_total", "includeTotal", "with_total", "withTotal", "count", "$count")


def _total_flag(inf: Inference, path: str, total: int, shown: str) -> None:
    """The boolean parameter that fills a null total: `=true` makes it the walk's count."""
    for flag in _TOTAL_FLAGS:
        page = inf.prober.get({flag: "true"})
        if page.ok and _scalars(page.body).get(path) == total:
            evidence = f"{shown}: {path} is null; {page.shown}: {path} = {total} = the walk"
            inf.found.put(("response", "total_requires"), flag, evidence)
            return
    inf.found.put(
        ("response", "total_requires"),
        todo(f"the boolean parameter that fills {path} (it was null), or remove total"),
        f"{shown}: {path} is null; none of {', '.join(_TOTAL_FLAGS)}=true fills it",
    )


def _echoes(inf: Inference, head: dict[str, Any], small: dict[str, Any], total: int) -> None:
    default = inf.found.value("limit", "default")
    if not isinstance(default, int):
        return
    for path, value in head.items():
        if type(value) is not int or small.get(path) is None:
            continue
        if value == default and small.get(path) == inf.small_limit:
            key = "page_size" if "size" in path.lower() else "limit"
            inf.found.put(
                ("response", key), path, f"echoes the limit: {default}, then {inf.small_limit}"
            )
        elif value == math.ceil(total / default) and small[path] == math.ceil(
            total / inf.small_limit
        ):
            inf.found.put(("response", "pages"), path, f"= ceil({total} / the limit) on both pages")
        elif inf.style == "page" and value == 1 and "page" in path.lower():
            second = inf.bodies.get("page2")
            if second is not None and _scalars(second.body).get(path) == 2:
                inf.found.put(("response", "page"), path, f"1 on page 1, 2 on {second.shown}")
