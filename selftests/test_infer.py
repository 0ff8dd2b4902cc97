"""`threadconform infer` against the nine reference servers: the draft's style, items path,
id, limit parameter/default/maximum and order equal the hand-written spec's; every draft
is refused only for its TODO decisions, and loads once they are made."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from threadconform import cli, reference, spec, spec_lint
from threadconform.infer import Draft, infer
from threadconform.infer.compare import compare, infer_reference

NAMES = list(reference.SERVED)


@pytest.fixture(scope="module")
def drafts() -> dict[str, tuple[Draft, Any]]:
    return {name: infer_reference(name) for name in NAMES}


@pytest.mark.parametrize("name", NAMES)
def test_draft_matches_the_hand_written_spec(
    drafts: dict[str, tuple[Draft, Any]], name: str
) -> None:
    draft, contract = drafts[name]
    rows = compare(draft, contract)
    assert [row for row in rows if row[3] not in ("same", "observed (documented: TODO)")] == []
    assert draft.not_inferred == []
    assert draft.requests <= 40


def decide(document: dict[str, Any]) -> None:
    """Make every decision a draft leaves, as a user would (the least committal choice)."""
    block = spec_lint.operation(document)["x-pagination"]
    if isinstance(block.get("order"), dict):
        block["order"]["documented"] = False
    response = block["response"]
    if spec_lint.is_todo(response.get("total_requires")):
        del response["total"], response["total_requires"]
    if spec_lint.is_todo(block["limit"].get("default")):
        del block["limit"]["default"]


@pytest.mark.parametrize("name", NAMES)
def test_draft_is_refused_for_its_todos_only_and_loads_once_decided(
    drafts: dict[str, tuple[Draft, Any]], name: str, tmp_path: Path
) -> None:
    draft, _ = drafts[name]
    target = tmp_path / f"{name}.yaml"
    target.write_text(draft.yaml, encoding="utf-8")
    assert spec.read_document(target) == draft.document  # the YAML says what the data says
    lines = spec_lint.check(target)
    todos = [line for line in lines if "is a decision the draft left open" in line]
    block = spec_lint.operation(draft.document)["x-pagination"]
    if block["order"] is not None:  # an observed order: only the user knows if it is promised
        assert any("order.documented" in line for line in todos)
    assert todos == lines  # refused for its TODO decisions only
    decided = json.loads(json.dumps(draft.document))
    decide(decided)
    target.write_text(json.dumps(decided), encoding="utf-8")
    assert spec_lint.check(target) == []
    spec.load(target)


def test_evidence_and_header(drafts: dict[str, tuple[Draft, Any]]) -> None:
    text = drafts["stripe"][0].yaml
    assert "starting point, not a verdict" in text
    assert "# GET /v1/conversations?limit=2 -> 200, 2 items" in text
    assert '"TODO: does the vendor document this order?' in text


def test_budget_stops_and_names_what_was_not_inferred() -> None:
    contract = spec.load(spec.find("kortix"))
    with reference.start("kortix") as server:
        draft = infer(
            server.url + contract.endpoint, token=server.credentials.primary, max_requests=6
        )
    assert draft.requests == 6
    assert "pagination style" in draft.not_inferred
    assert "order" in draft.not_inferred
    assert "Not inferred (budget --max-requests or a dead end)" in draft.yaml
    assert spec_lint.todo_problems(draft.document)


def test_cli_writes_the_draft(tmp_path: Path) -> None:
    contract = spec.load(spec.find("aitronos"))
    out = tmp_path / "draft.yaml"
    with reference.start("aitronos") as server:
        assert server.credentials.primary
        code = cli.main(
            [
                "infer",
                server.url + contract.endpoint,
                "--header",
                f"X-API-Key: {server.credentials.primary}",
                "-o",
                str(out),
                "--max-requests",
                "60",
            ]
        )
    assert code == 0
    document = spec.read_document(out)
    schemes = document["components"]["securitySchemes"]
    assert schemes == {"credential": {"type": "apiKey", "in": "header", "name": "X-API-Key"}}
    assert cli.main(["check-spec", str(out)]) == 4
