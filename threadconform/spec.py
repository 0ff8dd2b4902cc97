"""Read a spec file (OpenAPI 3.1 + `x-pagination`) into a `model.Contract`.

Loading is strict and its errors are for people: every problem is a `SpecError` whose
message is one line, `<file>: <where>: <what is wrong>. <what to do>`. The checks run in
order: YAML syntax, OpenAPI 3.1 validity, exactly one GET operation carrying
`x-pagination`, the block against `schemas/x-pagination.schema.json`, and finally that
every name and path the block mentions exists in the operation (parameters, the 200
schema, the item schema, responses, the rule catalogue) and agrees with it.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Hashable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

import yaml
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError, ValidationError, best_match
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import OpenAPIV31SpecValidator
from referencing.exceptions import Unresolvable

from threadconform import model
from threadconform.rules import BY_ID

SPEC_DIR = Path(__file__).resolve().parent.parent / "specs"
SCHEMA_FILE = Path(__file__).resolve().parent / "schemas" / "x-pagination.schema.json"
EXTENSION = "x-pagination"
GUIDE = "see specs/README.md"
_JSON_TYPES = ("application/json", "application/problem+json")
# Keys whose values are data, not OpenAPI objects: never searched for `$ref`.
_DATA_KEYS = frozenset({"example", "examples", "default", "const", "enum", EXTENSION})
_NOWHERE = object()
# Keywords whose value maps names to schemas.
_NAMED_SCHEMAS = frozenset({"properties", "patternProperties", "$defs", "dependentSchemas"})


class SpecError(ValueError):
    """A spec file that cannot be used. The message is one line and names file and field."""


# --- public API -----------------------------------------------------------------------


def load(path: Path | str) -> model.Contract:
    """Read, validate and cross-check one spec file."""
    file = Path(path)
    document = _read(file)
    _check_openapi(file, document)
    endpoint, operation = _operation(file, document)
    block = operation[EXTENSION]
    _check_block(file, block)
    view = _View.of(file, document, endpoint, operation)
    _check_references(file, block, view)
    return model.Contract(
        name=file.stem,
        path=file,
        title=str(document["info"]["title"]),
        version=str(document["info"]["version"]),
        method="GET",
        endpoint=endpoint,
        auth=_auth(file, document, endpoint, operation),
        pagination=_pagination(block),
        document=document,
        response_schema=view.body,
        parameters={name: param.get("schema", {}) for name, param in view.params.items()},
    )


def load_all(directory: Path = SPEC_DIR) -> list[model.Contract]:
    """Every spec in `directory`, sorted by name."""
    files = _spec_files(directory)
    if not files:
        raise SpecError(f"{_show(directory)}: no *.yaml spec files. Add one ({GUIDE}).")
    return [load(file) for file in files]


def names(directory: Path = SPEC_DIR) -> list[str]:
    """The contract names available in `directory` (file stems)."""
    return [file.stem for file in _spec_files(directory)]


def find(name: str, directory: Path = SPEC_DIR) -> Path:
    """The spec file of the contract called `name` in `directory`."""
    for suffix in (".yaml", ".yml"):
        candidate = directory / f"{name}{suffix}"
        if candidate.is_file():
            return candidate
    valid = ", ".join(names(directory)) or "(none)"
    raise SpecError(
        f"{_show(directory)}: contract {name!r}: no such spec. Valid names: {valid}; "
        "or pass a spec file path with --spec."
    )


def format_checker() -> FormatChecker:
    """Draft 2020-12 format checks, plus `uri` (which jsonschema only checks with rfc3987).

    The response schemas use date-time, uuid and uri; a checker that silently ignores one
    of them would let a malformed value through, so `uri` gets a small checker of its own.
    """
    checker = FormatChecker(formats=Draft202012Validator.FORMAT_CHECKER.checkers)
    checker.checks("uri")(_is_absolute_uri)
    return checker


def resolve(contract: model.Contract, node: Any) -> Any:
    """`node` (a part of `contract.document`) with every local `$ref` replaced inline."""
    return _resolve(contract.path, contract.document, node)


# --- messages -------------------------------------------------------------------------


def _fail(file: Path, where: str, what: str, fix: str) -> NoReturn:
    what = " ".join(str(what).split()).rstrip(".")
    if len(what) > 300:
        what = what[:297] + "..."
    raise SpecError(f"{_show(file)}: {where}: {what}. {fix}")


def _show(file: Path) -> str:
    """The path as a reader knows it: relative to the working directory when inside it."""
    try:
        return str(file.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(file)


def _where(parts: Iterator[Any] | tuple[Any, ...] | list[Any]) -> str:
    """`('paths', '/threads', 'get', 0)` -> `paths['/threads'].get[0]`."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z0-9_$-]+", str(part)):
            text += f".{part}" if text else str(part)
        else:
            text += f"[{str(part)!r}]"
    return text or "document root"


def _suggest(name: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(name, choices, n=1)
    return f"Did you mean {close[0]!r}? " if close else ""


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# --- YAML -----------------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """YAML with JSON's scalars: only true/false are booleans (`off` stays the string
    "off", as rule severities need), dates stay strings, and duplicate keys are errors
    (YAML 1.1 would silently keep the last one, hiding a typo'd rule)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, Hashable) and key in seen:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"found duplicate key {key!r}",
                    key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep)


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if not tag.endswith((":bool", ":timestamp"))]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _read(file: Path) -> dict[str, Any]:
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as error:
        _fail(file, "file", f"cannot be read ({error.strerror})", "Check the path.")
    try:
        document = yaml.load(text, Loader=_Loader)  # a SafeLoader subclass: safe
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "YAML"
        problem = str(error.problem or error.context)
        fix = "Remove one of the two." if "duplicate key" in problem else "Fix the YAML there."
        _fail(file, where, f"YAML syntax error: {problem}", fix)
    except yaml.YAMLError as error:
        _fail(file, "YAML", f"YAML error: {error}", "Fix the YAML.")
    if not isinstance(document, dict):
        what = f"is {type(document).__name__}, not a mapping"
        _fail(file, "document root", what, "A spec is an OpenAPI 3.1 document (a YAML mapping).")
    return document


# --- OpenAPI validity -----------------------------------------------------------------


def _check_openapi(file: Path, document: dict[str, Any]) -> None:
    version = document.get("openapi")
    if not (isinstance(version, str) and version.startswith("3.1.")):
        what = "is missing" if version is None else f"is {version!r}, not an OpenAPI 3.1 version"
        fix = "A spec is an OpenAPI 3.1 document: start it with `openapi: 3.1.0`."
        _fail(file, "openapi", what, fix)
    # Checked first because the validator raises (rather than reports) a dangling $ref.
    _check_refs_resolve(file, document)
    try:
        error = next(iter(OpenAPIV31SpecValidator(document).iter_errors()), None)
    except Unresolvable as exc:
        _fail(file, "$ref", f"cannot be resolved ({exc})", "Use local references (#/...).")
    if error is not None:
        where = _openapi_location(document, error)
        what = error.message.splitlines()[0]
        _fail(file, where, what, "Make the document valid OpenAPI 3.1 (openapi-spec-validator).")


def _openapi_location(document: dict[str, Any], error: ValidationError) -> str:
    """Where in the document an openapi-spec-validator error is.

    Errors from the document-level schema carry their path; errors from the per-schema
    checks carry a path relative to the schema object, so that object is searched for.
    """
    path = list(error.absolute_path)
    if path and _follow(document, path) is not _NOWHERE:
        return _where(path)  # a document-level error (no schema object has these root keys)
    for location, schema in _schema_objects(document, ()):
        problem = _schema_problem(schema)
        if problem is not None:
            return _where((*location, *problem))
    return "document"  # e.g. a duplicate operationId: the message itself says where


def _schema_objects(node: Any, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Every schema object the document holds at a top level (parameters, media types,
    components), with its location."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _DATA_KEYS:
                continue
            if key == "schema" or (path[-2:] == ("components", "schemas")):
                yield (*path, key), value
            else:
                yield from _schema_objects(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _schema_objects(value, (*path, index))


def _schema_problem(schema: Any) -> tuple[Any, ...] | None:
    """The path (inside `schema`) of its first meta-schema or default-value problem."""
    try:
        OAS31Validator.check_schema(schema)
    except SchemaError as error:
        return tuple(error.absolute_path)
    if isinstance(schema, dict) and "default" in schema:
        for _ in OAS31Validator(schema).iter_errors(schema["default"]):
            return ("default",)
    return None


def _check_refs_resolve(file: Path, document: dict[str, Any]) -> None:
    for location, ref in _refs(document, ()):
        if not (isinstance(ref, str) and ref.startswith("#/")):
            what = f"{ref!r} is not a local reference"
            _fail(file, _where(location), what, "Use #/components/... references.")
        if _pointer(document, ref) is _NOWHERE:
            fix = "Fix the reference or add the component it names."
            _fail(file, _where(location), f"{ref!r} points nowhere", fix)


def _refs(node: Any, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield (*path, key), value
            elif key not in _DATA_KEYS or (path and path[-1] == "properties"):
                yield from _refs(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _refs(value, (*path, index))


def _pointer(document: Any, ref: str) -> Any:
    """The target of a local reference `#/a/b~1c`, or `_NOWHERE`."""
    parts = [raw.replace("~1", "/").replace("~0", "~") for raw in ref[2:].split("/")]
    return _follow(document, parts)


def _follow(node: Any, path: list[Any]) -> Any:
    """The value at `path`, or `_NOWHERE` (a JSON null is a value)."""
    for part in path:
        if isinstance(node, list) and isinstance(part, str) and part.isdigit():
            part = int(part)
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return _NOWHERE
    return node


def _resolve(file: Path, document: dict[str, Any], node: Any, stack: tuple[str, ...] = ()) -> Any:
    """`node` with local `$ref`s inlined. A `$ref` with sibling keywords becomes an allOf,
    which is what OpenAPI 3.1 (JSON Schema 2020-12) means by it. Data (examples, defaults,
    enums, consts) is copied as it is."""
    if isinstance(node, list):
        return [_resolve(file, document, item, stack) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if not isinstance(ref, str):
        return {
            key: _resolve_member(file, document, key, value, stack) for key, value in node.items()
        }
    if ref in stack:
        _fail(file, ref, "is recursive", "Recursive schemas are not supported: inline a level.")
    target = _resolve(file, document, _pointer(document, ref), (*stack, ref))
    siblings = {
        k: _resolve_member(file, document, k, v, stack) for k, v in node.items() if k != "$ref"
    }
    if not siblings:
        return target
    return {**siblings, "allOf": [*siblings.get("allOf", []), target]}


def _resolve_member(
    file: Path, document: dict[str, Any], key: str, value: Any, stack: tuple[str, ...]
) -> Any:
    if key in _DATA_KEYS:
        return value
    if key in _NAMED_SCHEMAS and isinstance(value, dict):
        # Keys here are property names (a property may be called "default"), not keywords.
        return {name: _resolve(file, document, sub, stack) for name, sub in value.items()}
    return _resolve(file, document, value, stack)


# --- the operation --------------------------------------------------------------------


def _operation(file: Path, document: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    paths = document.get("paths") or {}
    gets = [(route, item["get"]) for route, item in paths.items() if "get" in (item or {})]
    if len(gets) != 1:
        found = ", ".join(route for route, _ in gets) or "none"
        what = f"has {len(gets)} GET operations ({found}), not exactly one"
        fix = "A spec describes one list endpoint: keep exactly one GET operation."
        _fail(file, "paths", what, fix)
    endpoint, operation = gets[0]
    if EXTENSION not in operation:
        where = _where(("paths", endpoint, "get", EXTENSION))
        fix = f"Add the pagination block to the GET operation ({GUIDE})."
        _fail(file, where, "is missing", fix)
    return endpoint, operation


@dataclass(frozen=True)
class _View:
    """What the cross-checks look things up in (all references resolved)."""

    params: dict[str, dict[str, Any]]  # query parameter name -> parameter object
    body: dict[str, Any]  # the 200 JSON schema
    responses: Mapping[str, Any]  # the operation's responses, keyed by status string

    @classmethod
    def of(
        cls, file: Path, document: dict[str, Any], endpoint: str, operation: dict[str, Any]
    ) -> _View:
        shared = document["paths"][endpoint].get("parameters", [])
        params: dict[str, dict[str, Any]] = {}
        for parameter in [*shared, *operation.get("parameters", [])]:
            resolved = _resolve(file, document, parameter)
            if resolved.get("in") == "query":
                params[resolved["name"]] = resolved
        body = _resolve(file, document, _json_schema(file, endpoint, operation))
        responses = {str(key): value for key, value in operation.get("responses", {}).items()}
        return cls(params, body, responses)


def _json_schema(file: Path, endpoint: str, operation: dict[str, Any]) -> dict[str, Any]:
    response = operation.get("responses", {}).get("200") or {}
    for media_type, media in (response.get("content") or {}).items():
        is_json = media_type.split(";")[0].strip() in _JSON_TYPES
        if is_json and isinstance(media.get("schema"), dict):
            return media["schema"]
    where = _where(("paths", endpoint, "get", "responses", "200"))
    _fail(file, where, "has no application/json schema", "Describe the 200 body under content.")


# --- x-pagination: schema -------------------------------------------------------------


def _check_block(file: Path, block: Any) -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    error = best_match(Draft202012Validator(schema).iter_errors(block))
    if error is None:
        return
    path = [EXTENSION, *error.absolute_path]
    if error.validator == "required":
        missing = [name for name in error.validator_value if name not in error.instance]
        path.append(missing[0] if missing else "?")
    elif error.validator == "additionalProperties":
        path.append(_unexpected(error)[0])  # point at the stray key itself
    elif "propertyNames" in error.schema_path:
        path.append(error.instance)  # the offending key itself
    _fail(file, _where(path), _schema_message(error), _schema_hint(error))


def _unexpected(error: ValidationError) -> list[str]:
    allowed = error.schema.get("properties", {})
    return [key for key in error.instance if key not in allowed] or ["?"]


def _schema_message(error: ValidationError) -> str:
    if error.validator == "additionalProperties":
        return "is not a key of this block"
    if error.validator == "type" and error.validator_value == "null":
        return "is set, but only the matching pagination style takes this block"
    if error.validator == "type":
        return f"{_short(error.instance)} is not of type {error.validator_value!r}"
    if error.validator == "enum":
        return f"{_short(error.instance)} is not one of {error.validator_value!r}"
    return error.message


def _schema_hint(error: ValidationError) -> str:
    if error.validator == "required":
        return f"Add it ({GUIDE})."
    if error.validator == "additionalProperties":
        allowed = list(error.schema.get("properties", {}))
        hint = _suggest(_unexpected(error)[0], allowed)
        return f"{hint}Remove or rename it; allowed keys: {', '.join(allowed)} ({GUIDE})."
    if error.validator == "enum":
        return "Use one of the listed values."
    if error.validator == "type" and error.validator_value == "null":
        return "Remove it, or change `style` (page takes page, offset offset, cursor cursor)."
    if error.validator == "pattern" and "propertyNames" in error.schema_path:
        return "Rule ids are upper-case ids from threadconform/rules.py (CATALOGUE)."
    return f"Fix the block ({GUIDE}; schema: threadconform/schemas/x-pagination.schema.json)."


# --- x-pagination: references ---------------------------------------------------------


def _check_references(file: Path, block: dict[str, Any], view: _View) -> None:
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


def _block_fail(file: Path, where: str, what: str, fix: str) -> NoReturn:
    _fail(file, f"{EXTENSION}.{where}", what, fix)


def _param_refs(block: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(where in the block, parameter name) for every parameter the block names."""
    yield "limit.param", block["limit"]["param"]
    for key in ("page", "offset"):
        if block.get(key):
            yield f"{key}.param", block[key]["param"]
    for key in ("after", "before"):
        if (block.get("cursor") or {}).get(key):
            yield f"cursor.{key}", block["cursor"][key]
    if (block.get("order") or {}).get("param"):
        yield "order.param", block["order"]["param"]
    for index, item in enumerate(block.get("filters") or []):
        yield f"filters[{index}].param", item["param"]
    if block["response"].get("total_requires"):
        yield "response.total_requires", block["response"]["total_requires"]


_BODY_PATHS = ("items", "total", "has_more", "pages", "page", "limit", "page_size")
_BODY_PATHS += ("first_id", "last_id")


def _body_refs(block: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(where, path) for every path that starts at the body root."""
    response = block["response"]
    for key in _BODY_PATHS:
        if response.get(key):
            yield f"response.{key}", response[key]
    if response.get("object"):
        yield "response.object.path", response["object"]["path"]
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
    if block.get("order"):
        yield "order.key", block["order"]["key"]
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


def _need_param(file: Path, where: str, name: str, params: dict[str, Any]) -> None:
    if name in params:
        return
    what = f"{name!r} is not a query parameter of the operation"
    what += f" (its query parameters: {', '.join(params) or 'none'})"
    fix = f"{_suggest(name, list(params))}Name a declared parameter, or declare it."
    _block_fail(file, where, what, fix)


def _need_field(file: Path, where: str, path: str, schema: dict[str, Any], owner: str) -> None:
    """`path` (dotted) leads to a declared property of `schema` (the body or an item)."""
    parts = path.split(".")
    node: dict[str, Any] | None = schema
    for depth, part in enumerate(parts):
        parent, node = node, _property(node, part)
        if node is None:
            known = sorted(_properties(parent))
            what = f"{'.'.join(parts[: depth + 1])!r} is not a property of {owner}"
            what += f" (known there: {', '.join(known) or 'none'})"
            fix = f"{_suggest(part, known)}Name a field {owner} declares, or declare it."
            _block_fail(file, where, what, fix)


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
    for part in block["response"]["items"].split("."):
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
                fix = "Make the block and the parameter schema agree."
                _block_fail(file, f"{key}.{attr}", what, fix)


def _check_filters(file: Path, block: dict[str, Any], params: dict[str, dict[str, Any]]) -> None:
    """A filter's type and default are the parameter schema's."""
    for index, item in enumerate(block.get("filters") or []):
        schema = params[item["param"]].get("schema", {})
        kind = item.get("type", "string")
        if schema.get("type", kind) != kind:
            what = f"is {kind!r}, but parameter {item['param']!r} has type {schema.get('type')!r}"
            _block_fail(file, f"filters[{index}].type", what, "Make them agree.")
        if item.get("default") is not None and schema.get("default") != item["default"]:
            what = f"{item['default']!r}, but the parameter schema default is"
            what += f" {schema.get('default')!r}"
            _block_fail(file, f"filters[{index}].default", what, "Make them agree.")


def _check_order_values(
    file: Path, block: dict[str, Any], params: dict[str, dict[str, Any]]
) -> None:
    order = block.get("order") or {}
    if not (order.get("param") and order.get("values")):
        return
    allowed = params[order["param"]].get("schema", {}).get("enum")
    for direction, value in order["values"].items():
        if allowed is not None and value not in allowed:
            what = f"{value!r} is not in the parameter's enum {allowed!r}"
            _block_fail(file, f"order.values.{direction}", what, "Use a value it allows.")


def _check_errors(file: Path, block: dict[str, Any], responses: Mapping[str, Any]) -> None:
    for kind, error in (block.get("errors") or {}).items():
        if error and error.get("response") and error["response"] not in responses:
            what = f"{error['response']!r} is not a response of the operation"
            what += f" (its responses: {', '.join(responses)})"
            fix = "Declare that response, or name a declared one."
            _block_fail(file, f"errors.{kind}.response", what, fix)


def _check_rules(file: Path, block: dict[str, Any]) -> None:
    for rule_id in block.get("rules") or {}:
        if rule_id not in BY_ID:
            fix = f"{_suggest(rule_id, list(BY_ID))}Use an id from threadconform/rules.py."
            _block_fail(file, f"rules.{rule_id}", "is not a rule id", fix)


# --- building the model ---------------------------------------------------------------


def _auth(
    file: Path, document: dict[str, Any], endpoint: str, operation: dict[str, Any]
) -> model.Auth | None:
    requirements = operation.get("security", document.get("security")) or []
    schemes = [name for requirement in requirements for name in requirement]
    if not schemes:
        return None
    name = schemes[0]
    declared = (document.get("components") or {}).get("securitySchemes") or {}
    if name not in declared:
        where = "security" if "security" not in operation else f"paths['{endpoint}'].get.security"
        what = f"names the undeclared scheme {name!r}"
        _fail(file, where, what, "Declare it under components.securitySchemes.")
    scheme = _resolve(file, document, declared[name])
    kind = scheme.get("type")
    if kind == "http" and str(scheme.get("scheme", "")).lower() == "bearer":
        return model.Auth("bearer", scheme_name=name)
    if kind in ("oauth2", "openIdConnect"):
        return model.Auth("bearer", scheme_name=name)  # both send `Authorization: Bearer`
    if kind == "apiKey" and scheme.get("in") == "header":
        return model.Auth("header", header=str(scheme["name"]), scheme_name=name)
    where = _where(("components", "securitySchemes", name))
    fix = "Use http bearer, oauth2/openIdConnect, or an apiKey in a header."
    _fail(file, where, f"type {kind!r} is not supported", fix)


def _pagination(block: dict[str, Any]) -> model.Pagination:
    # The JSON Schema allows exactly the dataclass fields, so `**` is safe here.
    response = dict(block["response"])
    for key in ("object", "item_object"):
        response[key] = model.ConstField(**response[key]) if response.get(key) else None
    order = block.get("order")
    return model.Pagination(
        style=block["style"],
        limit=model.Limit(**block["limit"]),
        response=model.ResponseFields(**response),
        page=model.Bounded(**block["page"]) if block.get("page") else None,
        offset=model.Bounded(**block["offset"]) if block.get("offset") else None,
        cursor=model.Cursor(**block["cursor"]) if block.get("cursor") else None,
        order=model.Order(**{**order, "values": dict(order.get("values") or {})})
        if order
        else None,
        filters=tuple(model.Filter(**item) for item in block.get("filters") or []),
        volatile=tuple(block.get("volatile") or []),
        items=_item_rules(block.get("items") or {}),
        errors=_errors(block.get("errors") or {}),
        rules={rule_id: _rule(value) for rule_id, value in (block.get("rules") or {}).items()},
    )


def _item_rules(items: dict[str, Any]) -> model.ItemRules:
    return model.ItemRules(
        unix_seconds=tuple(items.get("unix_seconds") or []),
        absolute_urls=tuple(items.get("absolute_urls") or []),
        agree=tuple(model.FieldsAgree(**agree) for agree in items.get("agree") or []),
        documented_credentials=tuple(items.get("documented_credentials") or []),
    )


def _errors(errors: dict[str, Any]) -> model.Errors:
    def one(kind: str) -> model.ErrorContract | None:
        return model.ErrorContract(**errors[kind]) if errors.get(kind) else None

    return model.Errors(auth=one("auth"), validation=one("validation"), forbidden=one("forbidden"))


def _rule(value: str | dict[str, Any]) -> model.RuleSetting:
    if isinstance(value, str):
        return model.RuleSetting(severity=value)  # type: ignore[arg-type]
    return model.RuleSetting(severity=value["severity"], source=value.get("source"))


# --- small helpers --------------------------------------------------------------------


def _spec_files(directory: Path) -> list[Path]:
    return sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")], key=lambda file: file.stem)


def _is_absolute_uri(value: object) -> bool:
    if not isinstance(value, str):
        return True  # formats constrain strings only
    parts = urlsplit(value)
    scheme_ok = re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", parts.scheme) is not None
    needs_host = parts.scheme.lower() in ("http", "https")
    return scheme_ok and not re.search(r"\s", value) and (parts.netloc != "" or not needs_host)
