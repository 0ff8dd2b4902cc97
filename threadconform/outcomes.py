"""What a run can come to, as typed values: the exceptions that stop it, the outcomes its
rules and its verdict take, and the one table of exit statuses.

The ground floor: this module imports nothing from threadconform, so every other module
(client, preflight, runner, reports, the pytest plugin, the CLI) can read it. Nothing
learns what happened by reading a message: a stop carries its exit status with its class.

| exit | meaning |
| ---: | --- |
| 0 | pass: every MUST rule that was judged held |
| 1 | fail: a MUST rule failed (or a SHOULD, with --strict) |
| 2, 3, 5 | pytest's own: interrupted, internal error, no tests collected |
| 4 | usage or spec error before any request |
| 6 | error: the target could not be reached, or stopped answering mid-run |
| 7 | error: the list endpoint answered 404 (or 405), or is not the API (a web page) |
| 8 | error: the list endpoint refused the credential, or demands one none was given for |
| 9 | incomplete: the run deadline (--max-time) passed before every rule was judged |
"""

from __future__ import annotations

import enum
from typing import ClassVar, Final

__all__ = [
    "COMMAND_USAGE",
    "VERDICT_EXIT",
    "BudgetSpent",
    "DeadlineSpent",
    "ExitStatus",
    "NotFound",
    "NotTheApi",
    "Outcome",
    "Refused",
    "RunVerdict",
    "SetupMistake",
    "TargetStopped",
    "Unreachable",
]


class ExitStatus(enum.IntEnum):
    """Every exit status a run of the suite can end with (README: exit statuses)."""

    PASS = 0
    FAIL = 1
    INTERRUPTED = 2  # pytest's
    INTERNAL_ERROR = 3  # pytest's
    USAGE = 4
    NO_TESTS = 5  # pytest's
    UNREACHABLE = 6
    NOT_FOUND = 7
    REFUSED = 8
    INCOMPLETE = 9


# `threadconform serve` and `threadconform rules` misused: argparse's own status. These
# commands never run pytest, so its 2 (interrupted) cannot be confused with it.
COMMAND_USAGE: Final = 2


class RunVerdict(enum.StrEnum):
    """The verdict of a whole run (summary.json `verdict`)."""

    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"
    INCOMPLETE = "incomplete"


# The exit status each verdict gives. An error stopped at the preflight has its own status
# (7, 8): the stop's, not the verdict's.
VERDICT_EXIT: Final[dict[RunVerdict, ExitStatus]] = {
    RunVerdict.PASS: ExitStatus.PASS,
    RunVerdict.FAIL: ExitStatus.FAIL,
    RunVerdict.ERROR: ExitStatus.UNREACHABLE,
    RunVerdict.INCOMPLETE: ExitStatus.INCOMPLETE,
}


class Outcome(enum.StrEnum):
    """What one rule came to: its status from the probes (pass, fail, skip, off) and its
    outcome once the gate has applied severity, --strict and waivers (pass, fail, warn,
    skip, waived, n/a). The string values are what summary.json holds."""

    PASS = "pass"
    FAIL = "fail"
    WARN = "warn"
    SKIP = "skip"
    WAIVED = "waived"
    NA = "n/a"
    OFF = "off"


class TargetStopped(Exception):
    """The run stopped sending to a target; the message is the one line a user reads."""

    exit_status: ClassVar[int]
    # The stop's cause in a few words: what summary.md headlines and summary.json `setup`
    # says ("unreachable", "not found", "not the API", "credential refused").
    cause: ClassVar[str] = "stopped"

    @property
    def message(self) -> str:
        return str(self)


class Unreachable(TargetStopped):
    """The list could not be reached: no answer at all, the target could not be started,
    or (the subclass SetupMistake) what answers is not the list. One line says which URL
    and why; no rule is judged after it."""

    exit_status = ExitStatus.UNREACHABLE
    cause = "unreachable"


class SetupMistake(Unreachable):
    """The target answers, but not as the list: a wrong URL or a refused credential."""

    exit_status = ExitStatus.UNREACHABLE


class NotFound(SetupMistake):
    """The list endpoint answered 404 or 405: a wrong path, or a missing prefix."""

    exit_status = ExitStatus.NOT_FOUND
    cause = "not found"


class NotTheApi(NotFound):
    """Something answers at the list route, but not the API: a web page (`200 text/html`)
    or another non-JSON body, e.g. a front end or a proxy's page at the base URL."""

    cause = "not the API"


class Refused(SetupMistake):
    """The list endpoint refused the credential, or demands one none was given for."""

    exit_status = ExitStatus.REFUSED
    cause = "credential refused"


class BudgetSpent(TargetStopped):
    """The request budget (--max-requests) is spent; no request was sent.

    A chosen limit, not a failure: the run judges what it has, and its status is its
    verdict's (0 unless a rule failed)."""

    exit_status = ExitStatus.PASS


class DeadlineSpent(BudgetSpent):
    """The run's deadline (--max-time) has passed; no request was sent.

    A kind of BudgetSpent: time is a budget too, and whatever ends a walk or a probe on a
    spent request budget ends it the same way on a spent time budget."""

    exit_status = ExitStatus.INCOMPLETE
