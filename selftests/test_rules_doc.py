"""`threadconform rules` and docs/rules.md, which is its Markdown output, kept current."""

from __future__ import annotations

from pathlib import Path

import pytest

from threadconform import cli, rules

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "rules.md"
REGENERATE = "threadconform rules --format markdown > docs/rules.md"


def rules_output(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert cli.main(["rules", *args]) == 0
    return capsys.readouterr().out


def test_docs_rules_md_is_current(capsys: pytest.CaptureFixture[str]) -> None:
    expected = rules_output(capsys, "--format", "markdown")
    current = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    assert current == expected, f"docs/rules.md is out of date; regenerate it: {REGENERATE}"


def test_every_rule_is_listed_with_every_contract(capsys: pytest.CaptureFixture[str]) -> None:
    text = rules_output(capsys)
    for rule in rules.CATALOGUE:
        assert f"{rule.id}  {rule.statement}" in text
    # A rule switched off in a spec, a rule with nothing to check, and a spec's own quote.
    assert "  worker    n/a     PARAM-ERROR-STATUS does not apply to worker" in text
    assert "  chat      n/a" in text
    assert 'freddy seed (same vendor): 401 Unauthorized {"error"' in text


def test_one_contract_only(capsys: pytest.CaptureFixture[str]) -> None:
    text = rules_output(capsys, "--contract", "kortix")
    assert "  kortix  SHOULD  " in text
    assert "aitronos" not in text.replace("docs/contracts.md#aitronos", "")


def test_an_unknown_contract_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["rules", "--contract", "nope"]) == 2
    assert "contract 'nope': no such spec" in capsys.readouterr().err
