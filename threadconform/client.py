"""The suite's only way to talk to a target: GET and HEAD over httpx, never anything else.

Whatever the target does wrong (refuses the connection, hangs, answers HTML, sends 10 MB,
redirects, asks us to slow down) becomes a `Response` whose `error` is one line naming the
URL and the problem: checks judge the target, so the client must never raise on its
behalf. The two exceptions are the suite's own limits: `ReadOnlyError` (a check tried to
write) and `BudgetExhausted` (the request budget is spent).

Credentials never reach a record: the request's credential header is stored as
`Authorization: Bearer ***`, and `redact` scrubs known credentials from free text.
"""

from __future__ import annotations

import dataclasses
import email.utils
import enum
import json
import ssl
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import quote_plus

import httpx

from threadconform.exchange import REDACTED, Request, Response
from threadconform.model import Auth

__all__ = [
    "DEFAULT",
    "UNREACHABLE",
    "BudgetExhausted",
    "Client",
    "CredentialArg",
    "Params",
    "ReadOnlyError",
    "encode_params",
    "is_unreachable",
]


class _Default(enum.Enum):
    DEFAULT = "DEFAULT"


# `credential=DEFAULT`: use the client's credential (None would mean "send none").
DEFAULT: Final = _Default.DEFAULT
CredentialArg = str | _Default | None

Params = Mapping[str, str | int | bool] | Sequence[tuple[str, str]]

# An error starting with one of these means the target could not be reached at all, so a
# run can stop with one line instead of failing every check the same way.
UNREACHABLE: Final = (
    "connection refused",
    "DNS lookup failed",
    "connect timeout",
    "TLS error",
    "cannot connect",
    "invalid URL",
)

_SAFE_METHODS: Final = frozenset({"GET", "HEAD"})
_TEXT_CAP: Final = 4096  # characters of body text kept on a Response
_SNIPPET: Final = 60  # characters of body quoted in an error line
_MIN_SECRET: Final = 4  # shorter credentials are not scrubbed from free text (see redact)


class ReadOnlyError(Exception):
    """A check tried to send a method that could change the target."""


class BudgetExhausted(Exception):
    """The request budget (`max_requests`) is spent; no request was sent."""


def encode_params(params: Params) -> tuple[tuple[str, str], ...]:
    """Query parameters as ordered string pairs; booleans as `true`/`false`."""
    pairs = params.items() if isinstance(params, Mapping) else params
    return tuple((str(name), _encode_value(value)) for name, value in pairs)


def _encode_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def is_unreachable(response: Response) -> bool:
    """True when no connection could be made (refused, DNS, connect timeout, TLS)."""
    if response.status is not None or not response.error:
        return False
    return any(f": {reason}" in response.error for reason in UNREACHABLE)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _snippet(text: str) -> str:
    text = text.strip()
    return repr(text[:_SNIPPET] + "..." if len(text) > _SNIPPET else text)


class Client:
    """A read-only, budgeted, rate-limited HTTP client for one list endpoint."""

    def __init__(
        self,
        base_url: str,
        endpoint: str,
        *,
        auth: Auth | None,
        credential: str | None,
        timeout: float = 10.0,
        max_rps: float | None = None,
        max_requests: int | None = None,
        verify: bool = True,
        max_body_bytes: int = 2_000_000,
        max_retries: int = 2,
        retry_after_cap: float = 5.0,
        transport: httpx.BaseTransport | None = None,
        on_exchange: Callable[[Response], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.url = base_url.rstrip("/") + "/" + endpoint.lstrip("/")
        self.auth = auth
        self.credential = credential
        self.timeout = timeout
        self.max_rps = max_rps
        self.max_requests = max_requests
        self.max_body_bytes = max_body_bytes
        self.max_retries = max_retries
        self.retry_after_cap = retry_after_cap
        self.on_exchange = on_exchange
        self._clock = clock
        self._sleep = sleep
        self._sent = 0
        self._next_slot: float | None = None
        self._secrets: set[str] = {credential} if credential else set()
        self._http = httpx.Client(
            follow_redirects=False, verify=verify, timeout=timeout, transport=transport
        )

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    @property
    def requests_sent(self) -> int:
        """Requests actually sent, retries included."""
        return self._sent

    @property
    def budget_left(self) -> int | None:
        return None if self.max_requests is None else max(0, self.max_requests - self._sent)

    def get(
        self,
        params: Params = (),
        *,
        credential: CredentialArg = DEFAULT,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        return self.request("GET", params, credential=credential, headers=headers)

    def head(self, params: Params = (), *, credential: CredentialArg = DEFAULT) -> Response:
        return self.request("HEAD", params, credential=credential)

    def request(
        self,
        method: str,
        params: Params = (),
        *,
        credential: CredentialArg = DEFAULT,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """Send one request (plus retries on 429/503); raise only for the suite's limits.

        `headers` are sent as given (the security probe's credential variants) and
        recorded with every known credential in them redacted."""
        method = method.upper()
        if method not in _SAFE_METHODS:
            raise ReadOnlyError(
                f"threadconform is read-only: refusing to send {method} {self.url} "
                "(only GET and HEAD are ever sent to a target)"
            )
        token = self.credential if credential is DEFAULT else credential
        if token:
            self._secrets.add(token)
        sent, recorded = self._headers(token)
        for name, value in (headers or {}).items():
            sent[name] = value
            recorded += ((name, self.redact(value)),)
        record = Request(method, self.url, encode_params(params), recorded)
        self._spend()
        response = self._exchange(record, sent)
        for attempt in range(self.max_retries):
            if response.status not in (429, 503) or self.budget_left == 0:
                break
            self._sleep(self._retry_delay(response, attempt))
            self._spend()
            response = self._exchange(record, sent)
        return response

    def redact(self, text: str) -> str:
        """`text` with every credential this client has sent replaced by `***`.

        Credentials shorter than 4 characters are left alone: scrubbing every "ab" from a
        report would make it unreadable and such a value protects nothing anyway.
        """
        for secret in sorted(self._secrets, key=len, reverse=True):
            if len(secret) >= _MIN_SECRET:
                # also as a URL query encodes it (the security probe sends it in one)
                text = text.replace(secret, REDACTED).replace(quote_plus(secret), REDACTED)
        return text

    def is_unreachable(self, response: Response) -> bool:
        return is_unreachable(response)

    # -- internals -------------------------------------------------------------------------

    def _headers(self, token: str | None) -> tuple[dict[str, str], tuple[tuple[str, str], ...]]:
        """The headers to send, and the same headers as recorded (credential redacted)."""
        sent = {"Accept": "application/json"}
        recorded = [("Accept", "application/json")]
        if token is not None:
            # No documented scheme but a credential given: the user wants it sent, and
            # a bearer token is what such APIs almost always take.
            auth = self.auth or Auth(kind="bearer")
            prefix = "Bearer " if auth.kind == "bearer" else ""
            sent[auth.header] = prefix + token
            recorded.append((auth.header, prefix + REDACTED))
        return sent, tuple(recorded)

    def _spend(self) -> None:
        if self.max_requests is not None and self._sent >= self.max_requests:
            raise BudgetExhausted(
                f"the request budget of {self.max_requests} requests is spent "
                "(raise --max-requests to check further)"
            )
        self._throttle()
        self._sent += 1

    def _throttle(self) -> None:
        """Keep at least 1/max_rps seconds between requests (a bucket of one token)."""
        if not self.max_rps:
            return
        now = self._clock()
        slot = now if self._next_slot is None else max(now, self._next_slot)
        if slot > now:
            self._sleep(slot - now)
        self._next_slot = slot + 1.0 / self.max_rps

    def _retry_delay(self, response: Response, attempt: int) -> float:
        backoff = 0.1 * 2**attempt
        hinted = _retry_after(response.headers.get("retry-after"))
        return min(self.retry_after_cap, backoff if hinted is None else hinted)

    def _exchange(self, record: Request, headers: dict[str, str]) -> Response:
        response = self._redacted(self._send(record, headers))
        if self.on_exchange is not None:
            self.on_exchange(response)
        return response

    def _redacted(self, response: Response) -> Response:
        text = self.redact(response.text)
        error = self.redact(response.error) if response.error else response.error
        if text == response.text and error == response.error:
            return response
        return dataclasses.replace(response, text=text, error=error)

    def _send(self, record: Request, headers: dict[str, str]) -> Response:
        started = time.perf_counter()
        try:
            with self._http.stream(
                record.method, record.url, params=record.params, headers=headers
            ) as reply:
                return self._read(record, reply, started)
        except (httpx.HTTPError, httpx.InvalidURL, OSError, ssl.SSLError) as exc:
            reason = _transport_reason(exc, self.timeout)
            return Response(
                record,
                None,
                error=f"{_where(record)}: {reason}",
                elapsed=time.perf_counter() - started,
            )

    def _read(self, record: Request, reply: httpx.Response, started: float) -> Response:
        """Read at most max_body_bytes of the body, then decide what it is."""
        headers = dict(reply.headers.items())
        raw, problem = b"", None
        if record.method != "HEAD":
            try:
                raw, problem = self._read_capped(reply, started)
            except httpx.HTTPError as exc:  # the body broke off after the headers arrived
                problem = f"body cut short: {_one_line(str(exc)) or type(exc).__name__}"
        text = raw.decode(reply.encoding or "utf-8", errors="replace")
        leaks = self._leaks(text)
        # Redact before anything quotes or cuts the text: a credential that straddles the
        # cut of a snippet or of the kept text would otherwise leave its prefix behind.
        text = self.redact(text) if leaks else text
        body, error = _interpret(record, reply.status_code, headers, raw, text, problem)
        if body is not None and leaks:
            body = _redact_json(body, self.redact)
        return Response(
            record,
            reply.status_code,
            headers,
            body,
            text[:_TEXT_CAP],
            error,
            time.perf_counter() - started,
        )

    def _read_capped(self, reply: httpx.Response, started: float) -> tuple[bytes, str | None]:
        cap = self.max_body_bytes
        too_big = f"body larger than {cap:,} bytes; read stopped"
        declared = reply.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            return b"", too_big  # do not even start on a body we would throw away
        chunks: list[bytes] = []
        size = 0
        deadline = time.perf_counter() + self.timeout  # a server trickling bytes must not hang us
        # No chunk size: iter_bytes(n) buffers until n bytes arrive, so a byte-a-second
        # trickle would never reach the deadline check; unsized, every read is checked.
        for chunk in reply.iter_bytes():
            size += len(chunk)
            if size > cap:
                return b"".join(chunks), too_big
            chunks.append(chunk)
            if time.perf_counter() > deadline:
                return b"".join(chunks), f"body not complete within {self.timeout:g} s"
        return b"".join(chunks), None

    def _leaks(self, text: str) -> bool:
        return any(len(s) >= _MIN_SECRET and s in text for s in self._secrets)


def _where(record: Request) -> str:
    return f"{record.method} {record.full_url}"


def _interpret(
    record: Request,
    status: int,
    headers: Mapping[str, str],
    raw: bytes,
    text: str,
    problem: str | None,
) -> tuple[Any, str | None]:
    """The parsed body and the one-line error, if the body is not usable JSON."""
    where = _where(record)
    if problem:
        return None, f"{where}: {problem}"
    if 300 <= status < 400:
        location = headers.get("location", "(no Location header)")
        return None, f"{where}: redirected ({status}) to {location}; redirects are not followed"
    if record.method == "HEAD":
        return None, None
    kind = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if not raw.strip():
        return None, f"{where}: expected JSON, got an empty body (HTTP {status})"
    if kind != "application/json" and not kind.endswith("+json"):
        return None, f"{where}: expected JSON, got {kind or 'no Content-Type'}: {_snippet(text)}"
    try:
        return json.loads(raw), None
    except (ValueError, RecursionError) as exc:
        return None, f"{where}: {_json_problem(exc, len(raw))}: {_snippet(text)}"


def _json_problem(exc: Exception, size: int) -> str:
    if isinstance(exc, json.JSONDecodeError):
        # An unterminated string is reported where the string starts, but it means the
        # text ran out inside it: the body ends early just as an error at the last byte.
        if exc.pos >= size - 1 or exc.msg.startswith("Unterminated string"):
            return f"invalid JSON, the body ends early after {size:,} bytes (truncated?)"
        return f"invalid JSON ({exc.msg}, at byte {exc.pos})"
    return f"invalid JSON ({_one_line(str(exc)) or type(exc).__name__})"


def _transport_reason(exc: BaseException, timeout: float) -> str:
    """One short phrase for a transport failure; unreachable ones start with UNREACHABLE."""
    message = _one_line(str(exc)) or type(exc).__name__
    lowered = message.lower()
    if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol):
        return f"invalid URL ({message})"
    if isinstance(exc, httpx.ConnectTimeout):
        return f"connect timeout after {timeout:g} s"
    if isinstance(exc, httpx.TimeoutException):
        return f"no response within {timeout:g} s (read timeout)"
    if "ssl" in lowered or "certificate" in lowered or isinstance(exc, ssl.SSLError):
        return f"TLS error ({message})"
    if isinstance(exc, httpx.ConnectError | ConnectionRefusedError):
        if "refused" in lowered:
            return "connection refused"
        if any(s in lowered for s in ("name or service", "nodename", "getaddrinfo", "resolution")):
            return f"DNS lookup failed ({message})"
        return f"cannot connect ({message})"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"the server broke the HTTP exchange ({message})"
    return f"{type(exc).__name__}: {message}"


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None if absent."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _redact_json(value: Any, redact: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [_redact_json(item, redact) for item in value]
    if isinstance(value, dict):
        return {key: _redact_json(item, redact) for key, item in value.items()}
    return value
