"""Filter invariants: exact and defaulted filters on item fields, narrowing and widening
filters as subsets and supersets, a filtered total, and filters echoed in the body."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from threadconform import paths
from threadconform.invariants.base import (
    Pages,
    Reason,
    Spec,
    both,
    documents,
    invariant,
    needs_complete,
    pagination_of,
)
from threadconform.invariants.helpers import (
    CAP,
    at,
    fail,
    numbered,
    requests_of,
    says,
    show,
    show_ids,
    shown,
    total_matches,
    total_needs,
)
from threadconform.ledger import Violation
from threadconform.model import Filter, Pagination
from threadconform.walk import Item, Page, Walk

__all__ = [
    "filter_default",
    "filter_echo",
    "filter_exact",
    "filter_pages_cover",
    "filter_pages_within",
    "filter_subset",
    "filter_superset",
    "filter_total",
]


def _filters(
    match: str, *, field: bool = False, echo: bool = False
) -> Callable[[Pagination], Reason]:
    def applies(pagination: Pagination) -> Reason:
        for f in pagination.filters:
            if f.match == match and (f.field or not field) and (f.echo or not echo):
                return None
        return f"the contract documents no {match} filter" + (" on an item field" if field else "")

    return applies


def _wanted(f: Filter, sent: str) -> Any:
    """The item value a filter asks for: a bool for boolean filters, else the text sent."""
    if f.type == "boolean":
        return {"true": True, "false": False}.get(sent.lower(), paths.MISSING)
    return sent


def _equal(value: Any, wanted: Any) -> bool:
    if isinstance(wanted, bool) or isinstance(value, bool):
        return value is wanted
    if isinstance(value, int | float):
        return str(value) == wanted
    return value == wanted


def _mismatches(
    pagination: Pagination, pages: Pages, values: Callable[[Page], list[tuple[Filter, Any, str]]]
) -> list[tuple[Page, int | None, Filter, Any, list[Item]]]:
    """(page, number, filter, wanted value, offending items) for every page and filter."""
    found = []
    for number, page in numbered(pages):
        for f, wanted, _ in values(page) if page.ok else ():
            wrong = [i for i in page.items if not _equal(i.get(f.field or ""), wanted)]
            if wrong:
                found.append((page, number, f, wanted, wrong))
    return found


def _sent_filters(pagination: Pagination, page: Page) -> list[tuple[Filter, Any, str]]:
    out = []
    for f in pagination.filters:
        sent = page.param(f.param)
        if f.match == "exact" and f.field and sent is not None:
            wanted = _wanted(f, sent)
            if wanted is not paths.MISSING:
                out.append((f, wanted, sent))
    return out


@invariant("FILTER-EXACT", applies=_filters("exact", field=True))
def filter_exact(pagination: Pagination, pages: Pages) -> list[Violation]:
    """(pages): any pages or walk fetched with exact filters."""
    violations = []
    for page, number, f, wanted, wrong in _mismatches(
        pagination, pages, lambda p: _sent_filters(pagination, p)
    ):
        got = show(wrong[0].get(f.field or ""))
        message = (
            f"{at(pagination, page, number)} was fetched with {f.param}={page.param(f.param)}, "
            f"but {len(wrong)} item(s) have {f.field} other than {show(wanted)}, e.g. "
            f"{wrong[0].id} with {got}: {show_ids(i.id for i in wrong)}."
        )
        violations += fail("FILTER-EXACT", message, [page.request], show(wanted), got)
    return violations[:CAP]


def _defaulted(pagination: Pagination, page: Page) -> list[tuple[Filter, Any, str]]:
    return [
        (f, f.default, "")
        for f in pagination.filters
        if f.default is not None and f.field and page.param(f.param) is None
    ]


@invariant(
    "FILTER-DEFAULT",
    applies=lambda p: (
        None
        if any(f.default is not None and f.field for f in p.filters)
        else "no filter documents a default"
    ),
)
def filter_default(pagination: Pagination, pages: Pages) -> list[Violation]:
    """(pages): any pages or walk fetched without a filter that has a documented default."""
    violations = []
    for page, number, f, wanted, wrong in _mismatches(
        pagination, pages, lambda p: _defaulted(pagination, p)
    ):
        got = show(wrong[0].get(f.field or ""))
        message = (
            f"{at(pagination, page, number)} was fetched without {f.param}, whose documented "
            f"default is {show(f.default)}, but {len(wrong)} item(s) have {f.field} = {got} "
            f"or another value: {show_ids(i.id for i in wrong)}."
        )
        violations += fail("FILTER-DEFAULT", message, [page.request], show(wanted), got)
    return violations[:CAP]


def _set_relation(
    rule: str, pagination: Pagination, inner: Walk, outer: Walk, inner_name: str, outer_name: str
) -> list[Violation]:
    known = set(outer.ids)
    outside = [ident for ident in inner.ids if ident not in known]
    if not outside:
        return []
    message = (
        f"{len(outside)} item(s) of the {inner_name} ({_params(inner)}) are missing from the "
        f"{outer_name} ({_params(outer)}): {show_ids(outside)}."
    )
    evidence = requests_of([*inner.pages[:1], *outer.pages[:1]])
    return fail(rule, message, evidence, f"{inner_name} within {outer_name}", show_ids(outside))


def _params(walk: Walk) -> str:
    return "&".join(f"{k}={v}" for k, v in walk.params) or "no parameters"


@invariant("FILTER-SUBSET", applies=_filters("subset"), needs=needs_complete)
def filter_subset(pagination: Pagination, filtered: Walk, unfiltered: Walk) -> list[Violation]:
    """(filtered, unfiltered): complete walks with and without a narrowing filter."""
    return _set_relation(
        "FILTER-SUBSET",
        pagination,
        filtered,
        unfiltered,
        "filtered walk",
        "walk without the filter",
    )


@invariant("FILTER-SUPERSET", applies=_filters("superset"), needs=needs_complete)
def filter_superset(pagination: Pagination, widened: Walk, default: Walk) -> list[Violation]:
    """(widened, default): complete walks with and without a widening filter."""
    return _set_relation(
        "FILTER-SUPERSET", pagination, default, widened, "default walk", "widened walk"
    )


def filter_pages_within(spec: Spec, paged: Walk, reference: Walk) -> list[Violation]:
    """FILTER-SUBSET on every page: each page of a narrowed walk in small pages holds only
    items of the same narrowed listing fetched in the largest pages (a complete walk). A
    filter applied to the first page only passes the set relation of whole listings (its
    later pages are items of the unfiltered listing) and fails here."""
    pagination = pagination_of(spec)
    if not reference.complete:
        return []
    known = set(reference.ids)
    for number, page in enumerate(paged.pages, 1):
        outside = [ident for ident in page.ids if ident not in known] if page.ok else []
        if outside:
            message = (
                f"In the filtered walk ({_params(paged)}), {at(pagination, page, number)} "
                f"holds {len(outside)} item(s) the same filtered listing in one walk "
                f"({_params(reference)}) does not: {show_ids(outside)}; the filter must "
                "apply to every page, not only the first."
            )
            evidence = requests_of([page, *reference.pages[:1]])
            return fail(
                "FILTER-SUBSET",
                message,
                evidence,
                "items of the filtered listing",
                show_ids(outside),
            )
    return []


def filter_pages_cover(spec: Spec, paged: Walk, reference: Walk) -> list[Violation]:
    """FILTER-SUPERSET on every page: a widened walk in small pages (complete) lists every
    item of the same widened listing fetched in the largest pages."""
    if not (paged.complete and reference.complete):
        return []
    seen = set(paged.ids)
    missing = [ident for ident in reference.ids if ident not in seen]
    if not missing:
        return []
    message = (
        f"the widened walk ({_params(paged)}) misses {len(missing)} item(s) of the same "
        f"widened listing in one walk ({_params(reference)}): {show_ids(missing)}; the "
        "widening filter must apply to every page, not only the first."
    )
    evidence = requests_of([*paged.pages[1:2], *reference.pages[:1]])
    return fail(
        "FILTER-SUPERSET", message, evidence, "every item of the widened listing", show_ids(missing)
    )


def _filter_total_needs(pagination: Pagination, walk: Walk) -> Reason:
    if not any(walk.param(f.param) is not None for f in pagination.filters):
        return "the walk was made without any filter"
    return total_needs(pagination, walk)


@invariant(
    "FILTER-TOTAL",
    applies=both(
        documents("total"), lambda p: None if p.filters else "the contract documents no filter"
    ),
    needs=_filter_total_needs,
)
def filter_total(pagination: Pagination, walk: Walk) -> list[Violation]:
    """(walk): a complete walk with at least one filter (and the total opt-in, if any)."""
    return total_matches("FILTER-TOTAL", pagination, walk)


@invariant(
    "FILTER-ECHO",
    applies=lambda p: None if any(f.echo for f in p.filters) else "no filter is echoed in the body",
)
def filter_echo(pagination: Pagination, pages: Pages) -> list[Violation]:
    """(pages): any pages or walk fetched with an echoed filter."""
    violations = []
    for number, page in numbered(pages):
        for f in pagination.filters:
            sent = page.param(f.param)
            if not page.ok or not f.echo or sent is None:
                continue
            echoed = page.meta.echo(f.echo)
            if not _equal(echoed, _wanted(f, sent)):
                got = shown(page, f.echo, echoed)
                message = (
                    f"{at(pagination, page, number)} was fetched with {f.param}={sent}, but the "
                    f"body {says(page, f.echo, f'has {f.echo} = {got}')}."
                )
                violations += fail("FILTER-ECHO", message, [page.request], show(sent), got)
    return violations[:CAP]
