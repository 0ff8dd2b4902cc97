"""What a response must not reveal: server internals in error bodies, credentials in items.

Pure functions over text and parsed JSON, so each pattern is unit-tested on its own; the
security probes (`probes/security.py`) turn what they find into findings. Every fragment
these return is already redacted: it names what leaked without repeating a secret.

False alarms are the design constraint. An error body often echoes the caller's input
(FastAPI's 422 repeats every bad value), and fuzzed input can be anything, so text the
request itself sent is cut out before scanning (`scan_error`), and every pattern needs the
shape of the thing, not a word: `SELECT … FROM` in capitals or with a bind placeholder, a
stack *frame* rather than the word "exception", a path ending in a source file's suffix.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from threadconform.exchange import Request, Response

__all__ = [
    "BODY_CHARS",
    "CREDENTIAL",
    "ERROR_CLASS",
    "FRAGMENT_CHARS",
    "KINDS",
    "MAX_DEPTH",
    "MAX_STRINGS",
    "PARAMETERS",
    "PATH",
    "SQL",
    "STACK",
    "STRING_CHARS",
    "ErrorBody",
    "ErrorSample",
    "Exposure",
    "Leak",
    "body_strings",
    "item_credentials",
    "masked",
    "redact",
    "scan_error",
    "scan_strings",
    "scan_text",
    "secret_name",
    "secret_value",
]

FRAGMENT_CHARS = 120  # a quote long enough to recognise, short enough to read
MAX_STRINGS = 2000  # strings of one body scanned at most (bounds a hostile body's cost)
STRING_CHARS = 4096  # characters of one string kept and scanned
BODY_CHARS = 32_768  # characters of one error body kept and scanned, all strings together
MAX_DEPTH = 8  # nesting followed into an item


@dataclass(frozen=True)
class Leak:
    kind: str  # what leaked, e.g. "SQL text"
    fragment: str  # the smallest revealing fragment, redacted


def _compile(*patterns: str, flags: int = 0) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(pattern, flags) for pattern in patterns)


# SQL spans lines (SQLAlchemy starts a compiled statement on a new line and breaks it before
# FROM, WHERE, LIMIT), so whitespace is `\s` throughout. Each column list starts and ends on a
# non-space and whitespace runs are possessive (`\s++`): a run of spaces is crossed once, not
# split every way (before, "SELECT" and 4,000 spaces took seconds to scan).
_COLUMNS = r"[\w.*\"`,()](?:[\w.*\"`,()\s]{0,200}?[\w.*\"`,()])?"
_LOWER_COLUMNS = r"[\w.*,\"](?:[\w.*,\"\s]{0,120}?[\w.*,\"])?"

# Each kind: patterns whose match is the revealing fragment.
SQL = _compile(
    # SQLAlchemy's `[SQL: …]`, quoted from the statement's first word (past the line break
    # that often follows the label); the fragment is cut to FRAGMENT_CHARS once redacted.
    r"\[SQL:\s*+[^\]\s][^\]]{0,200}\]?",
    rf"\bSELECT\s++(?:DISTINCT\s++)?{_COLUMNS}\s++FROM\s++[\w.\"`]+",
    r"\b(?:INSERT\s+INTO|DELETE\s+FROM)\s+[\w.\"`]+",
    r"\bUPDATE\s+[\w.\"`]+\s+SET\s+[\w.\"`]+\s*=",
) + _compile(
    # lower-case SQL only with a bind placeholder: prose says "select a value from"
    rf"\bselect\s++{_LOWER_COLUMNS}\s++from\s++[\w.\"]++(?:\s++(?:as\s++)?\w++)?\s++where\s++"
    r"[\w.\"]++\s*+(?:=|\bin\b|\blike\b)\s*+\(?(?:%\(\w+\)s|%s|\$\d+|\?|:\w+)",
    r"\bsyntax error at or near\b[^\n]{0,40}",
    r"\byou have an error in your sql syntax\b",
    r"\bnear \"[^\"\n]{1,40}\": syntax error\b",
    r"\bunterminated quoted string at or near\b",
    flags=re.IGNORECASE,
)
PARAMETERS = _compile(
    r"\[parameters: [^\]\n]{1,160}\]?",  # SQLAlchemy: the values bound into the query
    r"\bDETAIL:\s+Key \([^)\n]{1,60}\)=\([^)\n]{0,60}\)",  # PostgreSQL: the offending row's key
)
ERROR_CLASS = _compile(
    r"\b(?:psycopg2?|asyncpg|pymysql|MySQLdb|sqlite3|cx_Oracle|oracledb|pyodbc|aiosqlite)"
    r"(?:\.\w+)*\.[A-Z]\w+",
    r"\bsqlalchemy\.(?:orm\.)?exc\.\w+",
    r"\bsqlalche\.me/e/\w+",
    r"\bdjango\.db\.(?:utils\.)?\w*Error\b",
    r"\bPrisma\w*(?:Error|Exception)\b",
    r"\bprisma\.\w+\.\w+\(\)\s+invocation",
    r"\bSequelize\w*Error\b",
    r"\bQueryFailedError\b",
    r"\bMongo(?:Server|Network)?Error\b",
    r"\borg\.hibernate\.[\w.]+",
    r"\bjava\.sql\.\w+",
    r"\b(?:org\.postgresql\.util\.)?PSQLException\b",
    r"\bActiveRecord::\w+",
    r"\bPG::\w+",
    r"\bSQLite3::\w+",
    r"(?:^|[\s\"'(])pq: [a-z][^\n]{0,60}",
    r"\(SQLSTATE [0-9A-Z]{5}\)",
    r"\bSQLSTATE\[[0-9A-Z]{5}\]",
    r"\bORA-\d{5}\b",
    r"\bSystem\.(?:[A-Z]\w*\.)*[A-Z]\w*Exception\b",
    r"\b(?:ValueError|TypeError|KeyError|AttributeError|IndexError|ZeroDivisionError|"
    r"UnboundLocalError|RecursionError|NullPointerException|IllegalArgumentException|"
    r"IllegalStateException|ClassCastException|NumberFormatException|"
    r"ArrayIndexOutOfBoundsException|ReferenceError|RangeError): [^\n]{0,60}",
)
STACK = _compile(
    r"Traceback \(most recent call last\)",
    r"File \"[^\"\n]{1,200}\", line \d+(?:, in [\w<>]+)?",  # Python frame
    r"\bat [\w$.<>]+\((?:[\w$-]+\.(?:java|kt|scala|groovy):\d+|Native Method|Unknown Source)\)",
    r"\bat [^\n()]{0,120}?\(?(?:file://)?[^\s()\"']{1,200}\.(?:js|mjs|cjs|ts|tsx|jsx):\d+:\d+\)?",
    r"\(node:internal/[^\s)]+\)",
    r"goroutine \d+ \[[\w ,]+\]:",
    r"\bpanic: [^\n]{1,60}",
    r"(?<![\w./-])[\w./-]{1,200}\.rb:\d+:in [`'][^'\n]{1,80}'",  # Ruby frame
    r"\bat [\w.<>`]+\([^)\n]{0,200}\) in [^\n]{1,200}:line \d+",  # .NET frame
    r"(?:^|\n)#\d+ [^\n]{0,200}\.php\(\d+\)",  # PHP frame
)
PATH = _compile(
    r"(?:(?<=[\s\"'(=:,\[])|^)(?:/[\w.@+~-]+)+\.(?:py|pyc|js|mjs|cjs|ts|go|rb|java|kt|php|cs|rs|"
    r"ex|exs|scala|erl)\b(?::\d+)?",
    r"\b[A-Za-z]:\\(?:[\w.@+ -]+\\)+[\w.@+-]+\.(?:py|js|ts|cs|java|go|rb|php)\b",
    r"/(?:site-packages|dist-packages|node_modules)/[^\s\"']{1,100}",
)
CREDENTIAL = _compile(
    r"\beyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]*",  # a JWT
    r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----",
    r"(?i)\bbearer\s+(?:\*\*\*|(?=[\w.~+/-]*\d)[\w.~+/-]{12,}=*)",  # "Bearer ***": ours, echoed
    r"\b(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{10,}",
    r"\bsk-[A-Za-z0-9_-]{20,}",
    r"\bgh[pousr]_[A-Za-z0-9]{30,}",
    r"\bAKIA[0-9A-Z]{16}\b",
    r"\bxox[abprs]-[0-9A-Za-z-]{10,}",
    r"\bAIza[0-9A-Za-z_-]{35}\b",
    r"\b[a-z][a-z0-9+.-]*://[^\s/:@\"']+:[^\s/@\"']+@",  # a URL with a password in it
)
KINDS: tuple[tuple[str, tuple[re.Pattern[str], ...]], ...] = (
    ("SQL text", SQL),
    ("its bound parameters", PARAMETERS),
    ("a driver or ORM error class", ERROR_CLASS),
    ("a stack trace", STACK),
    ("a server file path", PATH),
    ("a credential", CREDENTIAL),
)

# --- names that say "secret" ----------------------------------------------------------

_SECRET_NAMES = frozenset(
    {
        "pass", "password", "passwd", "pwd", "passphrase", "secret", "token", "apikey",
        "apisecret", "privatekey", "secretkey", "accesskey", "accesstoken", "refreshtoken",
        "idtoken", "sessiontoken", "authtoken", "clientsecret", "authorization",
        "credential", "credentials", "bearer", "sessionid", "cookie",
    }
)  # fmt: skip
_SECRET_SUFFIXES = ("password", "passwd", "secret", "token", "apikey", "privatekey", "secretkey")
# Pagination and CSRF-free tokens that are not credentials.
_NOT_SECRET_SUFFIXES = ("pagetoken", "nexttoken", "cursortoken", "continuationtoken", "synctoken")
_MASKS = frozenset({"", "***", "null", "none", "redacted", "[redacted]", "<redacted>", "hidden"})


def secret_name(name: str) -> bool:
    """True when a field name says it holds a secret (`pass`, `api_key`, `sandboxToken`)."""
    key = re.sub(r"[^a-z0-9]", "", name.lower())
    if key.endswith(_NOT_SECRET_SUFFIXES):
        return False
    return key in _SECRET_NAMES or key.endswith(_SECRET_SUFFIXES)


def masked(value: str) -> bool:
    """True for a value that only stands in for a secret (`***`, `••••`, empty)."""
    text = value.strip()
    return text.lower() in _MASKS or (len(text) >= 3 and set(text) <= set("*•x·#"))


def secret_value(value: str) -> str | None:
    """What a string value looks like, when it looks like a credential (else None)."""
    for pattern, what in _VALUE_SHAPES:
        if pattern.search(value):
            return what
    return None


_VALUE_SHAPES: tuple[tuple[re.Pattern[str], str], ...] = (
    (CREDENTIAL[0], "a JWT"),
    (CREDENTIAL[1], "a private key"),
    (re.compile(r"(?i)^bearer\s+\S{8,}"), "a bearer credential"),
    *((pattern, "an API key of a known format") for pattern in CREDENTIAL[3:9]),
    (CREDENTIAL[9], "a URL with a password in it"),
)

# --- redaction of what is quoted ------------------------------------------------------

# A number is shown only while every run of its digits is at most this long. Eight digits
# hold any page size, offset or count a vendor needs to replay the request (up to
# 99,999,999), and the caller sent those values itself; nine or more may be a national id
# (a US social security number has 9), an account number (most have 9 to 17 digits; a UK
# one has 8, the price of showing offsets whole) or a card number (12 to 19), so such a run
# is masked like a string.
_SHOWN_DIGITS = 8
_PLAIN_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
_Replacement = str | Callable[[re.Match[str]], str]


# Keys whose value is a secret or personal even when it is a short number: a PIN, a
# one-time code, a numeric password or API key, a card's security code, a phone number.
_SECRET_KEY = re.compile(
    r"(?i)pass|pin\b|pin_|otp|(?<!status_)code|secret|token|key|cvv|cvc|ssn|phone|mobile|tel\b|card"
)


def _masked_value(match: re.Match[str]) -> str:
    """A value in a dump masked, unless it is a plain number under a key that names no
    secret: a limit or an offset is what a vendor needs to reproduce (a long one is masked
    by the digit-run rule after this), a PIN or a one-time code is not."""
    prefix, value = match.groups()
    if _PLAIN_NUMBER.fullmatch(value) and not _SECRET_KEY.search(prefix):
        return match.group(0)
    return prefix + "***"


_REDACTIONS: tuple[tuple[re.Pattern[str], _Replacement], ...] = (
    (re.compile(r"\beyJ[\w-]{4,}(?:\.[\w-]*){0,2}"), "eyJ***"),
    (re.compile(r"(?i)\b(bearer\s+)\S+"), r"\1***"),
    (re.compile(r"-----BEGIN [^-]{0,30}-----[\s\S]*"), "-----BEGIN ***"),
    (re.compile(r"(://[^\s/:@\"']+:)[^\s/@\"']+@"), r"\1***@"),
    # a value in a parameters dump ('account_id': '7b1e…', 'param_1': 50): strings and
    # digit-led tokens that are no number (7b1e…, 2024-05-01) masked; true, None, null kept
    (re.compile(r"(['\"]\w+['\"]\s*:\s*)('[^']*'|\"[^\"]*\"|-?\d[\w.+-]*)"), _masked_value),
    (re.compile(r"(\b\w+\s*=\s*)('[^']*'|\"[^\"]*\")"), r"\1***"),
    (
        re.compile(r"\b(sk_live_|sk_test_|rk_live_|sk-|gh[pousr]_|AKIA|xox[abprs]-|AIza)[\w-]+"),
        r"\1***",
    ),
    # SQL literals and the strings of a tuple or list dump ('abc', 50), not a dict's keys
    (re.compile(r"(?<=[=(,\s\[{])'[^'\n]{1,200}?'(?!\s*:)"), "'***'"),
    (
        re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I),
        "***",
    ),
    (re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]+\.[\w.-]+"), "***@***"),
    (re.compile(r"\b(?=[A-Za-z0-9_-]*\d)(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9_-]{24,}"), "***"),
    (re.compile(rf"(?<!\w)\d{{{_SHOWN_DIGITS + 1},}}(?!\w)"), "***"),  # see _SHOWN_DIGITS
    # a quote the pattern's bound cut before it closed ('hunter2…): no rule above saw it whole
    (re.compile(r"(?<=[=(,\s\[{:])(['\"])[^'\"\n]*$"), r"\1***"),
)


def redact(fragment: str) -> str:
    """The fragment with secrets and personal values replaced by `***`, one line, short.
    Numbers stay (`'param_1': 50`) unless long enough to be an account (`_SHOWN_DIGITS`)."""
    text = " ".join(fragment.split())
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text if len(text) <= FRAGMENT_CHARS else text[: FRAGMENT_CHARS - 1] + "…"


# --- error bodies ---------------------------------------------------------------------


def scan_text(text: str, sent: Sequence[str] = ()) -> list[Leak]:
    """Every kind of internal `text` reveals, each once, quoted by its shortest fragment,
    save that SQLAlchemy's `[SQL: …]` comes first (`_preferred`).

    `sent` are the values the request carried (query values): a body that merely repeats
    them reveals nothing the caller did not already have, so they are cut out first.
    """
    text = _without(text, sent)
    found = []
    for kind, patterns in KINDS:
        matches = [m.group(0).strip() for p in patterns for m in p.finditer(text)]
        matches = [m for m in matches if m and not _inside_url(text, m)]
        if matches:
            found.append(Leak(kind, redact(min(matches, key=_preferred))))
    return found


def _preferred(fragment: str) -> tuple[bool, int]:
    """Sort key of the fragments of one kind: the shortest, but SQLAlchemy's `[SQL: …]`
    before any other. It quotes the statement the server ran from its first word, where a
    shorter `SELECT … FROM` may be a subquery or the tail of a LINE excerpt."""
    return (not fragment.startswith("[SQL:"), len(fragment))


def scan_error(body: Any, text: str, sent: Sequence[str] = ()) -> list[Leak]:
    """What an error response reveals: its parsed JSON body when there is one (every key
    and string in it, so escaped newlines and quotes do not hide a stack frame), else its
    text. Secret-named keys with a value are echoed credentials."""
    return scan_strings(body_strings(body, text), sent)


def body_strings(body: Any, text: str) -> tuple[tuple[str | None, str], ...]:
    """(key or None, string) pairs of a body, each string and their total capped: what an
    error body is kept as, so a run holding hundreds of them holds a few megabytes."""
    if body is None:
        return ((None, text[:STRING_CHARS]),)
    kept: list[tuple[str | None, str]] = []
    budget = BODY_CHARS
    for key, value in _strings(body):
        if budget <= 0:
            break
        kept.append((key, value[: min(STRING_CHARS, budget)]))
        budget -= len(kept[-1][1])
    return tuple(kept)


def scan_strings(strings: Iterable[tuple[str | None, str]], sent: Sequence[str] = ()) -> list[Leak]:
    """`scan_error` over pairs from `body_strings`."""
    leaks: dict[str, Leak] = {}
    for key, value in strings:
        if key is not None and secret_name(key) and not masked(value):
            leaks.setdefault("a credential", Leak("a credential", f"{key!r}: '***'"))
        for leak in scan_text(value, sent):
            known = leaks.get(leak.kind)
            if known is None or _preferred(leak.fragment) < _preferred(known.fragment):
                leaks[leak.kind] = leak
    order = [kind for kind, _ in KINDS]
    return sorted(leaks.values(), key=lambda leak: order.index(leak.kind))


def _strings(value: Any) -> Iterator[tuple[str | None, str]]:
    """(key or None, string) for every string in a JSON value, keys included; bounded."""
    stack: list[tuple[str | None, Any]] = [(None, value)]
    seen = 0
    while stack and seen < MAX_STRINGS:
        key, node = stack.pop()
        if isinstance(node, str):
            seen += 1
            yield key, node
        elif isinstance(node, dict):
            for name, item in node.items():
                seen += 1
                yield None, str(name)
                stack.append((str(name), item))
        elif isinstance(node, list):
            stack.extend((key, item) for item in node)


def _without(text: str, sent: Iterable[str]) -> str:
    """`text` with the values the request sent cut out, numbers excepted: no pattern
    matches a number by itself, and cutting `1000` would blank the limit a parameters dump
    shows and turn an offset of 10000 into a false 0."""
    cut = {v for v in sent if len(v) >= 4 and not _PLAIN_NUMBER.fullmatch(v)}
    for value in sorted(cut, key=len, reverse=True):
        for form in (value, json.dumps(value)[1:-1]):
            text = text.replace(form, " ")
    return text


def _inside_url(text: str, match: str) -> bool:
    """A path that is part of a URL (https://host/static/app.js) is no server file path."""
    start = text.find(match)
    before = text[max(0, start - 200) : start]
    word = re.split(r"[\s\"'(),\[\]]", before)[-1]
    return "://" in word or word.startswith("//")


# --- list items -----------------------------------------------------------------------


@dataclass(frozen=True)
class Exposure:
    path: str  # dotted path from the item, `[]` for list elements: project.sandbox.pass
    why: str  # "named like a secret" or what the value looks like
    count: int  # items in which the path holds such a value
    example: str  # a redacted hint at the value: its length and first characters


def item_credentials(items: Sequence[Any]) -> list[Exposure]:
    """Every item path holding a credential-like value, once per path, with a count."""
    counts: dict[str, int] = {}
    first: dict[str, tuple[str, str]] = {}
    for item in items:
        seen_here: set[str] = set()
        for path, why, value in _secrets_in(item, "", 0):
            if path not in seen_here:
                seen_here.add(path)
                counts[path] = counts.get(path, 0) + 1
                first.setdefault(path, (why, _hint(value)))
    return [Exposure(path, first[path][0], counts[path], first[path][1]) for path in sorted(counts)]


def _secrets_in(node: Any, path: str, depth: int) -> Iterator[tuple[str, str, str]]:
    if depth > MAX_DEPTH:
        return
    if isinstance(node, dict):
        for name, value in node.items():
            child = f"{path}.{name}" if path else str(name)
            if isinstance(value, str) and value and not masked(value):
                shape = secret_value(value)
                if shape is not None:
                    yield child, shape, value
                elif secret_name(str(name)):
                    yield child, "named like a secret", value
            else:
                yield from _secrets_in(value, child, depth + 1)
    elif isinstance(node, list):
        for value in node:
            if isinstance(value, str) and (shape := secret_value(value)):
                yield f"{path}[]", shape, value
            else:
                yield from _secrets_in(value, f"{path}[]", depth + 1)


def _hint(value: str) -> str:
    """Enough to recognise the value by, never any of its secret characters: a vendor
    prefix such as `tok_` or `sk_live_` when it has one, and its length."""
    prefix = _PREFIX.match(value)
    shown = (prefix.group(0) if prefix else "") + "***"
    return f"{shown} ({len(value)} characters)"


_PREFIX = re.compile(r"eyJ|-----BEGIN|(?i:bearer )|[A-Za-z]{2,6}[_-](?:[a-z]{2,6}[_-])?(?=\w{8})")


# --- the run's error bodies -----------------------------------------------------------


@dataclass(frozen=True)
class ErrorBody:
    """An error response as the scan needs it: the request, the status, capped strings."""

    request: Request
    status: int
    strings: tuple[tuple[str | None, str], ...]


@dataclass
class ErrorSample:
    """The 4xx/5xx responses a run received, for the error-body scan: bounded, varied.

    Every probe's requests pass through `ProbeContext.fetch`, which adds each answer here;
    identical bodies are kept once (a fuzz run gets the same 422 many times), at most
    `limit` distinct ones, each as capped strings (`body_strings`): a long run or a
    hostile target costs a few megabytes and a few seconds of scanning at most.
    """

    limit: int = 300
    bodies: list[ErrorBody] = field(default_factory=list)
    seen: int = 0  # error responses received, duplicates and overflow included
    _keys: dict[tuple[int, int], int] = field(default_factory=dict)  # -> index in bodies
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, response: Response) -> None:
        if response.status is None or response.status < 400:
            return
        key = (response.status, hash(response.text))
        with self._lock:  # probes run side by side (--concurrency)
            self.seen += 1
            if key in self._keys:
                # Of the requests that got the same body, keep the one first in URL order:
                # the evidence is the same whichever order the requests were answered in.
                index = self._keys[key]
                kept = self.bodies[index]
                if response.request.full_url < kept.request.full_url:
                    self.bodies[index] = ErrorBody(response.request, kept.status, kept.strings)
                return
            if len(self.bodies) >= self.limit:
                return
            self._keys[key] = len(self.bodies)
            strings = body_strings(response.body, response.text)
            self.bodies.append(ErrorBody(response.request, response.status, strings))

    def in_order(self) -> list[ErrorBody]:
        """The bodies by status and URL: the same list whatever order they arrived in."""
        return sorted(self.bodies, key=lambda body: (body.status, body.request.full_url))
