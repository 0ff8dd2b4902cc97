"""Bad page tokens: an opaque token (style token: gmail's `pageToken`) or the opaque
parameter of a next link (style next-link: graph's `$skiptoken`) sent changed, garbled or
from the other tenant must never be answered with a 5xx (issue 20: a real server answered
`$skiptoken=garbage` with 500). Garbage is also judged by CURSOR-MALFORMED where the spec
documents its answer (`token.malformed`, `link.malformed`: graph's 400); a changed tail or
the other tenant's token may be a valid token of an encoded offset, so only a 5xx is
wrong there. Cursors have their own probe (`cursor_errors`)."""

from __future__ import annotations

from collections.abc import Iterator

from threadconform.exchange import Response
from threadconform.ledger import Finding, Violation
from threadconform.outcomes import BudgetSpent
from threadconform.probes import judge, probe
from threadconform.probes.context import ProbeContext
from threadconform.probes.envelopes import envelope_findings, server_error_message
from threadconform.walk import extract_page, follow

__all__ = ["GARBAGE", "bad_tokens", "token_errors"]

GARBAGE = "threadconform~garbage"
StrParams = tuple[tuple[str, str], ...]


def _first_next(ctx: ProbeContext, credential: str | None) -> tuple[Response, str] | None:
    """The first page in pages of two, and its next token or link (None: no first page)."""
    limit = ctx.contract.pagination.limit
    response = ctx.fetch(((limit.param, str(max(2, limit.minimum or 1))),), credential=credential)
    if not response.ok:
        return None
    page = extract_page(ctx.contract.pagination, response.request, response)
    nxt = page.meta.next
    return (response, nxt) if isinstance(nxt, str) and nxt else None


def _token_param(ctx: ProbeContext, response: Response, nxt: str) -> tuple[str, str, StrParams]:
    """(parameter, its token value, the rest of the query) of a next token or link."""
    pagination = ctx.contract.pagination
    if pagination.token is not None:
        return pagination.token.param, str(nxt), tuple(response.request.params)
    followed = follow(response.request, str(nxt))
    params = followed[1] if isinstance(followed, tuple) else ()
    opaque = [(k, v) for k, v in params if k not in ctx.contract.parameters]
    name, value = opaque[0] if opaque else ("", "")
    return name, value, tuple(p for p in params if p[0] != name)


def _changed_tail(token: str) -> str:
    return token[:-1] + ("A" if token[-1:] != "A" else "B") if token else GARBAGE


def bad_tokens(token: str, theirs: str | None) -> list[tuple[str, str]]:
    """(what it is, value): the token with its tail changed, the other tenant's, garbage."""
    found = [("the token with its last character changed", _changed_tail(token))]
    if theirs and theirs != token:
        found.append(("the other tenant's token", theirs))
    return [*found, ("a string that is no token", GARBAGE)]


@probe("token-errors", "HTTP-NO-5XX", "CURSOR-MALFORMED", order=85)
def token_errors(ctx: ProbeContext) -> Iterator[Finding]:
    style = ctx.contract.pagination.style
    if style not in ("token", "next-link"):
        return
    try:
        yield from _judge(ctx)
    except BudgetSpent:
        return


def _judge(ctx: ProbeContext) -> Iterator[Finding]:
    first = _first_next(ctx, ctx.client.credential)
    if first is None:
        return  # one page or no page: no token to spoil
    name, token, rest = _token_param(ctx, *first)
    if not name:
        return
    theirs = None
    if ctx.second_token and ctx.second_token != ctx.client.credential:
        other = _first_next(ctx, ctx.second_token)
        if other is not None:
            theirs = _token_param(ctx, *other)[1]
    for what, value in bad_tokens(token, theirs):
        response = ctx.fetch((*rest, (name, value)))
        if response.status is not None and response.status >= 500:
            message = server_error_message(
                f"{name}={value} ({what}) got a server error {response.status}; an unknown "
                "or malformed token must be answered with a 4xx (or an empty page)",
                response,
            )
            actual = f"status {response.status}"
            violation = Violation(
                "HTTP-NO-5XX", message, (response.request,), "a status below 500", actual
            )
            yield Finding("HTTP-NO-5XX", violation)
        elif response.status is not None:
            yield Finding.held("HTTP-NO-5XX")
        if value == GARBAGE:
            yield from _malformed(ctx, response)


def _malformed(ctx: ProbeContext, response: Response) -> Iterator[Finding]:
    """CURSOR-MALFORMED of the answer to garbage, where the spec documents that answer."""
    pagination = ctx.contract.pagination
    documented = pagination.refusal("malformed")
    if documented is None:
        return
    page = extract_page(pagination, response.request, response)
    yield from judge(ctx.contract, "CURSOR-MALFORMED", page, response.body)
    status = response.status or 0
    if documented.response and 400 <= status < 500 and status == (documented.status or status):
        yield from envelope_findings(ctx, response, documented.response, "CURSOR-MALFORMED")
