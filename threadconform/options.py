"""The suite's options: one definition for the pytest flags and their environment variables.

Every option can come from `THREADCONFORM_<NAME>` so that CI secrets never appear on a
command line; a flag given on the command line wins over the environment. `resolve` turns
them, once per run, into a `RunOptions`: the typed, checked values the runner reads.
"""

from __future__ import annotations

import os
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from threadconform.profiles import PROFILES

__all__ = [
    "BY_DEST",
    "DEFAULT_CONCURRENCY",
    "OPTIONS",
    "SELECTORS",
    "Option",
    "OptionError",
    "RunOptions",
    "resolve",
]


class OptionError(ValueError):
    """A bad option value; the message names the option and says what is accepted."""


@dataclass(frozen=True)
class Option:
    flag: str  # e.g. "--base-url"
    help: str
    kind: type = str  # str, int, float or bool
    default: Any = None
    secret: bool = False  # never echoed anywhere
    # pytest itself owns `--strict` (strict markers and config); the suite reads pytest's
    # flag rather than registering a clashing one.
    pytest_owned: bool = False
    repeat: bool = False  # may be given several times; its variable holds one per line
    variable: str | None = None  # the environment variable, when not derived from the flag
    # Its attribute on `RunOptions` when not the flag's name: `--tc-strict` sets `strict`
    # (pytest's own `--strict` does too; either given turns it on).
    attribute: str | None = None

    @property
    def dest(self) -> str:
        name = self.flag.removeprefix("--").replace("-", "_")
        if self.pytest_owned or name.startswith("tc_"):
            return name
        return "tc_" + name

    @property
    def field(self) -> str:
        """Its attribute on `RunOptions`: the flag's name, e.g. `base_url`."""
        return self.attribute or self.flag.removeprefix("--").replace("-", "_")

    @property
    def env(self) -> str:
        if self.variable:
            return self.variable
        return "THREADCONFORM_" + self.field.upper()


OPTIONS: tuple[Option, ...] = (
    Option("--contract", "a contract in specs/ by name, or 'all' (default: all)", default="all"),
    Option("--spec", "an OpenAPI spec file to run instead of specs/ (a sixth contract)"),
    Option("--base-url", "the server to test; omitted: start the embedded reference server"),
    Option(
        "--token", "credential of the first tenant, sent as the spec's scheme says", secret=True
    ),
    Option("--second-token", "credential of a second tenant, for isolation checks", secret=True),
    Option(
        "--header",
        "an extra request header 'Name: value' sent on every request (repeatable; the "
        "variable holds one per line); values are redacted like tokens",
        secret=True,
        repeat=True,
        variable="THREADCONFORM_HEADERS",
    ),
    Option("--profile", "quick | default | thorough: examples and walk budgets", default="default"),
    Option("--seed", "Hypothesis seed; the run is derandomized and repeatable", int, 0),
    Option(
        "--tc-strict",
        "fail the run on SHOULD warnings too, and on waivers no longer needed or expired "
        "(pytest's own --strict does the same)",
        bool,
        False,
        attribute="strict",
    ),
    Option("--strict", "the same as --tc-strict", bool, False, pytest_owned=True),
    Option("--max-requests", "request budget per contract (default: the profile's)", int),
    Option("--max-rps", "at most this many requests per second to the target", float),
    Option(
        "--concurrency",
        "requests the run may have out at once: probes and planned walks go side by side "
        "(default: 8; a 429 halves it for the rest of the run)",
        int,
    ),
    Option("--timeout", "seconds one exchange may take: connect, headers and body", float, 10.0),
    Option(
        "--max-time",
        "seconds the run may send requests (default: quick 180, default 600, thorough 3600); "
        "then it judges what it has and reports the rest as not judged",
        float,
    ),
    Option("--insecure", "do not verify TLS certificates", bool, False),
    Option(
        "--frozen",
        "the target's listing does not change during the run: judge every read as today "
        "and fail TARGET-FROZEN if it changes anyway",
        bool,
        False,
    ),
    Option(
        "--write-hook",
        "a command that creates one thread on the target by your own means; the suite runs "
        "it between two pages of a keyset walk to prove the walk stays whole under writes",
    ),
    Option("--report-dir", "where the run writes its reports", default="reports"),
    Option("--threads", "threads in the embedded reference server's main tenant", int, 237),
    Option("--waivers", "YAML list of accepted failures: contract, rule, reason, expires"),
    Option("--targets", "YAML list of deployments to gate in one run (replaces --base-url)"),
)


@dataclass(frozen=True)
class RunOptions:
    """One run's option values, each the flag's, else its variable's, else the default.

    Built by `resolve` (which checks them); one attribute per entry of OPTIONS, named
    after its flag. The defaults here are OPTIONS' defaults, so `RunOptions()` is a run
    given nothing."""

    contract: str = "all"
    spec: str | None = None
    base_url: str | None = None
    token: str | None = None
    second_token: str | None = None
    header: tuple[tuple[str, str], ...] = ()  # (name, value) pairs; values are secrets
    profile: str = "default"
    seed: int = 0
    strict: bool = False
    max_requests: int | None = None
    max_rps: float | None = None
    concurrency: int | None = None  # None: DEFAULT_CONCURRENCY
    timeout: float = 10.0
    max_time: float | None = None
    insecure: bool = False
    frozen: bool = False
    write_hook: str | None = None
    report_dir: str = "reports"
    threads: int = 237
    waivers: str | None = None
    targets: str | None = None


# --concurrency when not given (README, "Concurrency"): at 50 ms a round trip, 10 cuts a
# run to a sixth of one request at a time; 12 and 16 are no faster on two cores (the
# client's CPU is then the bound). On a listing seen to change, one unit's bracket at a
# time (probes/turn.py). 12 is where the live matrix once blamed writes on a conforming
# server: the three causes are fixed (settle.py, live.py) and looped at 12.
DEFAULT_CONCURRENCY = 10
BY_DEST = {option.dest: option for option in OPTIONS}
# The options that say what to test: given as a flag or as their THREADCONFORM_* variable,
# each selects the suite in a pytest run (the others only configure a selected run).
SELECTORS = ("tc_contract", "tc_spec", "tc_base_url", "tc_targets")
# What a targets file says per target; giving it for the whole run as well is ambiguous.
_PER_TARGET = ("spec", "base_url", "token", "second_token")
# Options that must be greater than 0 when given.
_POSITIVE = ("max_requests", "max_rps", "concurrency", "timeout", "max_time", "threads")
_BY_FIELD = {option.field: option for option in OPTIONS}


def _convert(option: Option, raw: Any, origin: str) -> Any:
    if raw is None or option.kind is str:
        return raw
    if option.kind is bool:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in {"1", "true", "yes", "on"}:
            return True
        if text in {"0", "false", "no", "off", ""}:
            return False
        raise OptionError(f"{origin}: expected true or false, got {raw!r}")
    try:
        return option.kind(raw)
    except (TypeError, ValueError):
        kind = "an integer" if option.kind is int else "a number"
        raise OptionError(f"{origin}: expected {kind}, got {raw!r}") from None


def resolve(given: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> RunOptions:
    """Merge flag values (`given`, by pytest dest, e.g. `tc_base_url`; None = not given)
    with the environment; raises OptionError naming the option on a bad value."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for option in OPTIONS:
        raw = given.get(option.dest)
        origin = option.flag
        if raw is None and environ.get(option.env):
            raw, origin = environ[option.env], option.env
        if option.repeat:
            values[option.field] = _headers(raw, origin)
            continue
        value = _convert(option, raw, origin)
        if option.secret and value == "":
            value = None  # an unset CI secret expands to "": it means no credential
        if option.kind is bool and values.get(option.field):
            continue  # two flags for one switch (--tc-strict, --strict): either turns it on
        values[option.field] = option.default if value is None else value
    options = RunOptions(**values)
    _check(options)
    return options


# RFC 9110 token characters: what a header name may hold.
_TOKEN_CHARS = frozenset(string.ascii_letters + string.digits + "!#$%&'*+-.^_`|~")


def _headers(raw: Any, origin: str) -> tuple[tuple[str, str], ...]:
    """`Name: value` entries (a list of flags, or one per line of the variable) as pairs.

    A malformed entry is named by its position only: its text may be a secret."""
    if raw is None:
        return ()
    entries = raw.splitlines() if isinstance(raw, str) else list(raw)
    pairs = []
    for number, entry in enumerate(entries, 1):
        if not str(entry).strip():
            continue
        name, colon, value = str(entry).partition(":")
        name = name.strip()
        if not colon or not name or not set(name) <= _TOKEN_CHARS:
            raise OptionError(
                f"{origin}: entry {number} is not 'Name: value' (a header name, a colon, "
                "then the value), e.g. --header 'X-Api-Key: <key>'"
            )
        pairs.append((name, value.strip()))
    return tuple(pairs)


def _check(options: RunOptions) -> None:
    if options.profile not in PROFILES:
        raise OptionError(
            f"--profile: unknown profile {options.profile!r}; choose one of {', '.join(PROFILES)}"
        )
    for name in _POSITIVE:
        value = getattr(options, name)
        if value is not None and value <= 0:
            raise OptionError(f"{_BY_FIELD[name].flag}: must be greater than 0, got {value}")
    if options.targets:
        clashing = [_BY_FIELD[name].flag for name in _PER_TARGET if getattr(options, name)]
        if clashing:
            raise OptionError(
                f"--targets: each target names its URL and credentials; "
                f"drop {', '.join(clashing)} (or drop --targets)"
            )
    base_url = options.base_url
    if base_url and not base_url.startswith(("http://", "https://")):
        raise OptionError(
            f"--base-url: {base_url!r} is not an http(s) URL; "
            "give the server's root, e.g. http://127.0.0.1:8000"
        )
