"""How a spec problem is reported: `SpecError`, the `Fix` its advice describes, and the
one-line message format `<file>: <where>: <what is wrong>. <what to do>`.

Also the key-path helpers the messages and fixes share (`follow`, `where_of`), and the two
names every part of the loader uses (`EXTENSION`, `GUIDE`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NoReturn

__all__ = [
    "EXTENSION",
    "GUIDE",
    "NOWHERE",
    "Fix",
    "SpecError",
    "fail",
    "follow",
    "short",
    "show",
    "where_of",
]

EXTENSION = "x-pagination"
GUIDE = "see specs/README.md"
NOWHERE = object()  # what `follow` returns for a missing path (a JSON null is a value)


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
        parent = follow(document, list(self.path[:-1]))
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
            return f"Set it to {short(self.value)}"
        if self.action == "rename":
            return f"Rename it to {self.value!r}"
        return "Remove it"


def fail(file: Path, where: str, what: str, fix: str, change: Fix | None = None) -> NoReturn:
    """Raise the one-line `SpecError` for `file`; `what` is squeezed onto one line."""
    what = " ".join(str(what).split()).rstrip(".")
    if len(what) > 300:
        what = what[:297] + "..."
    raise SpecError(f"{show(file)}: {where}: {what}. {fix}", change)


def show(file: Path) -> str:
    """The path as a reader knows it: relative to the working directory when inside it."""
    try:
        return str(file.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(file)


def where_of(parts: Iterator[Any] | tuple[Any, ...] | list[Any]) -> str:
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


def short(value: Any) -> str:
    """`repr(value)`, cut to fit a one-line message."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def follow(node: Any, path: list[Any]) -> Any:
    """The value at `path`, or `NOWHERE` (a JSON null is a value)."""
    for part in path:
        if isinstance(node, list) and isinstance(part, str) and part.isdigit():
            part = int(part)
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return NOWHERE
    return node
