"""JSON Schemas drafted from observed JSON values: types, nullability, `date-time` and
`uuid` formats, the keys every sample has. A draft: vendors document more than one page
shows."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

__all__ = ["is_date_time", "is_unix_seconds", "schema_of"]

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def is_date_time(value: Any) -> bool:
    if not (isinstance(value, str) and _DATE_TIME.match(value)):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return False
    return True


def is_unix_seconds(value: Any) -> bool:
    """An integer between 2001 and 2286 in Unix seconds."""
    return type(value) is int and 1_000_000_000 <= value < 10_000_000_000


def schema_of(samples: list[Any], depth: int = 0) -> dict[str, Any]:
    kinds: list[str] = []
    for value in samples:
        kind = _kind(value)
        if kind not in kinds:
            kinds.append(kind)
    if "integer" in kinds and "number" in kinds:
        kinds.remove("integer")
    schema: dict[str, Any] = {}
    real = [k for k in kinds if k != "null"]
    if not real:
        return {"type": "null"} if kinds else {}
    schema["type"] = real[0] if len(kinds) == 1 else [*real, "null"] if "null" in kinds else real
    values = [v for v in samples if v is not None]
    if real == ["string"]:
        if all(is_date_time(v) for v in values):
            schema["format"] = "date-time"
        elif all(_UUID.match(v) for v in values):
            schema["format"] = "uuid"
    if real == ["object"] and depth < 6:
        schema.update(_object(values, depth))
    if real == ["array"] and depth < 6:
        elements = [e for v in values for e in v]
        if elements:
            schema["items"] = schema_of(elements, depth + 1)
    return schema


def _object(values: list[dict[str, Any]], depth: int) -> dict[str, Any]:
    keys: list[str] = []
    for value in values:
        keys += [k for k in value if k not in keys]
    properties = {k: schema_of([v[k] for v in values if k in v], depth + 1) for k in keys}
    required = [k for k in keys if all(k in v for v in values)]
    out: dict[str, Any] = {"properties": properties}
    if required:
        out["required"] = required
    return out


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"
