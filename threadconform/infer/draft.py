"""The draft spec: an OpenAPI 3.1 document with an `x-pagination` block built from the
findings, written as YAML whose comments carry each fact's evidence."""

from __future__ import annotations

import json
import re
from typing import Any

from threadconform.infer.facts import Findings, todo
from threadconform.infer.probe import Page
from threadconform.infer.shapes import schema_of
from threadconform.shapes import MARKER as EXAMPLE_SHAPE

__all__ = ["HEADER", "document", "to_yaml"]

HEADER = """\
Draft contract written by `threadconform infer` from {requests} GET requests to
{url}
It is a starting point, not a verdict: a few requests show what the server did, not what
the vendor promises. Read every comment (the request that showed a value and what it
showed), replace every `TODO: ...` value with your decision (`threadconform check-spec`
refuses the draft until none is left), and compare with the vendor's documentation.
"""

_BOUNDED = ("param", "default", "minimum", "maximum")
_RESPONSE_KEYS: tuple[str, ...] = (
    "items",
    "id",
    "total",
    "total_requires",
    "has_more",
    "pages",
    "page",
)
_RESPONSE_KEYS += ("limit", "page_size", "first_id", "last_id", "object", "item_object")


def document(
    found: Findings,
    url: str,
    path: str,
    bodies: dict[str, Page],
    first: Page | None,
    walked: list[Any],
    filters: list[dict[str, Any]],
    later: tuple[Page | None, ...] = (),
) -> tuple[dict[str, Any], dict[tuple[Any, ...], str]]:
    """(the OpenAPI document, evidence comments keyed by their key path in it); `later`
    are more pages seen (a second, the last), whose bodies the page schema also covers."""
    block, notes = _block(found, filters)
    anchor = ("paths", path, "get", "x-pagination")
    comments = {(*anchor, *where): text for where, text in notes.items()}
    operation: dict[str, Any] = {
        "operationId": "listItems",
        "summary": "The list endpoint (drafted)",
        "parameters": _parameters(block, filters),
        "responses": _responses(block, bodies),
        "x-pagination": block,
    }
    seen = [page for page in (first, *later) if page is not None and page.ok]
    components: dict[str, Any] = {"schemas": _schemas(found, seen, walked, bodies)}
    comments[("components", "schemas", "Item")] = (
        f"drafted from the {len(walked) or 'first page of'} items seen: an example shape "
        f"({EXAMPLE_SHAPE}), so keys and types are MUST but a null where every item seen had "
        "a value only a SHOULD (SCHEMA-EXAMPLE): the vendor may document it nullable"
    )
    auth = found.value("auth")
    if auth:
        scheme = (
            {"type": "http", "scheme": "bearer"}
            if auth == "bearer"
            else {"type": "apiKey", "in": "header", "name": str(auth).split(":", 1)[1]}
        )
        components["securitySchemes"] = {"credential": scheme}
        operation["security"] = [{"credential": []}]
        comments[("paths", path, "get", "security")] = found.facts[("auth",)].evidence
    elif ("auth",) in found.facts:
        comments[("paths", path, "get", "operationId")] = found.facts[("auth",)].evidence
    doc = {
        "openapi": "3.1.0",
        "info": {
            "title": f"Draft: GET {path}",
            "version": "draft",
            "description": f"Drafted by `threadconform infer` from {url}. Source: TODO (name "
            "the vendor document this contract follows).",
        },
        "paths": {path: {"get": operation}},
        "components": components,
    }
    return doc, comments


def _block(
    found: Findings, filters: list[dict[str, Any]]
) -> tuple[dict[str, Any], dict[tuple[Any, ...], str]]:
    block: dict[str, Any] = {}
    notes: dict[tuple[Any, ...], str] = {}

    def take(*where: str) -> Any:
        fact = found.facts.get(tuple(where))
        if fact is None:
            return None
        notes[tuple(where)] = fact.evidence
        return fact.value

    block["style"] = take("style") or todo("the pagination style (none was inferred)")
    limit = {key: take("limit", key) for key in (*_BOUNDED, "out_of_range")}
    limit["param"] = limit["param"] or todo("the page-size parameter")
    block["limit"] = {k: v for k, v in limit.items() if v is not None}
    for key in ("page", "offset", "token", "link"):
        if found.has(key):
            block[key] = take(key)
    if block["style"] == "cursor":
        block["cursor"] = {
            key: take("cursor", key) for key in ("after", "before", "unknown", "malformed")
        }
        block["cursor"] = {k: v for k, v in block["cursor"].items() if k == "before" or v}
    block["order"] = _order(found, take)
    if found.has("volatile"):
        block["volatile"] = take("volatile")
    response = {key: take("response", key) for key in _RESPONSE_KEYS}
    block["response"] = {k: v for k, v in response.items() if v is not None}
    if filters:
        block["filters"] = filters
    errors = {kind: take("errors", kind) for kind in ("auth", "validation")}
    if any(errors.values()):
        block["errors"] = {k: v for k, v in errors.items() if v}
    rules: dict[str, str] = {}
    why: list[str] = []
    if not found.value("auth"):
        rules.update({rule: "off" for rule in _AUTH_RULES})
        why.append("no credential was needed, so no auth rule can apply")
    if block["style"] == "first-n":
        rules.update({rule: "off" for rule in _PAGING_RULES})
        why.append("first-n: no request reaches a next page, so no rule about pages can apply")
    if rules:
        block["rules"] = rules
        notes[("rules",)] = "; ".join(why)
    if found.not_inferred:
        notes[("style",)] = (
            notes.get(("style",), "") + "; NOT INFERRED (budget or a dead "
            "end): " + "; ".join(found.not_inferred)
        ).lstrip("; ")
    return block, notes


_AUTH_RULES = (
    "AUTH-REQUIRED",
    "AUTH-INVALID-REJECTED",
    "AUTH-STATUS-401",
    "AUTH-ERROR-ENVELOPE",
    "AUTH-VALID-ACCEPTED",
)


_PAGING_RULES = ("PAGE-FULL", "PAGE-NO-GAPS", "PAGE-PAST-END", "PAGE-PAST-END-TOTAL")


def _order(found: Findings, take: Any) -> Any:
    if found.has("order"):
        take("order")
        return None
    if not found.has("order", "key"):
        return todo("the order (the walk was not done)")
    order: dict[str, Any] = {}
    if found.has("order", "keys"):
        order["keys"] = take("order", "keys")
        take("order", "key")
        take("order", "encoding")
    else:
        order["key"] = take("order", "key")
        order["encoding"] = take("order", "encoding")
    order["direction"] = take("order", "direction")
    order["documented"] = take("order", "documented")
    return order


def _parameters(block: dict[str, Any], filters: list[dict[str, Any]]) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = []
    for key in ("limit", "page", "offset"):
        bounded = block.get(key)
        if not isinstance(bounded, dict) or str(bounded.get("param", "TODO")).startswith("TODO"):
            continue
        schema: dict[str, Any] = {"type": "integer"}
        schema.update({k: bounded[k] for k in _BOUNDED[1:] if isinstance(bounded.get(k), int)})
        params.append(_query(bounded["param"], schema))
    cursor = block.get("cursor") or {}
    for key in ("after", "before"):
        if cursor.get(key):
            params.append(_query(cursor[key], {"type": "string"}))
    if block.get("token"):
        params.append(_query(block["token"]["param"], {"type": "string"}))
    flag = (block.get("response") or {}).get("total_requires")
    if flag and not str(flag).startswith("TODO"):
        params.append(_query(flag, {"type": "boolean"}))  # sent as `true` to fill the total
    for item in filters:
        params.append(_query(item["param"], item.pop("_schema", {"type": "string"})))
    return params


def _query(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema}


def _responses(block: dict[str, Any], bodies: dict[str, Page]) -> dict[str, Any]:
    responses: dict[str, Any] = {
        "200": {
            "description": "A page of items (schema drafted from the responses seen).",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Page"}}},
        }
    }
    for page in bodies.values():
        status = page.status
        if status is None or not 400 <= status < 500 or str(status) in responses:
            continue
        content: dict[str, Any] = {}
        if page.response.is_json:
            ref = {"$ref": f"#/components/schemas/Error{status}"}
            content = {"content": {"application/json": {"schema": ref}}}
        responses[str(status)] = {"description": f"Seen: {page.shown}", **content}
    _drop_undeclared(block, responses)
    return responses


def _drop_undeclared(block: dict[str, Any], responses: dict[str, Any]) -> None:
    """A `response` key naming a status whose body was not JSON has no envelope to check."""
    for holder in [*(block.get("errors") or {}).values(), *(block.get("cursor") or {}).values()]:
        declared = isinstance(holder, dict) and holder.get("response")
        if declared and "content" not in responses.get(holder["response"], {}):
            holder["response"] = None


def _schemas(
    found: Findings, seen: list[Page], walked: list[Any], bodies: dict[str, Page]
) -> dict[str, Any]:
    """`seen`: the pages of items, the first one first."""
    first = seen[0] if seen else None
    items = walked or (first.items if first and first.items else [])
    item = _example_shape(schema_of(items)) if items else {"type": "object"}
    schemas: dict[str, Any] = {"Item": item}
    items_path = str(found.value("response", "items", default="$"))
    if items_path == "$" or first is None or not isinstance(first.body, dict):
        schemas["Page"] = {"type": "array", "items": {"$ref": "#/components/schemas/Item"}}
    else:
        # Required: only what every page seen carries (the last page has no next token).
        page = schema_of([p.body for p in seen if isinstance(p.body, dict)])
        _place_items(page, _parts(items_path))
        for key in ("token", "link"):
            _not_required(page, (found.value(key) or {}).get("next"))
        if found.has("response", "total_requires"):
            _count_or_null(page, str(found.value("response", "total")))
        schemas["Page"] = page
    for page_seen in bodies.values():
        status = page_seen.status
        if status is not None and 400 <= status < 500 and page_seen.response.is_json:
            schemas[f"Error{status}"] = schema_of([page_seen.body])
    return schemas


def _parts(path: str) -> list[str]:
    return [part.replace("\0", ".") for part in path.replace("\\.", "\0").split(".")]


def _not_required(schema: dict[str, Any], path: str | None) -> None:
    """The next token or link is absent from the last page, however many pages were seen."""
    if not path:
        return
    parts, node = _parts(path), schema
    for part in parts[:-1]:
        node = (node.get("properties") or {}).get(part) or {}
    required = [name for name in node.get("required") or [] if name != parts[-1]]
    if required:
        node["required"] = required
    else:
        node.pop("required", None)


def _example_shape(schema: dict[str, Any]) -> dict[str, Any]:
    """Every object schema in `schema` marked as known from examples only, in place."""
    if isinstance(schema.get("properties"), dict):
        schema[EXAMPLE_SHAPE] = True
        for inner in schema["properties"].values():
            _example_shape(inner)
    if isinstance(schema.get("items"), dict):
        _example_shape(schema["items"])
    return schema


def _count_or_null(schema: dict[str, Any], path: str) -> None:
    """A total seen only as null (a flag fills it) is a count when filled."""
    parts, node = _parts(path), schema
    for part in parts:
        node = (node.get("properties") or {}).get(part) or {}
    if node.get("type") == "null":
        node["type"] = ["integer", "null"]


def _place_items(schema: dict[str, Any], parts: list[str]) -> None:
    node = schema
    for part in parts[:-1]:
        node = node["properties"][part]
    node["properties"][parts[-1]] = {
        "type": "array",
        "items": {"$ref": "#/components/schemas/Item"},
    }


# --- YAML with comments ---------------------------------------------------------------


def to_yaml(doc: dict[str, Any], comments: dict[tuple[Any, ...], str], header: str) -> str:
    lines = [f"# {line}".rstrip() for line in header.rstrip("\n").splitlines()]
    lines += _emit(doc, 0, (), comments)
    return "\n".join(lines) + "\n"


def _emit(
    node: Any, indent: int, where: tuple[Any, ...], notes: dict[tuple[Any, ...], str]
) -> list[str]:
    pad = " " * indent
    lines: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            here = (*where, key)
            lines += [f"{pad}# {part}" for part in _wrap(notes.get(here))]
            if _inline(value):
                lines.append(f"{pad}{_key(key)}: {_scalar(value)}")
            else:
                lines.append(f"{pad}{_key(key)}:")
                lines += _emit(value, indent + 2, here, notes)
    else:
        for index, value in enumerate(node):
            here = (*where, index)
            lines += [f"{pad}# {part}" for part in _wrap(notes.get(here))]
            if _inline(value):
                lines.append(f"{pad}- {_scalar(value)}")
            else:
                lines.append(f"{pad}-")
                lines += _emit(value, indent + 2, here, notes)
    return lines


def _inline(value: Any) -> bool:
    return not isinstance(value, (dict, list)) or not value


def _key(key: Any) -> str:
    text = str(key)
    return text if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", text) else json.dumps(text)


def _scalar(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _wrap(text: str | None, width: int = 92) -> list[str]:
    if not text:
        return []
    words, lines, line = " ".join(text.split()).split(" "), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return [*lines, line] if line else lines
