"""The suite's only way to talk to a target: GET and HEAD over httpx, never anything else.

`Client` is the small top of a stack (threadconform.layers): it refuses any method that
could write, builds the request record, sends the credential and extra headers (recorded
redacted), and knows the credentials to scrub. Below it, each layer does one job:
retries on 429/503, the request budget, the rate limit, the run deadline, redaction, and
at the bottom the exchange itself (threadconform.httpsend; JSON in threadconform.jsonbody).

Whatever the target does wrong becomes a `Response` whose `error` is one line naming the
URL and the problem: checks judge the target, so the client must never raise on its
behalf. The exceptions are the suite's own limits: `ReadOnlyError` (a check tried to
write), `BudgetSpent` (the request budget is spent) and `DeadlineSpent` (--max-time).

Credentials never reach a record: the request's credential header is stored as
`Authorization: Bearer ***`, and `redact` scrubs known credentials from free text.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Final

import httpx

from threadconform.exchange import REDACTED, Request, Response
from threadconform.httpsend import UNREACHABLE, HttpSender, is_unreachable
from threadconform.jsonbody import MAX_DEPTH
from threadconform.layers import (
    Budget,
    Counting,
    InFlight,
    Layer,
    Observed,
    Outgoing,
    RateLimit,
    Redacting,
    Retrying,
    RetryPolicy,
    RunDeadline,
)
from threadconform.model import Auth
from threadconform.outcomes import BudgetSpent, DeadlineSpent
from threadconform.redaction import Redactor
from threadconform.wire import ACCEPT_ENCODING

__all__ = [
    "DEFAULT",
    "MAX_DEPTH",
    "UNREACHABLE",
    "BudgetSpent",
    "Client",
    "CredentialArg",
    "DeadlineSpent",
    "Params",
    "ReadOnlyError",
    "encode_params",
    "is_unreachable",
]

# The old names of the suite's two limits (threadconform.outcomes holds the classes).


class _Default(enum.Enum):
    DEFAULT = "DEFAULT"


# `credential=DEFAULT`: use the client's credential (None would mean "send none").
DEFAULT: Final = _Default.DEFAULT
CredentialArg = str | _Default | None

Params = Mapping[str, str | int | bool] | Sequence[tuple[str, str]]

_SAFE_METHODS: Final = frozenset({"GET", "HEAD"})


class ReadOnlyError(Exception):
    """A check tried to send a method that could change the target."""


def encode_params(params: Params) -> tuple[tuple[str, str], ...]:
    """Query parameters as ordered string pairs; booleans as `true`/`false`."""
    pairs = params.items() if isinstance(params, Mapping) else params
    return tuple((str(name), _encode_value(value)) for name, value in pairs)


def _encode_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


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
        retry_budget: float | None = None,
        deadline: float | None = None,
        transport: httpx.BaseTransport | None = None,
        headers: Sequence[tuple[str, str]] = (),
        on_exchange: Callable[[Response], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        concurrency: int = 1,
    ) -> None:
        """`deadline`: the instant (on `clock`) after which the run sends nothing more;
        `retry_budget`: seconds the whole run may spend waiting to retry a 429 or 503
        (None: no limit but the deadline)."""
        self.url = base_url.rstrip("/") + "/" + endpoint.lstrip("/")
        self.auth = auth
        self.credential = credential
        # Extra headers (--header): sent on every request, recorded redacted like tokens.
        self.extra_headers = tuple(headers)
        self._redactor = Redactor([credential, *(value for _, value in self.extra_headers)])
        self._sender = HttpSender(
            self._redactor,
            timeout=timeout,
            max_body_bytes=max_body_bytes,
            verify=verify,
            run_left=lambda: None if deadline is None else deadline - clock(),
            transport=transport,
        )
        self._observed = Observed(Redacting(self._sender, self._redactor.response), on_exchange)
        self._counter = Counting(self._observed)
        self._deadline = RunDeadline(self._counter, deadline, clock, self._counter)
        self._budget = Budget(
            RateLimit(self._deadline, max_rps, clock, sleep), max_requests, self._counter
        )
        self._retry = RetryPolicy(max_retries, retry_after_cap, retry_budget)
        retrying = Retrying(
            self._budget,
            self._retry,
            budget_left=lambda: self.budget_left,
            time_for=self._deadline.time_for,
            sleep=sleep,
        )
        self._in_flight = InFlight(retrying, concurrency)
        self._stack: Layer = self._in_flight
        self.max_rps = max_rps

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._sender.close()

    # -- the settings, as attributes (read by probes, reports and tests) -------------------

    @property
    def timeout(self) -> float:
        return self._sender.timeout

    @property
    def max_body_bytes(self) -> int:
        return self._sender.max_body_bytes

    @property
    def max_requests(self) -> int | None:
        return self._budget.limit

    @property
    def deadline(self) -> float | None:
        return self._deadline.deadline

    @property
    def max_retries(self) -> int:
        return self._retry.max_retries

    @property
    def retry_after_cap(self) -> float:
        return self._retry.cap

    @property
    def retry_wait_left(self) -> float | None:
        """Seconds the run may still spend waiting to retry (None: no limit)."""
        return self._retry.wait_left

    @property
    def on_exchange(self) -> Callable[[Response], None] | None:
        return self._observed.on_exchange

    @property
    def concurrency(self) -> int:
        """Requests that may be out at once now (`--concurrency`, halved by each 429)."""
        return self._in_flight.limit

    @property
    def concurrency_lowered(self) -> tuple[int, ...]:
        """The limit after each 429 that lowered it, in order (empty: never lowered)."""
        return tuple(self._in_flight.lowered)

    @property
    def requests_sent(self) -> int:
        """Requests actually sent, retries included."""
        return self._counter.sent

    @property
    def budget_left(self) -> int | None:
        return self._budget.left

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
        self._redactor.add(token)
        sent, recorded = self._headers(token or None, chosen=credential is not DEFAULT)
        for name, value in (headers or {}).items():
            sent[name] = value
            recorded += ((name, self.redact(value)),)
        record = Request(method, self.url, encode_params(params), recorded)
        return self._stack.send(Outgoing(record, sent))

    def redact(self, text: str) -> str:
        """`text` with every credential this client has sent replaced by `***`.

        Credentials shorter than 4 characters are left alone: scrubbing every "ab" from a
        report would make it unreadable and such a value protects nothing anyway.
        """
        return self._redactor.redact(text)

    def is_unreachable(self, response: Response) -> bool:
        return is_unreachable(response)

    # -- internals -------------------------------------------------------------------------

    def _headers(
        self, token: str | None, *, chosen: bool = False
    ) -> tuple[dict[str, str], tuple[tuple[str, str], ...]]:
        """The headers to send, and the same headers as recorded (credential redacted).

        `chosen`: a check picked the credential (none, a wrong one): an extra header named
        like the credential's is then left out, or "without a credential" would carry one."""
        # No documented scheme but a credential given: the user wants it sent, and
        # a bearer token is what such APIs almost always take.
        auth = self.auth or Auth(kind="bearer")
        # Accept-Encoding is not recorded: the curl line a vendor copies shows plain JSON.
        sent = {"Accept": "application/json", "Accept-Encoding": ACCEPT_ENCODING}
        recorded = [("Accept", "application/json")]
        for name, value in self.extra_headers:
            if chosen and name.lower() == auth.header.lower():
                continue
            sent[name] = value
            recorded.append((name, REDACTED))
        if token is not None:
            prefix = "Bearer " if auth.kind == "bearer" else ""
            sent = {k: v for k, v in sent.items() if k.lower() != auth.header.lower()}
            sent[auth.header] = prefix + token
            recorded = [(k, v) for k, v in recorded if k.lower() != auth.header.lower()]
            recorded.append((auth.header, prefix + REDACTED))
        return sent, tuple(recorded)
