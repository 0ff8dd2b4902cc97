"""The shape of the report document (summary.json) as types: one TypedDict per object of
`threadconform/schemas/summary.schema.json`.

`reports` builds these, and the Markdown, HTML, terminal and JUnit renderings read them.
They mirror the schema key for key (selftests/test_report_types.py checks that, so the two
cannot drift); the schema stays the contract for readers outside Python, and holds the
value constraints (enums, patterns) these types spell as plain `str` and `int`.
"""

# No `from __future__ import annotations`: TypedDict must see NotRequired as an object,
# not a string, for `__required_keys__` (which the self-test compares with the schema).
from typing import NotRequired, TypedDict

__all__ = [
    "Counts",
    "LiveEntry",
    "RuleEntry",
    "SecurityEntry",
    "Stopped",
    "Summary",
    "TargetEntry",
    "Unjudged",
    "ViolationEntry",
    "WaiverEntry",
]

# How many rules had each outcome ($defs/counts). "n/a" is no identifier: the functional
# form; keys in `reports.OUTCOMES` order, which is the order summary.json writes them.
Counts = TypedDict(
    "Counts",
    {"fail": int, "warn": int, "waived": int, "skip": int, "pass": int, "n/a": int},
)


class Stopped(TypedDict):
    """Why a target was not judged in full ($defs/target, `stopped`)."""

    verdict: str  # error or incomplete
    reason: str


class WaiverEntry(TypedDict):
    """The waiver naming a failed rule ($defs/waiver)."""

    reason: str
    expires: str  # ISO date: the last day it holds
    target: str | None
    where: str  # the waivers file and entry number
    expired: bool


class ViolationEntry(TypedDict):
    """One kept violation: the evidence of a failure ($defs/violation)."""

    message: str
    expected: str
    actual: str
    curl: list[str]


class RuleEntry(TypedDict):
    """One rule of the catalogue for one target ($defs/rule)."""

    id: str
    statement: str
    source: str
    severity: str  # MUST, SHOULD or off
    outcome: str  # pass, fail, warn, waived, skip or n/a
    reason: str
    waiver: WaiverEntry | None
    violations: list[ViolationEntry]
    violation_count: int  # every violation seen, shown or not
    more_violations: list[ViolationEntry]  # recorded beyond those shown (bounded)


class Unjudged(TypedDict):
    """A rule left unjudged because the listing changed under every try ($defs/live)."""

    rule: str
    reason: str


class LiveEntry(TypedDict):
    """What the run saw of a listing that changed while it was tested ($defs/live)."""

    changed: bool
    frozen: bool
    summary: str
    new: int
    vanished: int
    moved: int
    walks_repeated: int
    rereads: int
    unjudged: list[Unjudged]


class TargetEntry(TypedDict):
    """One target's entry in `contracts` ($defs/target)."""

    name: str
    label: str
    contract: str
    spec: str
    spec_version: str
    target: str  # the base URL, any password removed
    embedded: bool
    unreachable: str | None
    setup: str | None  # the cause of a stop before any rule: "not found", ...
    stopped: Stopped | None
    requests: int
    seconds: float
    counts: Counts
    rules: list[RuleEntry]
    live: LiveEntry | None
    empty_listing: str | None


class SecurityEntry(TypedDict):
    """One reached target's security rules (`security` items)."""

    name: str
    label: str
    rules: list[RuleEntry]


class Summary(TypedDict):
    """The whole document: the run's header, then every target's entry."""

    schema_version: int
    suite_version: str
    verdict: str  # pass, fail, error or incomplete
    reason: str | None
    exit_status: int
    profile: str
    seed: int
    strict: bool
    started: str  # ISO date-time, UTC
    duration_seconds: float
    requests: int
    waivers_file: str | None
    waiver_notes: list[str]  # waivers no longer needed or expired (SHOULD-level notes)
    counts: Counts
    contracts: list[TargetEntry]
    # `reports.document` always writes it, but the schema does not require it: a reader
    # must allow for a document without it.
    security: NotRequired[list[SecurityEntry]]
