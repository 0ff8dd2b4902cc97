"""Verdicts a user can trust on real servers (issue 12), unit by unit: compressed bodies
handed to Schemathesis, the preflight's one line and exit status, empty tokens and extra
headers, example-only shapes, clamped answers and fractions for `number` parameters."""

from __future__ import annotations

import dataclasses
import gzip
import json
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from selftests.factories import BASE, mock_client
from threadconform import options, preflight, shapes, spec
from threadconform.engine import ProbeContext
from threadconform.exchange import Request, Response
from threadconform.model import Auth
from threadconform.outcomes import Unreachable
from threadconform.probes.clamps import clamp_problems, clamp_query
from threadconform.probes.envelopes import server_error_message
from threadconform.probes.fuzz import (
    _untenanted,
    as_httpx,
    fractional_numbers,
)
from threadconform.profiles import PROFILES

# -- transport -----------------------------------------------------------------------------


def test_a_gzipped_answer_reaches_schemathesis_decoded_and_consistent() -> None:
    body = {"threads": [], "total": 0, "hasMore": False}
    wire = gzip.compress(json.dumps(body).encode())

    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"content-type": "application/json", "content-encoding": "gzip"}
        return httpx.Response(200, headers=headers, content=wire)

    with mock_client(handler) as client:
        response = client.get({})
    assert response.body == body
    # Whatever the client keeps of the wire's header, the rebuilt response must not claim
    # an encoding its (decoded) body does not have.
    claimed = dataclasses.replace(
        response, headers={**response.headers, "Content-Encoding": "gzip"}
    )
    for rebuilt in (as_httpx(response), as_httpx(claimed)):
        assert "content-encoding" not in rebuilt.headers
        assert rebuilt.json() == body
    rebuilt = as_httpx(claimed)
    assert "content-encoding" not in rebuilt.headers
    assert rebuilt.json() == body  # raised DecodingError while the header was kept
    assert int(rebuilt.headers["content-length"]) == len(rebuilt.content)


# -- preflight ------------------------------------------------------------------------------


def _answering(status: int) -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        if status == 200:
            return httpx.Response(200, json={"threads": [], "total": 0, "hasMore": False})
        return httpx.Response(status, json={"detail": "no"})

    return handler


def test_a_404_list_route_is_exit_7_with_the_prefix_hint() -> None:
    client = mock_client(_answering(404), credential="tok-1234")
    with client, pytest.raises(preflight.SetupMistake) as raised:
        preflight.check(client, BASE)
    assert raised.value.exit_status == 7
    assert str(raised.value).startswith(
        f"threadconform: the list endpoint answered 404 at {BASE}/threads; the list route is "
        f"/threads; if the server serves it under a prefix, add the prefix to --base-url "
        f"(e.g. {BASE}/v1)"
    )
    assert isinstance(raised.value, preflight.NotFound)


def test_a_refused_credential_is_exit_8_and_names_it_redacted() -> None:
    auth = Auth("bearer")
    client = mock_client(_answering(401), credential="secret-token-9", auth=auth)
    with client, pytest.raises(preflight.SetupMistake) as raised:
        preflight.check(client, BASE)
    message = str(raised.value)
    assert raised.value.exit_status == 8
    assert message.startswith("threadconform: the credential was refused: ")
    assert "Authorization: Bearer <token>" in message and "secret-token-9" not in message


def test_a_token_demanded_though_undocumented_says_how_to_send_one() -> None:
    client = mock_client(_answering(401))  # no auth scheme, no credential
    with client, pytest.raises(preflight.SetupMistake) as raised:
        preflight.check(client, BASE)
    message = str(raised.value)
    assert raised.value.exit_status == 8
    assert "although the spec documents no authentication" in message
    assert "pass --token (sent as Authorization: Bearer <token>) or --header" in message


@pytest.mark.parametrize("status", [200, 400, 500])
def test_a_listing_or_a_server_fault_is_no_setup_mistake(status: int) -> None:
    handler = _answering(status)
    with mock_client(handler, credential="tok-1234") as client:
        answers = preflight.check(client, BASE)
        assert client.requests_sent == 2  # with the credential, and without
    assert answers.given.status == status


def test_no_answer_at_all_stays_exit_6() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("Connection refused")

    with mock_client(handler) as client, pytest.raises(Unreachable) as raised:
        preflight.check(client, BASE)
    assert not isinstance(raised.value, preflight.SetupMistake)
    assert raised.value.exit_status == 6


# -- credentials and headers ----------------------------------------------------------------


def test_an_empty_token_means_none() -> None:
    values = options.resolve({"tc_token": "", "tc_second_token": ""}, environ={})
    assert values.token is None and values.second_token is None


def test_headers_from_flags_and_from_the_variable() -> None:
    given = {"tc_header": ["X-Gateway: abc123 ", "X-Tenant:t-1"]}
    assert options.resolve(given, environ={}).header == (
        ("X-Gateway", "abc123"),
        ("X-Tenant", "t-1"),
    )
    environ = {"THREADCONFORM_HEADERS": "X-Gateway: abc123\n\nX-Tenant: t-1\n"}
    assert options.resolve({}, environ=environ).header == (
        ("X-Gateway", "abc123"),
        ("X-Tenant", "t-1"),
    )


@pytest.mark.parametrize("entry", ["X-Gateway abc123", ": abc123", "Bad Name: v"])
def test_a_malformed_header_is_a_usage_error_that_does_not_echo_it(entry: str) -> None:
    with pytest.raises(options.OptionError) as raised:
        options.resolve({"tc_header": ["X-Ok: 1", entry]}, environ={})
    message = str(raised.value)
    assert message.startswith("--header: entry 2 is not 'Name: value'")
    assert "abc123" not in message


def test_extra_headers_are_sent_and_recorded_redacted() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={})

    headers = (("X-Gateway", "gw-secret-77"), ("Authorization", "Bearer from-header"))
    with mock_client(handler, headers=headers, auth=Auth("bearer")) as client:
        default = client.get({})
        bare = client.get({}, credential=None)
        with_token = client.get({}, credential="tok-5678")
    assert seen[0].headers["x-gateway"] == "gw-secret-77"
    assert seen[0].headers["authorization"] == "Bearer from-header"
    assert "authorization" not in seen[1].headers  # "without a credential" carries none
    assert seen[2].headers["authorization"] == "Bearer tok-5678"
    for response in (default, bare, with_token):
        curl = response.request.curl()
        assert "gw-secret-77" not in curl and "from-header" not in curl and "tok-5678" not in curl
        assert "X-Gateway: ***" in curl
    assert client.redact("echo gw-secret-77") == "echo ***"


# -- example shapes -------------------------------------------------------------------------


def _kortix_body(token: Any = "tok_1", is_public: Any = False) -> dict[str, Any]:
    when = "2026-03-02T14:30:00Z"
    sandbox = {
        "id": "sandbox_1",
        "pass": "p",
        "vnc_preview": "https://sandbox.example.com/vnc/1",
        "sandbox_url": "https://sandbox.example.com/web/1",
        "token": token,
    }
    project = {
        "project_id": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
        "name": "P",
        "icon_name": None,
        "is_public": is_public,
        "created_at": when,
        "updated_at": when,
        "sandbox": sandbox,
    }
    thread = {
        "thread_id": "550e8400-e29b-41d4-a716-446655440000",
        "project_id": project["project_id"],
        "name": "T",
        "metadata": {},
        "is_public": False,
        "created_at": when,
        "updated_at": when,
        "project": project,
    }
    return {"threads": [thread], "pagination": {"page": 1, "limit": 1, "total": 1, "pages": 1}}


def test_a_null_in_an_example_only_shape_is_a_should_naming_the_path() -> None:
    found = shapes.shapes(spec.load(spec.find("kortix")))
    assert found.marked
    body = _kortix_body(token=None)
    assert found.problem(body) is None  # not a MUST failure
    assert found.example_problem(body) == (
        "threads[0].project.sandbox.token: None is not of type 'string' "
        "(the seed's example shows a value here)"
    )
    assert found.example_problem(_kortix_body()) is None


def test_a_wrong_type_in_an_example_only_shape_stays_a_must_naming_the_innermost_path() -> None:
    found = shapes.shapes(spec.load(spec.find("kortix")))
    assert found.problem(_kortix_body(token=5)) == (
        "threads[0].project.sandbox.token: 5 is not of type 'string'"
    )
    problem = found.problem(_kortix_body(is_public="false"))
    assert problem is not None and problem.startswith("threads[0].project.is_public: 'false'")
    assert "anyOf" not in problem and "any of the given schemas" not in problem


@pytest.mark.parametrize("contract", ["worker", "chat"])
def test_documented_shapes_have_no_example_only_part(contract: str) -> None:
    assert shapes.shapes(spec.load(spec.find(contract))).marked == 0


# -- clamps and fractions -------------------------------------------------------------------


def _worker_context() -> ProbeContext:
    contract = spec.load(spec.find("worker"))
    client = mock_client(_answering(200))
    return ProbeContext(contract, client, PROFILES["quick"], 0)


def _worker_answer(
    params: tuple[tuple[str, str], ...], count: int, total: int, more: bool
) -> Response:
    threads = [
        {
            "id": f"t{i}",
            "agent_id": "a",
            "user_id": None,
            "tags": [],
            "created_at": 1_767_225_600 - i,
        }
        for i in range(count)
    ]
    body = {"threads": threads, "total": total, "hasMore": more}
    request = Request("GET", "http://w.test/api/threads", params)
    headers = {"content-type": "application/json"}
    return Response(request, 200, headers, body, json.dumps(body)[:100])


def test_a_clamped_offset_must_report_has_more_as_the_clamped_offset_does() -> None:
    ctx = _worker_context()
    sent = (("offset", "-1"), ("limit", "100"))
    assert clamp_query(ctx, sent) == (("offset", "0"), ("limit", "100"))
    wrong = clamp_problems(ctx, sent, _worker_answer(sent, 12, 12, more=True))
    assert wrong and "has-more = true" in wrong[0]
    assert clamp_problems(ctx, sent, _worker_answer(sent, 12, 12, more=False)) == []


@pytest.mark.parametrize(("value", "clamped"), [("101", "100"), ("-1", "1")])
def test_a_clamped_limit_must_not_hold_more_than_the_clamped_limit(
    value: str, clamped: str
) -> None:
    ctx = _worker_context()
    sent = (("limit", value),)
    assert clamp_query(ctx, sent) == (("limit", clamped),)
    too_many = _worker_answer(sent, 101 if value == "101" else 237, 237, more=False)
    assert clamp_problems(ctx, sent, too_many)
    right = _worker_answer(sent, int(clamped), 237, more=True)
    assert clamp_problems(ctx, sent, right) == []


def test_a_clamp_with_a_truncated_limit_is_judged_as_the_truncated_limit() -> None:
    """Issue 22.D: the worker clamps offset=-1 to 0 and truncates limit=8.48 to 8; its 8 of
    36 threads are the answer for limit 8, not a short page for the default 50."""
    ctx = _worker_context()
    sent = (("offset", "-1"), ("limit", "8.48"))
    assert clamp_problems(ctx, sent, _worker_answer(sent, 8, 36, more=True)) == []
    wrong = clamp_problems(ctx, sent, _worker_answer(sent, 7, 36, more=True))
    assert wrong == [
        "offset=0 holds 7 items, which no reading of limit=8.48 explains: with 0 items before "
        "it and a total of 36 it should hold min(limit, max(0, 36 - 0)) = 8 for limit 8 "
        "(truncated or rounded), 9 for limit 9 (rounded up) or 36 for limit 50 (the default)."
    ]


def test_a_value_that_is_no_number_cannot_be_a_clamp() -> None:
    ctx = _worker_context()
    sent = (("limit", "abc"),)
    assert clamp_problems(ctx, sent, _worker_answer(sent, 50, 237, more=True)) is None


def test_a_fraction_for_a_number_parameter_judges_nothing() -> None:
    ctx = _worker_context()
    assert fractional_numbers(ctx, (("limit", "1.5"), ("offset", "3"))) == ["limit=1.5"]
    assert fractional_numbers(ctx, (("limit", "50.0"),)) == ["limit=50.0"]
    kortix = ProbeContext(spec.load(spec.find("kortix")), ctx.client, PROFILES["quick"], 0)
    assert fractional_numbers(kortix, (("limit", "1.5"),)) == []  # an integer: must reject


def test_a_500_that_shows_sql_says_so() -> None:
    request = Request("GET", "http://k.test/threads", (("page", "2147483648"),))
    text = '{"detail": "integer out of range\\n[SQL: SELECT threads.id FROM threads OFFSET %(p)s]"}'
    response = Response(request, 500, {"content-type": "application/json"}, None, text)
    message = server_error_message("page=2147483648 got a server error 500", response)
    assert "exposes the server's internals" in message
    assert "SELECT threads.id FROM threads" in message
    plain = Response(request, 500, {}, None, '{"detail": "Internal Server Error"}')
    assert server_error_message("x", plain) == "x"


def _negative_case(query: dict[str, str], negated: str) -> Any:
    location = SimpleNamespace(value="query")
    mutation = SimpleNamespace(parameter=negated, parameter_location=location)
    data = SimpleNamespace(mutations=[mutation], parameter=negated)
    return SimpleNamespace(
        query=dict(query), meta=SimpleNamespace(phase=SimpleNamespace(data=data))
    )


def test_negative_cases_carry_no_tenant_scoped_value_unless_it_is_the_negated_one() -> None:
    contract = spec.load(spec.find("aitronos"))
    ctx = ProbeContext(contract, mock_client(_answering(200)), PROFILES["quick"], 0)
    case = _untenanted(ctx, _negative_case({"organization_id": "org_x", "limit": "abc"}, "limit"))
    assert case.query == {"limit": "abc"}
    kept = _untenanted(
        ctx, _negative_case({"organization_id": "", "limit": "5"}, "organization_id")
    )
    assert kept.query == {"organization_id": "", "limit": "5"}


# -- reference server options ----------------------------------------------------------------


def test_serve_compress_and_prefix_behave_like_the_real_deployments() -> None:
    from threadconform import reference

    server = reference.start_subprocess("worker", threads=20, compress="gzip", prefix="/v1")
    try:
        with httpx.Client() as http:
            found = http.get(server.url + "/v1/api/threads", headers={"Accept-Encoding": "gzip"})
            plain = http.get(
                server.url + "/v1/api/threads", headers={"Accept-Encoding": "identity"}
            )
            root = http.get(server.url + "/api/threads")
    finally:
        server.stop()
    assert found.headers["content-encoding"] == "gzip" and found.json()["total"] == 20
    assert "content-encoding" not in plain.headers and plain.json() == found.json()
    assert root.status_code == 404
