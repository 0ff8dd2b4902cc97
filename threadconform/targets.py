"""Targets: the deployments one run gates, each a contract at a URL with its credentials.

Without `--targets`, a run has one target per contract, named after it, at `--base-url`
(or its embedded reference server). A targets file gates several deployments at once:

    - name: staging-eu                 # optional; defaults to the contract's name
      contract: aitronos
      base_url: https://eu.staging.example.com
      token_env: AITRONOS_EU_KEY       # environment variables, never the secrets themselves
      second_token_env: AITRONOS_EU_KEY_2

Each target gets its own engine, request budget and test items.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

__all__ = ["OPTIONAL", "REQUIRED", "Deployment", "TargetsError", "from_options", "load"]

REQUIRED = ("contract", "base_url")
OPTIONAL = ("name", "token_env", "second_token_env")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


class TargetsError(ValueError):
    """A targets file that cannot be used; the message names the file and the entry."""


@dataclass(frozen=True)
class Deployment:
    name: str  # unique in the run; test ids and reports use it
    contract: str
    base_url: str | None  # None: the contract's embedded reference server
    token: str | None = None
    second_token: str | None = None

    @property
    def label(self) -> str:
        """The prefix of its test ids: `kortix`, or `staging-eu:aitronos` when named."""
        return self.contract if self.name == self.contract else f"{self.name}:{self.contract}"


def from_options(
    contracts: Sequence[str],
    base_url: str | None,
    token: str | None,
    second_token: str | None,
) -> tuple[Deployment, ...]:
    """One target per contract, as `--contract/--base-url/--token` describe them."""
    return tuple(Deployment(name, name, base_url, token, second_token) for name in contracts)


def load(
    path: Path | str, contracts: Collection[str], environ: Mapping[str, str]
) -> tuple[Deployment, ...]:
    """Read a targets file; tokens come from the environment variables it names."""
    file = Path(path)
    entries = _read(file)
    deployments = tuple(
        _entry(str(file), number, raw, contracts, environ) for number, raw in enumerate(entries, 1)
    )
    _check_names(str(file), deployments)
    return deployments


def _read(file: Path) -> list[Any]:
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except OSError as error:
        raise TargetsError(f"{file}: cannot read the targets file: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise TargetsError(f"{file}: not valid YAML: {' '.join(str(error).split())}") from None
    if not isinstance(data, list) or not data:
        raise TargetsError(
            f"{file}: expected a non-empty YAML list of targets "
            "(- contract: ..., base_url: ..., token_env: ...)"
        )
    return data


def _entry(
    file: str, number: int, raw: Any, contracts: Collection[str], environ: Mapping[str, str]
) -> Deployment:
    where = f"{file}: entry {number}"
    if not isinstance(raw, Mapping):
        raise TargetsError(f"{where}: expected a mapping with keys {', '.join(REQUIRED)}")
    missing = [key for key in REQUIRED if not raw.get(key)]
    if missing:
        raise TargetsError(f"{where}: missing {', '.join(missing)}")
    unknown = sorted(set(map(str, raw)) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        allowed = ", ".join(REQUIRED + OPTIONAL)
        raise TargetsError(f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {allowed}")
    contract = str(raw["contract"])
    if contract not in contracts:
        raise TargetsError(
            f"{where}: unknown contract {contract!r}; valid contracts: {', '.join(contracts)}"
        )
    name = str(raw.get("name") or contract)
    if not _NAME.fullmatch(name):
        raise TargetsError(
            f"{where}: name {name!r} may hold only letters, digits, '.', '_' and '-'"
        )
    return Deployment(
        name,
        contract,
        _url(where, str(raw["base_url"])),
        _secret(where, "token_env", raw.get("token_env"), environ),
        _secret(where, "second_token_env", raw.get("second_token_env"), environ),
    )


def _url(where: str, url: str) -> str:
    if not url.startswith(("http://", "https://")):
        raise TargetsError(
            f"{where}: base_url {url!r} is not an http(s) URL; "
            "give the server's root, e.g. https://staging.example.com"
        )
    return url


def _secret(where: str, key: str, variable: Any, environ: Mapping[str, str]) -> str | None:
    if variable is None:
        return None
    value = environ.get(str(variable))
    if not value:
        raise TargetsError(
            f"{where}: {key} names the environment variable {variable}, which is not set; "
            f"export {variable}=<credential> before the run"
        )
    return value


def _check_names(file: str, deployments: tuple[Deployment, ...]) -> None:
    seen: set[str] = set()
    for number, deployment in enumerate(deployments, 1):
        if deployment.name in seen:
            raise TargetsError(
                f"{file}: entry {number}: a second target named {deployment.name!r}; "
                "give each target a distinct name"
            )
        seen.add(deployment.name)
