"""Invariants for what x-pagination can now state: tie-breakers (ORDER-SORTED on the full
key, ORDER-STABLE on the documented tie-break), documented cursor errors (CURSOR-UNKNOWN,
CURSOR-MALFORMED) and backward walks (WALK-BACKWARD, META-HAS-MORE on `before` pages).
Each with walks that violate the rule and walks that satisfy it, on several tie layouts.
"""

from __future__ import annotations

import dataclasses

import pytest

from threadconform import invariants as inv
from threadconform.model import (
    Cursor,
    CursorError,
    Limit,
    Link,
    Order,
    Pagination,
    ResponseFields,
    SortKey,
    Token,
)
from threadconform.walk import Item, Walk

try:
    from selftests import factories as f
except ImportError:  # pragma: no cover - run from inside selftests/
    import factories as f  # type: ignore[no-redef]

BASE = f.cursor_pagination()
assert BASE.order is not None
# Stripe-style: created desc, ties broken by id desc.
TIES = dataclasses.replace(
    BASE, order=dataclasses.replace(BASE.order, ties=(SortKey("id", "string", "desc"),))
)


def tied_items(layout: list[int], *, tie: str = "desc") -> list[Item]:
    """Items in groups of equal `created` (sizes from `layout`), newest group first, each
    group's ids in `tie` order."""
    records: list[Item] = []
    for group, size in enumerate(layout):
        ids = [f"g{group:02d}_{n:02d}" for n in range(size)]
        ids.sort(reverse=tie == "desc")
        when = 1_700_000_000.0 - 60 * group
        records += [Item(ident, when, (), (ident,)) for ident in ids]
    return records


LAYOUTS = [[1, 3, 1, 2], [5], [2, 2, 2, 2, 2, 2], [1, 1, 1, 7, 1]]


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("limit", [1, 2, 3, 7])
def test_order_sorted_judges_the_full_key(layout: list[int], limit: int) -> None:
    good = f.cursor_walk(tied_items(layout), limit)
    assert inv.order_sorted(TIES, good) == []
    bad = f.cursor_walk(tied_items(layout, tie="asc"), limit)
    violations = inv.order_sorted(TIES, bad)
    assert violations and all(v.rule == "ORDER-SORTED" for v in violations)
    assert "tie-break" in violations[0].message and "id desc" in violations[0].message
    # Without a documented tie-breaker either tie order is fine: nothing vacuous either.
    assert inv.order_sorted(BASE, bad) == []


def test_order_sorted_flips_every_key_in_the_other_direction() -> None:
    records = list(reversed(tied_items([2, 3])))  # created asc, ids asc
    walk = f.cursor_walk(records, 2, direction="asc")
    assert inv.order_sorted(TIES, walk, "asc") == []
    assert inv.order_sorted(TIES, walk, "desc")  # the same walk is not desc


@pytest.mark.parametrize("layout", LAYOUTS)
def test_order_stable_checks_the_documented_tie_break(layout: list[int]) -> None:
    good = f.cursor_walk(tied_items(layout), 3)
    assert inv.order_stable(TIES, good, good) == []
    bad = f.cursor_walk(tied_items(layout, tie="asc"), 3)
    violations = inv.order_stable(TIES, bad, bad)  # stable, but against the documented tie
    assert violations and "tie-break" in violations[0].message
    assert inv.order_stable(BASE, bad, bad) == []


STRIPE = dataclasses.replace(
    BASE,
    cursor=Cursor(
        "after",
        "before",
        unknown=CursorError(
            "error",
            400,
            "400",
            (("error.type", "invalid_request_error"), ("error.code", "resource_missing")),
        ),
        backward_has_more=True,
    ),
)
BODY = {"error": {"type": "invalid_request_error", "code": "resource_missing"}}


def refused(status: int = 400, cursor: str = "conv_nope") -> object:
    return f.page(params=[("after", cursor)], status=status, error=f"HTTP {status}")


def test_cursor_unknown_judges_status_and_documented_fields() -> None:
    assert inv.cursor_unknown(STRIPE, refused(), BODY) == []
    wrong_status = inv.cursor_unknown(STRIPE, refused(404), BODY)
    assert "status 404, not the documented 400" in wrong_status[0].message
    other_code = {"error": {**BODY["error"], "code": "invalid_cursor"}}
    wrong_code = inv.cursor_unknown(STRIPE, refused(), other_code)
    assert "error.code" in wrong_code[0].message and "resource_missing" in wrong_code[0].message
    assert inv.cursor_unknown(STRIPE, refused(), None)  # no body: the code is not there
    empty = f.page(params=[("after", "conv_nope")])
    assert "documented 400 error" in inv.cursor_unknown(STRIPE, empty)[0].message
    items = f.page(["a", "b"], params=[("after", "conv_nope")])
    assert "2 items" in inv.cursor_unknown(STRIPE, items)[0].message


def test_cursor_malformed_falls_back_to_unknown_and_can_differ() -> None:
    assert inv.cursor_malformed(STRIPE, refused(cursor="%%"), BODY) == []
    assert inv.cursor_malformed(STRIPE, refused(404, "%%"), BODY)[0].rule == "CURSOR-MALFORMED"
    lenient = dataclasses.replace(
        STRIPE,
        cursor=dataclasses.replace(STRIPE.cursor, malformed=CursorError("error-or-empty")),
    )
    assert inv.cursor_malformed(lenient, refused(404, "%%"), None) == []
    crashed = f.page(params=[("after", "%%")], status=500, error="HTTP 500")
    assert "HTTP 500" in inv.cursor_malformed(lenient, crashed)[0].message


def test_existing_contracts_keep_their_reading() -> None:
    # aitronos/freddy: 400 with the envelope, or 200 empty: both conform.
    vendor = dataclasses.replace(
        BASE, cursor=Cursor("after", "before", CursorError("error-or-empty", 400, "400"))
    )
    assert inv.cursor_unknown(vendor, refused(), {"error": {}}) == []
    assert inv.cursor_unknown(vendor, f.page(params=[("after", "x")])) == []
    assert inv.cursor_unknown(vendor, refused(404))


def backward_walk(records: list[Item], limit: int, *, more: str = "right") -> Walk:
    """A walk back with before= from the last record: pages fetched newest-last first."""
    pages = []
    anchor = records[-1].id
    remaining = records[:-1]
    while True:
        chunk = remaining[-limit:] if remaining else []
        remaining = remaining[: len(remaining) - len(chunk)]
        has_more = bool(remaining) if more == "right" else bool(chunk)
        pages.append(
            f.page(chunk, params=[("limit", limit), ("before", anchor)], has_more=has_more)
        )
        if not chunk:
            break
        anchor = chunk[0].id
    return f.walk(pages, params=[("limit", limit)], direction="desc", backward=True)


@pytest.mark.parametrize("count,limit", [(10, 3), (9, 3), (2, 5), (25, 4)])
def test_walk_backward(count: int, limit: int) -> None:
    records = f.items(f.ids(count))
    forward = f.cursor_walk(records, limit)
    assert inv.walk_backward(STRIPE, backward_walk(records, limit), forward) == []
    # A before page that skips one item, and one that repeats: both caught.
    skipped = [r for i, r in enumerate(records) if i != count // 2]
    gap = inv.walk_backward(STRIPE, backward_walk(skipped, limit), forward)
    assert gap and records[count // 2].id in gap[0].message and gap[0].rule == "WALK-BACKWARD"
    looping = backward_walk(records, limit)
    looping = Walk(looping.params, "desc", looping.pages[:1], "cycle", "before=x again", True)
    assert "never reaches the start" in inv.walk_backward(STRIPE, looping, forward)[0].message
    reordered = records[:-1][::-1] + records[-1:]
    assert inv.walk_backward(STRIPE, backward_walk(reordered, limit), forward) or count < 3


def test_walk_backward_from_a_prefix_cut_at_the_page_cap() -> None:
    records = f.items(f.ids(30))
    prefix = f.cursor_walk(records[:12], 4)  # a large target: the forward walk was capped
    capped = Walk(prefix.params, prefix.direction, prefix.pages, "page-cap", "cap", False)
    assert capped.ids == tuple(r.id for r in records[:12])
    assert inv.walk_backward(STRIPE, backward_walk(records[:12], 5), capped) == []
    assert inv.walk_backward(STRIPE, backward_walk(records[:6] + records[7:12], 5), capped)


@pytest.mark.parametrize("count,limit", [(10, 3), (9, 3), (4, 5)])
def test_has_more_on_before_pages_where_documented(count: int, limit: int) -> None:
    records = f.items(f.ids(count))
    reference = f.cursor_walk(records, 100)
    right = backward_walk(records, limit)
    assert inv.meta_has_more(STRIPE, right) == []
    assert inv.meta_has_more(STRIPE, right, reference) == []
    wrong = backward_walk(records, limit, more="forward-sense")
    assert inv.meta_has_more(STRIPE, wrong), "a has-more wrong on `before` pages is caught"
    assert inv.meta_has_more(STRIPE, wrong, reference)
    # Where the contract does not document it, it is not judged (and says why).
    reason = inv.INVARIANTS["META-HAS-MORE"].skip_reason(BASE, wrong)
    assert reason and "backward_has_more" in reason


def test_order_keys_shorthand_and_list_agree() -> None:
    order = Order("created", "unix-seconds", "desc", True, ties=(SortKey("id", "string"),))
    assert [k.path for k in order.keys] == ["created", "id"]
    assert order.directions(None) == ("desc", "desc")
    assert order.directions("asc") == ("asc", "asc")
    mixed = dataclasses.replace(order, ties=(SortKey("id", "string", "asc"),))
    assert mixed.directions("desc") == ("desc", "asc") and mixed.directions("asc") == (
        "asc",
        "desc",
    )
    assert isinstance(TIES, Pagination)


GRAPH_LIKE = Pagination(
    "next-link",
    Limit("$top", 50, 1, 50),
    ResponseFields("value", "id"),
    link=Link(next="@odata\\.nextLink", malformed=CursorError("error", 400, "400")),
)
GMAIL_LIKE = Pagination(
    "token", Limit("maxResults", 100, 1, 500), ResponseFields("threads", "id"),
    token=Token("pageToken", "nextPageToken"),
)  # fmt: skip


def test_garbage_in_a_next_link_gets_the_documented_400() -> None:
    garbage = [("$top", "2"), ("$skiptoken", "threadconform~garbage")]
    refused_ = f.page(params=garbage, status=400, error="HTTP 400")
    assert inv.cursor_malformed(GRAPH_LIKE, refused_) == []
    first_page = f.page(["c1", "c2"], params=garbage)
    found = inv.cursor_malformed(GRAPH_LIKE, first_page)
    assert "garbage as its page token" in found[0].message
    assert "expected the documented 400 error, got HTTP 200 with 2 items" in found[0].message
    other = f.page(params=garbage, status=404, error="HTTP 404")
    assert (
        "status 404, not the documented 400" in inv.cursor_malformed(GRAPH_LIKE, other)[0].message
    )


def test_an_undocumented_answer_to_a_bad_token_is_not_judged() -> None:
    # gmail documents nothing for a bad pageToken: HTTP-NO-5XX alone judges it.
    assert GMAIL_LIKE.refusal("malformed") is None
    reason = inv.INVARIANTS["CURSOR-MALFORMED"].applies(GMAIL_LIKE)
    assert reason and "documents no answer to a malformed token" in reason
