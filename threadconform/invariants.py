"""Pagination, ordering and filter invariants: pure functions over recorded walks and pages.

Each invariant is registered under its rule id (`INVARIANTS["PAGE-NO-GAPS"]`) and called
as `invariant(contract_or_pagination, *walks_or_pages) -> list[Violation]`; an empty list
means it holds. Nothing here does I/O: the engine walks, then asks.

An invariant can also decline to judge. `INVARIANTS[rule].skip_reason(...)` says why
(the contract has no such field; a walk stopped before its end; the page was not fetched
the way the rule needs) and the engine reports a skip with that reason. Called anyway, a
declining invariant returns [] rather than guess: a skip must never look like a pass
unless the caller chose to ignore the reason.

Messages follow Hypothesis' manner: say what was sent, what was expected, what came
back, on which page, with at most five ids, and what to check.
"""

from __future__ import annotations

import json
import math
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any
from urllib.parse import urlsplit

from threadconform import paths
from threadconform.exchange import Request
from threadconform.ledger import Violation
from threadconform.model import Contract, Filter, Pagination
from threadconform.rules import BY_ID
from threadconform.walk import Item, Page, Walk, position

__all__ = [
    "INVARIANTS",
    "Invariant",
    "Pages",
    "Spec",
    "Violation",
    "invariant",
]

Spec = Contract | Pagination
Pages = Walk | Page | Iterable[Page]
Reason = str | None

_CAP = 5  # ids, pages or requests named in one message
_Y2000 = 946_684_800  # 2000-01-01T00:00:00Z
_YEAR = 366 * 86_400


@dataclass(frozen=True)
class Invariant:
    """One registered check. Call it like the function it wraps."""

    rule: str
    check: Callable[..., list[Violation]]
    applies: Callable[[Pagination], Reason]  # None, or why the contract is out of scope
    needs: Callable[..., Reason]  # None, or why these walks/pages cannot be judged

    @property
    def inputs(self) -> str:
        """What to pass, from the check's docstring."""
        return (self.check.__doc__ or "").strip().splitlines()[0]

    def skip_reason(self, spec: Spec, *args: Any, **kwargs: Any) -> Reason:
        pagination = _pagination(spec)
        return self.applies(pagination) or self.needs(pagination, *args, **kwargs)

    def __call__(self, spec: Spec, *args: Any, **kwargs: Any) -> list[Violation]:
        if self.skip_reason(spec, *args, **kwargs):
            return []
        return self.check(_pagination(spec), *args, **kwargs)


INVARIANTS: dict[str, Invariant] = {}


def invariant(
    rule: str,
    *,
    applies: Callable[[Pagination], Reason] | None = None,
    needs: Callable[..., Reason] | None = None,
) -> Callable[[Callable[..., list[Violation]]], Invariant]:
    """Register a check under a rule id of `rules.CATALOGUE` (Schemathesis-style)."""
    if rule not in BY_ID:
        raise ValueError(f"{rule!r} is not a rule id in threadconform.rules.CATALOGUE")

    def register(check: Callable[..., list[Violation]]) -> Invariant:
        if rule in INVARIANTS:
            raise ValueError(f"an invariant for {rule} is already registered")
        INVARIANTS[rule] = Invariant(rule, check, applies or _always, needs or _anything)
        return INVARIANTS[rule]

    return register


# -- applicability and readiness -----------------------------------------------------------


def _always(pagination: Pagination) -> Reason:
    return None


def _anything(pagination: Pagination, *args: Any, **kwargs: Any) -> Reason:
    return None


def _complete(pagination: Pagination, *args: Any, **kwargs: Any) -> Reason:
    """Every Walk given must have reached its end; a cut-short walk proves nothing."""
    for value in (*args, *kwargs.values()):
        if isinstance(value, Walk) and not value.complete:
            sent = "&".join(f"{k}={v}" for k, v in value.params) or "no parameters"
            return f"the walk with {sent} stopped before the end ({value.stop}: {value.note})"
    return None


def _has(*fields: str) -> Callable[[Pagination], Reason]:
    """Applies when the contract's response documents one of `fields`."""

    def applies(pagination: Pagination) -> Reason:
        if any(getattr(pagination.response, name) for name in fields):
            return None
        return f"the contract documents no {' or '.join(fields)} field"

    return applies


def _styles(*styles: str) -> Callable[[Pagination], Reason]:
    def applies(pagination: Pagination) -> Reason:
        if pagination.style in styles:
            return None
        return f"the rule is about {'/'.join(styles)} pagination, not {pagination.style}"

    return applies


def _both(*tests: Callable[[Pagination], Reason]) -> Callable[[Pagination], Reason]:
    def applies(pagination: Pagination) -> Reason:
        return next((reason for test in tests if (reason := test(pagination))), None)

    return applies


# -- small helpers -------------------------------------------------------------------------


def _pagination(spec: Spec) -> Pagination:
    return spec.pagination if isinstance(spec, Contract) else spec


def _pages(pages: Pages) -> tuple[Page, ...]:
    if isinstance(pages, Walk):
        return pages.pages
    if isinstance(pages, Page):
        return (pages,)
    return tuple(pages)


def _count(value: Any) -> int | None:
    """An integer count, or None (null, absent, a boolean, a string)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def _int(text: str | None) -> int | None:
    try:
        return None if text is None else int(text)
    except ValueError:
        return None


def _show(value: Any) -> str:
    if value is paths.MISSING:
        return "absent"
    return json.dumps(value, default=repr)


def _ids(ids: Iterable[str], cap: int = _CAP) -> str:
    listed = list(ids)
    shown = ", ".join(listed[:cap])
    more = f" (+{len(listed) - cap} more)" if len(listed) > cap else ""
    return f"[{shown}{more}]"


def _evidence(pages: Iterable[Page]) -> tuple[Request, ...]:
    return tuple(page.request for page in pages)[:_CAP]


def _at(pagination: Pagination, page: Page, number: int | None = None) -> str:
    """`page #3 (after=thrd_9)`, or just the position for a page outside a walk."""
    where = position(pagination, page)
    return where if number is None else f"page #{number} ({where})"


def _limit(pagination: Pagination, page: Page) -> int | None:
    """The limit in force for a page: the one sent (clamped into range), else the default."""
    limit = _int(page.param(pagination.limit.param))
    if limit is None:
        return pagination.limit.default
    if pagination.limit.maximum is not None:
        limit = min(limit, pagination.limit.maximum)
    if pagination.limit.minimum is not None:
        limit = max(limit, pagination.limit.minimum)
    return limit


def _located(walk: Walk) -> list[tuple[Item, int]]:
    """Each item of the walk in order, with the index of the page it came on."""
    order = range(len(walk.pages))
    if walk.backward:
        order = range(len(walk.pages) - 1, -1, -1)
    return [(item, index) for index in order for item in walk.pages[index].items]


def _opted_in(pagination: Pagination, page: Page) -> bool:
    needed = pagination.response.total_requires
    return needed is None or page.param(needed) == "true"


# -- walks ---------------------------------------------------------------------------------


def _terminates_needs(pagination: Pagination, walk: Walk) -> Reason:
    if walk.stop in ("budget", "error", "off-origin"):
        return f"the walk stopped early ({walk.stop}: {walk.note})"
    if walk.stop == "page-cap" and not _overran(pagination, walk):
        return f"the walk reached the page cap before the end of the data ({walk.note})"
    return None


def _overran(pagination: Pagination, walk: Walk) -> str:
    """Why a capped walk proves the target promises pages forever ("" if it does not)."""
    seen = len(set(walk.ids))
    last = walk.pages[-1] if walk.pages else None
    if last is None:
        return ""
    total, pages = _count(last.meta.total), _count(last.meta.pages)
    if total is not None and seen >= total:
        return f"it had already yielded {seen} distinct items against a reported total of {total}"
    number = _int(last.param(pagination.page.param)) if pagination.page else None
    if pages is not None and number is not None and number >= pages:
        return f"it had already reached page {number} of a reported {pages}"
    empty = [page for page in walk.pages[-3:] if page.ok and not page.items]
    if pagination.style in _NEXT_STYLES and len(empty) == 3 and last.meta.next:
        return "its last three pages were empty and each still carried a next page token or link"
    return ""


@invariant("WALK-TERMINATES", needs=_terminates_needs)
def walk_terminates(pagination: Pagination, walk: Walk) -> list[Violation]:
    """(walk): a full walk; fails on a cycle, or a page cap hit past the promised end."""
    if walk.stop == "cycle":
        message = (
            f"The walk never ends: {walk.note}. A walk over data that is not changing must "
            "move forward on every page. Check that the page/offset/cursor parameter is "
            "applied, and that the next-page cursor is the last item of the page."
        )
        return [
            Violation(
                "WALK-TERMINATES",
                message,
                _evidence(walk.pages[-2:]),
                "each page moves past the previous one",
                walk.note,
            )
        ]
    if walk.stop == "page-cap" and (why := _overran(pagination, walk)):
        message = (
            f"The walk never ends: it was stopped at the page cap after {len(walk.pages)} "
            f"pages, though {why}; the last page still promised more."
        )
        return [
            Violation(
                "WALK-TERMINATES",
                message,
                _evidence(walk.pages[-2:]),
                "the walk ends at the reported total",
                why,
            )
        ]
    return []


@invariant("PAGE-NO-DUPLICATES")
def page_no_duplicates(pagination: Pagination, walk: Walk) -> list[Violation]:
    """(walk): any walk, complete or not; no id twice."""
    located = _located(walk)
    counts = Counter(item.id for item, _ in located)
    repeated = [ident for ident, n in counts.items() if n > 1]
    if not repeated:
        return []
    first = repeated[0]
    where = sorted({index for item, index in located if item.id == first})
    places = " and ".join(_at(pagination, walk.pages[i], i + 1) for i in where[:_CAP])
    message = (
        f"{len(repeated)} item(s) appear more than once in one walk, e.g. {first} "
        f"{counts[first]} times: on {places}. All repeated ids: {_ids(repeated)}. "
        "Check that the sort order has a unique tie-breaker (e.g. created_at, then id), "
        "so that items with equal keys cannot move between pages."
    )
    return [
        Violation(
            "PAGE-NO-DUPLICATES",
            message,
            _evidence(walk.pages[i] for i in where),
            "every id at most once",
            f"{len(repeated)} ids repeated: {_ids(repeated)}",
        )
    ]


@invariant("PAGE-NO-GAPS", needs=_complete)
def page_no_gaps(pagination: Pagination, small: Walk, large: Walk) -> list[Violation]:
    """(small, large): complete walks with a small limit and with the largest limit."""
    small_ids, large_ids = set(small.ids), set(large.ids)
    missing = [i for i in large.ids if i not in small_ids]
    extra = [i for i in small.ids if i not in large_ids]
    if not missing and not extra:
        return []
    limits = (small.param(pagination.limit.param), large.param(pagination.limit.param))
    found = []
    if missing:
        found.append(f"missing from the small-limit walk: {_ids(missing)}")
    if extra:
        found.append(f"only in the small-limit walk: {_ids(extra)}")
    message = (
        f"A walk with limit={limits[0]} yielded {len(small_ids)} distinct items, the walk "
        f"with limit={limits[1]} {len(large_ids)}; {' and '.join(found)}. Items are skipped "
        "or invented at page boundaries: check that the sort order is total (a unique "
        "tie-breaker) and that the next page starts right after the last item returned."
    )
    evidence = _near(small, large.ids, missing[0]) if missing else _evidence(small.pages)
    return [
        Violation(
            "PAGE-NO-GAPS",
            message,
            evidence,
            f"the same {len(large_ids)} ids",
            f"missing {_ids(missing)}, extra {_ids(extra)}",
        )
    ]


def _near(walk: Walk, order: Sequence[str], missing: str) -> tuple[Request, ...]:
    """The pages of `walk` around where `missing` should have appeared."""
    index = order.index(missing)
    before = set(order[:index])
    pages = [i for i, page in enumerate(walk.pages) if before & set(page.ids)]
    start = pages[-1] if pages else 0
    return _evidence(walk.pages[start : start + 2])


def _fail(
    rule: str, message: str, evidence: Iterable[Request] = (), expected: str = "", actual: str = ""
) -> list[Violation]:
    return [Violation(rule, message, tuple(evidence)[:_CAP], expected, actual)]


# -- pages ---------------------------------------------------------------------------------


def _total_needs(pagination: Pagination, walk: Walk) -> Reason:
    if (
        pagination.response.total_requires
        and walk.param(pagination.response.total_requires) != "true"
    ):
        return f"the walk was made without {pagination.response.total_requires}=true"
    if pagination.style == "first-n" and walk.pages and _full(pagination, walk.pages[-1]):
        return "a full first-N page shows only the start of the listing, not all of it"
    return _complete(pagination, walk)


def _full(pagination: Pagination, page: Page) -> bool:
    limit = _limit(pagination, page)
    return limit is not None and len(page.items) >= limit


def _total_matches(rule: str, pagination: Pagination, walk: Walk) -> list[Violation]:
    """Every page of a complete walk reports the number of distinct items the walk saw."""
    seen = len(set(walk.ids))
    # A page/offset past the end is judged by PAGE-PAST-END-TOTAL (a SHOULD), not here.
    judged = [
        (number, page)
        for number, page in enumerate(walk.pages, 1)
        if page.items or len(walk.pages) == 1 or pagination.style == "cursor"
    ]
    wrong = [(n, p) for n, p in judged if p.ok and p.meta.total != seen]
    if not wrong:
        return []
    number, page = wrong[0]
    message = (
        f"{_at(pagination, page, number)} reports total {_show(page.meta.total)}, but the "
        f"complete walk yielded {seen} distinct items ({len(wrong)} of {len(judged)} pages "
        "disagree). Check that the total counts the same filtered set the pages list."
    )
    return _fail(rule, message, [page.request], str(seen), _show(page.meta.total))


@invariant("META-TOTAL", applies=_has("total"), needs=_total_needs)
def meta_total(pagination: Pagination, walk: Walk) -> list[Violation]:
    """(walk): a complete walk (with the total opt-in parameter, if the contract has one)."""
    return _total_matches("META-TOTAL", pagination, walk)


@invariant("PAGE-LIMIT-RESPECTED")
def page_limit_respected(pagination: Pagination, pages: Pages) -> list[Violation]:
    """(pages): any pages or walk; none holds more items than asked for."""
    violations = []
    for number, page in enumerate(_pages(pages), 1):
        bound = _limit(pagination, page)
        if bound is not None and len(page.items) > bound:
            sent = page.param(pagination.limit.param)
            asked = f"{pagination.limit.param}={sent}" if sent else f"the default {bound}"
            message = (
                f"{_at(pagination, page, number)} holds {len(page.items)} items with {asked}; "
                f"a page must never hold more than {bound}. First ids: {_ids(page.ids)}."
            )
            violations += _fail(
                "PAGE-LIMIT-RESPECTED", message, [page.request], f"<= {bound}", str(len(page.items))
            )
    return violations[:_CAP]


def _default_limit_needs(pagination: Pagination, page: Page, total: int | None = None) -> Reason:
    if page.param(pagination.limit.param) is not None:
        return "the page was fetched with a limit"
    if not page.ok:
        return f"the page could not be fetched ({page.error})"
    cursor = pagination.cursor
    if cursor and any(page.param(n) for n in (cursor.after, cursor.before) if n):
        return "the page was fetched with a cursor"
    if _count(page.meta.total) is None and total is None:
        return "the number of items is unknown (no total, and no reference walk given)"
    return None


@invariant(
    "PAGE-DEFAULT-LIMIT",
    applies=lambda p: None if p.limit.default else "the contract documents no default limit",
    needs=_default_limit_needs,
)
def page_default_limit(
    pagination: Pagination, page: Page, total: int | None = None
) -> list[Violation]:
    """(page, total=None): a page fetched without a limit; total from the page or a full walk."""
    default = pagination.limit.default or 0
    known = _count(page.meta.total)
    count = known if known is not None else total or 0
    expected = min(default, max(0, count - _start(pagination, page, default)))
    if len(page.items) == expected:
        return []
    message = (
        f"Without {pagination.limit.param}, {_at(pagination, page)} holds {len(page.items)} "
        f"items; the documented default limit is {default} and there are {count} items, so "
        f"it should hold {expected}."
    )
    return _fail("PAGE-DEFAULT-LIMIT", message, [page.request], str(expected), str(len(page.items)))


def _start(pagination: Pagination, page: Page, limit: int) -> int:
    """How many items precede this page, from its page or offset parameter."""
    if pagination.offset:
        offset = _int(page.param(pagination.offset.param))
        return offset if offset is not None else pagination.offset.default or 0
    if pagination.page:
        number = _int(page.param(pagination.page.param))
        first = pagination.page.minimum if pagination.page.minimum is not None else 1
        number = number if number is not None else pagination.page.default or first
        return (number - first) * limit
    return 0


@invariant("PAGE-FULL", applies=_styles("page", "offset", "cursor"))
def page_full(pagination: Pagination, walk: Walk) -> list[Violation]:
    """(walk): any walk; every page before the last non-empty one is full."""
    filled = [i for i, page in enumerate(walk.pages) if page.items]
    last = filled[-1] if filled else -1
    violations = []
    for index, page in enumerate(walk.pages[:last]):
        limit = _limit(pagination, page)
        if limit is not None and len(page.items) != limit:
            message = (
                f"{_at(pagination, page, index + 1)} holds {len(page.items)} items, but it is "
                f"not the last page (more came after it), so it should hold the limit, {limit}."
            )
            violations += _fail(
                "PAGE-FULL", message, [page.request], str(limit), str(len(page.items))
            )
    return violations[:_CAP]


@invariant("PAGE-PAST-END", applies=_styles("page", "offset"))
def page_past_end(pagination: Pagination, page: Page) -> list[Violation]:
    """(page): one page requested past the last page (page=pages+1, offset=total)."""
    if page.ok and not page.items:
        return []
    got = f"HTTP {page.status}" if page.status is not None else "no response"
    if page.ok:
        got = f"{len(page.items)} items: {_ids(page.ids)}"
    elif page.error and page.status is not None and 200 <= page.status < 300:
        got = page.error
    message = (
        f"{_at(pagination, page)} lies past the end of the data and should be answered with "
        f"a 2xx and an empty list (not an error); it got {got}."
    )
    return _fail("PAGE-PAST-END", message, [page.request], "2xx with no items", got)


@invariant(
    "PAGE-PAST-END-TOTAL",
    applies=_both(_styles("page", "offset"), _has("total")),
    needs=lambda p, page, total: None if page.ok else f"the page failed ({page.error})",
)
def page_past_end_total(pagination: Pagination, page: Page, total: int) -> list[Violation]:
    """(page, total): a page past the end, and the real total (from a complete walk)."""
    if page.meta.total == total:
        return []
    message = (
        f"{_at(pagination, page)} lies past the end and reports total "
        f"{_show(page.meta.total)}; the real total is {total}. (A total counted with a "
        "window function over the page's own rows gives 0 on an empty page.)"
    )
    return _fail("PAGE-PAST-END-TOTAL", message, [page.request], str(total), _show(page.meta.total))


# -- metadata ------------------------------------------------------------------------------


@invariant("META-PAGES", applies=_both(_has("pages"), _has("total")))
def meta_pages(pagination: Pagination, pages: Pages) -> list[Violation]:
    """(pages): any pages or walk; each page's page count against its own total."""
    violations = []
    for number, page in enumerate(_pages(pages), 1):
        total, count = _count(page.meta.total), page.meta.pages
        size = _count(page.meta.page_size) or _count(page.meta.limit) or _limit(pagination, page)
        if not page.ok or count is None or total is None or not size:
            continue
        expected = math.ceil(total / size)
        if count != expected:
            message = (
                f"{_at(pagination, page, number)} reports {_show(count)} pages for a total of "
                f"{total} at {size} per page; ceil({total} / {size}) = {expected}."
            )
            violations += _fail("META-PAGES", message, [page.request], str(expected), _show(count))
    return violations[:_CAP]


@invariant("META-ECHO", applies=_has("page", "limit"))
def meta_echo(pagination: Pagination, pages: Pages) -> list[Violation]:
    """(pages): any pages or walk; echoed page/limit equal the values in force."""
    violations = []
    for number, page in enumerate(_pages(pages), 1):
        if not page.ok:
            continue
        for name, echoed, expected in _echo_pairs(pagination, page):
            if echoed is not None and echoed != expected:
                message = (
                    f"{_at(pagination, page, number)} echoes {name} = {_show(echoed)}, but the "
                    f"{name} in force is {expected} (sent: {page.param(name) or 'nothing'})."
                )
                violations += _fail(
                    "META-ECHO", message, [page.request], str(expected), _show(echoed)
                )
    return violations[:_CAP]


def _echo_pairs(pagination: Pagination, page: Page) -> list[tuple[str, Any, int | None]]:
    """(parameter, echoed value, value in force) for each echo the contract documents."""
    pairs: list[tuple[str, Any, int | None]] = []
    if pagination.response.limit:
        pairs.append((pagination.limit.param, page.meta.limit, _limit(pagination, page)))
    if pagination.response.page and pagination.page:
        sent = _int(page.param(pagination.page.param))
        default = pagination.page.default or pagination.page.minimum or 1
        pairs.append((pagination.page.param, page.meta.page, sent or default))
    return pairs


def _has_more_needs(pagination: Pagination, pages: Pages, reference: Walk | None = None) -> Reason:
    if isinstance(pages, Walk) and pages.backward:
        if not (pagination.cursor and pagination.cursor.backward_has_more):
            return (
                "the contract does not document has-more on `before` pages "
                "(x-pagination cursor.backward_has_more)"
            )
        if not pages.complete:
            return _complete(pagination, pages)
    if pagination.style in ("page", "cursor") and not isinstance(pages, Walk):
        return "for this style has-more can only be judged on a walk"
    if reference is not None and not reference.complete:
        return _complete(pagination, reference)
    return None


@invariant("META-HAS-MORE", applies=_has("has_more"), needs=_has_more_needs)
def meta_has_more(
    pagination: Pagination, pages: Pages, reference: Walk | None = None
) -> list[Violation]:
    """(walk_or_pages, reference=None): offset/first-n from each page's total; page/cursor
    from what follows in the walk, or in a complete `reference` walk when given."""
    listed = _pages(pages)
    expectations = _more_expected(pagination, pages, reference)
    violations = []
    for number, (page, expected) in enumerate(zip(listed, expectations, strict=True), 1):
        if not page.ok or expected is None or page.meta.has_more is expected:
            continue
        message = (
            f"{_at(pagination, page, number)} says has-more = {_show(page.meta.has_more)}, but "
            f"{'more items follow' if expected else 'no items follow'} it"
            f"{_more_why(pagination, page)}."
        )
        violations += _fail(
            "META-HAS-MORE", message, [page.request], _show(expected), _show(page.meta.has_more)
        )
    return violations[:_CAP]


def _more_expected(
    pagination: Pagination, pages: Pages, reference: Walk | None
) -> list[bool | None]:
    """For each page: must has-more be true (True), false (False), or unknown (None)?"""
    listed = _pages(pages)
    if pagination.style in ("offset", "first-n"):
        out: list[bool | None] = []
        for page in listed:
            total = _count(page.meta.total)
            start = _start(pagination, page, 0) if pagination.style == "offset" else 0
            out.append(None if total is None else start + len(page.items) < total)
        return out
    if reference is not None:
        order = {ident: index for index, ident in enumerate(reference.ids)}
        if isinstance(pages, Walk) and pages.backward:
            return [_precedes_in(order, page) for page in listed]
        return [_follows_in(order, page) for page in listed]
    complete = isinstance(pages, Walk) and pages.complete
    out = []
    for index in range(len(listed)):
        follows = any(later.items for later in listed[index + 1 :])
        # Nothing after it in a walk that was cut short says nothing about the target.
        out.append(True if follows else (False if complete else None))
    return out


def _follows_in(order: dict[str, int], page: Page) -> bool | None:
    """Do items follow this page's last item in the reference order? None: not in it."""
    if not page.items:
        return False
    index = order.get(page.ids[-1])
    return None if index is None else index < len(order) - 1


def _precedes_in(order: dict[str, int], page: Page) -> bool | None:
    """Do items precede this page's first item in the reference order (a `before` page)?"""
    if not page.items:
        return False
    index = order.get(page.ids[0])
    return None if index is None else index > 0


def _more_why(pagination: Pagination, page: Page) -> str:
    total = _count(page.meta.total)
    if pagination.style == "offset" and total is not None:
        start = _start(pagination, page, 0)
        return f" ({start} + {len(page.items)} items against a total of {total})"
    if pagination.style == "first-n" and total is not None:
        return f" ({len(page.items)} items returned of a total of {total})"
    return " in the walk"


@invariant("META-FIRST-LAST-ID", applies=_has("first_id", "last_id"))
def meta_first_last_id(pagination: Pagination, pages: Pages) -> list[Violation]:
    """(pages): any pages or walk; first/last id name the first/last item, null when empty."""
    violations = []
    for number, page in enumerate(_pages(pages), 1):
        if not page.ok:
            continue
        checks = (
            ("first", pagination.response.first_id, page.meta.first_id, page.ids[:1]),
            ("last", pagination.response.last_id, page.meta.last_id, page.ids[-1:]),
        )
        for which, field, got, want in checks:
            expected = want[0] if want else None
            if field and got != expected:
                should = f"its {which} item is {_show(expected)}" if want else "the page is empty"
                message = (
                    f"{_at(pagination, page, number)} has {field} = {_show(got)}, but {should} "
                    f"(expected {_show(expected)})."
                )
                violations += _fail(
                    "META-FIRST-LAST-ID", message, [page.request], _show(expected), _show(got)
                )
    return violations[:_CAP]


@invariant("META-LENGTH", applies=_both(_styles("offset", "first-n", "page"), _has("total")))
def meta_length(pagination: Pagination, pages: Pages) -> list[Violation]:
    """(pages): any pages or walk; page length from limit, position and the page's total."""
    violations = []
    for number, page in enumerate(_pages(pages), 1):
        total, limit = _count(page.meta.total), _limit(pagination, page)
        if not page.ok or total is None or limit is None:
            continue
        start = _start(pagination, page, limit)
        expected = min(limit, max(0, total - start))
        if len(page.items) != expected:
            message = (
                f"{_at(pagination, page, number)} holds {len(page.items)} items; with limit "
                f"{limit}, {start} items before it and a total of {total} it should hold "
                f"min({limit}, max(0, {total} - {start})) = {expected}."
            )
            violations += _fail(
                "META-LENGTH", message, [page.request], str(expected), str(len(page.items))
            )
    return violations[:_CAP]


@invariant("META-OBJECT", applies=_has("object", "item_object"))
def meta_object(pagination: Pagination, pages: Pages) -> list[Violation]:
    """(pages): any pages or walk; constant type markers on the body and every item."""
    body, each = pagination.response.object, pagination.response.item_object
    violations = []
    for number, page in enumerate(_pages(pages), 1):
        if not page.ok:
            continue
        where = _at(pagination, page, number)
        if body and page.meta.object != body.value:
            message = (
                f"{where} has {body.path} = {_show(page.meta.object)}, not {_show(body.value)}."
            )
            violations += _fail(
                "META-OBJECT", message, [page.request], _show(body.value), _show(page.meta.object)
            )
        wrong = [i for i in page.items if each and i.get(each.path) != each.value]
        if each and wrong:
            got = _show(wrong[0].get(each.path))
            message = (
                f"{where}: {len(wrong)} item(s) have {each.path} other than "
                f"{_show(each.value)} (e.g. {wrong[0].id}: {got}): {_ids(i.id for i in wrong)}."
            )
            violations += _fail("META-OBJECT", message, [page.request], _show(each.value), got)
    return violations[:_CAP]


@invariant(
    "META-TOTAL-OPT-IN",
    applies=_both(_has("total_requires"), _has("total")),
    needs=lambda p, without, with_total: _total_needs(p, with_total),
)
def meta_total_opt_in(pagination: Pagination, without: Pages, with_total: Walk) -> list[Violation]:
    """(without, with_total): pages fetched without the opt-in; a complete walk with it."""
    flag = pagination.response.total_requires
    for number, page in enumerate(_pages(without), 1):
        if page.ok and page.param(flag or "") != "true" and page.meta.total is not None:
            message = (
                f"{_at(pagination, page, number)} was fetched without {flag}=true but reports "
                f"total = {_show(page.meta.total)}; the total must be null unless asked for."
            )
            return _fail(
                "META-TOTAL-OPT-IN", message, [page.request], "null", _show(page.meta.total)
            )
    return _total_matches("META-TOTAL-OPT-IN", pagination, with_total)


# -- order ---------------------------------------------------------------------------------


def _order_needs(pagination: Pagination, walk: Walk, direction: str | None = None) -> Reason:
    if (direction or walk.direction) not in ("asc", "desc"):
        return "no sort direction is documented or was requested"
    return None


def _has_order(pagination: Pagination) -> Reason:
    return None if pagination.order else "the contract documents no order"


def _has_asc(pagination: Pagination) -> Reason:
    order = pagination.order
    if order and order.param and "asc" in order.values:
        return None
    return "the contract has no parameter that selects ascending order"


@invariant("ORDER-SORTED", applies=_has_order, needs=_order_needs)
def order_sorted(
    pagination: Pagination, walk: Walk, direction: str | None = None
) -> list[Violation]:
    """(walk, direction=None): any walk; keys sorted in its direction across pages."""
    return _sorted("ORDER-SORTED", pagination, walk, direction or walk.direction or "desc")


@invariant("ORDER-ASC", applies=_has_asc)
def order_asc(pagination: Pagination, walk: Walk) -> list[Violation]:
    """(walk): any walk made with the ascending order selected."""
    return _sorted("ORDER-ASC", pagination, walk, "asc")


def _sorted(
    rule: str, pagination: Pagination, walk: Walk, direction: str, *, ties_only: bool = False
) -> list[Violation]:
    """Adjacent items out of the documented order: the full key (primary key, then each
    documented tie-breaker), or with `ties_only` only pairs whose primary keys are equal."""
    located = _located(walk)
    ways = pagination.order.directions(direction) if pagination.order else (direction,)
    bad = [
        (first, second)
        for first, second in pairwise(located)
        if (not ties_only or _tied(first[0], second[0]))
        and _inverted_key(first[0].full_key, second[0].full_key, ways)
    ]
    violations = [_unsorted(rule, pagination, walk, ways, *pair) for pair in bad[:_CAP]]
    if len(bad) > _CAP:
        last = violations[-1]
        note = f"{last.message} ({len(bad) - _CAP} more such pairs in this walk)"
        violations[-1] = Violation(last.rule, note, last.evidence, last.expected, last.actual)
    return violations


def _tied(a: Item, b: Item) -> bool:
    return a.sort_key is not None and a.sort_key == b.sort_key


def _inverted(a: float | str | None, b: float | str | None, direction: str) -> bool:
    if not isinstance(a, float) or not isinstance(b, float):
        return False  # an unparseable key is the schema check's finding, not an order one
    return a < b if direction == "desc" else a > b


def _inverted_key(
    a: tuple[float | str | None, ...],
    b: tuple[float | str | None, ...],
    ways: tuple[str | None, ...],
) -> bool:
    """Does `a` come after `b` under the keys' directions? The primary key compares as a
    number (a date or a count); tie-breakers compare as numbers or as strings."""
    for index, (x, y, way) in enumerate(zip(a, b, ways, strict=False)):
        if x == y:
            continue
        if index == 0 or type(x) is not type(y) or x is None or way is None:
            return index == 0 and way is not None and _inverted(x, y, way)
        return x < y if way == "desc" else x > y  # type: ignore[operator]
    return False


def _unsorted(
    rule: str,
    pagination: Pagination,
    walk: Walk,
    ways: tuple[str | None, ...],
    first: tuple[Item, int],
    second: tuple[Item, int],
) -> Violation:
    (a, page_a), (b, page_b) = first, second
    here = _at(pagination, walk.pages[page_a], page_a + 1)
    if page_a == page_b:
        where = f"on {here}"
    else:
        there = _at(pagination, walk.pages[page_b], page_b + 1)
        where = f"across the boundary between {here} and {there}"
    keys = pagination.order.keys if pagination.order else ()
    key = keys[0].path if keys else "the sort key"
    when_a, when_b = _when(a.sort_key), _when(b.sort_key)
    if _tied(a, b) and len(keys) > 1:
        documented = ", then ".join(f"{k.path} {w}" for k, w in zip(keys, ways, strict=False))
        index = next(
            i for i, (x, y) in enumerate(zip(a.full_key, b.full_key, strict=False)) if x != y
        )
        tie = keys[index].path
        message = (
            f"Items tied on {key} ({when_a}) are not in the documented tie-break order "
            f"{where}: {a.id} ({tie} {_show(a.full_key[index])}) comes before {b.id} "
            f"({tie} {_show(b.full_key[index])}); the documented order is {documented}."
        )
        evidence = tuple(dict.fromkeys([walk.pages[page_a].request, walk.pages[page_b].request]))
        actual = f"{tie} {_show(a.full_key[index])} then {_show(b.full_key[index])}"
        return Violation(rule, message, evidence, documented, actual)
    direction = ways[0] or "desc"
    message = (
        f"Items are not sorted by {key} {direction} {where}: {a.id} ({when_a}) comes "
        f"before {b.id} ({when_b})."
    )
    evidence = tuple(dict.fromkeys([walk.pages[page_a].request, walk.pages[page_b].request]))
    return Violation(rule, message, evidence, f"{key} {direction}", f"{when_a} then {when_b}")


def _when(seconds: float | str | None) -> str:
    if not isinstance(seconds, float):
        return repr(seconds)
    try:
        return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")
    except (OverflowError, OSError, ValueError):
        return repr(seconds)


@invariant("ORDER-STABLE", needs=_complete)
def order_stable(pagination: Pagination, first: Walk, second: Walk) -> list[Violation]:
    """(first, second): two complete walks with the same parameters; where the contract
    documents tie-breakers, ties in the first walk also follow them."""
    violations = _same_sequence(
        "ORDER-STABLE",
        pagination,
        first.ids,
        second.ids,
        "the second walk with the same parameters",
    )
    order = pagination.order
    direction = first.direction or (order.direction if order else None)
    if order is not None and order.ties and direction in ("asc", "desc"):
        violations += _sorted("ORDER-STABLE", pagination, first, direction, ties_only=True)
    return violations[:_CAP]


@invariant("ORDER-REVERSE", applies=_has_asc, needs=_complete)
def order_reverse(pagination: Pagination, asc: Walk, desc: Walk) -> list[Violation]:
    """(asc, desc): complete walks in both directions, otherwise the same parameters."""
    return _same_sequence(
        "ORDER-REVERSE",
        pagination,
        tuple(reversed(desc.ids)),
        asc.ids,
        "the ascending walk (compared with the descending walk reversed)",
    )


def _same_sequence(
    rule: str, pagination: Pagination, want: Sequence[str], got: Sequence[str], what: str
) -> list[Violation]:
    if tuple(want) == tuple(got):
        return []
    index = _first_difference(want, got)
    expected = want[index] if index < len(want) else "the end"
    actual = got[index] if index < len(got) else "the end"
    message = (
        f"The id sequences differ at position {index}: expected {expected}, but {what} has "
        f"{actual} ({len(want)} vs {len(got)} items). Expected from there: "
        f"{_ids(want[index:])}; got {_ids(got[index:])}. Check that ties in the sort key "
        "are broken by a unique column, the same way on every request."
    )
    return _fail(rule, message, (), _ids(want[index:]), _ids(got[index:]))


def _first_difference(a: Sequence[str], b: Sequence[str]) -> int:
    """The first index where the sequences differ (or where the shorter one ends)."""
    for index, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return index
    return min(len(a), len(b))


@invariant("ORDER-PREFIX", applies=_styles("first-n"))
def order_prefix(pagination: Pagination, smaller: Pages, larger: Pages) -> list[Violation]:
    """(smaller, larger): the first page(s) for a smaller limit and for a larger one."""
    short = [i for page in _pages(smaller) for i in page.ids]
    long = [i for page in _pages(larger) for i in page.ids]
    if short == long[: len(short)]:
        return []
    index = _first_difference(short, long)
    message = (
        f"The list for the smaller limit is not a prefix of the list for the larger one: at "
        f"position {index} it has {short[index]}, the larger list "
        f"{long[index] if index < len(long) else 'ends'}. Smaller: {_ids(short)}; larger: "
        f"{_ids(long)}. The order is not deterministic; sort by a unique key."
    )
    evidence = _evidence([*_pages(smaller)[:1], *_pages(larger)[:1]])
    return _fail("ORDER-PREFIX", message, evidence, _ids(long[: len(short)]), _ids(short))


# -- cursors -------------------------------------------------------------------------------


def _has_cursor(pagination: Pagination) -> Reason:
    return None if pagination.cursor else "the contract has no cursor parameters"


def _has_before(pagination: Pagination) -> Reason:
    if pagination.cursor and pagination.cursor.before:
        return None
    return "the contract has no `before` cursor"


def _cursor(pagination: Pagination, page: Page) -> tuple[str, str] | None:
    """(parameter, item id) of the cursor a page was fetched with, if any."""
    cursor = pagination.cursor
    for name in (cursor.after, cursor.before) if cursor else ():
        if name and (value := page.param(name)) is not None:
            return name, value
    return None


def _slice_needs(which: str) -> Callable[..., Reason]:
    """The page was fetched with `which` (after/before) = an id of the complete reference."""

    def needs(pagination: Pagination, page: Page, reference: Walk) -> Reason:
        name = getattr(pagination.cursor, which, None) if pagination.cursor else None
        sent = page.param(name) if name else None
        if sent is None:
            return f"the page was not fetched with the `{which}` cursor"
        if sent not in reference.ids:
            return f"the cursor {sent} is not in the reference walk"
        return _complete(pagination, reference) or (
            None if page.ok else f"the page could not be fetched ({page.error})"
        )

    return needs


def _reference_slice(
    pagination: Pagination, page: Page, reference: Walk, which: str
) -> tuple[str, list[str], list[str]]:
    """(cursor id, expected ids, ids before the cursor) for an after/before page."""
    name = getattr(pagination.cursor, which)
    cursor = page.param(name) or ""
    ids = list(reference.ids)
    index = ids.index(cursor)
    limit = _limit(pagination, page) or len(ids)
    if which == "after":
        return cursor, ids[index + 1 : index + 1 + limit], ids[:index]
    return cursor, ids[max(0, index - limit) : index], ids[:index]


@invariant("CURSOR-AFTER", applies=_has_cursor, needs=_slice_needs("after"))
def cursor_after(pagination: Pagination, page: Page, reference: Walk) -> list[Violation]:
    """(page, reference): a page fetched with after=X; a complete walk in the same order."""
    cursor, expected, _ = _reference_slice(pagination, page, reference, "after")
    if list(page.ids) == expected:
        return []
    message = (
        f"{_at(pagination, page)} should return the {len(expected)} items that follow "
        f"{cursor} in the full {reference.direction or ''} walk: {_ids(expected)}; it "
        f"returned {len(page.items)}: {_ids(page.ids)}. `after=X` means the items after X "
        "in the requested order (the documented next-page workflow)."
    )
    return _fail("CURSOR-AFTER", message, [page.request], _ids(expected), _ids(page.ids))


@invariant("CURSOR-EXCLUSIVE", applies=_has_cursor)
def cursor_exclusive(pagination: Pagination, pages: Pages) -> list[Violation]:
    """(pages): any pages fetched with after=X or before=X."""
    violations = []
    for number, page in enumerate(_pages(pages), 1):
        sent = _cursor(pagination, page)
        if page.ok and sent and sent[1] in page.ids:
            message = (
                f"{_at(pagination, page, number)} contains {sent[1]}, the cursor item itself; "
                f"{sent[0]}={sent[1]} must exclude it (it was on the previous page)."
            )
            violations += _fail(
                "CURSOR-EXCLUSIVE", message, [page.request], f"no {sent[1]}", _ids(page.ids)
            )
    return violations[:_CAP]


@invariant("CURSOR-BEFORE", applies=_has_before, needs=_slice_needs("before"))
def cursor_before(pagination: Pagination, page: Page, reference: Walk) -> list[Violation]:
    """(page, reference): a page fetched with before=X; a complete walk in the same order."""
    cursor, _, preceding = _reference_slice(pagination, page, reference, "before")
    allowed = set(preceding)
    wrong = [ident for ident in page.ids if ident not in allowed]
    if not wrong:
        return []
    message = (
        f"{_at(pagination, page)} returned {len(wrong)} item(s) that do not precede {cursor} "
        f"in the full walk: {_ids(wrong)}. `before=X` returns only items that come before X "
        "in the requested order."
    )
    return _fail("CURSOR-BEFORE", message, [page.request], f"ids before {cursor}", _ids(wrong))


@invariant("CURSOR-BEFORE-PREVIOUS-PAGE", applies=_has_before, needs=_slice_needs("before"))
def cursor_before_previous_page(
    pagination: Pagination, page: Page, reference: Walk
) -> list[Violation]:
    """(page, reference): a page fetched with before=X; a complete walk in the same order."""
    cursor, expected, _ = _reference_slice(pagination, page, reference, "before")
    if list(page.ids) == expected:
        return []
    message = (
        f"{_at(pagination, page)} should return the {len(expected)} items immediately before "
        f"{cursor}, in the requested order (the previous page): {_ids(expected)}; it returned "
        f"{_ids(page.ids)}."
    )
    return _fail(
        "CURSOR-BEFORE-PREVIOUS-PAGE", message, [page.request], _ids(expected), _ids(page.ids)
    )


@invariant(
    "CURSOR-AFTER-LAST",
    applies=_has_cursor,
    needs=lambda p, page: None if _cursor(p, page) else "the page was not fetched with a cursor",
)
def cursor_after_last(pagination: Pagination, page: Page) -> list[Violation]:
    """(page): a page fetched with after=<the last id of a complete walk>."""
    more = page.meta.has_more
    if page.ok and not page.items and more is not True:
        return []
    sent = _cursor(pagination, page) or ("after", "?")
    got = (
        f"{len(page.items)} items {_ids(page.ids)}, has-more = {_show(more)}"
        if page.ok
        else (page.error or f"HTTP {page.status}")
    )
    message = (
        f"{sent[0]}={sent[1]} names the last item of the walk, so the answer should be a 2xx "
        f"with no items and has-more false; it got {got}."
    )
    return _fail("CURSOR-AFTER-LAST", message, [page.request], "2xx, no items, has-more false", got)


def _answered(pagination: Pagination, page: Page, body: Any = None) -> Reason:
    return None if page.status is not None else f"no answer: {page.error}"


@invariant("CURSOR-UNKNOWN", applies=_has_cursor, needs=_answered)
def cursor_unknown(pagination: Pagination, page: Page, body: Any = None) -> list[Violation]:
    """(page, body=None): a page fetched with a well-formed cursor id the target never
    issued; `body` is the parsed error body when the documented fields are to be checked."""
    assert pagination.cursor is not None
    return _cursor_refusal("CURSOR-UNKNOWN", pagination, page, body, "unknown")


@invariant("CURSOR-MALFORMED", applies=_has_cursor, needs=_answered)
def cursor_malformed(pagination: Pagination, page: Page, body: Any = None) -> list[Violation]:
    """(page, body=None): a page fetched with a cursor of the wrong shape."""
    return _cursor_refusal("CURSOR-MALFORMED", pagination, page, body, "malformed")


_NEXT_STYLES = ("token", "next-link", "link-header")
_LINK_STYLES = ("next-link", "link-header")


def _linked(pagination: Pagination, walk: Walk) -> Reason:
    if len(walk.pages) < 2 and walk.stop != "off-origin":
        return "the walk had a single page: no next link was followed"
    return None


@invariant("LINK-SAME-ORIGIN", applies=_styles(*_LINK_STYLES), needs=_linked)
def link_same_origin(pagination: Pagination, walk: Walk) -> list[Violation]:
    """(walk): a walk that followed (or refused) at least one next link."""
    if walk.stop != "off-origin":
        return []
    message = (
        f"After {len(walk.pages)} page(s) {walk.note}. A next link must lead to the next "
        "page of this listing on the same server: build it from the request's own URL."
    )
    return _fail("LINK-SAME-ORIGIN", message, _evidence(walk.pages[-1:]), "a link here", walk.note)


@invariant("LINK-KEEPS-PARAMS", applies=_styles(*_LINK_STYLES), needs=_linked)
def link_keeps_params(pagination: Pagination, walk: Walk) -> list[Violation]:
    """(walk): a walk with filters and a limit that followed at least one next link."""
    violations = []
    for number, page in enumerate(walk.pages[1:], 2):
        sent = dict(page.request.params)
        dropped = [(k, v) for k, v in walk.params if sent.get(k) != v]
        if dropped:
            lost = ", ".join(f"{k}={v} (link has {sent.get(k, 'nothing')})" for k, v in dropped)
            message = (
                f"The next link followed for page #{number} dropped or changed what the walk "
                f"asked for: {lost}. A next link must carry the listing's filters and limit, "
                "or page 2 onwards lists something else."
            )
            violations += _fail(
                "LINK-KEEPS-PARAMS", message, _evidence(walk.pages[number - 2 : number]),
                "&".join(f"{k}={v}" for k, v in walk.params), page.request.full_url,
            )  # fmt: skip
    return violations[:_CAP]


def _backward_needs(pagination: Pagination, backward: Walk, forward: Walk) -> Reason:
    if not backward.backward:
        return "the first walk was not made with `before`"
    if forward.stop not in ("end", "page-cap") or not forward.ids:
        return f"the forward walk did not reach an item to start from ({forward.note})"
    if backward.stop == "cycle":
        return None  # a walk back that loops is a finding
    return _complete(pagination, backward)


@invariant("WALK-BACKWARD", applies=_has_before, needs=_backward_needs)
def walk_backward(pagination: Pagination, backward: Walk, forward: Walk) -> list[Violation]:
    """(backward, forward): a complete walk back with `before` from the last item of the
    `forward` walk (same parameters; complete, or a prefix cut at the page cap), which
    must yield every earlier item, in order."""
    want = forward.ids[:-1]
    got = backward.ids
    before = pagination.cursor.before if pagination.cursor else "before"
    if backward.stop == "cycle":
        message = (
            f"Walking back with {before} from {forward.ids[-1]} (the last item) never reaches "
            f"the start: {backward.note}. Each `{before}` page must move further back."
        )
        return _fail("WALK-BACKWARD", message, _evidence(backward.pages[-2:]), "an end", "a loop")
    if tuple(want) == tuple(got):
        return []
    index = _first_difference(want, got)
    missing = [i for i in want if i not in set(got)]
    extra = [i for i in got if i not in set(want)]
    message = (
        f"Walking back with {before} from {forward.ids[-1]} (the last item) to the start gave "
        f"{len(got)} items, the forward walk {len(want)} before it; they first differ at "
        f"position {index}: expected {_ids(want[index:])}, got {_ids(got[index:])}"
        + (f"; never reached backward: {_ids(missing)}" if missing else "")
        + (f"; not in the forward walk: {_ids(extra)}" if extra else "")
        + f". `{before}=X` must return the items just before X in the requested order, so "
        "that the previous-page links lead back through the same list."
    )
    evidence = _evidence(backward.pages[:2])
    return _fail("WALK-BACKWARD", message, evidence, _ids(want[index:]), _ids(got[index:]))


_WANTS = {
    "error": "a 4xx error",
    "empty": "a 2xx with no items",
    "error-or-empty": "a 4xx error or a 2xx with no items",
}


def _cursor_refusal(
    rule: str, pagination: Pagination, page: Page, body: Any, case: str
) -> list[Violation]:
    assert pagination.cursor is not None
    documented = (
        pagination.cursor.on_unknown if case == "unknown" else pagination.cursor.on_malformed
    )
    status, accept = page.status, documented.accept
    wants = _WANTS[accept]
    if documented.status is not None and accept != "empty":
        wants = wants.replace("a 4xx error", f"the documented {documented.status} error")
    names = "an item that does not exist" if case == "unknown" else "a malformed cursor"
    if status is not None and 400 <= status < 500 and accept != "empty":
        problems = []
        if documented.status is not None and status != documented.status:
            problems.append(f"status {status}, not the documented {documented.status}")
        for path, wanted in documented.fields:
            got = paths.get(body, path) if body is not None else paths.MISSING
            if got != wanted:
                problems.append(f"{path} = {_show(got)}, not the documented {_show(wanted)}")
        if not problems:
            return []
        message = f"{_at(pagination, page)} names {names}; the error has {'; '.join(problems)}."
        expected = ", ".join(
            [f"status {documented.status}"] * (documented.status is not None)
            + [f"{p} = {_show(v)}" for p, v in documented.fields]
        )
        return _fail(rule, message, [page.request], expected, "; ".join(problems))
    if page.ok and not page.items and accept != "error":
        return []
    got = (
        f"{len(page.items)} items {_ids(page.ids)}" if page.ok else (page.error or f"HTTP {status}")
    )
    if status is not None and page.ok:
        got = f"HTTP {status} with {got}"
    message = f"{_at(pagination, page)} names {names}; expected {wants}, got {got}."
    return _fail(rule, message, [page.request], wants, got)


# -- filters -------------------------------------------------------------------------------


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
) -> list[tuple[Page, int, Filter, Any, list[Item]]]:
    """(page, number, filter, wanted value, offending items) for every page and filter."""
    found = []
    for number, page in enumerate(_pages(pages), 1):
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
        got = _show(wrong[0].get(f.field or ""))
        message = (
            f"{_at(pagination, page, number)} was fetched with {f.param}={page.param(f.param)}, "
            f"but {len(wrong)} item(s) have {f.field} other than {_show(wanted)}, e.g. "
            f"{wrong[0].id} with {got}: {_ids(i.id for i in wrong)}."
        )
        violations += _fail("FILTER-EXACT", message, [page.request], _show(wanted), got)
    return violations[:_CAP]


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
        got = _show(wrong[0].get(f.field or ""))
        message = (
            f"{_at(pagination, page, number)} was fetched without {f.param}, whose documented "
            f"default is {_show(f.default)}, but {len(wrong)} item(s) have {f.field} = {got} "
            f"or another value: {_ids(i.id for i in wrong)}."
        )
        violations += _fail("FILTER-DEFAULT", message, [page.request], _show(wanted), got)
    return violations[:_CAP]


def _set_relation(
    rule: str, pagination: Pagination, inner: Walk, outer: Walk, inner_name: str, outer_name: str
) -> list[Violation]:
    known = set(outer.ids)
    outside = [ident for ident in inner.ids if ident not in known]
    if not outside:
        return []
    message = (
        f"{len(outside)} item(s) of the {inner_name} ({_params(inner)}) are missing from the "
        f"{outer_name} ({_params(outer)}): {_ids(outside)}."
    )
    evidence = _evidence([*inner.pages[:1], *outer.pages[:1]])
    return _fail(rule, message, evidence, f"{inner_name} within {outer_name}", _ids(outside))


def _params(walk: Walk) -> str:
    return "&".join(f"{k}={v}" for k, v in walk.params) or "no parameters"


@invariant("FILTER-SUBSET", applies=_filters("subset"), needs=_complete)
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


@invariant("FILTER-SUPERSET", applies=_filters("superset"), needs=_complete)
def filter_superset(pagination: Pagination, widened: Walk, default: Walk) -> list[Violation]:
    """(widened, default): complete walks with and without a widening filter."""
    return _set_relation(
        "FILTER-SUPERSET", pagination, default, widened, "default walk", "widened walk"
    )


def _filter_total_needs(pagination: Pagination, walk: Walk) -> Reason:
    if not any(walk.param(f.param) is not None for f in pagination.filters):
        return "the walk was made without any filter"
    return _total_needs(pagination, walk)


@invariant(
    "FILTER-TOTAL",
    applies=_both(
        _has("total"), lambda p: None if p.filters else "the contract documents no filter"
    ),
    needs=_filter_total_needs,
)
def filter_total(pagination: Pagination, walk: Walk) -> list[Violation]:
    """(walk): a complete walk with at least one filter (and the total opt-in, if any)."""
    return _total_matches("FILTER-TOTAL", pagination, walk)


@invariant(
    "FILTER-ECHO",
    applies=lambda p: None if any(f.echo for f in p.filters) else "no filter is echoed in the body",
)
def filter_echo(pagination: Pagination, pages: Pages) -> list[Violation]:
    """(pages): any pages or walk fetched with an echoed filter."""
    violations = []
    for number, page in enumerate(_pages(pages), 1):
        for f in pagination.filters:
            sent = page.param(f.param)
            if not page.ok or not f.echo or sent is None:
                continue
            echoed = page.meta.echo(f.echo)
            if not _equal(echoed, _wanted(f, sent)):
                message = (
                    f"{_at(pagination, page, number)} was fetched with {f.param}={sent}, but the "
                    f"body's {f.echo} is {_show(echoed)}."
                )
                violations += _fail(
                    "FILTER-ECHO", message, [page.request], _show(sent), _show(echoed)
                )
    return violations[:_CAP]


# -- determinism and items -----------------------------------------------------------------


@invariant("DETERMINISM")
def determinism(pagination: Pagination, first: Pages, second: Pages) -> list[Violation]:
    """(first, second): the same request(s) sent twice; page by page."""
    ones, twos = _pages(first), _pages(second)
    if len(ones) != len(twos):
        message = f"Repeating the same requests gave {len(twos)} pages instead of {len(ones)}."
        return _fail("DETERMINISM", message, _evidence(ones[-1:]), str(len(ones)), str(len(twos)))
    for number, (one, two) in enumerate(zip(ones, twos, strict=True), 1):
        if (one.status, one.ids, one.body_digest) != (two.status, two.ids, two.body_digest):
            return _fail(
                "DETERMINISM",
                _changed(pagination, one, two, number),
                [one.request, two.request],
                _answer(one),
                _answer(two),
            )
    return []


def _answer(page: Page) -> str:
    return f"HTTP {page.status}, {_ids(page.ids)}"


def _changed(pagination: Pagination, one: Page, two: Page, number: int) -> str:
    where = f"The same GET ({_at(pagination, one, number)}) answered differently the second time"
    if one.status != two.status:
        return f"{where}: HTTP {one.status}, then HTTP {two.status}."
    if one.ids != two.ids:
        index = _first_difference(one.ids, two.ids)
        return (
            f"{where}: the items differ from position {index}: first {_ids(one.ids[index:])}, "
            f"then {_ids(two.ids[index:])}. Check that the order has a unique tie-breaker."
        )
    return (
        f"{where}: same items in the same order, but other body fields changed. If a field "
        "is legitimately volatile (a request id, a timing), list it under `volatile` in the spec."
    )


@invariant(
    "ITEM-FIELDS-AGREE",
    applies=lambda p: None if p.items.agree else "no item fields are declared to agree",
)
def item_fields_agree(pagination: Pagination, pages: Pages) -> list[Violation]:
    """(pages): any pages or walk."""
    violations = []
    for rule in pagination.items.agree:
        wrong = [
            (item, page)
            for page in _pages(pages)
            for item in page.items
            if (rule.when is None or item.get(rule.when, None) is not None)
            and item.get(rule.field) != item.get(rule.other)
        ]
        if wrong:
            item, page = wrong[0]
            a, b = _show(item.get(rule.field)), _show(item.get(rule.other))
            when = f" where {rule.when} is not null" if rule.when else ""
            message = (
                f"{len(wrong)} item(s) have {rule.field} != {rule.other}{when}, e.g. {item.id} on "
                f"{_at(pagination, page)}: {a} vs {b}. All: {_ids(i.id for i, _ in wrong)}."
            )
            violations += _fail("ITEM-FIELDS-AGREE", message, [page.request], a, b)
    return violations


@invariant(
    "ITEM-UNIX-SECONDS",
    applies=lambda p: None if p.items.unix_seconds else "no item field holds Unix seconds",
)
def item_unix_seconds(
    pagination: Pagination, pages: Pages, now: float | None = None
) -> list[Violation]:
    """(pages, now=None): any pages or walk; `now` defaults to the current time."""
    latest = (time.time() if now is None else now) + _YEAR
    return _item_values(
        "ITEM-UNIX-SECONDS",
        pagination,
        pages,
        pagination.items.unix_seconds,
        lambda v: _seconds_problem(v, latest),
    )


def _seconds_problem(value: Any, latest: float) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"{_show(value)} is not a number of seconds"
    if value > 1e11:
        as_ms = _when(value / 1000)
        return f"{value} looks like milliseconds ({as_ms} if divided by 1000), not seconds"
    if value < _Y2000:
        return f"{value} is before 2000-01-01 ({_when(float(value))})"
    if value > latest:
        return f"{value} is more than a year in the future ({_when(float(value))})"
    return None


@invariant(
    "ITEM-ABSOLUTE-URL",
    applies=lambda p: None if p.items.absolute_urls else "no item field is documented as a URL",
)
def item_absolute_url(pagination: Pagination, pages: Pages) -> list[Violation]:
    """(pages): any pages or walk."""
    return _item_values(
        "ITEM-ABSOLUTE-URL", pagination, pages, pagination.items.absolute_urls, _url_problem
    )


def _url_problem(value: Any) -> str | None:
    if not isinstance(value, str):
        return f"{_show(value)} is not a string"
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f"{value!r} is not an absolute http(s) URL with a host"
    return None


def _item_values(
    rule: str,
    pagination: Pagination,
    pages: Pages,
    fields: Sequence[str],
    problem: Callable[[Any], str | None],
) -> list[Violation]:
    """One violation per field: how many items fail, the first one's problem, their ids."""
    violations = []
    for field in fields:
        wrong = [
            (item, page, why)
            for page in _pages(pages)
            for item in page.items
            if (value := item.get(field, None)) is not None and (why := problem(value))
        ]
        if wrong:
            item, page, why = wrong[0]
            message = (
                f"{len(wrong)} item(s) have a bad {field}: e.g. {item.id} on "
                f"{_at(pagination, page)}: {why}. All: {_ids(i.id for i, _, _ in wrong)}."
            )
            violations += _fail(rule, message, [page.request], "", why)
    return violations
