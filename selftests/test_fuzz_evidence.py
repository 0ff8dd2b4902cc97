"""What a person reads of a fuzz probe's findings (issue 22.D): one example per cause,
the shortest query first, shrunk as Schemathesis shrinks a failing case.

The first hour against the real Kortix backend showed a 600-character query of random
floats and escaped Unicode as the evidence of a 500 that `limit=abc` already showed, and
two of the five examples were the same request.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlencode

import pytest
from hypothesis.internal.conjecture import providers

from selftests.walk_run import run_engine
from threadconform import reference
from threadconform.engine import Engine
from threadconform.exchange import Request, Response
from threadconform.ledger import Finding, Ledger, Violation, query_length
from threadconform.outcomes import BudgetSpent
from threadconform.probes import fuzz
from threadconform.probes.shrink import (
    PER_CAUSE,
    PER_PROBE,
    Allowance,
    Candidate,
    Examples,
    Failure,
    Pairs,
    shorter_values,
    shrink,
)
from threadconform.repeatable import pin_hypothesis_constants

URL = "http://target.test/threads"
Judged = tuple[Violation, Failure] | None
LONG = "x" * 150  # each parameter of the fuzzed query is this long


def answer(pairs: Pairs, status: int, body: object = None) -> Response:
    headers = {"content-type": "application/json"}
    return Response(Request("GET", URL, tuple(pairs)), status, headers, body or {})


class FakeTarget:
    """A target that answers 500 to any `limit` that is not a whole number, else 200."""

    def __init__(self, stop_after: int | None = None) -> None:
        self.sent: list[Pairs] = []
        self.stop_after = stop_after

    def fetch(self, pairs: Pairs) -> Response:
        if self.stop_after is not None and len(self.sent) >= self.stop_after:
            raise BudgetSpent("the request budget (3) is spent")
        self.sent.append(pairs)
        limit = dict(pairs).get("limit")
        if limit is not None and not limit.isdigit():
            return answer(pairs, 500, {"error": "internal"})
        return answer(pairs, 200, {"threads": []})


def crashed(response: Response) -> bool:
    return response.status == 500


FUZZED: Pairs = (
    ("agent_id", "\u00e9" + LONG),
    ("offset", "8.073952393763415e+270" + LONG),
    ("limit", "88.82748029097782" + LONG),
    ("user_id", "0\u00aaPz" + LONG),
)


def test_a_long_fuzzed_query_shrinks_to_the_one_bad_parameter() -> None:
    target = FakeTarget()
    first = target.fetch(FUZZED)
    target.sent.clear()
    done = shrink(first, crashed, target.fetch, numbers=frozenset({"limit", "offset"}))
    assert done.pairs == (("limit", "abc"),)
    assert done.response.status == 500
    assert done.sent == len(target.sent) <= PER_CAUSE
    # Without knowing `limit` is a number, the shortest value that still fails.
    target.sent.clear()
    plain = shrink(first, crashed, target.fetch)
    assert plain.pairs == (("limit", ""),)
    assert len(urlencode(plain.pairs)) < len(urlencode(FUZZED)) // 50


def test_shrinking_sends_the_same_requests_every_time() -> None:
    runs = []
    for _ in range(2):
        target = FakeTarget()
        shrink(target.fetch(FUZZED), crashed, target.fetch, numbers=frozenset({"limit"}))
        runs.append(target.sent)
    assert runs[0] == runs[1]


def test_a_grounded_parameter_is_neither_dropped_nor_rewritten() -> None:
    target = FakeTarget()
    query = (("organization_id", "org-7b1e7c52"), *FUZZED)
    done = shrink(target.fetch(query), crashed, target.fetch, keep=frozenset({"organization_id"}))
    assert done.pairs[0] == ("organization_id", "org-7b1e7c52")
    assert all(dict(sent).get("organization_id") == "org-7b1e7c52" for sent in target.sent[1:])


def test_shrinking_is_bounded_per_cause_and_per_probe() -> None:
    many: Pairs = (*((f"p{n}", LONG) for n in range(30)), ("limit", "1.5"))
    target = FakeTarget()
    allowance = Allowance(PER_PROBE)
    first = target.fetch(many)
    target.sent.clear()
    done = shrink(first, crashed, target.fetch, allowance=allowance)
    assert done.sent == len(target.sent) == PER_CAUSE
    assert allowance.left == PER_PROBE - PER_CAUSE
    for _ in range(5):
        shrink(first, crashed, target.fetch, allowance=allowance)
    assert len(target.sent) == PER_PROBE and allowance.left == 0


def test_shrinking_stops_at_once_when_the_run_stops() -> None:
    target = FakeTarget()
    first = target.fetch(FUZZED)
    target.stop_after = 3  # the run's budget ends after two more requests
    allowance = Allowance()
    done = shrink(first, crashed, target.fetch, allowance=allowance)
    assert len(target.sent) == 3 and allowance.left == 0
    assert crashed(done.response)  # what it kept still fails
    shrink(first, crashed, target.fetch, allowance=allowance)
    assert len(target.sent) == 3


def example(query: str, cause: str = "", *, fuzzed: bool = True, message: str = "") -> Finding:
    pairs = tuple((name, value) for name, _, value in (p.partition("=") for p in query.split("&")))
    request = Request("GET", URL, pairs)
    text = message or f"{query} got a server error 500"
    violation = Violation("HTTP-NO-5XX", text, (request,), cause=cause, one_per_cause=fuzzed)
    return Finding("HTTP-NO-5XX", violation)


def test_the_ledger_shows_one_example_per_cause_shortest_first() -> None:
    ledger = Ledger()
    crash = "HTTP-NO-5XX: 500 on limit"
    ledger.add([example("limit=abc", fuzzed=False, message="limit='abc' got 500")])
    ledger.add([example(f"user_id={LONG}&limit=8.5", crash)])  # a case not shrunk
    ledger.add([example("page=0", fuzzed=False), example("limit=abc", crash)])
    ledger.add([example(f"limit=88.8&offset={LONG}", crash), example("page=0", "page")])
    record = ledger.record("HTTP-NO-5XX")
    shown = [v.evidence[0].params for v in record.kept]
    assert shown == [(("page", "0"),), (("limit", "abc"),)]  # shortest first, each once
    assert record.violations == 6 and "(2 shown of 6)" in record.reason


def test_cases_an_earlier_example_explains_cost_no_request() -> None:
    """Shortest first: `limit=1.5&a=...` shrinks to `limit=1.5` (a fraction stays a
    fraction: `abc` would be another bug); the longer cases that send a fractional `limit`
    too and fail the same way take its cause without a request of their own."""
    target = FakeTarget()
    cases = [target.fetch(((name, LONG), ("limit", f"{n}.5"))) for n, name in enumerate("abcd")]
    cases.insert(0, target.fetch((("limit", "1.5"), ("a", "x"))))
    target.sent.clear()

    def rejudge(rule: str, response: Response, origin: Pairs | None) -> Judged:
        if response.status != 500:
            return None
        text = f"{urlencode(response.request.params)} got a server error 500"
        return Violation(rule, text, (response.request,)), Failure(rule, 500, "a JSON object")

    examples = Examples(rejudge, target.fetch, numbers=frozenset({"limit"}))
    found = [
        Candidate(judged[0], case, judged[1], shrinkable=True)
        for case in cases
        if (judged := rejudge("HTTP-NO-5XX", case, None)) is not None
    ]
    shown = examples.shown(found)
    # One shrink, of the shortest case: without `limit`, then without `a`; 1.5 is as short
    # as a fraction gets.
    assert target.sent == [(("a", "x"),), (("limit", "1.5"),)]
    assert shown[0].evidence[0].params == (("limit", "1.5"),)
    assert len({v.cause for v in shown.values()}) == 1
    assert all(v.one_per_cause for v in shown.values())


def walk_finding(limit: int, message: str) -> Finding:
    pages = tuple(Request("GET", URL, (("limit", str(limit)), ("page", str(n)))) for n in (1, 2))
    rule = "PAGE-NO-DUPLICATES"
    return Finding(rule, Violation(rule, message, pages, cause=f"limit={limit}"), walk=True)


def test_walk_findings_keep_their_order_and_only_a_repeated_message_goes() -> None:
    ledger = Ledger()
    ledger.add(
        [
            walk_finding(17, "id 4 on pages 1 and 2"),
            walk_finding(17, "id 9 on pages 1 and 2"),  # the same pages, another finding
            walk_finding(7, "id 2 on pages 1 and 2"),  # shorter queries, found later
            walk_finding(17, "id 4 on pages 1 and 2"),  # the same again
        ]
    )
    kept = ledger.record("PAGE-NO-DUPLICATES").kept
    assert [v.message for v in kept] == [
        "id 4 on pages 1 and 2",
        "id 9 on pages 1 and 2",
        "id 2 on pages 1 and 2",
    ]


# --- against a reference server -------------------------------------------------------


@contextmanager
def engine(
    contract: str, fault: str, *, shrinking: bool = True, seed: int = 0
) -> Iterator[tuple[Engine, list[Request]]]:
    """A default-profile engine on a reference server, and every request it sends."""
    sent: list[Request] = []
    with pytest.MonkeyPatch.context() as patch, reference.start(contract, fault=fault) as server:
        # As a suite run does: the seed alone decides the cases, whichever modules this
        # test session has loaded. Hypothesis' pool is put back afterwards.
        patch.setattr(providers, "_get_local_constants", providers._get_local_constants)
        patch.setattr(providers, "CONSTANTS_CACHE", providers.CONSTANTS_CACHE)
        pin_hypothesis_constants()
        if not shrinking:
            patch.setattr(fuzz, "_shrink_allowance", lambda ctx: 0)
        found = run_engine(
            contract, server, seed=seed, on_exchange=lambda r: sent.append(r.request)
        )
        yield found, sent


def shown_queries(found: Engine, rule: str) -> list[str]:
    return [urlencode(v.evidence[0].params) for v in found.record(rule).kept]


def test_a_500_on_a_bad_limit_is_shown_by_its_shortest_query() -> None:
    """The Standard Agents worker's `limit=abc` 500: fuzzed cases of up to 127 characters of
    floats and escaped control characters were shown beside the parameter probe's
    `limit=abc`; now only `limit=abc` is, and every case is still counted."""
    with engine("worker", "500-on-bad-limit", shrinking=False) as (before, sent_before):
        before.record("HTTP-NO-5XX")
    with engine("worker", "500-on-bad-limit") as (after, sent):
        record = after.record("HTTP-NO-5XX")
    assert max(query_length(v) for v in record.recorded) > 100  # the cases as fuzzed
    # The probe's `limit=abc` and the fuzzed fractions, shrunk to one short fraction: two
    # kinds of bad value, each shown once by its shortest query.
    assert shown_queries(after, "HTTP-NO-5XX") == ["limit=abc", "limit=1.0"]
    assert record.violations > 20 and "(2 shown of" in record.reason
    extra = len(sent) - len(sent_before)
    assert 0 < extra <= 2 * PER_PROBE  # two fuzz probes, each bounded
    assert all(r.method == "GET" and r.url.endswith("/threads") for r in sent)


def test_a_fuzzed_case_is_shrunk_to_a_short_value_of_its_own_kind() -> None:
    """freddy: a 418-character fuzzed case was shown beside `limit=abc` and `limit=1.5`. It
    shrinks to a short negative fraction (not to `abc`, which is another kind of bad
    value), and no query is shown twice."""
    with engine("freddy", "500-on-bad-limit") as (found, _):
        record = found.record("HTTP-NO-5XX")
    shrunk = [v for v in record.recorded if "a fuzzed case shrunk from" in v.message]
    assert [urlencode(v.evidence[0].params) for v in shrunk] == ["limit=-1.5"]
    shown = shown_queries(found, "HTTP-NO-5XX")
    assert "limit=abc" in shown and len(shown) == len(set(shown))
    assert max(len(query) for query in shown) <= len("limit=-1.5")
    assert "limit='abc' (not an integer)" in record.kept[0].message  # the probe's words


def test_kortix_as_found_shows_each_cause_once_shortest_first() -> None:
    """The real Kortix backend: a null `sandbox.token` was shown by three identical requests
    (and two more), the 500 past int4 by four fuzzed pages beside the probes' own."""
    with engine("kortix", "kortix-as-found") as (found, _):
        example = found.record("SCHEMA-EXAMPLE").kept
        crashes = found.record("HTTP-NO-5XX").kept
    assert [v.evidence[0].params for v in example] == [()]  # every listing has one
    lengths = [query_length(v) for v in crashes]
    assert lengths == sorted(lengths) and len({v.evidence for v in crashes}) == len(crashes)
    assert sum("a fuzzed case" in v.message for v in crashes) == 1


def test_a_seeded_run_sends_the_same_requests_shrinking_included() -> None:
    runs = []
    for _ in range(2):
        with engine("worker", "500-on-bad-limit", seed=3) as (found, sent):
            found.record("HTTP-NO-5XX")
            runs.append([r.params for r in sent])  # the port differs, the queries not
    assert runs[0] == runs[1]


def test_a_number_is_shrunk_only_to_numbers_of_its_kind() -> None:
    """A negative, a fraction or a huge integer is another bug than a parse error: the
    shrink keeps the sign and wholeness of a number and never swaps it for `abc`."""
    assert shorter_values("-1", number=True) == []
    assert shorter_values("327034398", number=True) == ["1", "3270"]
    assert shorter_values("-1.7976931348623157e+308", number=True) == ["-1.5", "-1.797693134"]
    assert "abc" in shorter_values("not-a-number", number=True)


class CaseOf:
    """A drawn case as `_answered` reads it: only its query."""

    def __init__(self, **query: str) -> None:
        self.query = query


class Answering:
    """The part of ProbeContext `_answered` uses, over a FakeTarget."""

    def __init__(self, target: FakeTarget, concurrency: int) -> None:
        self.target = target
        self.client = type("Client", (), {"concurrency": concurrency})()
        self.live = type("Live", (), {"changed": False})()
        self.state = type("State", (), {"over": False})()

    def fetch(self, pairs: Pairs) -> Response:
        return self.target.fetch(pairs)

    def together(self, calls: list[object]) -> list[object]:
        return [call() for call in calls]  # type: ignore[operator]


@pytest.mark.parametrize("concurrency", [1, 8])
def test_cases_that_send_the_same_query_share_one_request(concurrency: int) -> None:
    target = FakeTarget()
    cases = [CaseOf(limit="1"), CaseOf(limit="2.5"), CaseOf(limit="1"), CaseOf(), CaseOf()]
    answered = list(fuzz._answered(Answering(target, concurrency), cases))  # type: ignore[arg-type]
    assert target.sent == [(("limit", "1"),), (("limit", "2.5"),), ()]
    # Every case is still judged, on the answer to its own query.
    assert [case for case, _ in answered] == cases
    assert [r.request.params for _, r in answered] == [fuzz.query_pairs(c.query) for c in cases]
    assert [r.status for _, r in answered] == [200, 500, 200, 200, 200]


def test_cases_after_the_runs_stop_get_no_answer_even_if_asked_before() -> None:
    target = FakeTarget(stop_after=1)
    cases = [CaseOf(limit="1"), CaseOf(limit="2"), CaseOf(limit="1")]
    answered = list(fuzz._answered(Answering(target, 1), cases))  # type: ignore[arg-type]
    assert [case for case, _ in answered] == cases[:1]  # in order: the stop ends it there
