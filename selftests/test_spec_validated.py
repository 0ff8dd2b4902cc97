"""A spec the OpenAPI validator found valid is not validated again (spec/validated.py):
the next run of the same document skips about 0.2 s of imports; anything else is
checked as before."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from threadconform import spec
from threadconform.spec import validated


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache"


def written(tmp_path: Path, document: dict[str, Any], name: str = "kortix") -> Path:
    file = tmp_path / f"{name}.yaml"
    file.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), "utf-8")
    return file


def kortix() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(spec.find("kortix").read_text(encoding="utf-8"))
    return document


class Refused:
    """Stands in for openapi-spec-validator's validator: any use of it is a failure."""

    def __init__(self, document: dict[str, Any]) -> None:
        raise AssertionError("the validator ran again on a document it found valid")


def test_a_document_found_valid_is_not_validated_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = written(tmp_path, kortix())
    spec.load(file)  # validated, and remembered
    assert len(list(validated.folder().iterdir())) == 1
    import openapi_spec_validator

    monkeypatch.setattr(openapi_spec_validator, "OpenAPIV31SpecValidator", Refused)
    assert spec.load(file).name == "kortix"


def test_a_changed_document_is_validated_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec.load(written(tmp_path, kortix()))
    import openapi_spec_validator

    monkeypatch.setattr(openapi_spec_validator, "OpenAPIV31SpecValidator", Refused)
    changed = kortix()
    changed["info"]["title"] += " (edited)"
    with pytest.raises(AssertionError, match="ran again"):
        spec.load(written(tmp_path, changed))


def test_an_invalid_document_is_never_remembered(tmp_path: Path) -> None:
    broken = kortix()
    broken["info"].pop("version")
    file = written(tmp_path, broken)
    for _ in range(2):  # the same error every time: nothing was kept from the first
        with pytest.raises(spec.SpecError, match="info"):
            spec.load(file)
    assert not validated.folder().exists() or not list(validated.folder().iterdir())


def test_a_cache_folder_that_cannot_be_written_only_costs_the_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))  # threadconform/ cannot be made in it
    file = written(tmp_path, kortix())
    assert spec.load(file).name == "kortix"
    assert spec.load(file).name == "kortix"


def test_loading_a_remembered_spec_does_not_import_the_validator(tmp_path: Path) -> None:
    import subprocess

    file = written(tmp_path, kortix())
    spec.load(file)
    code = (
        "import sys; from threadconform import spec; spec.load(sys.argv[1]); "
        "print(sorted(m for m in ('openapi_spec_validator', 'pydantic_settings') "
        "if m in sys.modules))"
    )
    env = {"XDG_CACHE_HOME": str(validated.folder().parent.parent), "PATH": ""}
    done = subprocess.run(
        [sys.executable, "-c", code, str(file)], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
