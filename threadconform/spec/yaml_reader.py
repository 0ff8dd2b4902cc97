"""Read a spec file's YAML as JSON data, or fail with a one-line `SpecError`.

YAML 1.1 holds more than JSON (dates, `off` as false, `!!binary`, `.inf`, duplicate keys
silently merged); no JSON tool downstream accepts those, so each is refused here with the
field and line it is at.
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from pathlib import Path
from typing import Any, NoReturn

import yaml

from threadconform.spec.errors import Fix, fail, where_of

__all__ = ["Loader", "read", "read_document"]


class Loader(yaml.SafeLoader):
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


Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if not tag.endswith(":bool")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_YAML = "tag:yaml.org,2002:"
_JSON_TAGS = frozenset(_YAML + kind for kind in ("str", "int", "float", "bool", "null"))
_NOT_FINITE = re.compile(r"^[-+]?\.(?:inf|nan)$", re.IGNORECASE)


def read(file: Path) -> dict[str, Any]:
    """The document of `file`: a mapping of JSON data, or a `SpecError` naming the problem."""
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as error:
        fail(file, "file", f"cannot be read ({error.strerror})", "Check the path.")
    except UnicodeDecodeError as error:
        fail(file, "file", f"is not UTF-8 ({error.reason})", "Save it as UTF-8.")
    try:
        document = _parse(file, text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "YAML"
        problem = str(error.problem or error.context)
        fix = "Remove one of the two." if "duplicate key" in problem else "Fix the YAML there."
        fail(file, where, f"YAML syntax error: {problem}", fix)
    except yaml.YAMLError as error:
        fail(file, "YAML", f"YAML error: {error}", "Fix the YAML.")
    if not isinstance(document, dict):
        what = f"is {type(document).__name__}, not a mapping"
        fail(file, "document root", what, "A spec is an OpenAPI 3.1 document (a YAML mapping).")
    return document


def read_document(path: Path | str) -> dict[str, Any]:
    """The YAML document of a spec file as JSON data, or a one-line `SpecError`.

    Use this, not `yaml.safe_load`, to read a spec: YAML 1.1 turns `2024-06-01` into a
    date and `off` into false, which no JSON tool (openapi-spec-validator, Schemathesis)
    accepts.
    """
    return read(Path(path))


def _parse(file: Path, text: str) -> Any:
    """Compose the YAML, refuse what JSON cannot hold (naming the field), then construct."""
    loader = Loader(text)
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
        fail(file, where_of(path), what, advice, fix)
    fail(file, where_of(path), what, "Write it as plain JSON data (a mapping, list or string).")
