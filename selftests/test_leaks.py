"""The scanners behind the security rules: each kind of leak found in a body that has it,
and nothing found in the bodies conforming servers send (input echoes above all)."""

from __future__ import annotations

import json
import time
from types import SimpleNamespace
from typing import Any

import pytest

from selftests.guard import scaled
from threadconform import leaks
from threadconform.exchange import Request, Response
from threadconform.probes.security import _scan_sample
from threadconform.reference.auth import KORTIX_PRIMARY

KORTIX_500 = (
    "(psycopg.errors.NumericValueOutOfRange) bigint out of range\n"
    "[SQL: SELECT t.thread_id, t.name FROM threads AS t WHERE t.account_id = "
    "%(account_id_1)s::UUID ORDER BY t.created_at DESC LIMIT %(param_1)s OFFSET %(param_2)s]\n"
    "[parameters: {'account_id_1': '7b1e7c52-3f0a-4d6e-9a51-2c7f0e6d8a11', 'param_1': 100, "
    "'param_2': 922337203685477580700}]\n(Background on this error at: https://sqlalche.me/e/20/9h9h)"
)

LEAKING = {
    "SQL text": [
        KORTIX_500,
        'ERROR: syntax error at or near "\'" LINE 1',
        'sqlite3.OperationalError: near "FROM": syntax error',
        "select id from threads where owner = $1 limit 10",
        "You have an error in your SQL syntax; check the manual",
    ],
    "its bound parameters": [
        KORTIX_500,
        "ERROR: duplicate key value\nDETAIL:  Key (email)=(ann@example.com) already exists.",
    ],
    "a driver or ORM error class": [
        KORTIX_500,
        "sqlalchemy.exc.DataError: value out of range",
        "PrismaClientKnownRequestError: Invalid `prisma.thread.findMany()` invocation",
        "SequelizeDatabaseError: invalid input syntax for type uuid",
        "org.postgresql.util.PSQLException: ERROR: integer out of range",
        "ActiveRecord::StatementInvalid: PG::NumericValueOutOfRange",
        "ValueError: invalid literal for int() with base 10: 'abc'",
    ],
    "a stack trace": [
        'Traceback (most recent call last):\n  File "/app/api.py", line 3, in f\nKeyError',
        "java.lang.NumberFormatException\n\tat com.acme.ThreadsController.list(ThreadsController"
        ".java:42)",
        "TypeError: x is undefined\n    at listThreads (/srv/app/routes/threads.js:17:9)",
        "goroutine 1 [running]:\nmain.list()\n\t/go/src/app/main.go:12 +0x1d",
        "/app/threads.rb:12:in `list'",
        "   at Acme.Api.Threads.List() in C:\\src\\Api\\Threads.cs:line 42",
    ],
    "a server file path": [
        'File "/usr/local/lib/python3.12/site-packages/fastapi/routing.py", line 212',
        "error in /home/deploy/app/server/handlers.go:88",
        "C:\\inetpub\\api\\Controllers\\Threads.cs failed",
    ],
    "a credential": [
        f"invalid token {KORTIX_PRIMARY}",
        "received Authorization: Bearer *** for user",
        "key sk_live_4f7c2a9e51d34f7c2a9e51d3 is disabled",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIE",
        "connecting to postgres://app:hunter2secret@db.internal:5432/app",
    ],
}


@pytest.mark.parametrize(
    ("kind", "text"), [(kind, text) for kind, texts in LEAKING.items() for text in texts]
)
def test_each_kind_of_leak_is_found(kind: str, text: str) -> None:
    found = {leak.kind: leak.fragment for leak in leaks.scan_text(text)}
    assert kind in found, found


CLEAN = [
    '{"detail":"Not authenticated"}',
    '{"detail":"Invalid or expired token"}',
    "Select a value from the list of allowed orders",
    "Input should be a valid integer, unable to parse string as an integer",
    "limit must be between 1 and 100; see https://docs.example.com/errors/limits.js for more",
    "Missing Bearer token in the Authorization header",
    "Expected Bearer authentication",
    '{"error":{"message":"Invalid API key","type":"authentication_error",'
    '"code":"invalid_api_key"}}',
    "the value must match ^[a-zA-Z0-9_-]+$",
    "Internal Server Error",
    "select a value from\nthe list where\nstatus = open",
]


@pytest.mark.parametrize("text", CLEAN)
def test_a_plain_error_message_reveals_nothing(text: str) -> None:
    assert leaks.scan_text(text) == []


@pytest.mark.parametrize(
    "sent",
    [
        "SELECT * FROM users WHERE id = $1",
        'File "/etc/passwd.py", line 1',
        "/app/main.py",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abc",
        "x' OR 1=1 --\n  at foo (/a/b.js:1:2)",
    ],
)
def test_a_body_that_echoes_the_input_reveals_nothing_of_its_own(sent: str) -> None:
    """FastAPI's 422 repeats the bad value: fuzzed input must not read as a leak."""
    body = {
        "detail": [
            {
                "type": "int_parsing",
                "loc": ["query", "limit"],
                "msg": "Input should be a valid integer",
                "input": sent,
            }
        ]
    }
    assert leaks.scan_error(body, json.dumps(body), [sent]) == []
    assert leaks.scan_error(body, json.dumps(body), []) != []  # the same body, not sent: found


def test_a_json_body_is_scanned_string_by_string() -> None:
    """Escaped newlines and quotes in the raw JSON text must not hide a Python frame."""
    body = {"detail": 'Traceback (most recent call last):\n  File "/app/x.py", line 9, in f'}
    kinds = [leak.kind for leak in leaks.scan_error(body, json.dumps(body))]
    assert kinds == ["a stack trace", "a server file path"]


def test_an_echoed_secret_key_is_a_credential() -> None:
    body = {"error": "unauthorized", "request": {"headers": {"authorization": "Basic dXNlcjpw"}}}
    assert [leak.kind for leak in leaks.scan_error(body, "")] == ["a credential"]
    masked = {"error": "unauthorized", "request": {"headers": {"authorization": "***"}}}
    assert leaks.scan_error(masked, "") == []


def test_the_fragment_is_the_smallest_and_redacted() -> None:
    found = {leak.kind: leak.fragment for leak in leaks.scan_text(KORTIX_500)}
    assert found["a driver or ORM error class"] == "psycopg.errors.NumericValueOutOfRange"
    every = " ".join(found.values())
    assert "7b1e7c52" not in every and "922337203685477580700" not in every
    assert all(len(fragment) <= leaks.FRAGMENT_CHARS for fragment in found.values())
    jwt = leaks.scan_text(f"bad token {KORTIX_PRIMARY}")[0].fragment
    assert KORTIX_PRIMARY[:20] not in jwt and jwt.startswith("eyJ")


def test_a_path_inside_a_url_is_not_a_server_path() -> None:
    assert leaks.scan_text("see https://cdn.example.com/static/app/main.js") == []
    assert leaks.scan_text("see /srv/app/main.js") != []


# --- SQL error bodies as real backends send them -------------------------------------

# Kortix (FastAPI + SQLAlchemy + psycopg2) given a non-UUID account id, as a user got it: the
# JSON body's escaped newlines are real ones once parsed. SQLAlchemy starts the statement on
# the line after `[SQL: `.
KORTIX_UUID_500 = """\
(psycopg2.errors.InvalidTextRepresentation) invalid input syntax for type uuid: "abc"
LINE 3: WHERE threads.account_id = 'abc'::UUID ORDER BY threads.crea...
                                   ^

[SQL: \nSELECT threads.thread_id, threads.account_id, threads.created_at \nFROM threads \n\
WHERE threads.account_id = %(account_id_1)s::UUID ORDER BY threads.created_at DESC \n\
 LIMIT %(param_1)s OFFSET %(param_2)s]
[parameters: {'account_id_1': 'abc', 'param_1': 50, 'param_2': 0}]
(Background on this error at: https://sqlalche.me/e/20/9h9h)"""

# The same mistake through SQLAlchemy's asyncpg dialect: $n placeholders, a wider select
# list, the parameters as a tuple.
ASYNCPG_500 = (
    "(sqlalchemy.dialects.postgresql.asyncpg.Error) <class 'asyncpg.exceptions.DataError'>: "
    "invalid input for query argument $1: 'abc' (invalid UUID 'abc': length must be between "
    "32..36 characters, got 3)\n"
    "[SQL: \nSELECT threads.thread_id, threads.project_id, threads.account_id, threads.name, "
    "threads.metadata, threads.is_public, threads.created_at, threads.updated_at \n"
    "FROM threads \nWHERE threads.account_id = $1::UUID ORDER BY threads.created_at DESC \n"
    " LIMIT $2::INTEGER OFFSET $3::INTEGER]\n"
    "[parameters: ('abc', 20, 40)]\n"
    "(Background on this error at: https://sqlalche.me/e/20/dbapi)"
)

# Raw asyncpg, no ORM: a debug handler returns the query it ran, one column a line.
RAW_SQL_500 = (
    "asyncpg.exceptions.UndefinedColumnError: column t.archived_at does not exist\n"
    "query:\n"
    "        SELECT t.thread_id,\n"
    "               t.name,\n"
    "               t.created_at\n"
    "          FROM threads AS t\n"
    "         WHERE t.account_id = $1\n"
    "           AND t.archived_at IS NULL\n"
    "      ORDER BY t.created_at DESC\n"
    "         LIMIT $2 OFFSET $3\n"
)


def _fragments(detail: str, sent: list[str] | None = None) -> dict[str, str]:
    """What SEC-ERROR-INTERNALS quotes of a JSON error body `{"detail": ...}`."""
    body = {"detail": detail}
    found = leaks.scan_error(body, json.dumps(body), sent or [])
    return {leak.kind: leak.fragment for leak in found}


def test_the_kortix_sql_500_names_its_statement_parameters_and_driver() -> None:
    assert _fragments(KORTIX_UUID_500) == {
        "SQL text": "[SQL: SELECT threads.thread_id, threads.account_id, threads.created_at "
        "FROM threads WHERE threads.account_id = %(accoun…",
        "its bound parameters": "[parameters: {'account_id_1': ***, 'param_1': 50, 'param_2': 0}]",
        "a driver or ORM error class": "psycopg2.errors.InvalidTextRepresentation",
    }


@pytest.mark.parametrize(
    ("detail", "quoted"),
    [
        (KORTIX_UUID_500, "[SQL: SELECT threads.thread_id, threads.account_id, "),
        (ASYNCPG_500, "[SQL: SELECT threads.thread_id, threads.project_id, threads.account_id, "),
        (RAW_SQL_500, "SELECT t.thread_id, t.name, t.created_at FROM threads"),
        (
            "select id,\n       name\n  from threads\n where account_id = $1\n limit 10",
            "select id, name from threads where account_id = $1",
        ),
    ],
    ids=["sqlalchemy-psycopg2", "sqlalchemy-asyncpg", "raw-asyncpg", "lower-case"],
)
def test_sql_that_spans_lines_is_quoted_from_its_first_word(detail: str, quoted: str) -> None:
    assert _fragments(detail)["SQL text"].startswith(quoted)


def test_a_run_of_spaces_after_select_costs_little() -> None:
    """A hostile body of one keyword and a string's worth of spaces (4-12 s before; about
    5 ms now). A hang guard, scaled like every other one, not a performance figure."""
    started = time.perf_counter()
    for keyword in ("SELECT", "select", "[SQL:"):
        assert leaks.scan_text(keyword + " " * leaks.STRING_CHARS) == []
    assert time.perf_counter() - started < scaled(2.0)


@pytest.mark.parametrize(
    ("detail", "quoted"),
    [
        (KORTIX_UUID_500, "[parameters: {'account_id_1': ***, 'param_1': 50, 'param_2': 0}]"),
        (ASYNCPG_500, "[parameters: ('***', 20, 40)]"),
        (
            '[parameters: {"limit": 50, "ratio": 1.5, "delta": -3, "ok": true, '
            '"cursor": null, "email": "ann@example.com"}]',
            '[parameters: {"limit": 50, "ratio": 1.5, "delta": -3, "ok": true, '
            '"cursor": null, "email": ***}]',
        ),
        (
            "[parameters: {'limit': 20, 'archived': False, 'before': None}]",
            "[parameters: {'limit': 20, 'archived': False, 'before': None}]",
        ),
        ("[parameters: (12345678, 123456789)]", "[parameters: (12345678, ***)]"),
    ],
    ids=["psycopg2-dict", "asyncpg-tuple", "json", "flags", "digit-cut-off"],
)
def test_a_parameters_dump_shows_its_numbers(detail: str, quoted: str) -> None:
    """A vendor replays the request with the limit and offset it shows; up to 8 digits."""
    assert _fragments(detail)["its bound parameters"] == quoted


def test_a_number_the_request_sent_is_not_cut_out_of_the_dump() -> None:
    detail = "[parameters: {'param_1': 1000, 'param_2': 10000}]"
    assert _fragments(detail, ["1000", "10000"]) == {"its bound parameters": detail}


@pytest.mark.parametrize(
    ("value", "secret"),
    [
        ("'7b1e7c52-3f0a-4d6e-9a51-2c7f0e6d8a11'", "7b1e7c52"),
        ("UUID('7b1e7c52-3f0a-4d6e-9a51-2c7f0e6d8a11')", "7b1e7c52"),
        ("'ann@example.com'", "ann@"),
        (f"'{KORTIX_PRIMARY}'", KORTIX_PRIMARY[3:20]),
        ("'sk_live_4f7c2a9e51d34f7c2a9e51d3'", "4f7c2a9e"),
        ("'postgres://app:hunter2secret@db.internal/app'", "hunter2secret"),
        ("'hunter2'", "hunter2"),
        ("'50'", "'50'"),  # a number in quotes is a string: masked
        ("123456789", "123456789"),  # 9 digits: a social security number's length
        ("4111111111111111", "41111111"),  # a card number
        ("-922337203685477580700", "922337203"),
        ("12345678901.5", "12345678901"),
    ],
)
@pytest.mark.parametrize(
    "dump",
    ["[parameters: {{'limit': 50, 'value': {}}}]", "[parameters: (50, {})]"],
    ids=["dict", "tuple"],
)
def test_secrets_in_a_parameters_dump_stay_masked(dump: str, value: str, secret: str) -> None:
    fragment = _fragments(dump.format(value))["its bound parameters"]
    assert secret not in fragment and "***" in fragment, fragment
    assert fragment.startswith(("[parameters: {'limit': 50, ", "[parameters: (50, "))


def test_a_string_cut_by_the_patterns_bound_stays_masked() -> None:
    detail = "[parameters: {'note': '" + "hunter2 " * 30 + "'}]"
    assert _fragments(detail)["its bound parameters"] == "[parameters: {'note': '***"


# --- list items -----------------------------------------------------------------------


def test_item_credentials_are_reported_once_per_path_with_a_count() -> None:
    items = [
        {"id": "1", "project": {"sandbox": {"pass": "p-1", "token": "tok_1"}}},
        {"id": "2", "project": {"sandbox": {"pass": "p-2", "token": None}}},
        {"id": "3", "project": None, "owner": {"api_key": "k"}},
    ]
    found = {e.path: e for e in leaks.item_credentials(items)}
    assert set(found) == {"project.sandbox.pass", "project.sandbox.token", "owner.api_key"}
    assert found["project.sandbox.pass"].count == 2
    assert found["project.sandbox.token"].count == 1
    assert found["owner.api_key"].why == "named like a secret"


def test_a_value_shaped_like_a_credential_is_found_whatever_its_name() -> None:
    items = [
        {"id": "1", "metadata": {"note": f"Bearer {KORTIX_PRIMARY}"}},
        {"id": "2", "links": [f"https://u:pw{i}@host/x" for i in range(2)]},
        {"id": "3", "metadata": {"cfg": KORTIX_PRIMARY}},
    ]
    found = {e.path: e for e in leaks.item_credentials(items)}
    assert found["metadata.note"].why == "a JWT"  # the JWT shape is checked first
    assert found["links[]"].why == "a URL with a password in it"
    assert found["metadata.cfg"].why == "a JWT"
    assert KORTIX_PRIMARY[5:] not in found["metadata.cfg"].example


@pytest.mark.parametrize(
    "item",
    [
        {"id": "1", "maxTokens": 4096, "token_count": 12, "has_password": True},
        {"id": "1", "next_page_token": "abc123", "pageToken": "zz"},
        {"id": "1", "password": "***", "token": "", "secret": None, "api_key": "••••••"},
        {"id": "1", "title": "How to reset a password", "tokenizer": "cl100k"},
        {"id": "1", "tags": ["secret", "token"], "url": "https://example.com/a"},
    ],
)
def test_counts_flags_masks_and_prose_are_not_credentials(item: dict) -> None:
    assert leaks.item_credentials([item]) == []


def test_secret_names() -> None:
    for name in ("pass", "password", "api_key", "apiKey", "sandboxToken", "client_secret"):
        assert leaks.secret_name(name), name
    for name in ("passed", "maxTokens", "next_page_token", "token_type", "secret_name"):
        assert not leaks.secret_name(name), name


# --- the run's error sample -----------------------------------------------------------


def _response(status: int | None, text: str) -> Response:
    return Response(Request("GET", "http://127.0.0.1/x"), status, text=text)


def test_the_error_sample_keeps_distinct_error_bodies_within_its_bound() -> None:
    sample = leaks.ErrorSample(limit=3)
    for status, text in [(200, "ok"), (None, ""), (422, "a"), (422, "a"), (401, "b")]:
        sample.add(_response(status, text))
    assert [(b.status, b.strings) for b in sample.bodies] == [
        (422, ((None, "a"),)),
        (401, ((None, "b"),)),
    ]
    for index in range(10):
        sample.add(_response(500, str(index)))
    assert len(sample.bodies) == 3 and sample.seen == 13


def test_a_huge_error_body_is_kept_capped() -> None:
    huge = {"detail": ["x" * 100_000] * 50, "trace": "Traceback (most recent call last)"}
    kept = leaks.body_strings(huge, "")
    assert sum(len(value) for _, value in kept) <= leaks.BODY_CHARS
    assert all(len(value) <= leaks.STRING_CHARS for _, value in kept)


def test_500s_that_differ_only_in_a_quoted_number_are_one_cause() -> None:
    """Quoted parameters show their numbers now; the same failing query with another
    limit is still one cause in SEC-ERROR-INTERNALS, shown once with how often it came."""

    def body(limit: int, account: str) -> leaks.ErrorBody:
        text = (
            "[SQL: SELECT threads.thread_id FROM threads LIMIT %(param_1)s]\n"
            f"[parameters: {{'account_id_1': '{account}', 'param_1': {limit}}}]"
        )
        request = Request("GET", "http://127.0.0.1/x", (("limit", str(limit)),))
        return leaks.ErrorBody(request, 500, ((None, text),))

    ctx: Any = SimpleNamespace(
        errors=SimpleNamespace(seen=3), client=SimpleNamespace(redact=lambda text: text)
    )
    found = list(_scan_sample(ctx, [body(7, "acct-a"), body(90, "acct-b"), body(7, "acct-c")]))
    failed = [f.violation for f in found if f.violation is not None]
    assert len(failed) == 1, [v.message for v in failed]
    assert "(3 responses alike)" in failed[0].message
    assert "'param_1': 7" in failed[0].actual and "acct" not in failed[0].actual


def test_a_short_number_under_a_secret_key_stays_masked() -> None:
    """Numbers are shown for what a vendor replays (limits, offsets), not for a PIN, a
    one-time code, a numeric password or key, a card's security code or a phone number."""
    dump = (
        "{'pin': 123456, 'otp_code': 4821, 'password': 12345678, 'api_key': 1234567, "
        "'phone': 5551234, 'cvv': 123, 'limit': 20, 'offset': 40}"
    )
    shown = leaks.redact(dump)
    for secret in ("123456", "4821", "12345678", "1234567", "5551234", "123"):
        assert f": {secret}," not in shown, shown
    assert "'limit': 20" in shown and "'offset': 40" in shown
    assert leaks.redact("{'status_code': 500}") == "{'status_code': 500}"
