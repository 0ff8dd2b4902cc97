"""What a response body is: strict RFC 8259 JSON, or one line saying why it is not.

The client reads the bytes (capped, decoded); this module decides what they mean: the
charset a Content-Type names, JSON without NaN, Infinity or duplicate names, nesting no
deeper than MAX_DEPTH, and the one-line error a check quotes when the body is unusable.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable, Mapping
from typing import Any, Final

from threadconform.exchange import Request

__all__ = ["MAX_DEPTH", "charset", "interpret", "one_line", "redact_json", "where"]

_SNIPPET: Final = 60  # characters of body quoted in an error line
MAX_DEPTH: Final = 100  # JSON nesting examined; no list of threads comes near it


def one_line(text: str) -> str:
    """`text` with every run of whitespace (newlines too) made one space."""
    return " ".join(str(text).split())


def _snippet(text: str) -> str:
    text = text.strip()
    return repr(text[:_SNIPPET] + "..." if len(text) > _SNIPPET else text)


def where(record: Request) -> str:
    """The request as an error line names it: method and full URL."""
    return f"{record.method} {record.full_url}"


def interpret(
    record: Request,
    status: int,
    headers: Mapping[str, str],
    raw: bytes,
    text: str,
    problem: str | None,
) -> tuple[Any, str | None]:
    """The parsed body and the one-line error, if the body is not usable JSON."""
    at = where(record)
    if problem:
        return None, f"{at}: {problem}"
    if 300 <= status < 400:
        location = headers.get("location", "(no Location header)")
        return None, f"{at}: redirected ({status}) to {location}; redirects are not followed"
    if record.method == "HEAD":
        return None, None
    kind = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if not raw.strip():
        return None, f"{at}: expected JSON, got an empty body (HTTP {status})"
    if kind != "application/json" and not kind.endswith("+json"):
        return None, f"{at}: expected JSON, got {kind or 'no Content-Type'}: {_snippet(text)}"
    try:
        body = json.loads(raw, parse_constant=_no_constant, object_pairs_hook=_unique_names)
    except (ValueError, RecursionError) as exc:
        return None, f"{at}: {_json_problem(exc, len(raw))}: {_snippet(text)}"
    if _deeper_than(body, MAX_DEPTH):
        return None, (
            f"{at}: JSON nested more than {MAX_DEPTH} levels deep; not examined "
            f"(RFC 8259 § 9 lets a parser limit nesting): {_snippet(text)}"
        )
    return body, None


class _NotRfc8259(ValueError):
    """Python's json accepts it, RFC 8259 JSON does not (NaN, Infinity, duplicate names)."""


def _no_constant(name: str) -> Any:
    raise _NotRfc8259(f"{name} is not a JSON value (RFC 8259 § 6 has no NaN or Infinity)")


def _unique_names(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) == len(pairs):
        return found
    names = [name for name, _ in pairs]
    twice = next(name for index, name in enumerate(names) if name in names[:index])
    raise _NotRfc8259(
        f"the name {twice!r} appears twice in one object (RFC 8259 § 4: names SHOULD be "
        "unique; receivers disagree on which value wins)"
    )


def _deeper_than(value: Any, limit: int) -> bool:
    """True when `value` nests non-empty containers more than `limit` deep. Level by
    level, without recursion: a 450,000-item list costs one pass over it."""
    level, depth = ([value] if isinstance(value, dict | list) else []), 1
    while level:
        below: list[Any] = []
        for container in level:
            children = container.values() if isinstance(container, dict) else container
            below.extend(c for c in children if c and isinstance(c, dict | list))
        depth += 1
        if below and depth > limit:
            return True
        level = below
    return False


def charset(content_type: str) -> str:
    """The charset a Content-Type names, if Python knows it; else UTF-8 (what JSON is)."""
    for part in content_type.split(";")[1:]:
        name, _, value = part.partition("=")
        if name.strip().lower() == "charset":
            value = value.strip().strip('"')
            try:
                # Only text codecs: "hex" or "base64" are codecs too, of bytes to bytes.
                if codecs.lookup(value)._is_text_encoding:
                    return value
            except LookupError:
                pass
    return "utf-8"


def _json_problem(exc: Exception, size: int) -> str:
    if isinstance(exc, _NotRfc8259):
        return f"not JSON per RFC 8259 ({exc})"
    if isinstance(exc, RecursionError):
        return f"JSON nested too deep to parse (more than {MAX_DEPTH} levels examined)"
    if isinstance(exc, json.JSONDecodeError):
        # An unterminated string is reported where the string starts, but it means the
        # text ran out inside it: the body ends early just as an error at the last byte.
        if exc.pos >= size - 1 or exc.msg.startswith("Unterminated string"):
            return f"invalid JSON, the body ends early after {size:,} bytes (truncated?)"
        return f"invalid JSON ({exc.msg}, at byte {exc.pos})"
    return f"invalid JSON ({one_line(str(exc)) or type(exc).__name__})"


def redact_json(value: Any, redact: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [redact_json(item, redact) for item in value]
    if isinstance(value, dict):
        return {key: redact_json(item, redact) for key, item in value.items()}
    return value
