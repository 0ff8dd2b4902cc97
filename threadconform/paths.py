"""Dotted paths into JSON values: `pagination.total`, `project.project_id`, `data.*.id`.

A segment is a mapping key, a list index (digits), or `*` (every element of a list or
every value of a mapping). A path that leads nowhere gives `MISSING`, which is distinct
from a JSON null, so a check can tell "absent" from "null".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Final

__all__ = ["MISSING", "get", "has", "split", "without"]


class _Missing:
    """The value of a path that does not exist (a singleton, falsy)."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<missing>"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()


def split(path: str) -> tuple[str, ...]:
    """`a.b` -> ("a", "b"); `\\.` is a dot inside a key (`@odata\\.nextLink`); `$` is
    the value itself (a body that is a bare list)."""
    if path == "$":
        return ()
    if "\\" not in path:
        return tuple(part for part in path.split(".") if part)
    parts = re.split(r"(?<!\\)\.", path)
    return tuple(part.replace("\\.", ".") for part in parts if part)


def get(value: Any, path: str, default: Any = MISSING) -> Any:
    """The value at `path` inside `value`, or `default` when the path leads nowhere.

    `*` names many values, so here it matches nothing; it is meant for `without`.
    """
    for part in split(path):
        if isinstance(value, dict):
            if part not in value:
                return default
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return default
    return value


def has(value: Any, path: str) -> bool:
    return get(value, path) is not MISSING


def without(value: Any, paths: Iterable[str]) -> Any:
    """A copy of `value` with every path in `paths` removed (`*` allowed).

    Used to digest a body minus its volatile fields (request ids, timings).
    """
    for path in paths:
        value = _drop(value, split(path))
    return value


def _drop(value: Any, parts: tuple[str, ...]) -> Any:
    if not parts:
        return value
    head, rest = parts[0], parts[1:]
    if isinstance(value, dict):
        keys = value.keys() if head == "*" else [head] if head in value else []
        if not rest:
            return {k: v for k, v in value.items() if k not in keys}
        return {k: (_drop(v, rest) if k in keys else v) for k, v in value.items()}
    if isinstance(value, list):
        indexes = range(len(value)) if head == "*" else [int(head)] if head.isdigit() else []
        if not rest:
            return [v for i, v in enumerate(value) if i not in indexes]
        return [_drop(v, rest) if i in indexes else v for i, v in enumerate(value)]
    return value
