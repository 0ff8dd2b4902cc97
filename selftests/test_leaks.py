"""The scanners behind the security rules: each kind of leak found in a body that has it,
and nothing found in the bodies conforming servers send (input echoes above all)."""

from __future__ import annotations

import json

import pytest

from threadconform import leaks
from threadconform.exchange import Request, Response
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
