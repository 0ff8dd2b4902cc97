"""The loader's advice is followable: applying the change a message proposes makes the spec
load; non-JSON YAML values (unquoted dates, `.inf`, `!!binary`) get one line naming the field.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from threadconform import spec

Mutation = Callable[[dict[str, Any]], Any]


def _document(name: str) -> dict[str, Any]:
    return spec.read_document(spec.find(name))


def _block(document: dict[str, Any]) -> dict[str, Any]:
    (item,) = document["paths"].values()
    return item["get"][spec.EXTENSION]


def _param(document: dict[str, Any], name: str) -> dict[str, Any]:
    (item,) = document["paths"].values()
    return next(p for p in item["get"]["parameters"] if p.get("name") == name)


def _filter(document: dict[str, Any], param: str) -> dict[str, Any]:
    return next(f for f in _block(document)["filters"] if f["param"] == param)


# (contract, mutation, the field the message names, what the advice says to do)
FOLLOWABLE: dict[str, tuple[str, Mutation, str, str]] = {
    "typo-key": ("kortix", lambda d: _block(d).update(stlye="page"), "stlye", "Rename"),
    "stray-key": ("kortix", lambda d: _block(d).update(zzzz=1), "zzzz", "Remove"),
    "style-enum": ("kortix", lambda d: _block(d).update(style="pages"), "style", "Set it"),
    "style-block": ("kortix", lambda d: _block(d).update(cursor={"after": "page"}), "cursor", ""),
    "limit-param": ("kortix", lambda d: _block(d)["limit"].update(param="limt"), "param", "Set"),
    "total-path": (
        "kortix",
        lambda d: _block(d)["response"].update(total="pagination.totl"),
        "total",
        "Set it to 'pagination.total'",
    ),
    "order-key": ("kortix", lambda d: _block(d)["order"].update(key="created_att"), "key", "Set"),
    "rule-typo": (
        "kortix",
        lambda d: _block(d)["rules"].update({"ORDER-SORTD": "SHOULD"}),
        "ORDER-SORTD",
        "Rename it to 'ORDER-SORTED'",
    ),
    "rule-lowercase": (
        "kortix",
        lambda d: _block(d)["rules"].update({"order-prefix": "SHOULD"}),
        "order-prefix",
        "Rename it to 'ORDER-PREFIX'",
    ),
    "rule-unknown": (
        "kortix",
        lambda d: _block(d)["rules"].update({"XYZZY": "SHOULD"}),
        "XYZZY",
        "Remove it",
    ),
    "error-response": (
        "kortix",
        lambda d: _block(d)["errors"]["auth"].update(response="403"),
        "response",
        "Set it to '401'",
    ),
    "bounds": ("kortix", lambda d: _block(d)["limit"].update(default=50), "default", "Set it to"),
    "filter-type": (
        "aitronos",
        lambda d: _filter(d, "is_pinned").update(type="string"),
        "type",
        "Set it to 'boolean'",
    ),
    "filter-default": (
        "aitronos",
        lambda d: _filter(d, "visible_in_ui").update(default=False),
        "default",
        "Set it to True",
    ),
    "order-values": (
        "aitronos",
        lambda d: _block(d)["order"]["values"].update(asc="ascending"),
        "asc",
        "Set it to 'asc'",
    ),
}


@pytest.mark.parametrize("case", sorted(FOLLOWABLE))
def test_following_the_advice_makes_the_spec_load(case: str, tmp_path: Path) -> None:
    contract, mutate, field, advice = FOLLOWABLE[case]
    document = _document(contract)
    mutate(document)
    file = tmp_path / f"{contract}.yaml"
    file.write_text(yaml.safe_dump(document, sort_keys=False), "utf-8")
    with pytest.raises(spec.SpecError) as raised:
        spec.load(file)
    message = str(raised.value)
    assert "\n" not in message and file.name in message and field in message, message
    assert advice in message, message
    fix = raised.value.fix
    assert fix is not None, f"the advice names a change but carries none: {message}"
    fix.apply(document)
    file.write_text(yaml.safe_dump(document, sort_keys=False), "utf-8")
    spec.load(file)  # following the advice is enough


def test_a_nullable_filter_parameter_agrees_with_its_block_type(tmp_path: Path) -> None:
    # The friction: `type: [boolean, "null"]` got "Make them agree", and the only
    # block value that would have agreed was rejected by the block schema.
    document = _document("aitronos")
    _param(document, "is_pinned")["schema"] = {"type": ["boolean", "null"]}
    file = tmp_path / "aitronos.yaml"
    file.write_text(yaml.safe_dump(document, sort_keys=False), "utf-8")
    assert spec.load(file).pagination.filters


NON_JSON = {
    "date": ("  version: 1.0.0", "  version: 2024-06-01", "info.version"),
    "infinity": ("  title: Kortix — list threads", "  title: .inf", "info.title"),
    "binary": ("  version: 1.0.0", "  version: !!binary aGVsbG8=", "info.version"),
}


@pytest.mark.parametrize("case", sorted(NON_JSON))
def test_non_json_yaml_values_name_file_and_field(case: str, tmp_path: Path) -> None:
    old, new, field = NON_JSON[case]
    text = spec.find("kortix").read_text(encoding="utf-8")
    assert old in text
    file = tmp_path / "kortix.yaml"
    file.write_text(text.replace(old, new, 1), "utf-8")
    with pytest.raises(spec.SpecError) as raised:
        spec.load(file)
    message = str(raised.value)
    assert "\n" not in message and "Traceback" not in message, message
    assert f"kortix.yaml: {field}: " in message and re.search(r"\. Quote it", message), message
    # The advice, followed on what a plain YAML reader sees, gives a spec that loads.
    document = yaml.safe_load(file.read_text(encoding="utf-8"))
    fix = raised.value.fix
    assert fix is not None
    fix.apply(document)
    file.write_text(yaml.safe_dump(document, sort_keys=False), "utf-8")
    spec.load(file)


def test_integer_response_keys_read_as_strings(tmp_path: Path) -> None:
    text = spec.find("kortix").read_text(encoding="utf-8")
    file = tmp_path / "kortix.yaml"
    file.write_text(text.replace('"200":', "200:"), "utf-8")
    assert spec.load(file).response_schema
