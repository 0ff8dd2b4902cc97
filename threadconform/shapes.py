"""Response shapes: what is documented (MUST) and what is known only from an example (SHOULD).

A spec marks a schema object `x-example-shape: true` when the seed shows it only in an
example JSON, with no field list or prose (kortix's thread, project and sandbox; the
aitronos and freddy thread bodies). There, docs/contracts.md#documented-shape-versus-example-shape
makes the keys and the JSON types of values MUST, but a `null` where the example shows a
value only a SHOULD: real backends leave such values empty (the real Kortix backend sends
`sandbox.token: null`).

So a body is validated twice: against the *relaxed* schema (every property of an
example-shape object may also be null) for SCHEMA-RESPONSE, and, once that holds, against
the schema as written for SCHEMA-EXAMPLE. Messages name the innermost failing path and
the value (`threads[0].project.sandbox.token: None is not of type 'string'`), never the
outer "is not valid under any of the given schemas".
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from threadconform import spec
from threadconform.model import Contract

__all__ = ["MARKER", "Shapes", "innermost", "location", "shapes"]

MARKER = "x-example-shape"
_JSON = ("application/json",)


@dataclass(frozen=True)
class Shapes:
    documented: Draft202012Validator  # example-only values may be null: SCHEMA-RESPONSE
    example: Draft202012Validator  # the schema as written: SCHEMA-EXAMPLE
    marked: int  # schema objects marked as example-only shapes

    def problem(self, body: Any) -> str | None:
        """Why the body breaks the documented shape (MUST), or None."""
        error = best_match(self.documented.iter_errors(body))
        if error is None:
            return None
        inner = innermost(error)
        # The same failure as the schema as written words it (without the relaxed "null").
        for strict in self.example.iter_errors(body):
            same = innermost(strict)
            if list(same.absolute_path) == list(inner.absolute_path):
                inner = same
                break
        return f"{location(inner.absolute_path)}: {inner.message}"

    def example_problem(self, body: Any) -> str | None:
        """Why the body departs from the example's shape (SHOULD), or None. Call it only
        on a body `problem` accepts: every difference is then a null in an example-only
        object where the example shows a value."""
        if not self.marked:
            return None
        found = _first_problem(self.example.iter_errors(body))
        return f"{found} (the seed's example shows a value here)" if found else None


def shapes(contract: Contract) -> Shapes:
    """The two validators of the 200 body of `contract`."""
    schema = _body_schema(contract)
    root = {"allOf": [schema], "components": contract.document.get("components", {})}
    relaxed = copy.deepcopy(root)
    marked = _relax(relaxed)
    checker = spec.format_checker()
    return Shapes(
        Draft202012Validator(relaxed, format_checker=checker),
        Draft202012Validator(root, format_checker=checker),
        marked,
    )


def _body_schema(contract: Contract) -> dict[str, Any]:
    operation = contract.document["paths"][contract.endpoint]["get"]
    response = spec.resolve(contract, operation.get("responses", {}).get("200", {}))
    for media_type, media in (response.get("content") or {}).items():
        if media_type.split(";")[0].strip() in _JSON and isinstance(media.get("schema"), dict):
            schema: dict[str, Any] = media["schema"]
            return schema
    return {}


def _relax(node: Any) -> int:
    """Let every property of each marked object also be null, in place; count them."""
    count = 0
    if isinstance(node, dict):
        if node.get(MARKER) is True and isinstance(node.get("properties"), dict):
            count += 1
            node["properties"] = {k: _nullable(v) for k, v in node["properties"].items()}
        for value in node.values():
            count += _relax(value)
    elif isinstance(node, list):
        for value in node:
            count += _relax(value)
    return count


_BY_VALUE = frozenset({"enum", "const", "$ref", "anyOf", "oneOf", "allOf", "not", "if"})


def _nullable(schema: Any) -> Any:
    """`schema`, or null. Keywords that constrain only values of one type (format,
    minimum, items...) let null through once the type allows it; the rest need anyOf."""
    if not isinstance(schema, dict):
        return schema
    kind = schema.get("type")
    if kind is None or _BY_VALUE & set(schema):
        return {"anyOf": [schema, {"type": "null"}]}
    kinds = [kind] if isinstance(kind, str) else list(kind)
    return {**schema, "type": kinds if "null" in kinds else [*kinds, "null"]}


def _first_problem(errors: Iterable[ValidationError]) -> str | None:
    error = best_match(errors)
    if error is None:
        return None
    inner = innermost(error)
    return f"{location(inner.absolute_path)}: {inner.message}"


def innermost(error: ValidationError) -> ValidationError:
    """Descend anyOf/oneOf alternatives to the failure that says what is wrong: the
    deepest one, skipping the "is not of type 'null'" of a nullable alternative."""
    while error.context:
        candidates = [e for e in error.context if not _null_alternative(e)]
        if not candidates:
            break
        error = max(candidates, key=lambda e: (len(e.absolute_path), -len(e.context or ())))
    return error


def _null_alternative(error: ValidationError) -> bool:
    return error.validator in ("type", "const") and error.validator_value in ("null", None)


def location(path: Iterable[Any]) -> str:
    """A JSON path as a reader writes it: `threads[0].project.sandbox.token`."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(the body)"
