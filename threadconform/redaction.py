"""Credentials kept out of every record: the set of secrets a client has sent, and the
scrubbing of free text and responses.

Credentials never reach a record: the request's credential header is recorded as
`Authorization: Bearer ***` by the client, and a `Redactor` scrubs every known credential
from body text, error lines and parsed JSON.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Final
from urllib.parse import quote_plus

from threadconform.exchange import REDACTED, Response

__all__ = ["MIN_SECRET", "Redactor"]

MIN_SECRET: Final = 4  # shorter credentials are not scrubbed from free text (see redact)


class Redactor:
    """The credentials one client has sent, and `redact` to scrub them from text."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self._secrets: set[str] = {secret for secret in secrets if secret}

    def add(self, secret: str | None) -> None:
        if secret:
            self._secrets.add(secret)

    def redact(self, text: str) -> str:
        """`text` with every known credential replaced by `***`.

        Credentials shorter than 4 characters are left alone: scrubbing every "ab" from a
        report would make it unreadable and such a value protects nothing anyway.
        """
        for secret in sorted(self._secrets, key=len, reverse=True):
            if len(secret) >= MIN_SECRET:
                # also as a URL query encodes it (the security probe sends it in one)
                text = text.replace(secret, REDACTED).replace(quote_plus(secret), REDACTED)
        return text

    def leaks(self, text: str) -> bool:
        """True when `text` holds a credential that `redact` would scrub."""
        return any(len(s) >= MIN_SECRET and s in text for s in self._secrets)

    def response(self, response: Response) -> Response:
        """`response` with its text and error redacted (the same object if nothing was)."""
        text = self.redact(response.text)
        error = self.redact(response.error) if response.error else response.error
        if text == response.text and error == response.error:
            return response
        return dataclasses.replace(response, text=text, error=error)
