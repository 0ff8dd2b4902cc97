"""Cross-check an `x-pagination` block against its operation: every parameter, field,
response and rule id the block names exists there, and every default, range, type and
enum value the block repeats agrees with the parameter schema it repeats.

Each failure says what to do and, when that is one change, carries the `Fix` (a key path
relative to the block; `contract.load` anchors it in the document).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, NoReturn

from threadconform import paths
from threadconform.rules import BY_ID
from threadconform.spec.errors import EXTENSION, Fix, fail
from threadconform.spec.openapi import View

__all__ = ["check_references"]


def check_references(file: Path, block: dict[str, Any], view: View) -> None:
    """Everything the block names exists in the operation, and agrees with it."""
    for where, name in _param_refs(block):
        _need_param(file, where, name, view.params)
    for where, path in _body_refs(block):
        _need_field(file, where, path, view.body, "the 200 response schema")
    item = _item_schema(file, block, view.body)
    for where, path in _item_refs(block):
        _need_field(file, where, path, item, "the item schema")
    _check_bounds(file, block, view.params)
    _check_filters(file, block, view.params)
    _check_order_values(file, block, view.params)
    _check_errors(file, block, view.responses)
    _check_rules(file, block)


def _block_fail(file: Path, where: str, what: str, fix: str, change: Fix | None = None) -> NoReturn:
    """Fail on a block field; `change` is relative to the block (`load` anchors it)."""
    fail(file, f"{EXTENSION}.{where}", what, fix, change)


def _param_refs(block: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(where in the block, parameter name) for every parameter the block names."""
    yield "limit.param", block["limit"]["param"]
    for key in ("page", "offset"):
        if block.get(key):
            yield f"{key}.param", block[key]["param"]
    for key in ("after", "before"):
        if (block.get("cursor") or {}).get(key):
            yield f"cursor.{key}", block["cursor"][key]
    if block.get("token"):
        yield "token.param", block["token"]["param"]
    if (block.get("order") or {}).get("param"):
        yield "order.param", block["order"]["param"]
    for index, item in enumerate(block.get("filters") or []):
        yield f"filters[{index}].param", item["param"]
    if block["response"].get("total_requires"):
        yield "response.total_requires", block["response"]["total_requires"]


_BODY_PATHS: tuple[str, ...] = ("items", "total", "has_more", "pages", "page", "limit", "page_size")
_BODY_PATHS += ("first_id", "last_id")


def _body_refs(block: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(where, path) for every path that starts at the body root."""
    response = block["response"]
    for key in _BODY_PATHS:
        if response.get(key):
            yield f"response.{key}", response[key]
    if response.get("object"):
        yield "response.object.path", response["object"]["path"]
    if block.get("token"):
        yield "token.next", block["token"]["next"]
    if (block.get("link") or {}).get("next"):
        yield "link.next", block["link"]["next"]
    for index, item in enumerate(block.get("filters") or []):
        if item.get("echo"):
            yield f"filters[{index}].echo", item["echo"]
    for index, path in enumerate(block.get("volatile") or []):
        yield f"volatile[{index}]", path


def _item_refs(block: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(where, path) for every path that starts at an item."""
    response = block["response"]
    yield "response.id", response["id"]
    if response.get("item_object"):
        yield "response.item_object.path", response["item_object"]["path"]
    order = block.get("order") or {}
    if order.get("key"):
        yield "order.key", order["key"]
    for index, key in enumerate(order.get("keys") or []):
        yield f"order.keys[{index}].path", key["path"]
    for index, item in enumerate(block.get("filters") or []):
        if item.get("field"):
            yield f"filters[{index}].field", item["field"]
    rules = block.get("items") or {}
    for key in ("unix_seconds", "absolute_urls", "documented_credentials"):
        for index, path in enumerate(rules.get(key) or []):
            yield f"items.{key}[{index}]", path
    for index, agree in enumerate(rules.get("agree") or []):
        for key in ("field", "other", "when"):
            if agree.get(key):
                yield f"items.agree[{index}].{key}", agree[key]


def _path_of(where: str) -> tuple[str | int, ...]:
    """`filters[0].param` -> ("filters", 0, "param"): a block location as a key path."""
    parts: list[str | int] = []
    for token in re.findall(r"[^.\[\]]+|\[\d+\]", where):
        parts.append(int(token[1:-1]) if token.startswith("[") else token)
    return tuple(parts)


def _need_param(file: Path, where: str, name: str, params: dict[str, Any]) -> None:
    if name in params:
        return
    what = f"{name!r} is not a query parameter of the operation"
    what += f" (its query parameters: {', '.join(params) or 'none'})"
    close = difflib.get_close_matches(name, list(params), n=1)
    if close:
        fix = f"Set it to {close[0]!r}, the closest declared parameter, or declare {name!r}."
        _block_fail(file, where, what, fix, Fix(_path_of(where), "set", close[0]))
    _block_fail(file, where, what, "Name a declared parameter, or declare it.")


def _need_field(file: Path, where: str, path: str, schema: dict[str, Any], owner: str) -> None:
    """`path` (dotted) leads to a declared property of `schema` (the body or an item)."""
    parts = list(paths.split(path))
    node: dict[str, Any] | None = schema
    for depth, part in enumerate(parts):
        parent, node = node, _property(node, part)
        if node is None:
            known = sorted(_properties(parent))
            what = f"{'.'.join(parts[: depth + 1])!r} is not a property of {owner}"
            what += f" (known there: {', '.join(known) or 'none'})"
            close = difflib.get_close_matches(part, known, n=1)
            if close:
                fixed = ".".join([*parts[:depth], close[0], *parts[depth + 1 :]])
                fix = f"Set it to {fixed!r} (the closest declared field), or declare {part!r}."
                _block_fail(file, where, what, fix, Fix(_path_of(where), "set", fixed))
            _block_fail(file, where, what, f"Name a field {owner} declares, or declare it.")


def _properties(schema: Any) -> dict[str, Any]:
    """The properties a schema declares, directly or through allOf/anyOf/oneOf."""
    if not isinstance(schema, dict):
        return {}
    found: dict[str, Any] = {}
    for keyword in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(keyword, []):
            found.update(_properties(sub))
    found.update(schema.get("properties") or {})
    return found


def _property(schema: Any, name: str) -> dict[str, Any] | None:
    value = _properties(schema).get(name)
    return value if isinstance(value, dict) else None


def _array_items(schema: Any) -> dict[str, Any] | None:
    """The item schema of an array schema, looking through allOf/anyOf/oneOf."""
    if not isinstance(schema, dict):
        return None
    if isinstance(schema.get("items"), dict):
        return schema["items"]
    for keyword in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(keyword, []):
            found = _array_items(sub)
            if found is not None:
                return found
    return None


def _item_schema(file: Path, block: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    node: Any = body
    for part in paths.split(block["response"]["items"]):
        node = _property(node, part)
    items = _array_items(node)
    if items is None:
        what = f"{block['response']['items']!r} is not an array in the 200 response schema"
        _block_fail(file, "response.items", what, "Point it at the array of threads.")
    return items


def _check_bounds(file: Path, block: dict[str, Any], params: dict[str, dict[str, Any]]) -> None:
    """The block repeats the parameter's default and range: both must say the same, or the
    fuzzer (which reads the parameter schema) and the walkers (the block) would disagree."""
    for key in ("limit", "page", "offset"):
        bounded = block.get(key)
        if not bounded:
            continue
        schema = params[bounded["param"]].get("schema", {})
        for attr in ("default", "minimum", "maximum"):
            if bounded.get(attr) is not None and schema.get(attr) != bounded[attr]:
                what = f"{bounded[attr]!r}, but the schema of parameter {bounded['param']!r}"
                what += f" says {schema.get(attr)!r}"
                _disagree(file, f"{key}.{attr}", what, schema.get(attr), bounded["param"])


def _disagree(file: Path, where: str, what: str, theirs: Any, param: str) -> NoReturn:
    """The block and the parameter schema disagree: adopt the schema's value (or drop it)."""
    if theirs is None:
        fix = f"Remove it (the parameter schema of {param!r} has none), or add it there."
        _block_fail(file, where, what, fix, Fix(_path_of(where), "delete"))
    fix = f"Set it to {theirs!r} as the parameter schema of {param!r} says, or change that."
    _block_fail(file, where, what, fix, Fix(_path_of(where), "set", theirs))


def _json_type(schema: dict[str, Any]) -> Any:
    """A schema's type with `null` taken out: `[boolean, "null"]` is a nullable boolean."""
    kind = schema.get("type")
    if isinstance(kind, list):
        rest = [k for k in kind if k != "null"]
        kind = rest[0] if len(rest) == 1 else kind
    if kind == "array" and isinstance(schema.get("items"), dict):
        return _json_type(schema["items"])  # a repeatable parameter: the suite sends one value
    return kind


def _check_filters(file: Path, block: dict[str, Any], params: dict[str, dict[str, Any]]) -> None:
    """A filter's type and default are the parameter schema's (a nullable parameter's type
    is its non-null type: the block only ever sends values)."""
    for index, item in enumerate(block.get("filters") or []):
        schema = params[item["param"]].get("schema", {})
        kind = item.get("type", "string")
        theirs = _json_type(schema)
        if theirs is not None and theirs != kind:
            where = f"filters[{index}].type"
            what = f"is {kind!r}, but parameter {item['param']!r} has type {schema.get('type')!r}"
            if theirs in ("string", "boolean"):
                fix = f"Set it to {theirs!r} (the parameter's type), or change the parameter."
                _block_fail(file, where, what, fix, Fix(_path_of(where), "set", theirs))
            fix = "Filters are strings or booleans: declare the parameter as one of them."
            _block_fail(file, where, what, fix)
        if item.get("default") is not None and schema.get("default") != item["default"]:
            what = f"{item['default']!r}, but the parameter schema default is"
            what += f" {schema.get('default')!r}"
            _disagree(file, f"filters[{index}].default", what, schema.get("default"), item["param"])


def _check_order_values(
    file: Path, block: dict[str, Any], params: dict[str, dict[str, Any]]
) -> None:
    order = block.get("order") or {}
    if not (order.get("param") and order.get("values")):
        return
    allowed = params[order["param"]].get("schema", {}).get("enum")
    for direction, value in order["values"].items():
        if allowed is not None and value not in allowed:
            where = f"order.values.{direction}"
            what = f"{value!r} is not in the parameter's enum {allowed!r}"
            close = difflib.get_close_matches(
                str(value), [str(v) for v in allowed], n=1, cutoff=0.4
            )
            if close:
                fix = f"Set it to {close[0]!r}, the closest value the parameter allows."
                _block_fail(file, where, what, fix, Fix(_path_of(where), "set", close[0]))
            _block_fail(file, where, what, "Use a value the parameter's enum allows.")


def _check_errors(file: Path, block: dict[str, Any], responses: Mapping[str, Any]) -> None:
    documented = dict((block.get("errors") or {}).items())
    for holder, case in (
        ("cursor", "unknown"),
        ("cursor", "malformed"),
        ("token", "malformed"),
        ("link", "malformed"),
    ):
        value = (block.get(holder) or {}).get(case)
        if isinstance(value, dict):
            documented[f"{holder}.{case}"] = value
    for kind, error in documented.items():
        if error and error.get("response") and error["response"] not in responses:
            where = f"{kind}.response" if "." in kind else f"errors.{kind}.response"
            what = f"{error['response']!r} is not a response of the operation"
            what += f" (its responses: {', '.join(responses)})"
            status = str(error.get("status"))
            if status in responses:
                fix = f"Set it to {status!r}, the declared response of its status."
                _block_fail(file, where, what, fix, Fix(_path_of(where), "set", status))
            fix = "Remove it (no envelope is checked), or declare that response."
            _block_fail(file, where, what, fix, Fix(_path_of(where), "delete"))


def _check_rules(file: Path, block: dict[str, Any]) -> None:
    for rule_id in block.get("rules") or {}:
        if rule_id not in BY_ID:
            where = f"rules.{rule_id}"
            close = difflib.get_close_matches(rule_id, list(BY_ID), n=1)
            if close:
                fix = f"Rename it to {close[0]!r}, the closest rule id (threadconform/rules.py)."
                _block_fail(
                    file,
                    where,
                    "is not a rule id",
                    fix,
                    Fix(("rules", rule_id), "rename", close[0]),
                )
            fix = "Remove it, or use an id from threadconform/rules.py (`threadconform rules`)."
            _block_fail(file, where, "is not a rule id", fix, Fix(("rules", rule_id), "delete"))
