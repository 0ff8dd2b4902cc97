"""Validate an `x-pagination` block against threadconform/schemas/x-pagination.schema.json,
turning the first (best) JSON Schema error into a one-line `SpecError` with advice and,
when the advice is one change, the `Fix` that makes it.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from threadconform.rules import BY_ID
from threadconform.spec.errors import EXTENSION, GUIDE, Fix, fail, short, where_of

__all__ = ["SCHEMA_FILE", "check_block"]

# This module is threadconform/spec/block_schema.py; the schema ships in the package's
# own schemas/ folder (package data), one level up, in a checkout and in a wheel alike.
SCHEMA_FILE = Path(__file__).resolve().parents[1] / "schemas" / "x-pagination.schema.json"


def check_block(file: Path, block: Any) -> None:
    """`block` satisfies the x-pagination JSON Schema; fixes are relative to the block."""
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
    fail(file, where_of([EXTENSION, *path]), _schema_message(error), hint, change)


def _unexpected(error: ValidationError) -> list[str]:
    allowed = _schema_properties(error)
    instance = error.instance if isinstance(error.instance, dict) else {}
    return [key for key in instance if key not in allowed] or ["?"]


def _schema_properties(error: ValidationError) -> dict[str, Any]:
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    properties = schema.get("properties", {})
    return properties if isinstance(properties, dict) else {}


def _schema_message(error: ValidationError) -> str:
    if _replaced_by_keys(error):
        return "is set together with `order.keys`, which replaces it"
    if error.validator == "additionalProperties":
        return "is not a key of this block"
    if error.validator == "type" and error.validator_value == "null":
        return "is set, but only the matching pagination style takes this block"
    if error.validator == "type":
        return f"{short(error.instance)} is not of type {error.validator_value!r}"
    if error.validator == "enum":
        return f"{short(error.instance)} is not one of {error.validator_value!r}"
    return error.message


def _replaced_by_keys(error: ValidationError) -> bool:
    """`order.key`/`order.encoding` refused only because `order.keys` is set too: the
    `then` branch of the order schema's `if: {required: [keys]}` wants them null. Any
    other error there (a bad encoding, a key that is no path) gets the ordinary advice."""
    return (
        list(error.absolute_path)[-2:] in (["order", "key"], ["order", "encoding"])
        and error.validator == "type"
        and error.validator_value == "null"
        and "then" in error.schema_path
    )


def _schema_hint(error: ValidationError, path: tuple[Any, ...]) -> tuple[str, Fix | None]:
    """What to do, and the change that does it when there is exactly one."""
    guide = f"({GUIDE}; schema: threadconform/schemas/x-pagination.schema.json)"
    if error.validator == "required":
        return f"Add it {guide}.", None
    if error.validator == "additionalProperties":
        allowed = list(_schema_properties(error))
        close = difflib.get_close_matches(str(path[-1]), allowed, n=1)
        listed = f"allowed keys: {', '.join(allowed)} ({GUIDE})"
        if close:
            return f"Rename it to {close[0]!r} ({listed}).", Fix(path, "rename", close[0])
        return f"Remove it, or use one of the {listed}.", Fix(path, "delete")
    if error.validator == "enum":
        values = error.validator_value if isinstance(error.validator_value, list) else []
        choices = [str(v) for v in values if v is not None]
        close = difflib.get_close_matches(str(error.instance), choices, n=1, cutoff=0.4)
        if close:
            return f"Set it to {close[0]!r}, the closest allowed value.", Fix(path, "set", close[0])
        return f"Use one of the listed values {guide}.", None
    if _replaced_by_keys(error):
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
