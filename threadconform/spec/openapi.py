"""The OpenAPI 3.1 side of a spec: validity, local `$ref` resolution, the one GET
operation carrying `x-pagination`, and the view of it (query parameters, 200 schema,
responses) that the block is cross-checked against.

Also `format_checker()`, the JSON Schema format checks the response schemas need.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError, ValidationError
from referencing.exceptions import Unresolvable

from threadconform.spec import validated
from threadconform.spec.errors import EXTENSION, GUIDE, NOWHERE, fail, follow, where_of

__all__ = [
    "View",
    "check_openapi",
    "find_operation",
    "format_checker",
    "resolve_refs",
]

_JSON_TYPES = ("application/json", "application/problem+json")
# Keys whose values are data, not OpenAPI objects: never searched for `$ref`.
_DATA_KEYS = frozenset({"example", "examples", "default", "const", "enum", EXTENSION})
# Keywords whose value maps names to schemas.
_NAMED_SCHEMAS = frozenset({"properties", "patternProperties", "$defs", "dependentSchemas"})


# --- validity -------------------------------------------------------------------------


def check_openapi(file: Path, document: dict[str, Any]) -> None:
    """`document` is valid OpenAPI 3.1 and every `$ref` in it is local and resolves."""
    version = document.get("openapi")
    if not (isinstance(version, str) and version.startswith("3.1.")):
        what = "is missing" if version is None else f"is {version!r}, not an OpenAPI 3.1 version"
        fix = "A spec is an OpenAPI 3.1 document: start it with `openapi: 3.1.0`."
        fail(file, "openapi", what, fix)
    # Checked first because the validator raises (rather than reports) a dangling $ref.
    _check_refs_resolve(file, document)
    if validated.seen_valid(document):
        return  # this very document passed the installed validator before
    # Imported here: with what it imports, a fifth of a run's start-up (spec/validated.py).
    from openapi_spec_validator import OpenAPIV31SpecValidator

    try:
        error = next(iter(OpenAPIV31SpecValidator(document).iter_errors()), None)
    except Unresolvable as exc:
        fail(file, "$ref", f"cannot be resolved ({exc})", "Use local references (#/...).")
    if error is not None:
        where = _openapi_location(document, error)
        what = error.message.splitlines()[0]
        fail(file, where, what, "Make the document valid OpenAPI 3.1 (openapi-spec-validator).")
    validated.remember(document)


def _openapi_location(document: dict[str, Any], error: ValidationError) -> str:
    """Where in the document an openapi-spec-validator error is.

    Errors from the document-level schema carry their path; errors from the per-schema
    checks carry a path relative to the schema object, so that object is searched for.
    """
    path = list(error.absolute_path)
    if path and follow(document, path) is not NOWHERE:
        return where_of(path)  # a document-level error (no schema object has these root keys)
    for location, schema in _schema_objects(document, ()):
        problem = _schema_problem(schema)
        if problem is not None:
            return where_of((*location, *problem))
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
    from openapi_schema_validator import OAS31Validator  # only to place an error

    try:
        OAS31Validator.check_schema(schema)
    except SchemaError as error:
        return tuple(error.absolute_path)
    if isinstance(schema, dict) and "default" in schema:
        for _ in OAS31Validator(schema).iter_errors(schema["default"]):
            return ("default",)
    return None


# --- references -----------------------------------------------------------------------


def _check_refs_resolve(file: Path, document: dict[str, Any]) -> None:
    for location, ref in _refs(document, ()):
        if not (isinstance(ref, str) and ref.startswith("#/")):
            what = f"{ref!r} is not a local reference"
            fail(file, where_of(location), what, "Use #/components/... references.")
        if _pointer(document, ref) is NOWHERE:
            fix = "Fix the reference or add the component it names."
            fail(file, where_of(location), f"{ref!r} points nowhere", fix)


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
    """The target of a local reference `#/a/b~1c`, or `NOWHERE`."""
    parts = [raw.replace("~1", "/").replace("~0", "~") for raw in ref[2:].split("/")]
    return follow(document, parts)


def resolve_refs(
    file: Path, document: dict[str, Any], node: Any, stack: tuple[str, ...] = ()
) -> Any:
    """`node` with local `$ref`s inlined. A `$ref` with sibling keywords becomes an allOf,
    which is what OpenAPI 3.1 (JSON Schema 2020-12) means by it. Data (examples, defaults,
    enums, consts) is copied as it is."""
    if isinstance(node, list):
        return [resolve_refs(file, document, item, stack) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if not isinstance(ref, str):
        return {
            key: _resolve_member(file, document, key, value, stack) for key, value in node.items()
        }
    if ref in stack:
        fail(file, ref, "is recursive", "Recursive schemas are not supported: inline a level.")
    target = resolve_refs(file, document, _pointer(document, ref), (*stack, ref))
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
        return {name: resolve_refs(file, document, sub, stack) for name, sub in value.items()}
    return resolve_refs(file, document, value, stack)


# --- the operation --------------------------------------------------------------------


def find_operation(file: Path, document: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The endpoint and operation of the document's one GET, which carries the block."""
    paths = document.get("paths") or {}
    gets = [(route, item["get"]) for route, item in paths.items() if "get" in (item or {})]
    if len(gets) != 1:
        found = ", ".join(route for route, _ in gets) or "none"
        what = f"has {len(gets)} GET operations ({found}), not exactly one"
        fix = "A spec describes one list endpoint: keep exactly one GET operation."
        fail(file, "paths", what, fix)
    endpoint, operation = gets[0]
    if EXTENSION not in operation:
        where = where_of(("paths", endpoint, "get", EXTENSION))
        fix = f"Add the pagination block to the GET operation ({GUIDE})."
        fail(file, where, "is missing", fix)
    return endpoint, operation


@dataclass(frozen=True)
class View:
    """What the cross-checks look things up in (all references resolved)."""

    params: dict[str, dict[str, Any]]  # query parameter name -> parameter object
    body: dict[str, Any]  # the 200 JSON schema
    responses: Mapping[str, Any]  # the operation's responses, keyed by status string

    @classmethod
    def of(
        cls, file: Path, document: dict[str, Any], endpoint: str, operation: dict[str, Any]
    ) -> View:
        shared = document["paths"][endpoint].get("parameters", [])
        params: dict[str, dict[str, Any]] = {}
        for parameter in [*shared, *operation.get("parameters", [])]:
            resolved = resolve_refs(file, document, parameter)
            if resolved.get("in") == "query":
                params[resolved["name"]] = resolved
        body = resolve_refs(file, document, _json_schema(file, endpoint, operation))
        responses = {str(key): value for key, value in operation.get("responses", {}).items()}
        return cls(params, body, responses)


def _json_schema(file: Path, endpoint: str, operation: dict[str, Any]) -> dict[str, Any]:
    response = operation.get("responses", {}).get("200") or {}
    for media_type, media in (response.get("content") or {}).items():
        is_json = media_type.split(";")[0].strip() in _JSON_TYPES
        if is_json and isinstance(media.get("schema"), dict):
            return media["schema"]
    where = where_of(("paths", endpoint, "get", "responses", "200"))
    fail(file, where, "has no application/json schema", "Describe the 200 body under content.")


# --- formats --------------------------------------------------------------------------


def format_checker() -> FormatChecker:
    """Draft 2020-12 format checks, plus `uri` (which jsonschema only checks with rfc3987).

    The response schemas use date-time, uuid and uri; a checker that silently ignores one
    of them would let a malformed value through, so `uri` gets a small checker of its own.
    """
    checker = FormatChecker(formats=Draft202012Validator.FORMAT_CHECKER.checkers)
    checker.checks("uri")(_is_absolute_uri)
    return checker


def _is_absolute_uri(value: object) -> bool:
    if not isinstance(value, str):
        return True  # formats constrain strings only
    parts = urlsplit(value)
    scheme_ok = re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", parts.scheme) is not None
    needs_host = parts.scheme.lower() in ("http", "https")
    return scheme_ok and not re.search(r"\s", value) and (parts.netloc != "" or not needs_host)
