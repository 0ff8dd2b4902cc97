"""Setup mistakes, named before any rule runs.

Two plain requests to the list endpoint (one with the configured credential, one without)
tell a wrong URL or a refused credential apart from a misbehaving server. Judging rules
against a route that answers only 404 would "pass" HTTP-NO-5XX and the AUTH rules on
responses that are not the list at all, and blame the server for the user's typo; so the
run stops here with one line and its own exit status, and no rule is judged.

| exit | meaning |
| ---: | --- |
| 6 | the target could not be reached at all |
| 7 | the list route answered 404 (or 405), or a web page (`200 text/html`): not the API |
| 8 | the list endpoint refused the credential (401/403), or demands one none was given for |

Each stop is its own exception type (threadconform.outcomes), which carries its status.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from threadconform.client import Client
from threadconform.exchange import Response
from threadconform.outcomes import NotFound, NotTheApi, Refused, SetupMistake, Unreachable

__all__ = [
    "Answers",
    "NotFound",
    "NotTheApi",
    "Refused",
    "SetupMistake",
    "Unreachable",
    "check",
    "route_hint",
]

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
        hint = route_hint(base_url, url)
        return NotFound, f"{_NOT_FOUND} {status} at {url}; {hint}; no rule was judged"
    if status is not None and 200 <= status < 300 and not answers.given.is_json:
        kind = answers.given.content_type.split(";", 1)[0].strip() or "no content type"
        return NotTheApi, (
            f"GET {url} answered {status} {kind}, not the JSON list{_said(answers.given)}: "
            f"--base-url {base_url} is not the API's root (the list route is "
            f"{spec_path(base_url, url)} under it); no rule was judged"
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


def spec_path(base_url: str, url: str) -> str:
    """The spec's path of the list route: what the client put after the base URL."""
    base = urlsplit(base_url).path.rstrip("/")
    return urlsplit(url).path.removeprefix(base) or "/"


def route_hint(base_url: str, url: str) -> str:
    """What to change in --base-url when the list route answered 404 at `url`: compare
    the path the user gave with the spec's, and name the part to add or remove."""
    given = urlsplit(base_url).path.rstrip("/")
    route = spec_path(base_url, url)
    if not given:
        prefix = "/api" if route.startswith("/v1/") else "/v1"
        example = base_url.rstrip("/") + prefix
        return (
            f"the list route is {route}; if the server serves it under a prefix, add the "
            f"prefix to --base-url (e.g. {example})"
        )
    # `--base-url http://h/api` with the route /api/threads asks for /api/api/threads.
    segments = given.strip("/").split("/")
    route_segments = route.strip("/").split("/")
    for size in range(len(segments), 0, -1):
        if segments[-size:] == route_segments[:size]:
            kept = "/" + "/".join(segments[:-size]) if segments[:-size] else ""
            removed = "/" + "/".join(segments[-size:])
            return (
                f"the spec's route {route} already starts with {removed}: remove {removed} "
                f"from --base-url (e.g. {_with_path(base_url, kept)})"
            )
    return (
        f"the list route is {route} under --base-url, whose path is {given}; if the "
        f"server serves {route} at its root, remove {given} from --base-url (e.g. "
        f"{_with_path(base_url, '')}), or correct the prefix"
    )


def _with_path(base_url: str, path: str) -> str:
    return urlsplit(base_url)._replace(path=path, query="", fragment="").geturl()


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
