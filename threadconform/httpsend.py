"""The bottom of the client's stack: one exchange over httpx, whatever the target does.

A refused connection, a hang, a trickled header, a 10 MB or gzip-bomb body, a broken
exchange: each becomes a `Response` whose `error` is one line naming the URL and the
problem, never an exception (checks judge the target). The whole exchange has one wall
deadline (threadconform.wire), the body is read capped and decoded here, and
threadconform.jsonbody says what it is.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable
from typing import Final

import httpx

from threadconform.exchange import Request, Response
from threadconform.jsonbody import charset, interpret, one_line, redact_json, where
from threadconform.layers import Outgoing
from threadconform.redaction import Redactor
from threadconform.wire import Deadline, DeadlineTransport, DecodingFailed, decoder_for
from threadconform.wire import deadline_passed as _deadline_passed

__all__ = ["UNREACHABLE", "HttpSender", "is_unreachable"]

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

_TEXT_CAP: Final = 4096  # characters of body text kept on a Response


def is_unreachable(response: Response) -> bool:
    """True when no connection could be made (refused, DNS, connect timeout, TLS): a
    typed fact set where the transport failed, never read back out of the message."""
    return response.status is None and response.unreachable


class HttpSender:
    """Sends one request over httpx and reads at most `max_body_bytes` of its body.

    `run_left`: seconds left before the run's deadline (None: no deadline); the exchange
    ends by then, or after `timeout` seconds, whichever comes first."""

    def __init__(
        self,
        redactor: Redactor,
        *,
        timeout: float,
        max_body_bytes: int,
        verify: bool,
        run_left: Callable[[], float | None],
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.redactor = redactor
        self.timeout = timeout
        self.max_body_bytes = max_body_bytes
        self._run_left = run_left
        self._deadline = Deadline(time.monotonic)
        self._http = httpx.Client(
            follow_redirects=False,
            timeout=timeout,
            transport=transport or DeadlineTransport(self._deadline, verify=verify),
            trust_env=False,  # loopback targets only; an environment proxy would misroute
        )

    def close(self) -> None:
        self._http.close()

    def send(self, outgoing: Outgoing) -> Response:
        record = outgoing.record
        started = time.perf_counter()
        # One wall deadline for the whole exchange: per-operation timeouts let a trickled
        # header or an endless run of 1xx answers go on for ever.
        now = time.monotonic()
        due = now + self.timeout
        left = self._run_left()
        if left is not None:
            due = min(due, now + max(0.0, left))
        self._deadline.start(due)
        try:
            with self._http.stream(
                record.method, record.url, params=record.params, headers=outgoing.headers
            ) as reply:
                return self._read(record, reply, started)
        except (httpx.HTTPError, httpx.InvalidURL, OSError, ssl.SSLError) as exc:
            reason, unreachable = _transport_reason(exc, self.timeout)
            return Response(
                record,
                None,
                error=f"{where(record)}: {reason}",
                elapsed=time.perf_counter() - started,
                unreachable=unreachable,
            )
        finally:
            self._deadline.start(None)

    def _read(self, record: Request, reply: httpx.Response, started: float) -> Response:
        """Read at most max_body_bytes of the body, then decide what it is."""
        headers = dict(reply.headers.items())
        raw, problem = b"", None
        if record.method != "HEAD":
            try:
                raw, problem = self._read_capped(reply, started)
            except DecodingFailed as exc:
                problem = str(exc)
            except httpx.TimeoutException:
                problem = f"body not complete within {self.timeout:g} s"
            except httpx.HTTPError as exc:  # the body broke off after the headers arrived
                problem = f"body cut short: {one_line(str(exc)) or type(exc).__name__}"
        # What is kept describes the decoded body: a reader must not decode it again.
        if "content-encoding" in headers:
            headers.pop("content-length", None)
            headers["x-threadconform-content-encoding"] = headers.pop("content-encoding")
        text = raw.decode(charset(headers.get("content-type", "")), errors="replace")
        leaks = self.redactor.leaks(text)
        # Redact before anything quotes or cuts the text: a credential that straddles the
        # cut of a snippet or of the kept text would otherwise leave its prefix behind.
        text = self.redactor.redact(text) if leaks else text
        body, error = interpret(record, reply.status_code, headers, raw, text, problem)
        if body is not None and leaks:
            body = redact_json(body, self.redactor.redact)
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
        if reply.is_stream_consumed:  # a response built in memory (tests): already decoded
            return reply.content[: cap + 1], too_big if len(reply.content) > cap else None
        decoder = decoder_for(reply.headers.get("content-encoding", ""))
        if decoder is not None:
            too_big = (
                f"body larger than {cap:,} bytes once decoded ({decoder.coding}); read stopped"
            )
        chunks: list[bytes] = []
        size = 0
        deadline = started + self.timeout  # a server trickling bytes must not hang us
        # Raw bytes, decoded here: httpx would inflate a whole chunk of a gzip bomb at once.
        # No chunk size: iter_raw(n) buffers until n bytes arrive, so a byte-a-second
        # trickle would never reach the deadline check; unsized, every read is checked.
        for wire in reply.iter_raw():
            chunk = wire if decoder is None else decoder.feed(wire, cap - size)
            size += len(chunk)
            if size > cap:
                return b"".join(chunks), too_big
            chunks.append(chunk)
            if time.perf_counter() > deadline:
                return b"".join(chunks), f"body not complete within {self.timeout:g} s"
        if decoder is not None:
            decoder.finish()
        return b"".join(chunks), None


def _transport_reason(exc: BaseException, timeout: float) -> tuple[str, bool]:
    """One short phrase for a transport failure, and whether it means the target could
    not be reached at all (those phrases start with one of UNREACHABLE, for the reader)."""
    message = one_line(str(exc)) or type(exc).__name__
    lowered = message.lower()
    if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol):
        return f"invalid URL ({message})", True
    if _deadline_passed(exc):
        return (
            f"no complete answer within {timeout:g} s (connect, headers and body together)",
            False,
        )
    if isinstance(exc, httpx.ConnectTimeout):
        return f"connect timeout after {timeout:g} s", True
    if isinstance(exc, httpx.TimeoutException):
        return f"no response within {timeout:g} s (read timeout)", False
    # The OS and TLS libraries say what failed only in their own words.
    if "ssl" in lowered or "certificate" in lowered or isinstance(exc, ssl.SSLError):
        return f"TLS error ({message})", True
    if isinstance(exc, httpx.ConnectError | ConnectionRefusedError):
        if "refused" in lowered:
            return "connection refused", True
        if any(s in lowered for s in ("name or service", "nodename", "getaddrinfo", "resolution")):
            return f"DNS lookup failed ({message})", True
        return f"cannot connect ({message})", True
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"the server broke the HTTP exchange ({message})", False
    return f"{type(exc).__name__}: {message}", False
