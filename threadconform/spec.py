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
from typing import Any, Literal, NoReturn
from urllib.parse import urlsplit

import yaml
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError, ValidationError, best_match
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import OpenAPIV31SpecValidator
from referencing.exceptions import Unresolvable

from threadconform import model, paths
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
    """A spec file that cannot be used. The message is one line and names file and field.

    `fix`, when set, is the one change to the document that the message's advice
    describes ("Rename it to 'style'", "Set it to 20"): applying it is following the
    advice (a self-test does exactly that for every such message).
    """

    def __init__(self, message: str, fix: Fix | None = None) -> None:
        super().__init__(message)
        self.fix = fix


@dataclass(frozen=True)
class Fix:
    """Set the value at `path` (a key path into the document), rename its key, or delete it."""

    path: tuple[str | int, ...]
    action: Literal["set", "rename", "delete"]
    value: Any = None  # the new value ("set") or the new key ("rename")

    def apply(self, document: Any) -> None:
        """Change `document` in place as the advice says."""
        parent = _follow(document, list(self.path[:-1]))
        last = self.path[-1]
        if self.action == "set":
            parent[last] = self.value
        elif self.action == "rename":
            parent[self.value] = parent.pop(last)
        else:
            del parent[last]

    def within(self, prefix: tuple[str | int, ...]) -> Fix:
        return Fix((*prefix, *self.path), self.action, self.value)

    def advice(self) -> str:
        if self.action == "set":
            return f"Set it to {_short(self.value)}"
        if self.action == "rename":
            return f"Rename it to {self.value!r}"
        return "Remove it"


# --- public API -----------------------------------------------------------------------


def load(path: Path | str) -> model.Contract:
    """Read, validate and cross-check one spec file."""
    file = Path(path)
    document = _read(file)
    _check_openapi(file, document)
    endpoint, operation = _operation(file, document)
    block = operation[EXTENSION]
    view = _anchored(file, document, endpoint, operation, block)
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
        opt_in=_opt_in(file, document),
    )


def _anchored(
    file: Path, document: dict[str, Any], endpoint: str, operation: dict[str, Any], block: Any
) -> _View:
    """Check the block; a fix a check proposes is anchored at the block in the document."""
    try:
        _check_block(file, block)
        view = _View.of(file, document, endpoint, operation)
        _check_references(file, block, view)
    except SpecError as error:
        if error.fix is not None and error.fix.path[:1] != ("paths",):
            anchor = ("paths", endpoint, "get", EXTENSION)
            raise SpecError(str(error), error.fix.within(anchor)) from None
        raise
    return view


def load_all(directory: Path = SPEC_DIR, *, opt_in: bool = False) -> list[model.Contract]:
    """Every spec in `directory` that the default run includes (with `opt_in`, every spec
    at all), sorted by name. A spec opts out with `x-threadconform: {opt_in: true}`."""
    files = _spec_files(directory)
    if not files:
        raise SpecError(f"{_show(directory)}: no *.yaml spec files. Add one ({GUIDE}).")
    loaded = [load(file) for file in files]
    return [contract for contract in loaded if opt_in or not contract.opt_in]


def default_names(directory: Path = SPEC_DIR) -> list[str]:
    """The contracts `--contract all` runs: every spec not marked opt-in."""
    return [contract.name for contract in load_all(directory)]


def _opt_in(file: Path, document: dict[str, Any]) -> bool:
    settings = document.get("x-threadconform") or {}
    if not isinstance(settings, dict) or set(settings) - {"opt_in"}:
        what = f"{_short(settings)} is not {{opt_in: true|false}}"
        _fail(file, "x-threadconform", what, "Write `x-threadconform: {opt_in: true}`, or drop it.")
    value = settings.get("opt_in", False)
    if not isinstance(value, bool):
        _fail(
            file,
            "x-threadconform.opt_in",
            f"{_short(value)} is not a boolean",
            "Use true or false.",
        )
    return value


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


def _fail(file: Path, where: str, what: str, fix: str, change: Fix | None = None) -> NoReturn:
    what = " ".join(str(what).split()).rstrip(".")
    if len(what) > 300:
        what = what[:297] + "..."
    raise SpecError(f"{_show(file)}: {where}: {what}. {fix}", change)


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
            key = str(key) if type(key) is int else key
            if isinstance(key, Hashable) and key in seen:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"found duplicate key {key!r}",
                    key_node.start_mark,
                )
            seen.add(key)
        mapping = super().construct_mapping(node, deep)
        # JSON keys are strings: an unquoted `200:` means the response "200".
        return {str(k) if type(k) is int else k: v for k, v in mapping.items()}


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if not tag.endswith(":bool")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_YAML = "tag:yaml.org,2002:"
_JSON_TAGS = frozenset(_YAML + kind for kind in ("str", "int", "float", "bool", "null"))
_NOT_FINITE = re.compile(r"^[-+]?\.(?:inf|nan)$", re.IGNORECASE)


def _read(file: Path) -> dict[str, Any]:
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as error:
        _fail(file, "file", f"cannot be read ({error.strerror})", "Check the path.")
    except UnicodeDecodeError as error:
        _fail(file, "file", f"is not UTF-8 ({error.reason})", "Save it as UTF-8.")
    try:
        document = _parse(file, text)
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


def read_document(path: Path | str) -> dict[str, Any]:
    """The YAML document of a spec file as JSON data, or a one-line `SpecError`.

    Use this, not `yaml.safe_load`, to read a spec: YAML 1.1 turns `2024-06-01` into a
    date and `off` into false, which no JSON tool (openapi-spec-validator, Schemathesis)
    accepts.
    """
    return _read(Path(path))


def _parse(file: Path, text: str) -> Any:
    """Compose the YAML, refuse what JSON cannot hold (naming the field), then construct."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_json(file, node, ())
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _check_json(file: Path, node: yaml.Node, path: tuple[Any, ...]) -> None:
    """Every value is JSON: a mapping with string keys, a list, a string, a finite number,
    a boolean or null. Unquoted dates, `!!binary`, `!!set`, `.inf` are not."""
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if key_node.tag == _YAML + "merge":
                continue
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else "?"
            if key_node.tag not in (_YAML + "str", _YAML + "int"):
                # A YAML integer key (`200:`) is read as its string, as JSON tools do.
                _not_json(file, (*path, key), key_node, "as a key")
            _check_json(file, value_node, (*path, key))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _check_json(file, item, (*path, index))
    elif node.tag not in _JSON_TAGS or (
        node.tag == _YAML + "float" and _NOT_FINITE.match(node.value)
    ):
        _not_json(file, path, node, "")


def _not_json(file: Path, path: tuple[Any, ...], node: yaml.Node, role: str) -> NoReturn:
    kind = node.tag.removeprefix(_YAML)
    value = node.value if isinstance(node, yaml.ScalarNode) else "..."
    line = f"line {node.start_mark.line + 1}"
    what = f"the unquoted {value!r} {role} is a YAML {kind} ({line}), not a JSON value"
    if isinstance(node, yaml.ScalarNode):
        fix = Fix(path, "rename", str(value)) if role else Fix(path, "set", str(value))
        advice = f'Quote it: "{value}" (JSON tools such as openapi-spec-validator reject it).'
        _fail(file, _where(path), what, advice, fix)
    _fail(file, _where(path), what, "Write it as plain JSON data (a mapping, list or string).")


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
    path: list[Any] = list(error.absolute_path)
    if error.validator == "required":
        missing = [name for name in error.validator_value if name not in error.instance]
        path.append(missing[0] if missing else "?")
    elif error.validator == "additionalProperties":
        path.append(_unexpected(error)[0])  # point at the stray key itself
    elif "propertyNames" in error.schema_path:
        path.append(error.instance)  # the offending key itself
    hint, change = _schema_hint(error, tuple(path))
    _fail(file, _where([EXTENSION, *path]), _schema_message(error), hint, change)


def _unexpected(error: ValidationError) -> list[str]:
    allowed = error.schema.get("properties", {})
    return [key for key in error.instance if key not in allowed] or ["?"]


def _schema_message(error: ValidationError) -> str:
    if list(error.absolute_path)[-2:] in (["order", "key"], ["order", "encoding"]):
        return "is set together with `order.keys`, which replaces it"
    if error.validator == "additionalProperties":
        return "is not a key of this block"
    if error.validator == "type" and error.validator_value == "null":
        return "is set, but only the matching pagination style takes this block"
    if error.validator == "type":
        return f"{_short(error.instance)} is not of type {error.validator_value!r}"
    if error.validator == "enum":
        return f"{_short(error.instance)} is not one of {error.validator_value!r}"
    return error.message


def _schema_hint(error: ValidationError, path: tuple[Any, ...]) -> tuple[str, Fix | None]:
    """What to do, and the change that does it when there is exactly one."""
    guide = f"({GUIDE}; schema: threadconform/schemas/x-pagination.schema.json)"
    if error.validator == "required":
        return f"Add it {guide}.", None
    if error.validator == "additionalProperties":
        allowed = list(error.schema.get("properties", {}))
        close = difflib.get_close_matches(str(path[-1]), allowed, n=1)
        listed = f"allowed keys: {', '.join(allowed)} ({GUIDE})"
        if close:
            return f"Rename it to {close[0]!r} ({listed}).", Fix(path, "rename", close[0])
        return f"Remove it, or use one of the {listed}.", Fix(path, "delete")
    if error.validator == "enum":
        choices = [str(v) for v in error.validator_value if v is not None]
        close = difflib.get_close_matches(str(error.instance), choices, n=1, cutoff=0.4)
        if close:
            return f"Set it to {close[0]!r}, the closest allowed value.", Fix(path, "set", close[0])
        return f"Use one of the listed values {guide}.", None
    if path[-2:] in (("order", "key"), ("order", "encoding")):
        return "Remove it: the first entry of `order.keys` is the primary key.", Fix(path, "delete")
    if error.validator == "type" and error.validator_value == "null":
        fix = "Remove it (each style takes only its own block: page, offset, cursor, token), "
        fix += "or change `style`."
        return fix, Fix(path, "delete")
    if error.validator == "pattern" and "propertyNames" in error.schema_path:
        upper = str(path[-1]).upper()
        if upper in BY_ID:
            return f"Rename it to {upper!r} (rule ids are upper case).", Fix(path, "rename", upper)
        return "Rule ids are upper-case ids from threadconform/rules.py (CATALOGUE).", None
    return f"Fix the block {guide}.", None


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


def _block_fail(file: Path, where: str, what: str, fix: str, change: Fix | None = None) -> NoReturn:
    """Fail on a block field; `change` is relative to the block (`load` anchors it)."""
    _fail(file, f"{EXTENSION}.{where}", what, fix, change)


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
    for case in ("unknown", "malformed"):
        value = (block.get("cursor") or {}).get(case)
        if isinstance(value, dict):
            documented[f"cursor.{case}"] = value
    for kind, error in documented.items():
        if error and error.get("response") and error["response"] not in responses:
            where = f"{kind}.response" if kind.startswith("cursor.") else f"errors.{kind}.response"
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
        cursor=_cursor(block["cursor"]) if block.get("cursor") else None,
        token=model.Token(**block["token"]) if block.get("token") else None,
        link=model.Link(**block["link"]) if block.get("link") else None,
        order=_order(order) if order else None,
        filters=tuple(model.Filter(**item) for item in block.get("filters") or []),
        volatile=tuple(block.get("volatile") or []),
        items=_item_rules(block.get("items") or {}),
        errors=_errors(block.get("errors") or {}),
        rules={rule_id: _rule(value) for rule_id, value in (block.get("rules") or {}).items()},
    )


def _order(order: dict[str, Any]) -> model.Order:
    """`keys: [{path, encoding, direction}, ...]`, or the `key`/`encoding` shorthand."""
    keys = [model.SortKey(**key) for key in order.get("keys") or []]
    first = keys[0] if keys else model.SortKey(order["key"], order["encoding"])
    return model.Order(
        key=first.path,
        encoding=first.encoding,
        direction=order["direction"],
        documented=order["documented"],
        param=order.get("param"),
        values=dict(order.get("values") or {}),
        ties=tuple(keys[1:]),
    )


def _cursor(cursor: dict[str, Any]) -> model.Cursor:
    def error(value: Any) -> model.CursorError | None:
        if value is None or isinstance(value, str):
            return model.CursorError(accept=value) if value else None
        fields = tuple((path, wanted) for path, wanted in (value.get("fields") or {}).items())
        return model.CursorError(
            value["accept"], value.get("status"), value.get("response"), fields
        )

    return model.Cursor(
        after=cursor["after"],
        before=cursor.get("before"),
        unknown=error(cursor.get("unknown")) or model.CursorError(),
        malformed=error(cursor.get("malformed")),
        backward_has_more=bool(cursor.get("backward_has_more")),
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
