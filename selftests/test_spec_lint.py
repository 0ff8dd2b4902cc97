"""`threadconform check-spec` and `spec_lint.problems`: every problem at once, each with its
YAML path and its fix; the bundled specs and the template have none."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from threadconform import cli, spec, spec_lint
from threadconform.guide import page

Edit = Callable[[dict[str, Any]], None]


def block_of(document: dict[str, Any]) -> dict[str, Any]:
    return spec_lint.operation(document)["x-pagination"]


def lint(name: str, edit: Edit) -> list[str]:
    document = spec.read_document(spec.find(name))
    edit(block_of(document))
    return [p.line() for p in spec_lint.problems(block_of(document), document)]


def written(tmp_path: Path, name: str, edit: Edit) -> Path:
    document = spec.read_document(spec.find(name))
    edit(block_of(document))
    target = tmp_path / f"{name}.yaml"
    target.write_text(json.dumps(document), encoding="utf-8")  # JSON is YAML
    return target


@pytest.mark.parametrize("name", spec.names())
def test_bundled_specs_have_no_problems(name: str) -> None:
    assert spec_lint.check(spec.find(name)) == []


def test_template_loads_and_is_clean(tmp_path: Path) -> None:
    yaml_text = re.search(r"```yaml\n(.*?)```", page("template"), re.S)
    assert yaml_text is not None
    target = tmp_path / "acme.yaml"
    target.write_text(yaml_text.group(1), encoding="utf-8")
    spec.load(target)
    assert spec_lint.check(target) == []


def test_unknown_keys_at_every_level_get_a_did_you_mean() -> None:
    def edit(block: dict[str, Any]) -> None:
        block["sytle"] = block.pop("style")
        block["limit"]["defualt"] = block["limit"].pop("default")
        block["cursor"]["unknown"]["acept"] = block["cursor"]["unknown"].pop("accept")

    lines = lint("stripe", edit)
    assert (
        "x-pagination.sytle: unknown key 'sytle' at x-pagination; did you mean 'style'?. "
        "Rename it to 'style'" in lines
    )
    assert any("'defualt' at x-pagination.limit; did you mean 'default'" in x for x in lines)
    assert any("'acept' at x-pagination.cursor.unknown; did you mean 'accept'" in x for x in lines)


def test_cursor_error_fields_are_checked_against_the_error_schema() -> None:
    def edit(block: dict[str, Any]) -> None:
        block["cursor"]["unknown"]["fields"] = {"error.kode": "resource_missing"}

    (line,) = lint("stripe", edit)
    assert line.startswith("x-pagination.cursor.unknown.fields.error.kode: 'error.kode'")
    assert "documented 400 error response" in line and "Rename it to 'error.code'" in line


@pytest.mark.parametrize(
    ("change", "where", "fix"),
    [
        ({"status": 404}, "cursor.unknown.response", "Set response to '404', or status to 400"),
        ({"accept": "empty"}, "cursor.unknown.accept", "Remove status, response, fields"),
    ],
)
def test_cursor_error_contradictions(change: dict[str, Any], where: str, fix: str) -> None:
    lines = lint("stripe", lambda block: block["cursor"]["unknown"].update(change))
    assert [x for x in lines if x.startswith(f"x-pagination.{where}:") and fix in x]


def test_backward_has_more_needs_before() -> None:
    (line,) = lint("stripe", lambda block: block["cursor"].update(before=None))
    assert line.startswith("x-pagination.cursor.backward_has_more: is true, but cursor.before")


def test_date_time_on_an_integer_key_or_the_id() -> None:
    lines = lint("freddy", lambda block: block["order"].update(encoding="date-time"))
    assert lines == [
        "x-pagination.order.encoding: is date-time, but the item schema says 'createdAt' is "
        "a number. Set encoding to 'unix-seconds' (or 'number')"
    ]
    lines = lint("aitronos", lambda block: block["order"].update(key="id"))
    assert lines == [
        "x-pagination.order.encoding: is date-time, but 'id' is the id field. Set encoding "
        "to 'string' (ids sort as strings), or sort on a timestamp"
    ]


def test_date_time_on_a_plain_string() -> None:
    def edit(block: dict[str, Any]) -> None:
        block["order"] = {"key": "title", "encoding": "date-time", "direction": "desc"}
        block["order"]["documented"] = False

    (line,) = lint("aitronos", edit)
    assert "'title' is a string with no date-time format" in line


def test_todo_markers_are_refused_with_the_decision(tmp_path: Path) -> None:
    def edit(block: dict[str, Any]) -> None:
        block["order"]["documented"] = "TODO: is this order documented?"

    lines = spec_lint.check(written(tmp_path, "kortix", edit))
    assert any(
        "x-pagination.order.documented: is a decision the draft left open "
        "(TODO: is this order documented?)" in x
        for x in lines
    )


def test_check_spec_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["check-spec", str(spec.find("kortix"))]) == 0
    bad = written(tmp_path, "kortix", lambda block: block.update(sytle=block.pop("style")))
    assert cli.main(["check-spec", str(bad)]) == 4
    out = capsys.readouterr().out.splitlines()
    assert any("did you mean 'style'?" in line for line in out)
    assert all(line.startswith(str(bad)) for line in out[1:])


def test_docs_topics(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["docs", "x-pagination"]) == 0
    reference = capsys.readouterr().out
    schema = json.loads(spec_lint.SCHEMA_FILE.read_text(encoding="utf-8"))
    assert [key for key in schema["properties"] if f"`{key}" not in reference] == []
    assert cli.main(["docs", "rules"]) == 0
    assert "# Rule catalogue" in capsys.readouterr().out
    assert cli.main(["docs", "nope"]) == 2


def test_loader_blames_order_keys_only_when_they_are_set(tmp_path: Path) -> None:
    bad = written(tmp_path, "kortix", lambda block: block["order"].update(encoding="datetime"))
    with pytest.raises(spec.SpecError) as caught:
        spec.load(bad)
    assert "order.keys" not in str(caught.value)
    assert caught.value.fix is None or caught.value.fix.action != "delete"
