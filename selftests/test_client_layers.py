"""Each layer of the client's stack on its own, over a fake inner layer: a case that the
layer stops or changes, and one it lets through. Time is an injected clock: no test
sleeps or asserts on elapsed time."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pytest

from threadconform import jsonbody, outcomes
from threadconform.exchange import Request, Response
from threadconform.layers import (
    Budget,
    Counting,
    Observed,
    Outgoing,
    RateLimit,
    Redacting,
    Retrying,
    RetryPolicy,
    RunDeadline,
    retry_after,
)
from threadconform.redaction import Redactor
from threadconform.wire import ExchangeDeadlinePassed, deadline_passed

RECORD = Request("GET", "http://127.0.0.1:9/threads")
OUT = Outgoing(RECORD, {"Accept": "application/json"})


class Fake:
    """An inner layer answering `statuses` in turn (the last one forever)."""

    def __init__(self, statuses: Iterable[int] = (200,), headers: dict[str, str] | None = None):
        self.statuses = list(statuses)
        self.headers = headers or {}
        self.sent: list[Outgoing] = []

    def send(self, outgoing: Outgoing) -> Response:
        self.sent.append(outgoing)
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        return Response(outgoing.record, status, dict(self.headers), text="ok")


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def retrying(
    inner: Fake,
    policy: RetryPolicy,
    clock: Clock,
    *,
    budget_left: Callable[[], int | None] = lambda: None,
    time_for: Callable[[float], bool] = lambda delay: True,
) -> Retrying:
    return Retrying(inner, policy, budget_left=budget_left, time_for=time_for, sleep=clock.sleep)


# -- retries --------------------------------------------------------------------------------


def test_retrying_honours_retry_after_then_returns_the_success() -> None:
    inner, clock = Fake([429, 200], {"retry-after": "2"}), Clock()
    response = retrying(inner, RetryPolicy(max_retries=2, cap=5.0), clock).send(OUT)
    assert response.status == 200
    assert clock.slept == [2.0] and len(inner.sent) == 2


def test_retrying_gives_up_after_max_retries_with_waits_capped() -> None:
    inner, clock = Fake([503], {"retry-after": "3600"}), Clock()
    response = retrying(inner, RetryPolicy(max_retries=2, cap=5.0), clock).send(OUT)
    assert response.status == 503
    assert clock.slept == [5.0, 5.0] and len(inner.sent) == 3


def test_retrying_leaves_other_statuses_alone() -> None:
    inner, clock = Fake([500]), Clock()
    assert retrying(inner, RetryPolicy(), clock).send(OUT).status == 500
    assert clock.slept == [] and len(inner.sent) == 1


def test_retrying_stops_when_the_wait_budget_or_the_deadline_or_the_budget_is_spent() -> None:
    clock = Clock()
    policy = RetryPolicy(max_retries=5, cap=5.0, wait_left=7.0)
    inner = Fake([429], {"retry-after": "60"})
    retrying(inner, policy, clock).send(OUT)
    assert clock.slept == [5.0, 2.0] and policy.wait_left == 0  # then it gives up
    late, clock = Fake([429]), Clock()
    retrying(late, RetryPolicy(max_retries=5), clock, time_for=lambda d: False).send(OUT)
    assert clock.slept == [] and len(late.sent) == 1
    spent, clock = Fake([429]), Clock()
    retrying(spent, RetryPolicy(max_retries=5), clock, budget_left=lambda: 0).send(OUT)
    assert len(spent.sent) == 1


def test_retry_after_reads_seconds_and_dates() -> None:
    assert retry_after("3") == 3.0
    assert retry_after("-1") == 0.0
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
    assert retry_after(None) is None and retry_after("soon") is None


# -- budget ---------------------------------------------------------------------------------


def test_budget_raises_budget_spent_at_request_n_plus_one_without_sending() -> None:
    inner = Fake()
    counter = Counting(inner)
    budget = Budget(counter, 2, counter)
    budget.send(OUT)
    budget.send(OUT)
    assert budget.left == 0
    with pytest.raises(outcomes.BudgetSpent, match="budget of 2"):
        budget.send(OUT)
    assert len(inner.sent) == 2 and counter.sent == 2


def test_no_budget_sends_on() -> None:
    counter = Counting(Fake())
    budget = Budget(counter, None, counter)
    for _ in range(5):
        budget.send(OUT)
    assert counter.sent == 5 and budget.left is None


# -- run deadline ---------------------------------------------------------------------------


def test_run_deadline_raises_deadline_spent_once_passed() -> None:
    inner, clock = Fake(), Clock()
    counter = Counting(inner)
    deadline = RunDeadline(counter, 10.0, clock, counter)
    deadline.send(OUT)
    assert deadline.time_for(9.0) and not deadline.time_for(10.0)
    clock.now = 10.0
    with pytest.raises(outcomes.DeadlineSpent, match="passed after 1 requests") as raised:
        deadline.send(OUT)
    assert isinstance(raised.value, outcomes.BudgetSpent)  # ends a walk as a budget does
    assert raised.value.exit_status == 9
    assert len(inner.sent) == 1


def test_an_exchange_cut_at_the_run_deadline_is_the_runs_stop_not_an_answer() -> None:
    # At --concurrency N, up to N exchanges are out when --max-time passes; each is cut
    # then, and none may reach a probe as the target's "no response".
    clock = Clock()

    class CutAtDeadline(Fake):
        def send(self, outgoing: Outgoing) -> Response:
            self.sent.append(outgoing)
            clock.now = 10.0
            return Response(outgoing.record, None, error="no complete answer within 3 s")

    counter = Counting(CutAtDeadline())
    with pytest.raises(outcomes.DeadlineSpent, match="passed after 1 requests"):
        RunDeadline(counter, 10.0, clock, counter).send(OUT)

    class TimesOut(Fake):  # no answer well before the deadline: the target's, kept
        def send(self, outgoing: Outgoing) -> Response:
            return Response(outgoing.record, None, error="no response within 3 s")

    clock.now = 0.0
    counter = Counting(TimesOut())
    assert RunDeadline(counter, 10.0, clock, counter).send(OUT).error == "no response within 3 s"


def test_no_run_deadline_never_stops() -> None:
    clock = Clock()
    clock.now = 1e9
    deadline = RunDeadline(Fake(), None, clock, Counting(Fake()))
    assert deadline.send(OUT).status == 200 and deadline.time_for(1e9)


# -- rate limit -----------------------------------------------------------------------------


def test_rate_limit_spaces_requests_by_one_over_max_rps() -> None:
    inner, clock = Fake(), Clock()
    limit = RateLimit(inner, 4.0, clock, clock.sleep)
    for _ in range(3):
        limit.send(OUT)
    assert clock.slept == [0.25, 0.25] and len(inner.sent) == 3


def test_rate_limit_does_not_wait_when_requests_are_already_apart() -> None:
    inner, clock = Fake(), Clock()
    limit = RateLimit(inner, 4.0, clock, clock.sleep)
    limit.send(OUT)
    clock.now += 1.0
    limit.send(OUT)
    unlimited = RateLimit(inner, None, clock, clock.sleep)
    unlimited.send(OUT)
    unlimited.send(OUT)
    assert clock.slept == []


# -- redaction and observation --------------------------------------------------------------


class Echo:
    def send(self, outgoing: Outgoing) -> Response:
        return Response(outgoing.record, None, error="GET x: said sekrit-42 back", text="sekrit-42")


def test_redacting_scrubs_known_credentials_and_keeps_clean_responses() -> None:
    dirty = Redacting(Echo(), Redactor(["sekrit-42"]).response).send(OUT)
    assert "sekrit-42" not in (dirty.error or "") + dirty.text
    clean = Fake()
    response = Redacting(clean, Redactor(["other-secret"]).response).send(OUT)
    assert response.text == "ok"


def test_redactor_leaves_short_values_alone() -> None:
    redactor = Redactor(["ab", None, "long-secret"])
    assert redactor.redact("ab long-secret long%2Dsecret") == "ab *** long%2Dsecret"
    assert redactor.leaks("x long-secret") and not redactor.leaks("ab")


def test_observed_tells_every_response() -> None:
    seen: list[int | None] = []
    Observed(Fake([503]), lambda r: seen.append(r.status)).send(OUT)
    Observed(Fake(), None).send(OUT)  # nobody to tell
    assert seen == [503]


# -- the wire's deadline, typed -------------------------------------------------------------


def test_the_exchange_deadline_is_known_by_its_type_not_its_message() -> None:
    import httpx

    try:
        try:
            raise ExchangeDeadlinePassed()
        except ExchangeDeadlinePassed as inner:
            raise httpx.ReadTimeout(str(inner)) from inner
    except httpx.ReadTimeout as mapped:
        assert deadline_passed(mapped)
    lookalike = httpx.ReadTimeout("the exchange deadline passed")
    assert not deadline_passed(lookalike)


# -- JSON ------------------------------------------------------------------------------------


def _json(raw: bytes, kind: str = "application/json") -> tuple[object, str | None]:
    headers = {"content-type": kind}
    return jsonbody.interpret(RECORD, 200, headers, raw, raw.decode(), None)


def test_json_body_accepts_rfc_8259_json() -> None:
    assert _json(b'{"threads": [1, 2]}') == ({"threads": [1, 2]}, None)
    assert _json(b"[]", "application/problem+json") == ([], None)


def test_json_body_refuses_what_rfc_8259_does_not_allow() -> None:
    for raw in (b'{"a": NaN}', b'{"a": 1, "a": 2}', b"[" * 150 + b"]" * 150):
        body, error = _json(raw)
        assert body is None and error is not None and error.startswith("GET http://")
    assert "expected JSON, got text/html" in (_json(b"<p>", "text/html")[1] or "")
    assert jsonbody.charset("application/json; charset=hex") == "utf-8"
    assert jsonbody.charset('application/json; charset="latin-1"') == "latin-1"


# -- the outcomes' one table ----------------------------------------------------------------


def test_every_stop_carries_its_exit_status() -> None:
    assert outcomes.Unreachable.exit_status == 6
    assert outcomes.NotFound.exit_status == 7 and outcomes.Refused.exit_status == 8
    assert outcomes.DeadlineSpent.exit_status == 9
    assert issubclass(outcomes.NotFound, outcomes.SetupMistake)
    assert issubclass(outcomes.SetupMistake, outcomes.Unreachable)
    assert {str(v): int(s) for v, s in outcomes.VERDICT_EXIT.items()} == {
        "pass": 0,
        "fail": 1,
        "error": 6,
        "incomplete": 9,
    }
