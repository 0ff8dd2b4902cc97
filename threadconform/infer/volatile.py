"""Volatile body fields: the paths outside the items whose value differs between two
identical requests (a request id, a timing, a token carrying a nonce), which DETERMINISM
must not compare; and a page token, which names a position, not a value, so a server may
mint a new one per call even when these two calls got the same.
"""

from __future__ import annotations

from typing import Any

from threadconform.infer.state import Inference

__all__ = ["differing", "find_volatile"]


def find_volatile(inf: Inference) -> None:
    """Send the small-limit request again (one request) and mark what changed."""
    assert inf.small is not None
    name = inf.limit_param
    again = inf.prober.get({name: inf.small_limit} if name else {})
    changed = differing(inf.small.body, again.body, skip=_items_parts(inf))
    notes = [f"{inf.small.shown} twice: {', '.join(changed) if changed else 'equal bodies'}"]
    token = (inf.found.value("token") or {}).get("next") if inf.style == "token" else None
    if token and token not in changed:
        changed.append(str(token))
        notes.append(
            f"{token} is a page token: opaque, it names a position, so a server may mint a "
            "new one per call (a nonce, an expiry) for the same page; the walk rules check "
            "where it leads"
        )
    if again.ok:
        inf.found.put(("volatile",), changed, "; ".join(notes))


def differing(first: Any, second: Any, *, skip: tuple[str, ...] = (), where: str = "") -> list[str]:
    """Dotted body paths (dots in keys escaped) whose values differ, outside lists: a
    volatile path must name a declared property, and a list element has no name."""
    if not (isinstance(first, dict) and isinstance(second, dict)):
        return [where] if where and first != second else []
    found: list[str] = []
    for key in dict.fromkeys([*first, *second]):
        here = f"{where}.{_escaped(key)}" if where else _escaped(key)
        if here in skip:
            continue
        if key not in first or key not in second:
            found.append(here)  # present in one answer only: it comes and goes
        else:
            found += differing(first[key], second[key], skip=skip, where=here)
    return found


def _escaped(key: Any) -> str:
    return str(key).replace(".", "\\.")


def _items_parts(inf: Inference) -> tuple[str, ...]:
    """The items array is the data, compared by the walk rules, never volatile."""
    path = str(inf.found.value("response", "items", default="$"))
    return () if path == "$" else (path,)
