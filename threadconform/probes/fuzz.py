"""Property-based fuzzing of the query parameters with Schemathesis 4.

Schemathesis generates the cases from the spec (valid ones, and ones that violate exactly
the documented constraints) and judges them with its own checks; we send them through the
suite's client, so the request budget, rate limit, read-only guard and redaction apply.
Its defaults are narrowed to what docs/contracts.md makes a rule:

- a cursor id or a tenant-owned filter value that is merely *unknown* is valid by schema
  but need not be accepted, so positive cases take those values from the target's data;
- a rejection is any 4xx (the documented status and envelope are separate rules), and
  where the spec allows clamping, a 200 whose body obeys the bounds is fine too;
- headers are not fuzzed here: credentials belong to the auth probe;
- one cause, one rule: a 5xx is HTTP-NO-5XX only, never also "accepted" or "rejected";
- a fraction for a `number` parameter may be rejected or truncated (docs/contracts.md#worker);
- negative cases carry no tenant-scoped value (an unknown organization may be refused
  with 403 before the bad parameter is looked at);
- the body is validated by `shapes` (innermost path and value in the message; a null in an
  example-only shape is SCHEMA-EXAMPLE, a SHOULD), not by Schemathesis' schema check;
- what is shown is one example per cause, the shortest query first: once the cases are
  judged, a violation judged on the answer alone (a 5xx, a body that breaks the schema, a
  2xx that is not JSON) is shrunk to the smallest query that still fails the same way
  (`probes/shrink.py`, a few requests at most). A violation that depends on the query
  being valid or not (accepted, rejected, the error contract) is shown as found: a
  smaller query may no longer be the invalid one it judged.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import partial
from typing import Any
from urllib.parse import urlencode

import httpx
import schemathesis
import schemathesis.specs.openapi.checks as openapi_checks
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from jsonschema.exceptions import best_match
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup

from threadconform import shapes
from threadconform.exchange import Response
from threadconform.ledger import Finding, Violation
from threadconform.model import Contract
from threadconform.outcomes import BudgetSpent
from threadconform.probes import fuzz_declared as declared
from threadconform.probes.clamps import clamp_problems, clamp_query, clamping_allowed, describe
from threadconform.probes.context import ProbeContext
from threadconform.probes.envelopes import error_contract_findings, server_error_message
from threadconform.probes.envelopes import violation as _violation
from threadconform.probes.settle import vanished_cursor
from threadconform.probes.shrink import (
    BUDGET_SHARE,
    PER_PROBE,
    Allowance,
    Candidate,
    Examples,
    Failure,
    Pairs,
    body_kind,
)

__all__ = [
    "CHECK_RULES",
    "FAILURE_RULES",
    "SCHEMATHESIS_CONFIG",
    "as_httpx",
    "fractional_numbers",
    "fuzz_negative",
    "fuzz_positive",
    "lexical_only",
    "load_schema",
    "query_pairs",
    "run_cases",
]

# Schemathesis failure classes, by name, mapped to our rule ids.
FAILURE_RULES = {
    "ServerError": "HTTP-NO-5XX",
    "JsonSchemaError": "SCHEMA-RESPONSE",
    "AcceptedNegativeData": "PARAM-INVALID-REJECTED",
    "RejectedPositiveData": "PARAM-VALID-ACCEPTED",
}

SCHEMATHESIS_CONFIG = {
    "checks": {
        "negative_data_rejection": {"expected-statuses": ["4XX"]},
        "positive_data_acceptance": {"expected-statuses": ["2XX"]},
    }
}


def load_schema(contract: Contract) -> Any:
    config = schemathesis.Config.from_dict(SCHEMATHESIS_CONFIG)
    return schemathesis.openapi.from_dict(contract.document, config=config)


def query_pairs(query: dict[str, Any] | None) -> tuple[tuple[str, str], ...]:
    """Serialize a generated query the way a browser or `requests` would send it."""
    pairs: list[tuple[str, str]] = []
    for name, value in (query or {}).items():
        for item in value if isinstance(value, list) else [value]:
            if item is None:
                continue
            if isinstance(item, bool):
                text = "true" if item else "false"
            elif isinstance(item, dict):
                text = json.dumps(item)
            else:
                text = str(item)
            pairs.append((name, text))
    return tuple(pairs)


# Headers that describe the bytes on the wire, not the decoded body we hand on.
_WIRE_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})


def as_httpx(response: Response) -> httpx.Response:
    """Rebuild an httpx response so Schemathesis' checks can read what the client saw.

    The client has already decoded the body (gzip, deflate); the rebuilt response carries
    the decoded bytes, so the headers that described the encoded ones are left out: with
    `Content-Encoding: gzip` kept, httpx would try to gunzip plain JSON and raise.
    """
    request = httpx.Request("GET", response.request.url, params=list(response.request.params))
    content = json.dumps(response.body).encode() if response.body is not None else b""
    if response.body is None and response.text:
        content = response.text.encode("utf-8", "replace")
    headers = {k: v for k, v in response.headers.items() if k.lower() not in _WIRE_HEADERS}
    result = httpx.Response(response.status or 0, headers=headers, content=content, request=request)
    result.elapsed = dt.timedelta(seconds=response.elapsed)
    return result


def _schemathesis_findings(case: Any, response: Response, checks: list[Any]) -> Iterator[Finding]:
    if response.status is not None and response.status >= 500:
        checks = [not_a_server_error]  # one cause, one rule: not also "accepted"/"rejected"
    try:
        case.validate_response(as_httpx(response), checks=checks)
    except FailureGroup as group:
        for failure in group.exceptions:
            rule = FAILURE_RULES.get(type(failure).__name__)
            if rule is not None:
                if rule == "HTTP-NO-5XX":  # Schemathesis says only "Server error"
                    yield _server_error(response)
                    continue
                title = f"{failure.title}: {failure.message}".strip()
                yield _violation(rule, response, title, _expected_for(rule))
        failed = {FAILURE_RULES.get(type(f).__name__) for f in group.exceptions}
    else:
        failed = set()
    for check in checks:
        rule = CHECK_RULES[check]
        if rule not in failed:
            yield Finding.held(rule)


def _server_error(response: Response, shrunk_from: Pairs | None = None) -> Finding:
    sent = urlencode(response.request.params)  # one line, whatever was sent
    origin = "a fuzzed case"
    if shrunk_from is not None:
        size = f"{len(shrunk_from)} parameter(s), {len(urlencode(shrunk_from))} characters"
        origin = f"a fuzzed case shrunk from {size}"
    asked = f"{sent or 'no parameters'} ({origin})"
    title = server_error_message(f"{asked} got a server error {response.status}", response)
    return _violation("HTTP-NO-5XX", response, title, _expected_for("HTTP-NO-5XX"))


def _expected_for(rule: str) -> str:
    return {
        "HTTP-NO-5XX": "a status below 500",
        "SCHEMA-RESPONSE": "a body that validates against the 200 response schema",
        "PARAM-INVALID-REJECTED": "a 4xx rejection",
        "PARAM-VALID-ACCEPTED": "a 2xx",
    }[rule]


CHECK_RULES = {
    not_a_server_error: "HTTP-NO-5XX",
    openapi_checks.negative_data_rejection: "PARAM-INVALID-REJECTED",
    openapi_checks.positive_data_acceptance: "PARAM-VALID-ACCEPTED",
}


def _json_findings(response: Response) -> Iterator[Finding]:
    if response.status is None or not 200 <= response.status < 300:
        return
    if response.is_json and response.body is not None:
        yield Finding.held("HTTP-JSON")
        return
    detail = response.error or f"content type {response.content_type!r}"
    yield _violation("HTTP-JSON", response, f"a 2xx answer is not JSON: {detail}", "JSON")


def run_cases(
    ctx: ProbeContext, mode: GenerationMode, examples: int, evaluate: Any
) -> Iterator[Finding]:
    """Drive Hypothesis over Schemathesis' cases; `evaluate(case, response)` judges each."""
    operation = load_schema(ctx.contract)[ctx.contract.endpoint]["GET"]
    strategy = operation.as_strategy(mode)
    if mode == GenerationMode.POSITIVE:
        strategy = st.tuples(strategy, st.randoms(use_true_random=False)).map(
            lambda pair: _ground(ctx, *pair)
        )
    else:
        strategy = strategy.map(lambda case: _untenanted(ctx, case))
    cases: list[Any] = []

    # Hypothesis only draws here: with no failure and no shrinking, what it draws does
    # not depend on the answers, so the cases can be sent after (and side by side).
    @hypothesis_seed(ctx.seed)
    @settings(
        max_examples=examples,
        database=None,
        deadline=None,
        phases=(Phase.explicit, Phase.generate),
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def draw(case: Any) -> None:
        cases.append(case)

    draw()
    judged: list[_Judged] = []
    for case, response in _answered(ctx, cases):
        if response.status is None:
            continue  # no answer at all is not a 5xx; the engine counts it towards silence
        negated = frozenset(_negated_params(case))
        judged.append(_Judged(response, negated, tuple(evaluate(case, response))))
    yield from _shown(ctx, judged, _grounded(ctx, mode))


def _answered(ctx: ProbeContext, cases: list[Any]) -> Iterator[tuple[Any, Response]]:
    """Each case with its answer, in the cases' order, until the run stops. With requests
    allowed out at once and a listing that holds still, a batch of cases goes out side by
    side (`ctx.together`) and is judged in order after; else each is sent just before it
    is judged, as one request after another always was. Either way the same requests.

    Cases that send the same query share one answer: grounding and dropped headers make
    many cases one request (of 120 cases, 72 distinct queries on freddy, 71 on kortix),
    and what is judged here (a 5xx, the body's shape, accepted or rejected) needs no fresh
    read of the same query."""
    answers: dict[Pairs, Response] = {}
    start = 0
    while start < len(cases):
        size = 1 if ctx.live.changed else max(ctx.client.concurrency, 1)
        batch = cases[start : start + size]
        start += len(batch)
        asked = list(dict.fromkeys(q for q in map(_query, batch) if q not in answers))
        got = ctx.together([partial(_ask, ctx, query) for query in asked])
        for query, answer in zip(asked, got, strict=True):
            if answer is not None:
                answers[query] = answer
        for case in batch:
            answer = answers.get(_query(case))
            if answer is None:
                return  # the run stopped: no verdict from the cases left
            yield case, answer


def _query(case: Any) -> Pairs:
    return query_pairs(case.query)


def _ask(ctx: ProbeContext, query: Pairs) -> Response | None:
    if ctx.state.over:
        return None
    try:
        return ctx.fetch(query)
    except BudgetSpent:
        return None


@dataclass(frozen=True)
class _Judged:
    """One case as the probe judged it: the answer, what it negated, its findings."""

    response: Response
    negated: frozenset[str]
    findings: tuple[Finding, ...]


# Rules judged on the answer alone: any query that gets a 5xx (or a 2xx that is not JSON,
# or a body that breaks the schema) breaks them, so a smaller query that fails the same
# way is the same violation. HTTP-NO-5XX is shrunk first: a crash is what a person fixes
# first, and requests for shrinking are few.
SHRUNK_RULES = ("HTTP-NO-5XX", "HTTP-JSON", "SCHEMA-RESPONSE", "SCHEMA-EXAMPLE")


def _shown(ctx: ProbeContext, judged: list[_Judged], keep: frozenset[str]) -> Iterator[Finding]:
    """The findings, in the order found, each violation as it is to be shown: shrunk (the
    `keep` parameters as they were), or tagged with its cause so that the ledger shows one
    example per cause."""
    places = [
        (number, index, _candidate(ctx, case, finding.violation))
        for number, case in enumerate(judged)
        for index, finding in enumerate(case.findings)
        if finding.violation is not None
    ]
    examples = Examples(
        lambda rule, response, origin: _rejudge(ctx, rule, response, origin),
        ctx.fetch,
        keep=keep,
        numbers=_numbers(ctx),
        allowance=Allowance(_shrink_allowance(ctx)),
        first=SHRUNK_RULES,
    )
    shown = examples.shown(candidate for _, _, candidate in places)
    replaced = {(places[n][0], places[n][1]): violation for n, violation in shown.items()}
    for number, case in enumerate(judged):
        for index, finding in enumerate(case.findings):
            violation = replaced.get((number, index))
            yield finding if violation is None else replace(finding, violation=violation)


def _candidate(ctx: ProbeContext, case: _Judged, violation: Violation) -> Candidate:
    rule, response = violation.rule, case.response
    failure = _failure(ctx, rule, response, case.negated)
    return Candidate(violation, response, failure, rule in SHRUNK_RULES)


def _failure(ctx: ProbeContext, rule: str, response: Response, negated: frozenset[str]) -> Failure:
    """What failed (see `shrink.Failure`): never a value the query sent."""
    if rule == "HTTP-NO-5XX":
        detail = body_kind(response)
    elif rule == "HTTP-JSON":
        detail = response.content_type.split(";", 1)[0].strip().lower() or "no content type"
    elif rule in ("SCHEMA-RESPONSE", "SCHEMA-EXAMPLE"):
        detail = _schema_place(ctx, rule, response)
    else:  # judged on whether the query was valid: which parameters the case was about
        names = negated or {name for name, _ in response.request.params}
        what = "bad" if negated else "sent"
        detail = f"{what} {','.join(sorted(names)) or 'no parameters'}"
    return Failure(rule, response.status, detail)


def _schema_place(ctx: ProbeContext, rule: str, response: Response) -> str:
    """Where the body breaks the schema (array indices as `*`) and which keyword fails."""
    found = _shapes(ctx)
    validator = found.documented if rule == "SCHEMA-RESPONSE" else found.example
    error = best_match(validator.iter_errors(response.body))
    if error is None:
        return "nowhere"
    inner = shapes.innermost(error)
    path = [("*" if isinstance(part, int) else str(part)) for part in inner.absolute_path]
    return f"{'.'.join(path) or '(root)'} ({inner.validator})"


def _rejudge(
    ctx: ProbeContext, rule: str, response: Response, origin: Pairs | None
) -> tuple[Violation, Failure] | None:
    """The violation of `rule` on this answer to a smaller query, if it has one."""
    if response.status is None:
        return None
    if rule == "HTTP-NO-5XX":
        found = [_server_error(response, origin)] if response.status >= 500 else []
    elif rule == "HTTP-JSON":
        found = list(_json_findings(response))
    else:
        found = list(_shape_findings(ctx, response))
    for finding in found:
        if finding.rule == rule and finding.violation is not None:
            return finding.violation, _failure(ctx, rule, response, frozenset())
    return None


def _grounded(ctx: ProbeContext, mode: GenerationMode) -> frozenset[str]:
    """Parameters the shrinker leaves as they are. A tenant-scoped filter, always: in a
    positive case the grounding step took its value from the target's own data, and
    rewritten it could name another tenant's resource (or one refused with 403 before
    anything else is read). A cursor in a positive case: it is one of the caller's ids
    (`_ground`). A negative case's cursor is Schemathesis' own string, free to shrink."""
    pagination = ctx.contract.pagination
    names = {f.param for f in pagination.filters if f.tenant}
    if pagination.cursor is not None and mode == GenerationMode.POSITIVE:
        names |= {p for p in (pagination.cursor.after, pagination.cursor.before) if p}
    return frozenset(names)


def _numbers(ctx: ProbeContext) -> frozenset[str]:
    """Number parameters: for them `abc` is the short bad value a person would try."""
    found = set()
    for name, schema in ctx.contract.parameters.items():
        kinds = schema.get("type")
        kinds = kinds if isinstance(kinds, list) else [kinds]
        if {"integer", "number"} & set(kinds):
            found.add(name)
    return frozenset(found)


def _shrink_allowance(ctx: ProbeContext) -> int:
    if ctx.state.over:
        return 0
    left = ctx.client.budget_left
    return PER_PROBE if left is None else min(PER_PROBE, int(left * BUDGET_SHARE))


def _ground(ctx: ProbeContext, case: Any, random: Any) -> Any:
    """Replace values that are valid by schema but unknown to the target with real ones."""
    query = dict(case.query or {})
    pagination = ctx.contract.pagination
    samples = ctx.samples()
    if pagination.cursor is not None:
        cursors = [p for p in (pagination.cursor.after, pagination.cursor.before) if p]
        present = [name for name in cursors if name in query]
        for extra in present[1:]:  # both at once is undocumented: send one
            del query[extra]
        for name in present[:1]:
            if samples.ids:
                query[name] = random.choice(samples.ids)
            else:
                del query[name]
    if pagination.token is not None:
        query.pop(pagination.token.param, None)  # any string is valid by schema, not a token
    for flt in pagination.filters:
        if flt.tenant and flt.param in query:
            values = samples.values.get(flt.param, [])
            if values:
                query[flt.param] = random.choice(values)
            else:
                del query[flt.param]
    case.query = query
    return case


def _untenanted(ctx: ProbeContext, case: Any) -> Any:
    """A negative case without tenant-scoped values, unless one is what it negates: a
    random organization id may be refused (403) before the bad parameter is looked at."""
    tenant = {f.param for f in ctx.contract.pagination.filters if f.tenant}
    negated = _negated_params(case)
    query = {k: v for k, v in (case.query or {}).items() if k not in tenant or k in negated}
    case.query = query
    return case


_INTEGER_TEXT = re.compile(r"[0-9]+")


def fractional_numbers(ctx: ProbeContext, pairs: tuple[tuple[str, str], ...]) -> list[str]:
    """`name=value` of each value for a `number` parameter that is not written as a whole
    number (`1.5`, `50.0`): docs/contracts.md#worker lets a server reject or truncate a
    fraction, and lets frameworks differ on `5.0`, so a 4xx to either judges nothing."""
    found = []
    for name, text in pairs:
        schema = ctx.contract.parameters.get(name, {})
        kinds = schema.get("type")
        kinds = kinds if isinstance(kinds, list) else [kinds]
        if "number" in kinds and not _INTEGER_TEXT.fullmatch(text):
            found.append(f"{name}={text}")
    return found


_LEXICAL_NUMBER = re.compile(r"\s*\+?[0-9]+(\.0*)?\s*")


def lexical_only(ctx: ProbeContext, pairs: tuple[tuple[str, str], ...], negated: set[str]) -> bool:
    """Whether every value of every negated parameter is a lexical corner case
    (docs/contracts.md#lexical-corner-cases): an empty value (`all=`), a whole number
    written otherwise (`5.0`, `+5`, ` 5`) within the documented range, or a parameter sent
    more than once. Frameworks differ on these, so a 2xx to one judges only "no 5xx",
    whichever seed draws it."""
    sent = [(name, text) for name, text in pairs if name in negated]
    if not sent:
        return False
    schemas = {name: ctx.contract.parameters.get(name, {}) for name, _ in sent}
    repeated = {
        name
        for name in schemas
        if schemas[name].get("type") != "array" and sum(n == name for n, _ in pairs) > 1
    }
    return all(name in repeated or _lexical(schemas[name], text) for name, text in sent)


def _lexical(schema: dict[str, Any], text: str) -> bool:
    if text == "":
        return True
    kinds = schema.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    if not ({"integer", "number"} & set(kinds)) or not _LEXICAL_NUMBER.fullmatch(text):
        return False
    value = float(text)
    low, high = schema.get("minimum"), schema.get("maximum")
    return (low is None or value >= low) and (high is None or value <= high)


def _shapes(ctx: ProbeContext) -> shapes.Shapes:
    """The contract's compiled shapes, built once per run: both fuzz probes may ask at the
    same moment under --concurrency."""
    with ctx.lock:
        if ctx.shapes is None:
            ctx.shapes = shapes.shapes(ctx.contract)
        return ctx.shapes


def _shape_findings(ctx: ProbeContext, response: Response) -> Iterator[Finding]:
    if not (response.ok and response.is_json and response.body is not None):
        return
    found = _shapes(ctx)
    problem = found.problem(response.body)
    if problem is not None:
        rule = "SCHEMA-RESPONSE"
        yield _violation(
            rule, response, f"the body breaks the schema at {problem}", _expected_for(rule)
        )
        return
    yield Finding.held("SCHEMA-RESPONSE")
    if not found.marked:
        return
    example = found.example_problem(response.body)
    if example is None:
        yield Finding.held("SCHEMA-EXAMPLE")
        return
    expected = "a value where the seed's example shows one"
    yield _violation(
        "SCHEMA-EXAMPLE", response, f"an example-only value is null: {example}", expected
    )


def _positive(ctx: ProbeContext) -> Any:
    checks = [not_a_server_error, openapi_checks.positive_data_acceptance]

    def evaluate(case: Any, response: Response) -> Iterator[Finding]:
        yield from _json_findings(response)
        sent = response.request.params
        rejected = response.status is not None and 400 <= response.status < 500
        excused = rejected and (fractional_numbers(ctx, sent) or vanished_cursor(ctx, sent))
        active = checks[:1] if excused else checks
        yield from _schemathesis_findings(case, response, active)
        yield from _shape_findings(ctx, response)

    return evaluate


def _negates_query_only(case: Any) -> bool:
    """True when every mutation of a negative case is in the query string.

    Schemathesis also negates the security header (drops it, mangles it); credentials
    are the auth probe's business, so those cases are not judged here.
    """
    data = getattr(getattr(case.meta, "phase", None), "data", None)
    mutations = getattr(data, "mutations", ())
    return bool(mutations) and all(
        getattr(m.parameter_location, "value", None) == "query" for m in mutations
    )


def _negative(ctx: ProbeContext) -> Any:
    def evaluate(case: Any, response: Response) -> Iterator[Finding]:
        if not _negates_query_only(case):
            yield from _schemathesis_findings(case, response, [not_a_server_error])
            return
        sent = response.request.params
        if response.ok and lexical_only(ctx, sent, _negated_params(case)):
            yield from _schemathesis_findings(case, response, [not_a_server_error])
            return
        if response.ok and clamping_allowed(ctx):
            problems = clamp_problems(ctx, sent, response)
            if problems is not None:  # every bad value is a number: a clamp is allowed
                yield from _schemathesis_findings(case, response, [not_a_server_error])
                yield from _clamp_findings(ctx, response, problems)
                return
        checks = [not_a_server_error, openapi_checks.negative_data_rejection]
        yield from _schemathesis_findings(case, response, checks)
        yield from error_contract_findings(ctx, response, _negated_params(case))

    return evaluate


def _clamp_findings(
    ctx: ProbeContext, response: Response, problems: list[str]
) -> Iterator[Finding]:
    rule = "PARAM-INVALID-REJECTED"
    if not problems:
        yield Finding.held(rule)
        return
    sent = response.request.params
    clamped = clamp_query(ctx, sent) or sent
    shown = "&".join(f"{k}={v}" for k, v in sent)
    message = (
        f"{shown} was answered {response.status}, which is no clamp: as the answer for "
        f"{describe(sent, clamped)} it is wrong: {' '.join(problems[:2])}"
    )
    expected = "a 4xx rejection or the answer for the clamped value"
    yield _violation(rule, response, message, expected)


def _negated_params(case: Any) -> set[str]:
    data = getattr(getattr(case.meta, "phase", None), "data", None)
    names = {getattr(m, "parameter", None) for m in getattr(data, "mutations", ())}
    names.add(getattr(data, "parameter", None))
    return {name for name in names if name}


@declared.fuzz_positive
def fuzz_positive(ctx: ProbeContext) -> Iterator[Finding]:
    examples = ctx.profile.fuzz_examples
    if not shapes.shapes(ctx.contract).marked:
        yield Finding.skipped(
            "SCHEMA-EXAMPLE", "the spec marks no shape as known only from an example"
        )
    yield from run_cases(ctx, GenerationMode.POSITIVE, examples, _positive(ctx))


@declared.fuzz_negative
def fuzz_negative(ctx: ProbeContext) -> Iterator[Finding]:
    examples = ctx.profile.fuzz_examples
    yield from run_cases(ctx, GenerationMode.NEGATIVE, examples, _negative(ctx))
