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

Style = Literal["page", "offset", "cursor", "first-n"]
Severity = Literal["MUST", "SHOULD"]
Encoding = Literal["date-time", "unix-seconds"]
Direction = Literal["asc", "desc"]
Match = Literal["exact", "subset", "superset", "none"]
OutOfRange = Literal["reject", "reject-or-clamp"]
UnknownCursor = Literal["error", "empty", "error-or-empty"]


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
    # obeys the range is also fine (CONTRACTS.md: only where the seed gives a range
    # without saying the value must lie in it).
    out_of_range: OutOfRange = "reject"


@dataclass(frozen=True)
class Cursor:
    """Cursor parameters: `after=X` / `before=X` name an item id."""

    after: str
    before: str | None = None
    unknown: UnknownCursor = "error-or-empty"


@dataclass(frozen=True)
class Order:
    key: str  # dotted path inside an item
    encoding: Encoding
    direction: Direction | None  # the default direction; None: not documented at all
    documented: bool  # True: the order is a MUST; False: a SHOULD convention
    param: str | None = None  # the parameter that selects the direction, if any
    values: dict[str, str] = field(default_factory=dict)  # {"asc": "asc", "desc": "desc"}


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
    source: str | None = None  # a quote from the seed, or a CONTRACTS.md section


@dataclass(frozen=True)
class Pagination:
    style: Style
    limit: Limit
    response: ResponseFields
    page: Bounded | None = None  # style "page"
    offset: Bounded | None = None  # style "offset"
    cursor: Cursor | None = None  # style "cursor"
    order: Order | None = None
    filters: tuple[Filter, ...] = ()
    volatile: tuple[str, ...] = ()  # body paths excluded from determinism checks
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
