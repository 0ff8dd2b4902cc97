"""Cursor and link invariants: `after`/`before` slices of a reference walk, cursors that
exclude their item, refusals of unknown or malformed cursors, next links that stay on the
origin and keep the listing's parameters, and walking back with `before`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from threadconform import paths
from threadconform.invariants.base import Pages, Reason, for_styles, invariant, needs_complete
from threadconform.invariants.helpers import (
    CAP,
    at,
    fail,
    first_difference,
    limit_in_force,
    numbered,
    requests_of,
    short_pages_allowed,
    show,
    show_ids,
)
from threadconform.ledger import Violation
from threadconform.model import Pagination
from threadconform.walk import Page, Walk

__all__ = [
    "cursor_after",
    "cursor_after_last",
    "cursor_before",
    "cursor_before_previous_page",
    "cursor_exclusive",
    "cursor_malformed",
    "cursor_unknown",
    "link_keeps_params",
    "link_same_origin",
    "walk_backward",
]


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
        return needs_complete(pagination, reference) or (
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
    limit = limit_in_force(pagination, page) or len(ids)
    if which == "after":
        return cursor, ids[index + 1 : index + 1 + limit], ids[:index]
    return cursor, ids[max(0, index - limit) : index], ids[:index]


@invariant("CURSOR-AFTER", applies=_has_cursor, needs=_slice_needs("after"))
def cursor_after(pagination: Pagination, page: Page, reference: Walk) -> list[Violation]:
    """(page, reference): a page fetched with after=X; a complete walk in the same order."""
    cursor, expected, _ = _reference_slice(pagination, page, reference, "after")
    if list(page.ids) == expected:
        return []
    if short_pages_allowed(pagination):
        return _short_after(pagination, page, reference, cursor, expected)
    message = (
        f"{at(pagination, page)} should return the {len(expected)} items that follow "
        f"{cursor} in the full {reference.direction or ''} walk: {show_ids(expected)}; it "
        f"returned {len(page.items)}: {show_ids(page.ids)}. `after=X` means the items after X "
        "in the requested order (the documented next-page workflow)."
    )
    return fail("CURSOR-AFTER", message, [page.request], show_ids(expected), show_ids(page.ids))


def _short_after(
    pagination: Pagination, page: Page, reference: Walk, cursor: str, expected: list[str]
) -> list[Violation]:
    """Where pages may be short, `after=X` returns the first items after X: a non-empty
    prefix of the next `limit` (empty only where nothing follows)."""
    ids = list(page.ids)
    if ids == expected[: len(ids)] and (ids or not expected):
        return []
    message = (
        f"{at(pagination, page)} should return the items that follow {cursor} in the full "
        f"{reference.direction or ''} walk, in order, starting with the first of them "
        f"(at least one, at most {len(expected)}: pages may be short here): "
        f"{show_ids(expected)}; it returned {len(ids)}: {show_ids(ids)}."
    )
    return fail("CURSOR-AFTER", message, [page.request], show_ids(expected), show_ids(ids))


def _short_before(
    pagination: Pagination, page: Page, cursor: str, expected: list[str]
) -> list[Violation]:
    """Where pages may be short, `before=X` returns the items immediately before X: a
    non-empty suffix of the previous `limit`."""
    ids = list(page.ids)
    if ids and ids == expected[len(expected) - len(ids) :]:
        return []
    if not ids and not expected:
        return []
    message = (
        f"{at(pagination, page)} should return items immediately before {cursor}, in the "
        f"requested order, ending with the one just before it (at least one, at most "
        f"{len(expected)}: pages may be short here): {show_ids(expected)}; it returned "
        f"{show_ids(ids)}."
    )
    return fail(
        "CURSOR-BEFORE-PREVIOUS-PAGE", message, [page.request], show_ids(expected), show_ids(ids)
    )


@invariant("CURSOR-EXCLUSIVE", applies=_has_cursor)
def cursor_exclusive(pagination: Pagination, pages: Pages) -> list[Violation]:
    """(pages): any pages fetched with after=X or before=X."""
    violations = []
    for number, page in numbered(pages):
        sent = _cursor(pagination, page)
        if page.ok and sent and sent[1] in page.ids:
            message = (
                f"{at(pagination, page, number)} contains {sent[1]}, the cursor item itself; "
                f"{sent[0]}={sent[1]} must exclude it (it was on the previous page)."
            )
            violations += fail(
                "CURSOR-EXCLUSIVE", message, [page.request], f"no {sent[1]}", show_ids(page.ids)
            )
    return violations[:CAP]


@invariant("CURSOR-BEFORE", applies=_has_before, needs=_slice_needs("before"))
def cursor_before(pagination: Pagination, page: Page, reference: Walk) -> list[Violation]:
    """(page, reference): a page fetched with before=X; a complete walk in the same order."""
    cursor, _, preceding = _reference_slice(pagination, page, reference, "before")
    allowed = set(preceding)
    wrong = [ident for ident in page.ids if ident not in allowed]
    if not wrong:
        return []
    message = (
        f"{at(pagination, page)} returned {len(wrong)} item(s) that do not precede {cursor} "
        f"in the full walk: {show_ids(wrong)}. `before=X` returns only items that come before X "
        "in the requested order."
    )
    return fail("CURSOR-BEFORE", message, [page.request], f"ids before {cursor}", show_ids(wrong))


@invariant("CURSOR-BEFORE-PREVIOUS-PAGE", applies=_has_before, needs=_slice_needs("before"))
def cursor_before_previous_page(
    pagination: Pagination, page: Page, reference: Walk
) -> list[Violation]:
    """(page, reference): a page fetched with before=X; a complete walk in the same order."""
    cursor, expected, _ = _reference_slice(pagination, page, reference, "before")
    if list(page.ids) == expected:
        return []
    if short_pages_allowed(pagination):
        return _short_before(pagination, page, cursor, expected)
    message = (
        f"{at(pagination, page)} should return the {len(expected)} items immediately before "
        f"{cursor}, in the requested order (the previous page): {show_ids(expected)}; it returned "
        f"{show_ids(page.ids)}."
    )
    return fail(
        "CURSOR-BEFORE-PREVIOUS-PAGE",
        message,
        [page.request],
        show_ids(expected),
        show_ids(page.ids),
    )


def _sent_cursor(pagination: Pagination, page: Page) -> Reason:
    return None if _cursor(pagination, page) else "the page was not fetched with a cursor"


@invariant("CURSOR-AFTER-LAST", applies=_has_cursor, needs=_sent_cursor)
def cursor_after_last(pagination: Pagination, page: Page) -> list[Violation]:
    """(page): a page fetched with after=<the last id of a complete walk>."""
    more = page.meta.has_more
    if page.ok and not page.items and more is not True:
        return []
    sent = _cursor(pagination, page) or ("after", "?")
    got = (
        f"{len(page.items)} items {show_ids(page.ids)}, has-more = {show(more)}"
        if page.ok
        else (page.error or f"HTTP {page.status}")
    )
    message = (
        f"{sent[0]}={sent[1]} names the last item of the walk, so the answer should be a 2xx "
        f"with no items and has-more false; it got {got}."
    )
    return fail("CURSOR-AFTER-LAST", message, [page.request], "2xx, no items, has-more false", got)


def _answered(pagination: Pagination, page: Page, body: Any = None) -> Reason:
    return None if page.status is not None else f"no answer: {page.error}"


@invariant("CURSOR-UNKNOWN", applies=_has_cursor, needs=_answered)
def cursor_unknown(pagination: Pagination, page: Page, body: Any = None) -> list[Violation]:
    """(page, body=None): a page fetched with a well-formed cursor id the target never
    issued; `body` is the parsed error body when the documented fields are to be checked."""
    assert pagination.cursor is not None
    return _cursor_refusal("CURSOR-UNKNOWN", pagination, page, body, "unknown")


def _has_malformed(pagination: Pagination) -> Reason:
    if pagination.refusal("malformed") is not None:
        return None
    if pagination.token is not None or pagination.link is not None:
        return "the spec documents no answer to a malformed token (only HTTP-NO-5XX judges it)"
    return "the contract has no cursor parameters"


@invariant("CURSOR-MALFORMED", applies=_has_malformed, needs=_answered)
def cursor_malformed(pagination: Pagination, page: Page, body: Any = None) -> list[Violation]:
    """(page, body=None): a page fetched with a cursor of the wrong shape, or with garbage
    as its page token (style token) or as the token of a next link (next-link)."""
    return _cursor_refusal("CURSOR-MALFORMED", pagination, page, body, "malformed")


_WANTS = {
    "error": "a 4xx error",
    "empty": "a 2xx with no items",
    "error-or-empty": "a 4xx error or a 2xx with no items",
}


def _cursor_refusal(
    rule: str, pagination: Pagination, page: Page, body: Any, case: str
) -> list[Violation]:
    documented = pagination.refusal("unknown" if case == "unknown" else "malformed")
    assert documented is not None  # the rule applies only where one is documented
    status, accept = page.status, documented.accept
    wants = _WANTS[accept]
    if documented.status is not None and accept != "empty":
        wants = wants.replace("a 4xx error", f"the documented {documented.status} error")
    names = "an item that does not exist" if case == "unknown" else "a malformed cursor"
    if pagination.cursor is None:
        names = "garbage as its page token"
    if status is not None and 400 <= status < 500 and accept != "empty":
        problems = []
        if documented.status is not None and status != documented.status:
            problems.append(f"status {status}, not the documented {documented.status}")
        for path, wanted in documented.fields:
            got = paths.get(body, path) if body is not None else paths.MISSING
            if got != wanted:
                problems.append(f"{path} = {show(got)}, not the documented {show(wanted)}")
        if not problems:
            return []
        message = f"{at(pagination, page)} names {names}; the error has {'; '.join(problems)}."
        expected = ", ".join(
            [f"status {documented.status}"] * (documented.status is not None)
            + [f"{p} = {show(v)}" for p, v in documented.fields]
        )
        return fail(rule, message, [page.request], expected, "; ".join(problems))
    if page.ok and not page.items and accept != "error":
        return []
    got = (
        f"{len(page.items)} items {show_ids(page.ids)}"
        if page.ok
        else (page.error or f"HTTP {status}")
    )
    if status is not None and page.ok:
        got = f"HTTP {status} with {got}"
    message = f"{at(pagination, page)} names {names}; expected {wants}, got {got}."
    return fail(rule, message, [page.request], wants, got)


_LINK_STYLES = ("next-link", "link-header")


def _linked(pagination: Pagination, walk: Walk) -> Reason:
    if len(walk.pages) < 2 and walk.stop != "off-origin":
        return "the walk had a single page: no next link was followed"
    return None


@invariant("LINK-SAME-ORIGIN", applies=for_styles(*_LINK_STYLES), needs=_linked)
def link_same_origin(pagination: Pagination, walk: Walk) -> list[Violation]:
    """(walk): a walk that followed (or refused) at least one next link."""
    if walk.stop != "off-origin":
        return []
    message = (
        f"After {len(walk.pages)} page(s) {walk.note}. A next link must lead to the next "
        "page of this listing on the same server: build it from the request's own URL."
    )
    return fail("LINK-SAME-ORIGIN", message, requests_of(walk.pages[-1:]), "a link here", walk.note)


@invariant("LINK-KEEPS-PARAMS", applies=for_styles(*_LINK_STYLES), needs=_linked)
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
            violations += fail(
                "LINK-KEEPS-PARAMS", message, requests_of(walk.pages[number - 2 : number]),
                "&".join(f"{k}={v}" for k, v in walk.params), page.request.full_url,
            )  # fmt: skip
    return violations[:CAP]


def _backward_needs(pagination: Pagination, backward: Walk, forward: Walk) -> Reason:
    if not backward.backward:
        return "the first walk was not made with `before`"
    if forward.stop not in ("end", "page-cap") or not forward.ids:
        return f"the forward walk did not reach an item to start from ({forward.note})"
    if backward.stop == "cycle":
        return None  # a walk back that loops is a finding
    return needs_complete(pagination, backward)


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
        return fail("WALK-BACKWARD", message, requests_of(backward.pages[-2:]), "an end", "a loop")
    if tuple(want) == tuple(got):
        return []
    index = first_difference(want, got)
    missing = [i for i in want if i not in set(got)]
    extra = [i for i in got if i not in set(want)]
    message = (
        f"Walking back with {before} from {forward.ids[-1]} (the last item) to the start gave "
        f"{len(got)} items, the forward walk {len(want)} before it; they first differ at "
        f"position {index}: expected {show_ids(want[index:])}, got {show_ids(got[index:])}"
        + (f"; never reached backward: {show_ids(missing)}" if missing else "")
        + (f"; not in the forward walk: {show_ids(extra)}" if extra else "")
        + f". `{before}=X` must return the items just before X in the requested order, so "
        "that the previous-page links lead back through the same list."
    )
    evidence = requests_of(backward.pages[:2])
    return fail("WALK-BACKWARD", message, evidence, show_ids(want[index:]), show_ids(got[index:]))
