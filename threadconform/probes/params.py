"""Every documented constraint of every parameter, violated once on purpose.

Random negative fuzzing finds the surprising inputs; this probe makes sure the obvious
ones are never missed: one value just outside each bound, a non-integer, a string one
character too long, one that breaks the pattern, one outside the enum, a non-boolean.
Lexical corner cases (`5.0`, `+5`, ` 5`) are deliberately absent: docs/contracts.md lets
frameworks differ on them, and so is a fraction for a `number` (it may be truncated).

Where the spec allows clamping, a 2xx must be the answer to the clamped request (see
`clamps`); each clamped value is also tried on a listing that fits on one page, where a
wrong has-more shows. A parameter with no maximum is also sent a value far past anything
stored (2**31: past PostgreSQL's int4), which must not produce a 5xx.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from threadconform.exchange import Response
from threadconform.ledger import Finding, Violation
from threadconform.probes import probe
from threadconform.probes.clamps import clamp_problems, clamp_query, clamping_allowed, describe
from threadconform.probes.context import ProbeContext
from threadconform.probes.envelopes import error_contract_findings, server_error_message
from threadconform.probes.walks import encode

__all__ = ["FAR", "BadValue", "bad_values", "far_values", "one_page_listing", "param_bounds"]

FAR = 2**31  # past PostgreSQL's int4: where an unbounded page or offset overflows


@dataclass(frozen=True)
class BadValue:
    param: str
    value: str
    why: str  # e.g. "below the minimum 1"
    clampable: bool = False  # a numeric range violation, which some specs allow to clamp


def _kind(schema: dict[str, Any]) -> str | None:
    kind = schema.get("type")
    return next((k for k in kind if k != "null"), None) if isinstance(kind, list) else kind


def bad_values(name: str, schema: dict[str, Any]) -> list[BadValue]:
    """The values that break one documented constraint of one parameter."""
    kind = _kind(schema)
    values: list[BadValue] = []
    if kind in {"integer", "number"}:
        values.append(
            BadValue(name, "abc", f"not {'an integer' if kind == 'integer' else 'a number'}")
        )
    if kind == "integer":
        values.append(BadValue(name, "1.5", "not an integer"))
    if kind in {"integer", "number"}:
        if "minimum" in schema:
            low = schema["minimum"] - 1
            why = f"below the minimum {schema['minimum']}"
            values.append(BadValue(name, str(low), why, True))
            if low > -1:  # -1 too: SQLite reads LIMIT -1 as "no limit"
                values.append(BadValue(name, "-1", why, True))
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


def far_values(name: str, schema: dict[str, Any]) -> list[tuple[str, str]]:
    """Valid values far past the data for a number with no maximum (a page, an offset)."""
    if _kind(schema) in {"integer", "number"} and "maximum" not in schema:
        return [(name, str(FAR))]
    return []


def _rejected(
    ctx: ProbeContext, bad: BadValue, sent: tuple[tuple[str, str], ...], response: Response
) -> Iterator[Finding]:
    rule = "PARAM-INVALID-REJECTED"
    status = response.status
    if status is not None and 400 <= status < 500:
        yield Finding.held(rule)
        yield from error_contract_findings(ctx, response, {bad.param})
        return
    if status is not None and status >= 500:
        return  # HTTP-NO-5XX speaks to this one: one cause, one rule
    problems = clamp_problems(ctx, sent, response) if bad.clampable else None
    if problems == []:
        yield Finding.held(rule)
        return
    message = f"{bad.param}={bad.value!r} ({bad.why}) got {status}"
    if problems:
        clamped = clamp_query(ctx, sent) or sent
        message += (
            f", which is no clamp: as the answer for {describe(sent, clamped)} it is wrong: "
            + " ".join(problems[:2])
        )
    elif bad.clampable and clamping_allowed(ctx):
        message += " and the body is not a list of items"
    expected = "a 4xx rejection" + (
        " or the answer for the clamped value" if bad.clampable and clamping_allowed(ctx) else ""
    )
    actual = f"status {status}: {(response.text or response.error or '')[:300]}"
    yield Finding(rule, Violation(rule, message, (response.request,), expected, actual))


def _no_5xx(response: Response, what: str) -> Finding:
    if response.status is not None and response.status >= 500:
        message = server_error_message(f"{what} got a server error {response.status}", response)
        actual = f"status {response.status}: {(response.text or '')[:300]}"
        violation = Violation(
            "HTTP-NO-5XX", message, (response.request,), "a status below 500", actual
        )
        return Finding("HTTP-NO-5XX", violation)
    return Finding.held("HTTP-NO-5XX")


def one_page_listing(ctx: ProbeContext) -> tuple[tuple[str, str], ...] | None:
    """Parameters whose listing fits on one page of the largest limit: the whole listing
    if it is small, else the exact filter value with the fewest items. There has-more
    must be false: a clamp that gets it wrong shows. None when no such listing is known."""
    pagination = ctx.contract.pagination
    largest = pagination.limit.maximum or pagination.limit.default
    if largest is None:
        return None
    limit = (pagination.limit.param, str(largest))
    reference = ctx.reference()
    if reference.complete and len(reference.ids) <= largest:
        return (limit,)
    for flt in pagination.filters:
        if flt.match != "exact" or flt.tenant or flt.type == "boolean" or flt.field is None:
            continue
        counts = Counter(item.get(flt.field, None) for item in reference.items)
        counts.pop(None, None)
        if counts:
            value, count = min(counts.items(), key=lambda pair: (pair[1], str(pair[0])))
            if count <= largest:
                return ((flt.param, encode(value)), limit)
    return None


@probe(
    "param-bounds",
    "PARAM-INVALID-REJECTED",
    "PARAM-ERROR-STATUS",
    "PARAM-ERROR-ENVELOPE",
    "HTTP-NO-5XX",
    order=130,
)
def param_bounds(ctx: ProbeContext) -> Iterator[Finding]:
    small = one_page_listing(ctx) if clamping_allowed(ctx) else None
    for name, schema in ctx.contract.parameters.items():
        for bad in bad_values(name, schema):
            queries: list[tuple[tuple[str, str], ...]] = [((bad.param, bad.value),)]
            if bad.clampable and small is not None:
                queries.append(((bad.param, bad.value), *(p for p in small if p[0] != bad.param)))
            for sent in queries:  # the one-page listing only while the value looks fine
                response = ctx.fetch(sent)  # once the run stops, the probe ends here
                if response.status is None:
                    yield Finding.skipped("PARAM-INVALID-REJECTED", f"no answer: {response.error}")
                    break
                findings = [
                    _no_5xx(response, f"{bad.param}={bad.value!r} ({bad.why})"),
                    *_rejected(ctx, bad, sent, response),
                ]
                yield from findings
                if any(f.violation for f in findings) or not response.ok:
                    break  # one violation per bad value: the kept evidence stays varied
        for far in far_values(name, schema):
            response = ctx.fetch((far,))
            if response.status is not None:
                yield _no_5xx(response, f"{far[0]}={far[1]} (valid: no maximum is documented)")
