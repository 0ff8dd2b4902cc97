"""What a contract says, as plain data.

`threadconform.spec` reads an OpenAPI file and its `x-pagination` block into these
dataclasses; walkers, invariants, the suite and the reports only ever read them. Nothing
here does I/O, and nothing here knows any contract by name: a sixth contract is a new
YAML file, not new code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "DEFAULT_CONSISTENCY",
    "Auth",
    "Bounded",
    "Consistency",
    "ConstField",
    "Contract",
    "Cursor",
    "CursorError",
    "Direction",
    "Encoding",
    "ErrorContract",
    "Errors",
    "FieldsAgree",
    "Filter",
    "ItemRules",
    "Limit",
    "Link",
    "Match",
    "Order",
    "OutOfRange",
    "Pagination",
    "ResponseFields",
    "RuleSetting",
    "Severity",
    "SortKey",
    "Style",
    "Token",
    "UnknownCursor",
]

Style = Literal["page", "offset", "cursor", "first-n", "token", "next-link", "link-header"]
Severity = Literal["MUST", "SHOULD"]
Encoding = Literal["date-time", "unix-seconds", "number", "string"]
Direction = Literal["asc", "desc"]
Match = Literal["exact", "subset", "superset", "none"]
OutOfRange = Literal["reject", "reject-or-clamp"]
UnknownCursor = Literal["error", "empty", "error-or-empty"]
_FLIP: dict[str, Direction] = {"asc": "desc", "desc": "asc"}


@dataclass(frozen=True)
class Bounded:
    """A numeric query parameter: its name, default and documented range."""

    param: str
    default: int | None = None
    minimum: int | None = None
    maximum: int | None = None


@dataclass(frozen=True)
class Limit(Bounded):
    # "reject": out-of-range values must get a 4xx. "reject-or-clamp": a 200 whose body
    # obeys the range is also fine (docs/contracts.md: only where the seed gives a range
    # without saying the value must lie in it).
    out_of_range: OutOfRange = "reject"


@dataclass(frozen=True)
class CursorError:
    """What a cursor the target never issued (unknown) or cannot parse (malformed) gets.

    `accept`: `error` (a 4xx), `empty` (a 2xx with no items) or `error-or-empty`. When an
    error is the answer, `status` (None: any 4xx) and `response` (the key of the documented
    response holding the envelope) and `fields` (body path -> the documented value, e.g.
    `error.code: resource_missing`) say which error.
    """

    accept: UnknownCursor = "error-or-empty"
    status: int | None = None
    response: str | None = None
    fields: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class Cursor:
    """Cursor parameters: `after=X` / `before=X` name an item id."""

    after: str
    before: str | None = None
    unknown: CursorError | UnknownCursor = CursorError()
    malformed: CursorError | UnknownCursor | None = None  # None: as `unknown`
    # True: on a page fetched with `before` alone, has-more says whether more items
    # precede it (the direction of travel), as Stripe documents; False: not documented.
    backward_has_more: bool = False

    def __post_init__(self) -> None:
        # `unknown: error` is shorthand for `unknown: {accept: error}`.
        for name in ("unknown", "malformed"):
            value = getattr(self, name)
            if isinstance(value, str):
                object.__setattr__(self, name, CursorError(accept=value))  # type: ignore[arg-type]

    @property
    def on_malformed(self) -> CursorError:
        chosen = self.malformed or self.unknown
        assert isinstance(chosen, CursorError)  # __post_init__ turned shorthand into one
        return chosen

    @property
    def on_unknown(self) -> CursorError:
        assert isinstance(self.unknown, CursorError)
        return self.unknown


@dataclass(frozen=True)
class Token:
    """Style token: an opaque page token in the body (`next`, a body path), sent back as
    the parameter `param`. An empty string, null or no token at all ends the list
    (Google AIP-158 `next_page_token`, Slack `response_metadata.next_cursor`)."""

    param: str
    next: str
    # What garbage sent as the token gets (None: not documented; HTTP-NO-5XX only).
    malformed: CursorError | None = None


@dataclass(frozen=True)
class Link:
    """Styles next-link and link-header: where the next page's URL is. next-link: `next`,
    a body path (`links.next`, `@odata\\.nextLink`); link-header: the RFC 8288 `Link`
    header's relation `rel`. A relative URL is resolved against the page's own URL; the
    suite follows it only on the target's origin and endpoint, and sends exactly its
    query (the link must carry the walk's filters and limit itself)."""

    next: str | None = None
    rel: str = "next"
    # What a link whose opaque token is garbage gets (None: not documented).
    malformed: CursorError | None = None


@dataclass(frozen=True)
class SortKey:
    """One key of the sort: an item path, how it is written, its direction in the default
    order (None: the order's direction; every key flips when the other direction is asked)."""

    path: str
    encoding: Encoding = "string"
    direction: Direction | None = None


@dataclass(frozen=True)
class Order:
    key: str  # dotted path inside an item: the primary sort key
    encoding: Encoding
    direction: Direction | None  # the default direction; None: not documented at all
    documented: bool  # True: the order is a MUST; False: a SHOULD convention
    param: str | None = None  # the parameter that selects the direction, if any
    values: dict[str, str] = field(default_factory=dict)  # {"asc": "asc", "desc": "desc"}
    ties: tuple[SortKey, ...] = ()  # documented tie-breakers, in order (e.g. id desc)

    @property
    def keys(self) -> tuple[SortKey, ...]:
        """Every documented key, the primary one first."""
        return (SortKey(self.key, self.encoding, self.direction), *self.ties)

    def directions(self, direction: str | None) -> tuple[Direction | None, ...]:
        """Each key's direction in a walk made in `direction` (None: the default one)."""
        walk = direction or self.direction
        if walk not in ("asc", "desc"):
            return tuple(None for _ in self.keys)
        flip = self.direction is not None and walk != self.direction
        out: list[Direction] = []
        for key in self.keys:
            own: Direction = key.direction or self.direction or walk  # type: ignore[assignment]
            out.append(_FLIP[own] if flip else own)
        return tuple(out)


@dataclass(frozen=True)
class ConstField:
    path: str
    value: Any


@dataclass(frozen=True)
class ResponseFields:
    """Dotted paths into a 200 body. `items` is from the root, `id` from an item,
    every other path from the root; None means the contract has no such field."""

    items: str
    id: str
    total: str | None = None
    total_requires: str | None = None  # a boolean param that must be true for a total
    has_more: str | None = None
    pages: str | None = None
    page: str | None = None
    limit: str | None = None
    page_size: str | None = None
    first_id: str | None = None
    last_id: str | None = None
    object: ConstField | None = None  # e.g. body.object == "list"
    item_object: ConstField | None = None  # e.g. item.object == "thread"


@dataclass(frozen=True)
class Filter:
    param: str
    match: Match
    type: Literal["string", "boolean"] = "string"
    field: str | None = None  # dotted path inside an item that the filter constrains
    default: Any = None  # the value the filter takes when omitted (None: no default)
    echo: str | None = None  # a body path that must equal the filter value
    tenant: bool = False  # names a tenant-owned resource (isolation checks use it)


@dataclass(frozen=True)
class FieldsAgree:
    """`field` equals `other` in every item where `when` (a path) is not null."""

    field: str
    other: str
    when: str | None = None


@dataclass(frozen=True)
class ItemRules:
    unix_seconds: tuple[str, ...] = ()  # item paths holding integer Unix seconds
    absolute_urls: tuple[str, ...] = ()  # item paths that must be absolute URLs
    agree: tuple[FieldsAgree, ...] = ()
    # item paths the vendor documents as holding credentials on purpose (kortix's sandbox
    # `pass` and `token`): the security report names them as documented, not as leaks
    documented_credentials: tuple[str, ...] = ()


@dataclass(frozen=True)
class ErrorContract:
    """A documented error: the status and the response (by status) holding its envelope."""

    status: int
    response: str | None = None  # key into the operation's responses, e.g. "401"


@dataclass(frozen=True)
class Errors:
    auth: ErrorContract | None = None
    validation: ErrorContract | None = None
    forbidden: ErrorContract | None = None


@dataclass(frozen=True)
class RuleSetting:
    severity: Severity | Literal["off"]
    source: str | None = None  # a quote from the seed, or a docs/contracts.md section


Consistency = Literal["none", "keyset", "snapshot"]
# What each style promises under writes when the spec does not say: a cursor style is an
# `after=<id>` keyset; an opaque token or link may be an encoded offset, so nothing.
DEFAULT_CONSISTENCY: dict[str, Consistency] = {
    "page": "none",
    "offset": "none",
    "first-n": "none",
    "cursor": "keyset",
    "token": "none",
    "next-link": "none",
    "link-header": "none",
}


@dataclass(frozen=True)
class Pagination:
    style: Style
    limit: Limit
    response: ResponseFields
    page: Bounded | None = None  # style "page"
    offset: Bounded | None = None  # style "offset"
    cursor: Cursor | None = None  # style "cursor"
    token: Token | None = None  # style "token"
    link: Link | None = None  # styles "next-link" and "link-header"
    order: Order | None = None
    filters: tuple[Filter, ...] = ()
    volatile: tuple[str, ...] = ()  # body paths excluded from determinism checks
    # What the pagination promises while the listing changes: "none", "keyset" or
    # "snapshot" (None: the style's default, `DEFAULT_CONSISTENCY`; see `promise`).
    consistency: Consistency | None = None

    def refusal(self, case: Literal["unknown", "malformed"]) -> CursorError | None:
        """What the contract documents for an unknown or malformed cursor, or for garbage
        sent as a page token or in a next link (None: nothing is documented)."""
        if self.cursor is not None:
            return self.cursor.on_unknown if case == "unknown" else self.cursor.on_malformed
        if case == "malformed" and self.token is not None:
            return self.token.malformed
        if case == "malformed" and self.link is not None:
            return self.link.malformed
        return None

    @property
    def promise(self) -> Consistency:
        """What the pagination promises while the listing changes: the spec's
        `consistency`, else its style's default."""
        return self.consistency or DEFAULT_CONSISTENCY.get(self.style, "none")

    items: ItemRules = ItemRules()
    errors: Errors = Errors()
    rules: dict[str, RuleSetting] = field(default_factory=dict)


@dataclass(frozen=True)
class Auth:
    """How the credential travels: `Authorization: Bearer <t>` or `<header>: <t>`."""

    kind: Literal["bearer", "header"]
    header: str = "Authorization"
    scheme_name: str = ""


@dataclass(frozen=True)
class Contract:
    name: str  # the spec file's stem, e.g. "kortix"
    path: Path
    title: str
    version: str
    method: str  # always "GET" here
    endpoint: str  # the operation's path, e.g. "/v1/threads"
    auth: Auth | None
    pagination: Pagination
    document: dict[str, Any]  # the whole OpenAPI document, references unresolved
    response_schema: dict[str, Any]  # the 200 JSON schema, references resolved
    parameters: dict[str, dict[str, Any]]  # query parameter name -> its schema, resolved
    # True: not part of the default run (`--contract all`); run it by name. The document
    # says so with `x-threadconform: {opt_in: true}` at its root.
    opt_in: bool = False
