"""Demo credentials: two per authenticated contract, one per tenant.

The values are fixed strings (the same for every seed) so documentation and scripts can name
them. Kortix's are JWT-shaped (header.payload.signature, base64url); their signature is a
hash, not an HMAC: the server only compares whole strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from threadconform.reference.data import PRIMARY, SECONDARY

__all__ = [
    "KORTIX_PRIMARY",
    "KORTIX_SECONDARY",
    "SCHEMES",
    "Credentials",
    "Scheme",
    "credentials",
    "header",
    "presented",
    "tenant_for",
]


@dataclass(frozen=True)
class Credentials:
    primary: str | None  # the main tenant's credential (None: the contract has no auth)
    secondary: str | None  # the second tenant's credential


@dataclass(frozen=True)
class Scheme:
    header: str
    prefix: str  # "Bearer " for Authorization headers, "" for an API-key header


KORTIX_PRIMARY = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiI3YjFlN2M1Mi0zZjBhLTRkNmUtOWE1MS0yYzdmMGU2ZDhhMTEiLCJyb2xlIjoiYXV0aGVudGljYXRlZC"
    "IsImF1ZCI6ImF1dGhlbnRpY2F0ZWQiLCJpYXQiOjE3NjcyMjU2MDAsImV4cCI6NDEwMjQ0NDgwMH0."
    "I--GSuH7I1oPQm4-0GXOg4vXBIGLSKNHKvx_3APqopE"
)
KORTIX_SECONDARY = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiJjNGE5ZDFlMy04YjJmLTRmN2EtYjZjMC01ZTFkMmEzZjRiMjIiLCJyb2xlIjoiYXV0aGVudGljYXRlZC"
    "IsImF1ZCI6ImF1dGhlbnRpY2F0ZWQiLCJpYXQiOjE3NjcyMjU2MDAsImV4cCI6NDEwMjQ0NDgwMH0."
    "mtM7rn1O_1729kiwVobe02Ou4wi1MBPIGGQT1Z4Ma6I"
)

SCHEMES: Mapping[str, Scheme] = {
    "kortix": Scheme("Authorization", "Bearer "),
    "aitronos": Scheme("X-API-Key", ""),
    "freddy": Scheme("Authorization", "Bearer "),
    "stripe": Scheme("Authorization", "Bearer "),
    "gmail": Scheme("Authorization", "Bearer "),
    "github": Scheme("Authorization", "Bearer "),
    "graph": Scheme("Authorization", "Bearer "),
}

_TOKENS: Mapping[str, tuple[str, str]] = {
    "kortix": (KORTIX_PRIMARY, KORTIX_SECONDARY),
    "aitronos": ("aitr_demo_alice_4f7c2a9e51d3", "aitr_demo_bruno_8d1b3e60c7a2"),
    "freddy": ("fk_demo_alice_0b5e9d72f4a1", "fk_demo_bruno_6c3a1f8e2d90"),
    "stripe": ("sk_test_demo_alice_51c0ffee", "sk_test_demo_bruno_72decade"),
    "gmail": ("ya29.demo_alice_3f1a", "ya29.demo_bruno_9c2e"),
    "github": ("ghp_demo_alice_5d0c7e", "ghp_demo_bruno_a81f42"),
    "graph": ("eyJ0eXAi.demo_alice_7b2e", "eyJ0eXAi.demo_bruno_e41c"),
}


def credentials(contract: str) -> Credentials:
    """The two demo credentials of a contract (both None when it has no auth)."""
    tokens = _TOKENS.get(contract)
    return Credentials(*tokens) if tokens else Credentials(None, None)


def header(contract: str, credential: str) -> dict[str, str]:
    """The request header that carries `credential` for `contract` (a bearer token where
    the contract documents no scheme: what a server that demands one anyway takes)."""
    scheme = SCHEMES.get(contract, Scheme("Authorization", "Bearer "))
    return {scheme.header: scheme.prefix + credential}


def presented(contract: str, headers: Mapping[str, str]) -> str | None:
    """The credential a request carries: None when absent, "" when malformed."""
    scheme = SCHEMES[contract]
    value = headers.get(scheme.header)
    if value is None:
        return None
    if not scheme.prefix:
        return value.strip()
    kind, _, token = value.strip().partition(" ")
    # The scheme name is case-insensitive (RFC 9110 § 11.1).
    if kind.lower() != scheme.prefix.strip().lower():
        return ""
    return token.strip()


def tenant_for(contract: str, credential: str | None) -> int | None:
    """The tenant a credential belongs to, or None when it is missing or unknown."""
    tokens: tuple[str, ...] = _TOKENS.get(contract, ())
    if not credential or credential not in tokens:
        return None
    return PRIMARY if credential == tokens[0] else SECONDARY
