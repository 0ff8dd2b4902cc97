"""Every documented constraint of every parameter, violated once on purpose.

Random negative fuzzing finds the surprising inputs; this probe makes sure the obvious
ones are never missed: one value just outside each bound, a non-integer, a string one
character too long, one that breaks the pattern, one outside the enum, a non-boolean.
Lexical corner cases (`5.0`, `+5`, ` 5`) are deliberately absent: docs/contracts.md lets
frameworks differ on them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from threadconform.engine import ProbeContext
from threadconform.exchange import Response
from threadconform.ledger import Finding, Violation
from threadconform.probes import probe
from threadconform.probes.envelopes import error_contract_findings


@dataclass(frozen=True)
class BadValue:
    param: str
    value: str
    why: str  # e.g. "below the minimum 1"
    clampable: bool = False  # a numeric range violation, which some specs allow to clamp


def bad_values(name: str, schema: dict[str, Any]) -> list[BadValue]:
    """The values that break one documented constraint of one parameter."""
    kind = schema.get("type")
    kind = next((k for k in kind if k != "null"), None) if isinstance(kind, list) else kind
    values: list[BadValue] = []
    if kind == "integer":
        values.append(BadValue(name, "abc", "not an integer"))
        values.append(BadValue(name, "1.5", "not an integer"))
    if kind in {"integer", "number"}:
        if "minimum" in schema:
            low = schema["minimum"] - 1
            values.append(BadValue(name, str(low), f"below the minimum {schema['minimum']}", True))
        if "maximum" in schema:
            high = schema["maximum"] + 1
            values.append(BadValue(name, str(high), f"above the maximum {schema['maximum']}", True))
    if kind == "boolean":
        values.append(BadValue(name, "maybe", "not a boolean"))
    if "maxLength" in schema:
        text = "a" * (schema["maxLength"] + 1)
        values.append(BadValue(name, text, f"longer than maxLength {schema['maxLength']}"))
    if "pattern" in schema:
        values.append(BadValue(name, "bad value!", f"does not match {schema['pattern']}"))
    if "enum" in schema:
        values.append(BadValue(name, "sideways", f"not one of {schema['enum']}"))
    return values


def _rejected(ctx: ProbeContext, bad: BadValue, response: Response) -> Iterator[Finding]:
    rule = "PARAM-INVALID-REJECTED"
    status = response.status
    if status is not None and 400 <= status < 500:
        yield Finding.held(rule)
        yield from error_contract_findings(ctx, response, {bad.param})
        return
    if status is not None and status >= 500:
        return  # HTTP-NO-5XX speaks to this one
    if bad.clampable and response.ok and _obeys_bounds(ctx, bad, response):
        yield Finding.held(rule)
        return
    message = f"{bad.param}={bad.value!r} ({bad.why}) got {status}"
    if ctx.contract.pagination.limit.out_of_range == "reject-or-clamp" and bad.clampable:
        message += " and the body does not obey the documented range"
    expected = "a 4xx rejection" + (" or a clamped 2xx" if bad.clampable else "")
    actual = f"status {status}: {(response.text or response.error or '')[:300]}"
    yield Finding(rule, Violation(rule, message, (response.request,), expected, actual))


def _obeys_bounds(ctx: ProbeContext, bad: BadValue, response: Response) -> bool:
    limit = ctx.contract.pagination.limit
    if limit.out_of_range != "reject-or-clamp":
        return False
    items = ctx.items_of(response)
    if items is None:
        return False
    return bad.param != limit.param or limit.maximum is None or len(items) <= limit.maximum


def _no_5xx(response: Response, bad: BadValue) -> Finding:
    if response.status is not None and response.status >= 500:
        message = f"{bad.param}={bad.value!r} ({bad.why}) got a server error {response.status}"
        actual = f"status {response.status}: {(response.text or '')[:300]}"
        violation = Violation("HTTP-NO-5XX", message, (response.request,), "a 4xx", actual)
        return Finding("HTTP-NO-5XX", violation)
    return Finding.held("HTTP-NO-5XX")


@probe(
    "param-bounds",
    "PARAM-INVALID-REJECTED",
    "PARAM-ERROR-STATUS",
    "PARAM-ERROR-ENVELOPE",
    "HTTP-NO-5XX",
)
def param_bounds(ctx: ProbeContext) -> Iterator[Finding]:
    for name, schema in ctx.contract.parameters.items():
        for bad in bad_values(name, schema):
            response = ctx.get({bad.param: bad.value})
            if response is None:
                return
            if response.status is None:
                yield Finding.skipped("PARAM-INVALID-REJECTED", f"no answer: {response.error}")
                continue
            yield _no_5xx(response, bad)
            yield from _rejected(ctx, bad, response)
