"""Security: errors that reveal internals, credentials in list items, auth edge cases.

Three probes, all read-only GETs and nothing guessed: the credential variants only ever
carry the caller's own configured credential.

- `security-auth` (6-7 requests): the configured credential with the scheme in lower case,
  with two spaces after the scheme, as a query parameter instead of its header, and
  alongside a copy of itself in a second credential header.
- `security-items` (1 request): the first page at the largest limit, every item scanned
  for fields named or shaped like secrets.
- `beyond-int64` and `security-errors` (2-3 requests, sent once for both): values no
  server stores (a limit, page or offset beyond a 64-bit integer, a quote in a cursor) to
  provoke the errors that leak, judged for HTTP-NO-5XX; then every 4xx/5xx body the run
  received (all probes, via `ProbeContext.errors`) scanned for internals. The run asks
  for SEC-ERROR-INTERNALS after every other rule of its target (`last=True`, hence in
  `probes.registry.RUN_LAST`), so the scan sees the answers to what every other probe
  sent; asked for alone (`-k`), it scans the answers to its own provocations.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from typing import Any

from threadconform import leaks, paths
from threadconform.exchange import Request, Response
from threadconform.ledger import Finding, Violation
from threadconform.model import Auth
from threadconform.outcomes import BudgetSpent
from threadconform.probes import probe
from threadconform.probes.context import ProbeContext

__all__ = [
    "AUTH_RULES",
    "BEYOND_INT64",
    "QUERY_NAMES",
    "QUOTED_CURSOR",
    "beyond_int64",
    "security_auth",
    "security_errors",
    "security_items",
]

AUTH_RULES = (
    "SEC-AUTH-SCHEME-CASE",
    "SEC-AUTH-WHITESPACE",
    "SEC-AUTH-NOT-IN-QUERY",
    "SEC-AUTH-SECOND-HEADER",
)
BEYOND_INT64 = str(2**63)  # one past the largest bigint: the real Kortix backend's 500
QUOTED_CURSOR = "threadconform'\""  # a quote, where an unescaped query breaks
# Query parameter names a server might read a credential from (RFC 6750 § 2.3 names the first).
QUERY_NAMES = {"bearer": ("access_token", "token"), "header": ("api_key", "apiKey")}


def _redacted(ctx: ProbeContext, request: Request) -> Request:
    """The request with the credential scrubbed from its query too (evidence is printed)."""
    params = tuple((name, ctx.client.redact(value)) for name, value in request.params)
    return dataclasses.replace(request, params=params)


def _violation(
    ctx: ProbeContext, rule: str, response: Response, message: str, expected: str
) -> Finding:
    actual = f"status {response.status}: {(response.error or response.text or '')[:200]}"
    evidence = (_redacted(ctx, response.request),)
    return Finding(rule, Violation(rule, message, evidence, expected, ctx.client.redact(actual)))


# --- auth edge cases ------------------------------------------------------------------


def _auth_precondition(ctx: ProbeContext) -> tuple[str | None, Response | None]:
    """(why the auth variants cannot be judged, or None; the accepted baseline answer)."""
    if ctx.client.credential is None:
        if ctx.contract.auth is None:
            why = "the spec documents no authentication and no token is configured"
            return why + " (pass --token to check a target that requires one)", None
        return "no credential given: pass --token or THREADCONFORM_TOKEN", None
    try:
        valid = ctx.fetch({})
        if not valid.ok:
            return f"the configured credential itself got {valid.status}", None
        bare = ctx.fetch({}, credential=None)
    except BudgetSpent:
        return f"the run stopped: {ctx.state.reason}", None
    if bare.status is not None and 200 <= bare.status < 300:
        return (
            "the target serves requests without any credential, so an accepted variant "
            "proves nothing (see AUTH-REQUIRED)"
        ), None
    return None, valid


@probe("security-auth", *AUTH_RULES, order=170)
def security_auth(ctx: ProbeContext) -> Iterator[Finding]:
    reason, valid = _auth_precondition(ctx)
    if reason is not None or valid is None:
        for rule in AUTH_RULES:
            yield Finding.skipped(rule, reason or "no baseline answer")
        return
    auth = ctx.contract.auth or Auth(kind="bearer")  # the client sends a bearer token then
    token = ctx.client.credential or ""
    if auth.kind == "bearer":
        lower, spaced = {auth.header: f"bearer {token}"}, {auth.header: f"Bearer  {token}"}
        yield from _accepted_variant(ctx, "SEC-AUTH-SCHEME-CASE", lower, "the scheme in lower case")
        yield from _accepted_variant(ctx, "SEC-AUTH-WHITESPACE", spaced, "two spaces after Bearer")
    else:
        why = f"{auth.header} carries the key without a scheme"
        yield Finding.skipped("SEC-AUTH-SCHEME-CASE", why)
        yield Finding.skipped(
            "SEC-AUTH-WHITESPACE", why + " (HTTP itself strips the spaces around a value)"
        )
    yield from _not_in_query(ctx, auth, token)
    yield from _second_header(ctx, auth, token, valid)


def _accepted_variant(
    ctx: ProbeContext, rule: str, headers: dict[str, str], what: str
) -> Iterator[Finding]:
    response = ctx.fetch({}, credential=None, headers=headers)  # a stop ends the probe
    if response.ok:
        yield Finding.held(rule)
        return
    header = next(iter(headers))
    message = (
        f"the configured credential with {what} ({header}: "
        f"{ctx.client.redact(headers[header])!r}) got {response.status}, while the usual "
        "spelling is accepted; client libraries differ in what they send"
    )
    yield _violation(ctx, rule, response, message, "a 2xx, as for the usual spelling")


def _not_in_query(ctx: ProbeContext, auth: Auth, token: str) -> Iterator[Finding]:
    names = (*QUERY_NAMES[auth.kind], *((auth.header,) if auth.kind == "header" else ()))
    for name in dict.fromkeys(names):
        response = ctx.fetch({name: token}, credential=None)
        if response.ok:
            message = (
                f"the credential sent as the query parameter {name}=*** (no {auth.header} "
                f"header) was accepted with {response.status}; a URL carrying it ends up in "
                "access logs, proxies and browser history"
            )
            yield _violation(ctx, "SEC-AUTH-NOT-IN-QUERY", response, message, "a 4xx refusal")
        else:
            yield Finding.held("SEC-AUTH-NOT-IN-QUERY")


def _second_header(ctx: ProbeContext, auth: Auth, token: str, valid: Response) -> Iterator[Finding]:
    rule = "SEC-AUTH-SECOND-HEADER"
    if auth.kind == "bearer" and auth.header.lower() == "authorization":
        extra = {"X-API-Key": token}
    else:
        extra = {"Authorization": f"Bearer {token}"}
    response = ctx.fetch({}, headers=extra)
    header = next(iter(extra))
    if not response.ok:
        message = (
            f"the valid {auth.header} credential was refused with {response.status} because "
            f"the request also carried it in {header}; a gateway or SDK that adds that "
            "header locks the caller out (if refusing it is deliberate, set "
            f"{rule}: off in the spec)"
        )
        yield _violation(ctx, rule, response, message, "a 2xx for the same caller")
        return
    mine, got = _first_ids(ctx, valid), _first_ids(ctx, response)
    if not _same_caller(mine, got):
        message = (
            f"with the credential also in {header}, the first page changed "
            f"({len(got)} ids, {len(set(got) - set(mine))} not in the caller's own listing): "
            "the second header changed who the caller is"
        )
        yield _violation(ctx, rule, response, message, "the caller's own first page")
        return
    yield Finding.held(rule)


def _same_caller(mine: list[str], got: list[str]) -> bool:
    """Two first pages of one caller: mostly the same ids. Not exactly: a server whose ties
    come back in any order (a MUST failure of its own) may swap a few at the page's edge;
    another tenant's page shares none (tenant isolation)."""
    shared = len(set(mine) & set(got))
    return 2 * shared >= max(len(set(mine)), len(set(got)))


def _first_ids(ctx: ProbeContext, response: Response) -> list[str]:
    items = ctx.items_of(response) or []
    return [str(paths.get(item, ctx.contract.pagination.response.id)) for item in items]


# --- credentials in list items --------------------------------------------------------


@probe("security-items", "SEC-ITEM-CREDENTIALS", order=180)
def security_items(ctx: ProbeContext) -> Iterator[Finding]:
    rule = "SEC-ITEM-CREDENTIALS"
    limit = ctx.contract.pagination.limit
    response = ctx.fetch({limit.param: str(limit.maximum or limit.default or 100)})
    items = ctx.items_of(response) if response.ok else None
    if items is None:
        reason = response.error or f"status {response.status}"
        yield Finding.skipped(rule, f"no list came back to inspect: {reason}")
        return
    if not items:
        yield Finding.skipped(rule, "the listing is empty: no item to inspect")
        return
    documented = set(ctx.contract.pagination.items.documented_credentials)
    exposures = leaks.item_credentials(items)
    for exposure in (e for e in exposures if e.path not in documented):
        message = (
            f"item field {exposure.path} holds a credential-like value ({exposure.why}) in "
            f"{exposure.count} of {len(items)} items: every caller of the list receives it"
        )
        violation = Violation(
            rule,
            message,
            (_redacted(ctx, response.request),),
            "no secret in a list item (or the field named in items.documented_credentials)",
            f"{exposure.path}: {exposure.example}",
        )
        yield Finding(rule, violation)
    shown = [e for e in exposures if e.path in documented]
    note = None
    if shown:
        fields = ", ".join(f"{e.path} in {e.count} of {len(items)} items" for e in shown)
        note = f"documented exposure (items.documented_credentials): {fields}"
    yield Finding(rule, note=note)


# --- internals in error bodies --------------------------------------------------------


def _provocations(ctx: ProbeContext) -> list[dict[str, str]]:
    """Values no server stores, that reach a database unchecked in a careless handler."""
    pagination = ctx.contract.pagination
    found = [{pagination.limit.param: BEYOND_INT64}]
    for bounded in (pagination.page, pagination.offset):
        if bounded is not None:
            found.append({bounded.param: BEYOND_INT64})
    if pagination.cursor is not None:
        found.append({pagination.cursor.after: QUOTED_CURSOR})
    return found


def _provoke(ctx: ProbeContext) -> tuple[Response, ...]:
    """The answers to the provocations, sent once per run whichever probe asks first (as
    many as were answered before the run stopped)."""
    with ctx.once("provocations"):  # two probes may ask at once (--concurrency)
        if ctx.provocations is None:
            answers: list[Response] = []
            for params in _provocations(ctx):
                try:
                    answers.append(ctx.fetch(params))
                except BudgetSpent:
                    break
            ctx.provocations = tuple(answers)
    return ctx.provocations


@probe("beyond-int64", "HTTP-NO-5XX", order=160)
def beyond_int64(ctx: ProbeContext) -> Iterator[Finding]:
    """No 5xx for the provocations either (a page beyond bigint is a 500 at Kortix)."""
    for response in _provoke(ctx):
        if response.status is None:
            continue
        if response.status >= 500:
            message = f"{response.request.full_url} got {response.status}"
            yield _violation(ctx, "HTTP-NO-5XX", response, message, "a status below 500")
        else:
            yield Finding.held("HTTP-NO-5XX")


@probe("security-errors", "SEC-ERROR-INTERNALS", order=190, last=True)
def security_errors(ctx: ProbeContext) -> Iterator[Finding]:
    _provoke(ctx)
    sample = ctx.errors
    if not sample.bodies:
        yield Finding.skipped("SEC-ERROR-INTERNALS", "no 4xx/5xx body came back to inspect")
        return
    yield from _scan_sample(ctx, sample.in_order())


_NUMBER = re.compile(r"\d+")


def _alike(leak: leaks.Leak) -> tuple[str, str]:
    """A leak with its numbers left out: quoted parameters show their numbers (a limit,
    an offset), so the same failing query with another limit is the same cause, once."""
    return leak.kind, _NUMBER.sub("#", leak.fragment)


def _scan_sample(ctx: ProbeContext, bodies: list[leaks.ErrorBody]) -> Iterator[Finding]:
    """One finding per distinct leak (status and what leaked), with how often it came."""
    rule = "SEC-ERROR-INTERNALS"
    distinct: dict[tuple[Any, ...], tuple[leaks.ErrorBody, list[leaks.Leak], int]] = {}
    clean = 0
    for body in bodies:
        sent = [value for _, value in body.request.params]
        found = leaks.scan_strings(body.strings, sent)
        if not found:
            clean += 1
            continue
        key = (body.status, tuple(_alike(leak) for leak in found))
        first, _, count = distinct.get(key, (body, found, 0))
        distinct[key] = (first, found, count + 1)
    # one check per clean body; the first says how many of the run's error answers they were
    note = f"{len(bodies)} distinct error bodies scanned of {ctx.errors.seen} received"
    for index in range(clean):
        yield Finding(rule, note=note if index == 0 else None)
    for body, found, count in distinct.values():
        kinds = ", ".join(leak.kind for leak in found)
        times = f" ({count} responses alike)" if count > 1 else ""
        message = f"the {body.status} body reveals {kinds}{times}"
        actual = "; ".join(f"{leak.kind}: {ctx.client.redact(leak.fragment)}" for leak in found)
        violation = Violation(
            rule,
            message,
            (_redacted(ctx, body.request),),
            "a generic error message (log the details server-side)",
            actual,
        )
        yield Finding(rule, violation)
