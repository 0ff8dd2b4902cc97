"""Setup mistakes, named before any rule runs.

Two plain requests to the list endpoint (one with the configured credential, one without)
tell a wrong URL or a refused credential apart from a misbehaving server. Judging rules
against a route that answers only 404 would "pass" HTTP-NO-5XX and the AUTH rules on
responses that are not the list at all, and blame the server for the user's typo; so the
run stops here with one line and its own exit status, and no rule is judged.

| exit | meaning |
| ---: | --- |
| 6 | the target could not be reached at all |
| 7 | the list endpoint answered 404 (or 405): wrong path or missing prefix |
| 8 | the list endpoint refused the credential (401/403), or demands one none was given for |

Each stop is its own exception type (threadconform.outcomes), which carries its status.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from threadconform.client import Client
from threadconform.exchange import Response
from threadconform.outcomes import NotFound, Refused, SetupMistake, Unreachable

__all__ = ["Answers", "NotFound", "Refused", "SetupMistake", "Unreachable", "check"]

_UNREACHABLE = "cannot reach the target"
_NOT_FOUND = "the list endpoint answered"
_REFUSED = ("the credential was refused", "the list endpoint demands a credential")


@dataclass(frozen=True)
class Answers:
    """The two preflight answers: with the configured credential, and without any."""

    given: Response
    bare: Response | None  # None when no credential is configured (`given` had none)


def check(client: Client, base_url: str, redact: Callable[[str], str] = str) -> Answers:
    """Send the preflight requests; raise Unreachable or a SetupMistake (NotFound,
    Refused) on a mistake."""
    given = client.get({})
    if given.status is None:  # refused, DNS, TLS, or no answer in time
        raise Unreachable(redact(f"threadconform: {_UNREACHABLE}: {given.error}"))
    bare = client.get({}, credential=None) if client.credential else None
    answers = Answers(given, bare)
    mistake = _mistake(client, base_url, answers)
    if mistake is not None:
        kind, message = mistake
        raise kind(redact(f"threadconform: {message}"))
    return answers


def _mistake(
    client: Client, base_url: str, answers: Answers
) -> tuple[type[SetupMistake], str] | None:
    status = answers.given.status
    url = answers.given.request.full_url
    if status in (404, 405):
        example = base_url.rstrip("/") + "/v1"
        return NotFound, (
            f"{_NOT_FOUND} {status} at {url}; if it lives under a prefix, include it in "
            f"--base-url (e.g. {example}); no rule was judged"
        )
    if status not in (401, 403):
        return None
    how = _how_sent(client)
    said = _said(answers.given)
    if client.credential:
        bare = answers.bare.status if answers.bare is not None else None
        return Refused, (
            f"{_REFUSED[0]}: GET {url} answered {status} with the configured credential "
            f"(sent as {how}; without one it answered {bare}){said}; check --token / "
            "THREADCONFORM_TOKEN (and --header); no rule was judged"
        )
    documented = "" if client.auth else " although the spec documents no authentication"
    return Refused, (
        f"{_REFUSED[1]}: GET {url} answered {status} to a request without one{documented}; "
        f"pass --token (sent as {how}) or --header 'Name: value'{said}; no rule was judged"
    )


def _said(response: Response) -> str:
    """What the refusal said, in one short line (the client has redacted credentials)."""
    text = " ".join((response.text or "").split())
    if not text:
        return ""
    return f" (it said: {text[:160] + '...' if len(text) > 160 else text})"


def _how_sent(client: Client) -> str:
    if client.auth is None or client.auth.kind == "bearer":
        header = client.auth.header if client.auth else "Authorization"
        return f"{header}: Bearer <token>"
    return f"{client.auth.header}: <token>"
