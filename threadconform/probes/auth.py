"""Authentication and tenant isolation."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from threadconform import paths
from threadconform.exchange import Request, Response
from threadconform.ledger import Finding, Violation
from threadconform.outcomes import BudgetSpent
from threadconform.probes import probe
from threadconform.probes.context import ProbeContext
from threadconform.probes.envelopes import envelope_findings

__all__ = ["AUTH_RULES", "WRONG_CREDENTIAL", "Filters", "auth", "tenants", "widest_listings"]

WRONG_CREDENTIAL = "threadconform-wrong-credential"
AUTH_RULES = (
    "AUTH-REQUIRED",
    "AUTH-INVALID-REJECTED",
    "AUTH-STATUS-401",
    "AUTH-ERROR-ENVELOPE",
    "AUTH-VALID-ACCEPTED",
)


def _violation(rule: str, response: Response, message: str, expected: str) -> Finding:
    actual = f"status {response.status}: {(response.text or response.error or '')[:300]}"
    return Finding(rule, Violation(rule, message, (response.request,), expected, actual))


def _refusal(ctx: ProbeContext, response: Response, rule: str, what: str) -> Iterator[Finding]:
    status = response.status
    if status is None:
        yield Finding.skipped(rule, f"no answer to the request {what}: {response.error}")
        return
    if not 400 <= status < 500:
        message = f"a request {what} got {status}; the listing must be refused with a 4xx"
        yield _violation(rule, response, message, "a 4xx refusal")
        return
    yield Finding.held(rule)
    expected = ctx.contract.pagination.errors.auth
    expected_status = expected.status if expected else 401
    if status == expected_status:
        yield Finding.held("AUTH-STATUS-401")
    else:
        message = f"a request {what} got {status}, not {expected_status}"
        yield _violation("AUTH-STATUS-401", response, message, f"status {expected_status}")
    if expected is not None and status == expected.status:
        yield from envelope_findings(ctx, response, expected.response, "AUTH-ERROR-ENVELOPE")


@probe("auth", *AUTH_RULES, order=10)
def auth(ctx: ProbeContext) -> Iterator[Finding]:
    if ctx.contract.auth is None:
        for rule in AUTH_RULES:
            yield Finding.skipped(rule, "the spec documents no authentication")
        return
    if ctx.client.credential is None:
        reason = "no credential given: pass --token or THREADCONFORM_TOKEN"
        yield Finding.skipped("AUTH-VALID-ACCEPTED", reason)
    else:
        response = ctx.fetch({})
        if response.ok:
            yield Finding.held("AUTH-VALID-ACCEPTED")
        elif response.status is None or response.status < 300:
            # No answer, or a 2xx whose body is unusable (HTTP-JSON says why): not a refusal.
            yield Finding.skipped("AUTH-VALID-ACCEPTED", f"no usable answer: {response.error}")
        else:
            message = f"the configured credential was refused with {response.status}"
            yield _violation("AUTH-VALID-ACCEPTED", response, message, "a 2xx")
    for what, credential, rule in (
        ("without a credential", None, "AUTH-REQUIRED"),
        ("with a wrong credential", WRONG_CREDENTIAL, "AUTH-INVALID-REJECTED"),
    ):
        yield from _refusal(ctx, ctx.fetch({}, credential=credential), rule, what)


Filters = tuple[tuple[str, str], ...]


def _ids(
    ctx: ProbeContext, credential: str | None, filters: Filters = ()
) -> tuple[set[str], list[Request]]:
    """Ids of one tenant's listing: a bounded walk of the largest pages (a quarter of the
    profile's page cap, whatever the limit)."""
    pagination = ctx.contract.pagination
    params = (*filters, (pagination.limit.param, str(pagination.limit.maximum or 100)))
    pages = ctx.profile.max_pages // 4
    result = ctx.walk(params, max_pages=pages, beyond_cap=True, credential=credential)
    return set(result.ids), [page.request for page in result.pages]


def widest_listings(ctx: ProbeContext) -> list[Filters]:
    """The default listing, then each widening filter set to its widening value: a leak
    hidden behind a default filter (another tenant's read threads, shown only with
    `all=true`) shows only in the widest listing a filter can give."""
    widening = [f for f in ctx.contract.pagination.filters if f.match == "superset"]
    return [(), *(((f.param, "true"),) for f in widening)]


@dataclass
class _Listings:
    """One tenant's ids over every listing compared, and the requests that fetched them."""

    ids: dict[Filters, set[str]] = field(default_factory=dict)
    requests: dict[Filters, list[Request]] = field(default_factory=dict)

    @property
    def every(self) -> set[str]:
        return set().union(*self.ids.values())

    def holding(self, ident: str) -> Filters:
        """The first listing that holds `ident`."""
        return next(key for key, ids in self.ids.items() if ident in ids)


def _listings(ctx: ProbeContext, credential: str | None) -> _Listings:
    found = _Listings()
    for filters in widest_listings(ctx):
        found.ids[filters], found.requests[filters] = _ids(ctx, credential, filters)
    return found


def _shown(filters: Filters) -> str:
    return "&".join(f"{k}={v}" for k, v in filters) or "no filter"


@probe("tenants", "TENANT-ISOLATION", "TENANT-FILTER", "AUTH-ERROR-ENVELOPE", order=120)
def tenants(ctx: ProbeContext) -> Iterator[Finding]:
    if ctx.contract.auth is None:
        for rule in ("TENANT-ISOLATION", "TENANT-FILTER"):
            yield Finding.skipped(rule, "the spec documents no authentication, so no tenants")
        return
    if not ctx.second_token or not ctx.client.credential:
        reason = "needs two tenants' credentials: pass --token and --second-token"
        yield Finding.skipped("TENANT-ISOLATION", reason)
        yield Finding.skipped("TENANT-FILTER", reason)
        return
    mine = _listings(ctx, ctx.client.credential)
    theirs = _listings(ctx, ctx.second_token)
    yield from _isolation(mine, theirs)
    yield from _foreign_filters(ctx, theirs.ids[()])


def _isolation(mine: _Listings, theirs: _Listings) -> Iterator[Finding]:
    """Every listing of one tenant against every listing of the other."""
    if not mine.ids[()] or not theirs.ids[()]:
        found = f"found {len(mine.ids[()])} and {len(theirs.ids[()])}"
        yield Finding.skipped("TENANT-ISOLATION", f"needs threads in both tenants, {found}")
        return
    shared = sorted(mine.every & theirs.every)
    if not shared:
        yield Finding.held("TENANT-ISOLATION")
        return
    message = (
        f"the two tenants' listings share {len(shared)} thread id(s), e.g. {shared[:5]}; "
        "each credential must see only its own threads"
    )
    where = (mine.holding(shared[0]), theirs.holding(shared[0]))
    if where != ((), ()):  # hidden behind a default filter: say which listings show it
        message += (
            f" ({shared[0]} is in the first tenant's listing with {_shown(where[0])} and "
            f"the second tenant's with {_shown(where[1])})"
        )
    evidence = tuple(mine.requests[where[0]][:1] + theirs.requests[where[1]][:1])
    violation = Violation("TENANT-ISOLATION", message, evidence, "no shared id", str(shared[:5]))
    yield Finding("TENANT-ISOLATION", violation)


def _foreign_filters(ctx: ProbeContext, theirs: set[str]) -> Iterator[Finding]:
    """Filters naming the other tenant's resources return none of its threads (or a 403)."""
    pagination = ctx.contract.pagination
    tenant_filters = [f for f in pagination.filters if f.tenant and f.field]
    if not tenant_filters:
        yield Finding.skipped("TENANT-FILTER", "the spec marks no filter as tenant-owned")
        return
    their_samples = ctx.samples_for(ctx.second_token)
    mine = ctx.samples()
    for flt in tenant_filters:
        foreign = [
            v
            for v in their_samples.values.get(flt.param, [])
            if v not in mine.values.get(flt.param, [])
        ]
        if not foreign:
            yield Finding.skipped(
                "TENANT-FILTER", f"the second tenant has no {flt.param} of its own"
            )
            continue
        try:
            response = ctx.fetch({flt.param: str(foreign[0])})
        except BudgetSpent:
            continue  # the run stopped; the other filters still say what they lack
        yield from _judge_foreign(ctx, response, flt.param, foreign[0], theirs)


def _judge_foreign(
    ctx: ProbeContext, response: Response, param: str, value: object, theirs: set[str]
) -> Iterator[Finding]:
    forbidden = ctx.contract.pagination.errors.forbidden
    if forbidden and response.status == forbidden.status:
        yield Finding.held("TENANT-FILTER")
        yield from envelope_findings(ctx, response, forbidden.response, "AUTH-ERROR-ENVELOPE")
        return
    items = ctx.items_of(response) if response.ok else None
    if items is None:
        message = f"{param}={value} (another tenant's) got {response.status}"
        yield _violation("TENANT-FILTER", response, message, "an empty list or the documented 403")
        return
    ids = {str(paths.get(item, ctx.contract.pagination.response.id)) for item in items}
    leaked = sorted(ids & theirs)
    if leaked:
        message = (
            f"{param}={value} names another tenant's resource and returned its threads {leaked[:5]}"
        )
        yield _violation("TENANT-FILTER", response, message, "none of the other tenant's threads")
    else:
        yield Finding.held("TENANT-FILTER")
