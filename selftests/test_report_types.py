"""threadconform.report_types against schemas/summary.schema.json: every TypedDict has the
keys of its schema object, the same required ones, and None where the schema allows null;
every object of the schema has its TypedDict. (A real run's summary.json is checked
against both in test_reports.py, with `assert_shape` below.)"""

from __future__ import annotations

import json
import typing
from collections.abc import Iterator
from typing import Any

import pytest

from threadconform import report_types, reports
from threadconform.report_types import (
    Counts,
    LiveEntry,
    RuleEntry,
    SecurityEntry,
    Stopped,
    Summary,
    TargetEntry,
    Unjudged,
    ViolationEntry,
    WaiverEntry,
)

SCHEMA = json.loads(reports.SCHEMA_PATH.read_text(encoding="utf-8"))

# Where each TypedDict's object sits in the schema: a path of keys and list indexes.
WHERE: dict[str, tuple[type, tuple[str | int, ...]]] = {
    "Summary": (Summary, ()),
    "Counts": (Counts, ("$defs", "counts")),
    "TargetEntry": (TargetEntry, ("$defs", "target")),
    "LiveEntry": (LiveEntry, ("$defs", "live")),
    "Unjudged": (Unjudged, ("$defs", "live", "properties", "unjudged", "items")),
    "Stopped": (Stopped, ("$defs", "target", "properties", "stopped", "oneOf", 1)),
    "RuleEntry": (RuleEntry, ("$defs", "rule")),
    "WaiverEntry": (WaiverEntry, ("$defs", "waiver")),
    "ViolationEntry": (ViolationEntry, ("$defs", "violation")),
    "SecurityEntry": (SecurityEntry, ("properties", "security", "items")),
}


def node(path: tuple[str | int, ...]) -> dict[str, Any]:
    found: Any = SCHEMA
    for step in path:
        found = found[step]
    return typing.cast(dict[str, Any], found)


def objects(found: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    """The path of every object with properties in the schema."""
    if isinstance(found, dict):
        if "properties" in found:
            yield path
        for key, value in found.items():
            yield from objects(value, (*path, key))
    elif isinstance(found, list):
        for index, value in enumerate(found):
            yield from objects(value, (*path, index))


def nullable(schema: dict[str, Any]) -> bool:
    kinds = schema.get("type", [])
    options = schema.get("oneOf", [])
    return "null" in kinds or any(option.get("type") == "null" for option in options)


def test_every_typed_dict_is_placed_in_the_schema() -> None:
    assert set(WHERE) == set(report_types.__all__)


def test_every_schema_object_has_a_typed_dict() -> None:
    placed = {path for _, path in WHERE.values()}
    assert set(objects(SCHEMA)) == placed


@pytest.mark.parametrize("name", sorted(WHERE))
def test_keys_match_the_schema(name: str) -> None:
    typed, path = WHERE[name]
    schema = node(path)
    assert set(typed.__annotations__) == set(schema["properties"]), name
    assert typed.__required_keys__ == set(schema["required"]), name  # type: ignore[attr-defined]
    assert schema.get("additionalProperties") is False, name  # the key set is all there is


@pytest.mark.parametrize("name", sorted(WHERE))
def test_none_where_the_schema_allows_null(name: str) -> None:
    typed, path = WHERE[name]
    hints = typing.get_type_hints(typed)
    for key, schema in node(path)["properties"].items():
        allows_none = type(None) in typing.get_args(hints[key])
        assert allows_none == nullable(schema), (name, key)


def test_counts_are_the_outcomes_in_their_order() -> None:
    assert tuple(Counts.__annotations__) == reports.OUTCOMES
    assert set(reports.OUTCOMES) == set(SCHEMA["$defs"]["outcome"]["enum"])


def assert_shape(data: dict[str, Any]) -> None:
    """Every object of a summary.json document has exactly its TypedDict's keys."""

    def same(found: dict[str, Any], typed: Any) -> None:
        assert set(found) == set(typed.__annotations__), (typed.__name__, sorted(found))

    same(data, Summary)
    same(data["counts"], Counts)
    for target in data["contracts"]:
        same(target, TargetEntry)
        same(target["counts"], Counts)
        if target["stopped"] is not None:
            same(target["stopped"], Stopped)
        for rule in target["rules"]:
            same(rule, RuleEntry)
            if rule["waiver"] is not None:
                same(rule["waiver"], WaiverEntry)
            for violation in rule["violations"]:
                same(violation, ViolationEntry)
    for entry in data["security"]:
        same(entry, SecurityEntry)
