"""Error contracts: the status and body a target answers bad input or a bad credential
with, judged against the spec's documented error responses.

Shared by the auth, parameter and fuzz probes; kept apart from the fuzz probe so that
those import no Schemathesis.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import jsonschema

from threadconform import leaks
from threadconform.exchange import Response
from threadconform.ledger import Finding, Violation

__all__ = ["envelope_findings", "error_contract_findings", "server_error_message", "violation"]

if TYPE_CHECKING:
    from threadconform.probes.context import ProbeContext


def violation(rule: str, response: Response, message: str, expected: str) -> Finding:
    # The client's error line first: it names what the body cannot show (a redirect and
    # its Location, a body too large or cut short, a non-JSON content type).
    actual = f"status {response.status}: {(response.error or response.text or '')[:300]}"
    if response.items_dropped:  # the engine examines a bounded number of items per page
        actual += f" (and {response.items_dropped:,} more items, not examined)"
    return Finding(rule, Violation(rule, message, (response.request,), expected, actual))


def error_contract_findings(
    ctx: ProbeContext, response: Response, params: set[str]
) -> Iterator[Finding]:
    """PARAM-ERROR-STATUS and PARAM-ERROR-ENVELOPE for one 4xx answer to bad input."""
    errors = ctx.contract.pagination.errors
    if response.status is None or not 400 <= response.status < 500:
        return
    tenant_params = {f.param for f in ctx.contract.pagination.filters if f.tenant}
    # A tenant filter naming a resource of no tenant of ours may be refused first (403),
    # whichever parameter the case broke.
    sent = {name for name, _ in response.request.params}
    forbidden = errors.forbidden
    if forbidden and response.status == forbidden.status and (params | sent) & tenant_params:
        yield from envelope_findings(ctx, response, forbidden.response, "PARAM-ERROR-ENVELOPE")
        return
    expected = errors.validation
    if expected is None:
        yield Finding.skipped("PARAM-ERROR-STATUS", "the spec documents no validation error")
        yield Finding.skipped("PARAM-ERROR-ENVELOPE", "the spec documents no validation error")
        return
    if response.status == expected.status:
        yield Finding.held("PARAM-ERROR-STATUS")
    else:
        message = f"bad parameter(s) {sorted(params)} got {response.status}, not {expected.status}"
        yield violation("PARAM-ERROR-STATUS", response, message, f"status {expected.status}")
    yield from envelope_findings(ctx, response, expected.response, "PARAM-ERROR-ENVELOPE")


def envelope_findings(
    ctx: ProbeContext, response: Response, status_key: str | None, rule: str
) -> Iterator[Finding]:
    """The error body validates against the documented response's schema."""
    schema = ctx.error_schema(status_key)
    if schema is None:
        yield Finding.skipped(rule, f"the spec gives no body schema for a {status_key} response")
        return
    if response.body is None:
        yield violation(rule, response, "the error body is not JSON", "the documented envelope")
        return
    error = jsonschema.exceptions.best_match(
        jsonschema.Draft202012Validator(schema).iter_errors(response.body)
    )
    if error is None:
        yield Finding.held(rule)
        return
    where = "/".join(str(part) for part in error.absolute_path) or "(root)"
    message = f"the {response.status} body does not match the documented envelope at {where}: "
    yield violation(rule, response, message + error.message, f"the {status_key} envelope")


def server_error_message(message: str, response: Response) -> str:
    """`message`, plus what the 5xx body reveals of the server's insides (SQL, bound
    parameters, a traceback), quoted redacted by the same scanner SEC-ERROR-INTERNALS uses:
    a vendor fixing the 500 should see at once that it also leaks."""
    sent = [value for _, value in response.request.params]
    found = leaks.scan_error(response.body, response.text or "", sent)
    if not found:
        return message
    quoted = "; ".join(f"{leak.kind}: {leak.fragment!r}" for leak in found[:3])
    return f"{message}; the body exposes the server's internals ({quoted})"
