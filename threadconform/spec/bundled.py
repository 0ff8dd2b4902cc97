"""Where the bundled contracts live and how they are looked up by name: `spec_dir()`,
`names`, `find`, and `load_all` / `default_names` (every contract a default run includes).
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

from threadconform import model
from threadconform.spec.contract import load
from threadconform.spec.errors import GUIDE, SpecError, show

__all__ = ["SPEC_DIR", "default_names", "find", "load_all", "names", "spec_dir"]


def spec_dir() -> Path:
    """The folder of the bundled contracts: `threadconform/specs/` inside an installed
    package (the wheel carries the repository's `specs/` there), else, in a source
    checkout or an editable install, the repository's own `specs/`."""
    bundled = importlib.resources.files("threadconform") / "specs"
    if bundled.is_dir():
        return Path(str(bundled))
    # This file is <repository>/threadconform/spec/bundled.py: parents[2] is the repository.
    return Path(__file__).resolve().parents[2] / "specs"


SPEC_DIR = spec_dir()  # every lookup of the bundled specs goes through spec_dir()


def load_all(directory: Path = SPEC_DIR, *, opt_in: bool = False) -> list[model.Contract]:
    """Every spec in `directory` that the default run includes (with `opt_in`, every spec
    at all), sorted by name. A spec opts out with `x-threadconform: {opt_in: true}`."""
    files = _spec_files(directory)
    if not files:
        raise SpecError(f"{show(directory)}: no *.yaml spec files. Add one ({GUIDE}).")
    loaded = [load(file) for file in files]
    return [contract for contract in loaded if opt_in or not contract.opt_in]


def default_names(directory: Path = SPEC_DIR) -> list[str]:
    """The contracts `--contract all` runs: every spec not marked opt-in."""
    return [contract.name for contract in load_all(directory)]


def names(directory: Path = SPEC_DIR) -> list[str]:
    """The contract names available in `directory` (file stems)."""
    return [file.stem for file in _spec_files(directory)]


def find(name: str, directory: Path = SPEC_DIR) -> Path:
    """The spec file of the contract called `name` in `directory`."""
    for suffix in (".yaml", ".yml"):
        candidate = directory / f"{name}{suffix}"
        if candidate.is_file():
            return candidate
    valid = ", ".join(names(directory)) or "(none)"
    raise SpecError(
        f"{show(directory)}: contract {name!r}: no such spec. Valid names: {valid}; "
        "or pass a spec file path with --spec."
    )


def _spec_files(directory: Path) -> list[Path]:
    return sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")], key=lambda file: file.stem)
