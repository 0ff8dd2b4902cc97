"""Waivers: known failures a gate accepts until a date.

A waivers file is a YAML list; each entry names one rule of one contract:

    - contract: kortix
      rule: META-PAGES
      reason: "pages rounds down; fix ships in 2.14 (TICKET-123)"
      expires: 2025-09-30        # the last day the waiver holds
      target: staging-eu         # optional: only this --targets entry

A waived failure is reported as "waived" and does not fail the run; once the waiver has
expired, the failure fails the run again and says so. A file that names an unknown rule or
contract is a usage error, so a typo cannot silently waive nothing.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

__all__ = ["OPTIONAL", "REQUIRED", "Waiver", "WaiverError", "describe", "find", "load", "stale"]

REQUIRED = ("contract", "rule", "reason", "expires")
OPTIONAL = ("target",)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class _Loader(yaml.SafeLoader):
    """Dates stay text: PyYAML would reject 2025-02-30 without naming the entry."""


def _as_text(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    return loader.construct_scalar(node)  # type: ignore[arg-type]  # always a scalar node


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _as_text)


class WaiverError(ValueError):
    """A waivers file that cannot be used; the message names the file and the entry."""


@dataclass(frozen=True)
class Waiver:
    contract: str
    rule: str
    reason: str
    expires: date  # inclusive: the waiver holds through this day
    target: str | None = None  # None: every target of the contract
    file: str = ""
    entry: int = 0  # 1-based position in the file, for messages

    def covers(self, target: str, contract: str, rule: str) -> bool:
        return (
            self.contract == contract
            and self.rule == rule
            and (self.target is None or self.target == target)
        )

    def expired(self, today: date) -> bool:
        return today > self.expires

    @property
    def where(self) -> str:
        return f"{self.file} entry {self.entry}"


def find(waivers: Iterable[Waiver], target: str, contract: str, rule: str) -> Waiver | None:
    """The waiver for this rule of this target, if any (a target-specific one first)."""
    matching = [w for w in waivers if w.covers(target, contract, rule)]
    matching.sort(key=lambda w: w.target is None)
    return matching[0] if matching else None


def load(
    path: Path | str,
    contracts: Collection[str],
    rule_ids: Collection[str],
    targets: Collection[str] = (),
) -> tuple[Waiver, ...]:
    """Read and check a waivers file against the known contracts, rules and targets."""
    file = Path(path)
    entries = _read(file)
    waivers = tuple(
        _entry(str(file), number, raw, contracts, rule_ids, targets)
        for number, raw in enumerate(entries, 1)
    )
    _check_duplicates(waivers)
    return waivers


def _read(file: Path) -> list[Any]:
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as error:
        raise WaiverError(f"{file}: cannot read the waivers file: {error.strerror}") from None
    try:
        data = yaml.load(text, Loader=_Loader)  # _Loader is a SafeLoader
    except yaml.YAMLError as error:
        detail = " ".join(str(error).split())
        raise WaiverError(f"{file}: not valid YAML: {detail}") from None
    if data is None:  # an empty file waives nothing
        return []
    if not isinstance(data, list):
        raise WaiverError(
            f"{file}: expected a YAML list of waivers (- contract: ..., rule: ..., "
            f"reason: ..., expires: YYYY-MM-DD), got a {type(data).__name__}"
        )
    return data


def _entry(
    file: str,
    number: int,
    raw: Any,
    contracts: Collection[str],
    rule_ids: Collection[str],
    targets: Collection[str],
) -> Waiver:
    where = f"{file}: entry {number}"
    if not isinstance(raw, Mapping):
        raise WaiverError(f"{where}: expected a mapping with keys {', '.join(REQUIRED)}")
    missing = [key for key in REQUIRED if raw.get(key) in (None, "")]
    if missing:
        needed = ", ".join(REQUIRED)
        raise WaiverError(f"{where}: missing {', '.join(missing)}; every waiver needs {needed}")
    unknown = sorted(set(map(str, raw)) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        allowed = ", ".join(REQUIRED + OPTIONAL)
        raise WaiverError(f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {allowed}")
    contract, rule = str(raw["contract"]), str(raw["rule"])
    where = f"{where} ({contract}::{rule})"
    _known(where, "contract", contract, contracts, f"valid contracts: {', '.join(contracts)}")
    _known(where, "rule", rule, rule_ids, "`threadconform rules` lists the valid rules")
    target = None if raw.get("target") is None else str(raw["target"])
    if target is not None:
        _known(where, "target", target, targets, f"valid targets: {', '.join(targets)}")
    expires = _date(where, raw["expires"])
    return Waiver(contract, rule, str(raw["reason"]), expires, target, file, number)


def _known(where: str, kind: str, value: str, known: Collection[str], valid: str) -> None:
    if value in known:
        return
    close = difflib.get_close_matches(value, list(known), n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise WaiverError(f"{where}: unknown {kind} {value!r}; {hint}{valid}")


def _date(where: str, value: Any) -> date:
    text = str(value)
    if _DATE.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise WaiverError(f"{where}: expires {text!r} is not a date; write it as YYYY-MM-DD")


def _check_duplicates(waivers: tuple[Waiver, ...]) -> None:
    seen: dict[tuple[str, str, str | None], Waiver] = {}
    for waiver in waivers:
        key = (waiver.contract, waiver.rule, waiver.target)
        if key in seen:
            raise WaiverError(
                f"{waiver.file}: entry {waiver.entry} ({waiver.contract}::{waiver.rule}): "
                f"waives {waiver.contract}::{waiver.rule} again "
                f"(entry {seen[key].entry} already does); keep one of them"
            )
        seen[key] = waiver


def describe(waiver: Waiver) -> dict[str, Any]:
    """The waiver as the reports show it."""
    return {
        "reason": waiver.reason,
        "expires": waiver.expires.isoformat(),
        "target": waiver.target,
        "where": waiver.where,
    }


def stale(
    waivers: Iterable[Waiver], outcomes: Mapping[tuple[str, str, str], str], today: date
) -> list[str]:
    """What to tidy in the waivers file: a waiver whose rule held on every target it
    covers is no longer needed; one past its date has expired. `outcomes` maps (target,
    contract, rule) to the rule's outcome in this run; a waiver none of whose rules ran
    (deselected, or a target not reached) is not judged."""
    notes = []
    for waiver in waivers:
        seen = [
            outcome
            for (target, contract, rule), outcome in outcomes.items()
            if waiver.covers(target, contract, rule)
        ]
        label = f"waiver {waiver.where} ({waiver.contract} {waiver.rule})"
        if seen and all(outcome == "pass" for outcome in seen):
            notes.append(f"{label} is no longer needed: the rule holds; remove it")
        elif waiver.expired(today):
            notes.append(
                f"{label} expired on {waiver.expires.isoformat()}: fix the server, or renew it"
            )
    return notes
