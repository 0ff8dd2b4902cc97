"""What the client needs below HTTP: a wall deadline on a whole exchange, and bounded
decompression of a body.

httpx's timeouts are per operation: a server that sends a header byte a second, or
`HTTP/1.1 102 Processing` every second forever, never lets one read time out. The
`DeadlineTransport` checks one deadline on every network read and write (connect, headers
and body alike), so the whole exchange ends when it is due.

Bodies are decompressed here rather than by httpx so that the size cap applies to the
decoded bytes as they are produced: a 1 MB gzip bomb stops after the cap, not after
gigabytes.
"""

from __future__ import annotations

import ssl
import threading
import time
import zlib
from collections.abc import Callable, Iterable
from typing import Any, Final

import httpcore
import httpx

__all__ = [
    "ACCEPT_ENCODING",
    "Deadline",
    "DeadlineTransport",
    "Decoder",
    "DecodingFailed",
    "ExchangeDeadlinePassed",
    "deadline_passed",
]

# What the client asks for. br and zstd would need decoders that are not dependencies.
ACCEPT_ENCODING: Final = "gzip, deflate"
DEADLINE_PASSED: Final = "the exchange deadline passed"


class ExchangeDeadlinePassed(httpcore.ReadTimeout):
    """The target answered, but too slowly: the whole exchange's deadline passed.

    A timeout to httpx (it raises its own ReadTimeout from this one), told apart from a
    plain "no answer" by its type, never by its message: see `deadline_passed`."""

    def __init__(self) -> None:
        super().__init__(DEADLINE_PASSED)


def deadline_passed(error: BaseException) -> bool:
    """True when `error` is, or was raised from (httpx maps httpcore's errors to its own
    with `raise ... from`), an ExchangeDeadlinePassed."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ExchangeDeadlinePassed):
            return True
        seen = seen.__cause__
    return False


class Deadline(threading.local):
    """The instant (on `clock`) the current exchange must be over by; None: no deadline.

    Per thread (a `threading.local`): each exchange is sent and read in the thread that
    started it, and at --concurrency N, N threads share one client, so one thread's
    exchange must never end, or extend, another's."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.at: float | None = None
        self.received = 0  # bytes read in this exchange: none means "no response" at all

    def start(self, at: float | None) -> None:
        self.at, self.received = at, 0

    def bound(self, timeout: float | None) -> float | None:
        """The timeout for one network operation: at most what is left of the deadline."""
        if self.at is None:
            return timeout
        left = self.at - self.clock()
        if left <= 0:
            if self.received:
                raise ExchangeDeadlinePassed()
            raise httpcore.ReadTimeout("timed out")
        return left if timeout is None else min(timeout, left)


class _Stream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream, deadline: Deadline) -> None:
        self._stream = stream
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            data = self._stream.read(max_bytes, self._deadline.bound(timeout))
        except httpcore.ReadTimeout:
            if self._deadline.received:  # it answered, slowly: the whole exchange timed out
                raise ExchangeDeadlinePassed() from None
            raise
        self._deadline.received += len(data)
        return data

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, self._deadline.bound(timeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        bounded = self._deadline.bound(timeout)
        return _Stream(
            self._stream.start_tls(ssl_context, server_hostname, bounded), self._deadline
        )

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    def __init__(self, deadline: Deadline) -> None:
        self._inner = httpcore.SyncBackend()
        self._deadline = deadline

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(
            host, port, self._deadline.bound(timeout), local_address, socket_options
        )
        return _Stream(stream, self._deadline)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_unix_socket(
            path, self._deadline.bound(timeout), socket_options
        )
        return _Stream(stream, self._deadline)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class DeadlineTransport(httpx.HTTPTransport):
    """httpx's own transport, with every network operation bounded by `deadline`."""

    def __init__(self, deadline: Deadline, *, verify: bool = True) -> None:
        super().__init__(verify=verify, trust_env=False)
        # httpx has no public way to pass httpcore a network backend; its pool is built
        # exactly as HTTPTransport builds it for a direct connection, plus ours.
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=verify, trust_env=False),
            network_backend=_Backend(deadline),
        )


class DecodingFailed(Exception):
    """The body does not decompress as its Content-Encoding says; one line says why."""


class Decoder:
    """Decompresses one body as it arrives, never producing more than asked for."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        self._z: Any = None
        if coding in ("gzip", "x-gzip"):
            self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)

    def feed(self, data: bytes, room: int) -> bytes:
        """Up to `room + 1` decoded bytes of `data` (more than `room` means: too big)."""
        if not data:
            return b""
        if self._z is None:  # deflate: zlib-wrapped as RFC 9110 says, or raw as some send
            wrapped = len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0
            self._z = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
        try:
            return self._z.decompress(data, room + 1)
        except zlib.error as error:
            raise DecodingFailed(f"{self.coding} body does not decode ({error})") from None

    def finish(self) -> None:
        """Raise DecodingFailed when the compressed stream ended before its end marker."""
        if self._z is not None and not self._z.eof:
            raise DecodingFailed(f"{self.coding} body ends early (compressed stream incomplete)")


def decoder_for(content_encoding: str) -> Decoder | None:
    """The decoder a Content-Encoding needs; None for identity. Raises DecodingFailed for
    an encoding the client did not ask for or stacked encodings."""
    codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
    codings = [c for c in codings if c != "identity"]
    if not codings:
        return None
    if len(codings) == 1 and codings[0] in ("gzip", "x-gzip", "deflate"):
        return Decoder(codings[0])
    raise DecodingFailed(
        f"Content-Encoding {content_encoding!r} was not asked for "
        f"(the request said Accept-Encoding: {ACCEPT_ENCODING})"
    )
