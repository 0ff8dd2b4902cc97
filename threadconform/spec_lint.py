"""Consistency checks the loader does not make: every problem in an `x-pagination` block at
once, each with its YAML path and its fix.

`threadconform.spec.load()` stops at the first error and only checks that what the block
names exists. These checks read the block as a whole: unknown keys at every level (with a
did-you-mean), cursor-error fields that the documented error schema does not have, settings
that contradict each other, order encodings the item schema contradicts, and the `TODO`
decisions `threadconform infer` leaves in a draft. `threadconform check-spec` runs them.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from threadconform import paths
from threadconform.spec.errors import where_of

__all__ = ["SCHEMA_FILE", "Problem", "check", "is_todo", "operation", "problems", "todo_problems"]

SCHEMA_FILE = Path(__file__).resolve().parent / "schemas" / "x-pagination.schema.json"
EXTENSION = "x-pagination"
_JSON_TYPES = ("application/json", "application/problem+json")


@dataclass(frozen=True)
class Problem:
    """One inconsistency: where it is (a YAML path), what is wrong, and what to do."""

    path: str
    message: str
    fix: str

    def line(self) -> str:
        return f"{self.path}: {self.message}. {self.fix}"


def problems(raw: dict[str, Any], document: dict[str, Any]) -> list[Problem]:
    """Every problem of `raw` (the `x-pagination` block as written) in `document` (the
    whole OpenAPI document it sits in), in document order, plus every TODO left anywhere."""
    found = [*todo_problems(document)]
    if not isinstance(raw, dict):
        return found
    found += _unknown_keys(raw, _schema(), EXTENSION)
    found += _cursor_errors(raw, document)
    found += _declared_errors(raw)
    found += _encodings(raw, document)
    return found


# --- TODO decisions -------------------------------------------------------------------


def is_todo(value: Any) -> bool:
    """A decision `infer` could not make: the string "TODO", or one starting "TODO:"."""
    return isinstance(value, str) and (value.strip() == "TODO" or value.startswith("TODO:"))


def todo_problems(document: Any) -> Iterator[Problem]:
    for where, value in _leaves(document, ()):
        if is_todo(value):
            decision = value.removeprefix("TODO").lstrip(":").strip() or "a value"
            yield Problem(
                _where(where),
                f"is a decision the draft left open (TODO: {decision})",
                "Decide, and replace the TODO with the value (threadconform docs x-pagination)",
            )


def _leaves(node: Any, where: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, (*where, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _leaves(value, (*where, index))
    else:
        yield where, node


def _where(parts: tuple[Any, ...]) -> str:
    """("paths", "/t", "get", "x-pagination", "limit") -> `paths['/t'].get.x-pagination.limit`."""
    return where_of(parts)


# --- unknown keys ---------------------------------------------------------------------


def _schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return loaded


def _closed(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any] | None:
    """The schema's declared properties when it admits no others (following `$ref` and a
    cursor error's object form, under `else`), else None."""
    schema = _ref(schema, root)
    if schema.get("additionalProperties") is False:
        props: dict[str, Any] = schema.get("properties", {})
        return props
    if isinstance(schema.get("else"), dict):
        return _closed(schema["else"], root)
    return None


def _ref(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        return _ref(root["$defs"][ref.removeprefix("#/$defs/")], root)
    return schema


def _unknown_keys(
    value: Any, schema: dict[str, Any], where: str, root: dict[str, Any] | None = None
) -> list[Problem]:
    root = root or schema
    found: list[Problem] = []
    if not isinstance(schema, dict):
        return found  # `true`: any value
    schema = _ref(schema, root)
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            found += _unknown_keys(item, schema["items"], f"{where}[{index}]", root)
        return found
    if not isinstance(value, dict):
        return found
    props = _closed(schema, root)
    if props is None:
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):  # `rules`: each value is a rule setting
            for key, item in value.items():
                found += _unknown_keys(item, extra, f"{where}.{key}", root)
        return found
    for key, item in value.items():
        if key in props:
            found += _unknown_keys(item, props[key], f"{where}.{key}", root)
            continue
        close = difflib.get_close_matches(str(key), list(props), n=1)
        message = f"unknown key {key!r} at {where}"
        if close:
            message += f"; did you mean {close[0]!r}?"
            found.append(Problem(f"{where}.{key}", message, f"Rename it to {close[0]!r}"))
        else:
            allowed = ", ".join(props)
            found.append(Problem(f"{where}.{key}", message, f"Remove it (allowed: {allowed})"))
    return found


# --- the operation and its schemas ----------------------------------------------------


def operation(document: dict[str, Any]) -> dict[str, Any]:
    """The document's GET operation that carries `x-pagination` (empty when none)."""
    for item in (document.get("paths") or {}).values():
        get = (item or {}).get("get") if isinstance(item, dict) else None
        if isinstance(get, dict) and EXTENSION in get:
            return get
    return {}


def _deref(document: dict[str, Any], node: Any, depth: int = 0) -> Any:
    """`node` with local `$ref`s inlined (to a fixed depth: recursion is cut, not followed)."""
    if depth > 30:
        return {}
    if isinstance(node, list):
        return [_deref(document, item, depth + 1) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = document
        for raw in ref[2:].split("/"):
            part = raw.replace("~1", "/").replace("~0", "~")
            target = target.get(part, {}) if isinstance(target, dict) else {}
        rest = {k: v for k, v in node.items() if k != "$ref"}
        resolved = _deref(document, target, depth + 1)
        return {**rest, "allOf": [resolved]} if rest else resolved
    return {key: _deref(document, value, depth + 1) for key, value in node.items()}


def _properties(schema: Any) -> dict[str, Any]:
    if not isinstance(schema, dict):
        return {}
    found: dict[str, Any] = {}
    for keyword in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(keyword) or []:
            found.update(_properties(sub))
    found.update(schema.get("properties") or {})
    return found


def _json_schema(response: Any) -> Any:
    for media_type, media in ((response or {}).get("content") or {}).items():
        if media_type.split(";")[0].strip() in _JSON_TYPES and isinstance(media, dict):
            return media.get("schema")
    return None


def _missing(schema: Any, path: str) -> tuple[str, list[str]] | None:
    """None when `path` leads to a declared property of `schema`; else the prefix that
    does not, and the names known where it stops."""
    node = schema
    parts = paths.split(path)
    for depth, part in enumerate(parts):
        known = _properties(node)
        if part not in known:
            return ".".join(parts[: depth + 1]), sorted(known)
        node = known[part]
    return None


def _array_items(schema: Any) -> Any:
    if not isinstance(schema, dict):
        return None
    if isinstance(schema.get("items"), dict):
        return schema["items"]
    for keyword in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(keyword) or []:
            found = _array_items(sub)
            if found is not None:
                return found
    return None


def _item_schema(raw: dict[str, Any], document: dict[str, Any]) -> Any:
    responses = operation(document).get("responses") or {}
    body = _deref(document, _json_schema(responses.get("200")))
    items = (raw.get("response") or {}).get("items")
    if not isinstance(items, str) or body is None:
        return None
    node = body
    for part in paths.split(items):
        node = _properties(node).get(part)
    return _array_items(node)


# --- cursor errors and declared errors ------------------------------------------------


def _cursor_errors(raw: dict[str, Any], document: dict[str, Any]) -> list[Problem]:
    cursor = raw.get("cursor")
    if not isinstance(cursor, dict):
        return []
    found: list[Problem] = []
    responses = {str(k): v for k, v in (operation(document).get("responses") or {}).items()}
    for case in ("unknown", "malformed"):
        error = cursor.get(case)
        if isinstance(error, dict):
            where = f"{EXTENSION}.cursor.{case}"
            found += _contradictions(error, where)
            found += _fields(error, where, responses, document)
    if cursor.get("backward_has_more") is True and not cursor.get("before"):
        found.append(
            Problem(
                f"{EXTENSION}.cursor.backward_has_more",
                "is true, but cursor.before is null: no page is ever fetched backward",
                "Set cursor.before to the parameter that pages backward, "
                "or remove backward_has_more",
            )
        )
    return found


def _contradictions(error: dict[str, Any], where: str) -> list[Problem]:
    found: list[Problem] = []
    status, response = error.get("status"), error.get("response")
    numeric = isinstance(response, str) and response.isdigit()
    if isinstance(status, int) and numeric and int(str(response)) != status:
        found.append(
            Problem(
                f"{where}.response",
                f"is {response!r}, the envelope of another status than status {status}",
                f"Set response to '{status}', or status to {response}",
            )
        )
    if error.get("accept") == "empty":
        stray = [key for key in ("status", "response", "fields") if error.get(key)]
        if stray:
            found.append(
                Problem(
                    f"{where}.accept",
                    f"is 'empty' (a 200 with no items), but {', '.join(stray)} describe an error",
                    f"Remove {', '.join(stray)}, or set accept to 'error' or 'error-or-empty'",
                )
            )
    return found


def _fields(
    error: dict[str, Any], where: str, responses: dict[str, Any], document: dict[str, Any]
) -> list[Problem]:
    fields = error.get("fields")
    if not isinstance(fields, dict) or not fields:
        return []
    key = error.get("response") or (str(error["status"]) if error.get("status") else None)
    if key is None or key not in responses:
        what = "no status or response is given" if key is None else f"no response {key!r}"
        return [
            Problem(
                f"{where}.fields",
                f"names error body fields, but {what} documents their schema",
                "Set response to the declared response of the error's status",
            )
        ]
    schema = _deref(document, _json_schema(responses[key]))
    found: list[Problem] = []
    for path in fields:
        missing = _missing(schema, str(path))
        if missing is None:
            continue
        prefix, known = missing
        close = difflib.get_close_matches(prefix.split(".")[-1], known, n=1)
        fix = f"Name a field of the {key} response schema (known there: {', '.join(known)})"
        if close:
            fixed = ".".join([*prefix.split(".")[:-1], close[0]])
            fixed += str(path)[len(prefix) :]
            fix = f"Rename it to {fixed!r}"
        found.append(
            Problem(
                f"{where}.fields.{path}",
                f"{prefix!r} is not a field of the documented {key} error response",
                fix,
            )
        )
    return found


def _declared_errors(raw: dict[str, Any]) -> list[Problem]:
    found: list[Problem] = []
    for kind, error in (raw.get("errors") or {}).items():
        if isinstance(error, dict):
            found += _contradictions(error, f"{EXTENSION}.errors.{kind}")
    return found


# --- order encodings ------------------------------------------------------------------


def _sort_keys(order: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """(where, item path, encoding) of every sort key the order names."""
    if order.get("key"):
        yield f"{EXTENSION}.order.encoding", order["key"], order.get("encoding")
    for index, key in enumerate(order.get("keys") or []):
        if isinstance(key, dict) and key.get("path"):
            yield f"{EXTENSION}.order.keys[{index}].encoding", key["path"], key.get("encoding")


def _encodings(raw: dict[str, Any], document: dict[str, Any]) -> list[Problem]:
    order = raw.get("order")
    if not isinstance(order, dict):
        return []
    item = _item_schema(raw, document)
    found: list[Problem] = []
    ident = (raw.get("response") or {}).get("id")
    for where, path, encoding in _sort_keys(order):
        if encoding != "date-time" or not isinstance(path, str):
            continue
        if path == ident and ident not in _date_fields(item):
            found.append(
                Problem(
                    where,
                    f"is date-time, but {path!r} is the id field",
                    "Set encoding to 'string' (ids sort as strings), or sort on a timestamp",
                )
            )
            continue
        found += _date_time_on(where, path, item)
    return found


def _date_fields(item: Any) -> set[str]:
    return {name for name, schema in _properties(item).items() if _format(schema) == "date-time"}


def _date_time_on(where: str, path: str, item: Any) -> list[Problem]:
    schema: Any = item
    for part in paths.split(path):
        schema = _properties(schema).get(part)
    if not isinstance(schema, dict):
        return []  # the loader names a path that leads nowhere
    kinds = _types(schema)
    if kinds & {"integer", "number"} and "string" not in kinds:
        return [
            Problem(
                where,
                f"is date-time, but the item schema says {path!r} is a number",
                "Set encoding to 'unix-seconds' (or 'number')",
            )
        ]
    if "string" in kinds and _format(schema) not in ("date-time", None):
        what = f"a {_format(schema)} string"
    elif "string" in kinds and _format(schema) is None:
        what = "a string with no date-time format"
    else:
        return []
    return [
        Problem(
            where,
            f"is date-time, but the item schema says {path!r} is {what}",
            "Set encoding to 'string', or declare `format: date-time` on the field",
        )
    ]


def _types(schema: dict[str, Any]) -> set[str]:
    kinds: set[str] = set()
    kind = schema.get("type")
    kinds |= set(kind) if isinstance(kind, list) else ({kind} if isinstance(kind, str) else set())
    for keyword in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(keyword) or []:
            if isinstance(sub, dict):
                kinds |= _types(sub)
    return kinds - {"null"}


def _format(schema: Any) -> str | None:
    if not isinstance(schema, dict):
        return None
    if isinstance(schema.get("format"), str):
        return str(schema["format"])
    for keyword in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(keyword) or []:
            found = _format(sub)
            if found is not None:
                return found
    return None


# --- a whole file ---------------------------------------------------------------------


def check(path: Path | str) -> list[str]:
    """One line per problem of the spec file at `path`: what the loader refuses (its first
    error) and every problem `problems` finds. Empty: the spec is sound."""
    from threadconform import spec

    try:
        document = spec.read_document(path)
    except spec.SpecError as error:
        return [str(error)]
    lines = [f"{path}: {problem.line()}." for problem in problems(_block(document), document)]
    try:
        spec.load(path)
    except spec.SpecError as error:
        # A loader error about a TODO value is the TODO problem already listed.
        about_todo = "'TODO" in str(error) and any("left open" in line for line in lines)
        if str(error) not in lines and not about_todo:
            lines.append(str(error))
    return lines


def _block(document: dict[str, Any]) -> dict[str, Any]:
    block = operation(document).get(EXTENSION)
    return block if isinstance(block, dict) else {}
