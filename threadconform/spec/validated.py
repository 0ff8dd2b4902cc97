"""Which OpenAPI documents openapi-spec-validator has already found valid on this machine.

Validating a spec means importing openapi-spec-validator, which brings in
openapi-schema-validator, jsonschema-path, pydantic-settings and requests: about 0.2 s of
a run's start-up (`python -X importtime`), paid again by every run for the same few
bundled files. A document it found valid is remembered in the user's cache folder, by the hash of
its content and the validator's version, so the next run of the same document skips the
import and the check. Only a verdict of "valid" is kept: an invalid document is checked,
and its error shown, every time. A cache folder that cannot be read or written is no
error: the document is simply checked.
"""

from __future__ import annotations

import hashlib
import json
from importlib import metadata
from pathlib import Path
from typing import Any

from threadconform.startup import cache_folder

__all__ = ["folder", "remember", "seen_valid"]

VALIDATOR = "openapi-spec-validator"


def folder() -> Path:
    """Where the verdicts are kept (one empty file per valid document)."""
    return cache_folder() / "openapi-valid"


def seen_valid(document: dict[str, Any]) -> bool:
    """Whether this exact document was found valid by the installed validator before."""
    key = _key(document)
    return key is not None and (folder() / key).is_file()


def remember(document: dict[str, Any]) -> None:
    """Record that the installed validator found this document valid."""
    key = _key(document)
    if key is None:
        return
    try:
        folder().mkdir(parents=True, exist_ok=True)
        (folder() / key).touch()
    except OSError:
        pass  # a read-only home: the next run checks the document again


def _key(document: dict[str, Any]) -> str | None:
    """The document's content (keys sorted: YAML's layout does not matter) and the
    validator's version, hashed; None when either cannot be read (a YAML date or other
    value JSON cannot hold: such a document is checked every time)."""
    try:
        version = metadata.version(VALIDATOR)
        content = json.dumps(document, sort_keys=True)
    except (metadata.PackageNotFoundError, TypeError, ValueError):
        return None
    digest = hashlib.sha256(f"{VALIDATOR} {version}\n{content}".encode()).hexdigest()
    return digest[:32]
