"""Every invariant on a hand-made record that breaks it, and on one that keeps it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from threadconform import invariants as inv
from threadconform.exchange import Response
from threadconform.invariants.filters import filter_pages_within
from threadconform.model import Cursor, Pagination
from threadconform.rules import BY_ID
from threadconform.walk import OBJECT, Item, Page, Walk, extract_page

try:  # run as a package (selftests/__init__.py) or as loose files (pytest's rootdir)
    from selftests import factories as f
except ImportError:
    import factories as f  # type: ignore[no-redef]

PAGE = f.page_pagination()
OFFSET = f.offset_pagination()
CURSOR = f.cursor_pagination()
FIRST_N = f.first_n_pagination()
IDS = f.ids(10)  # t0000 .. t0009
NOW = 1_750_000_000.0


def only(violations: list[inv.Violation], rule: str) -> inv.Violation:
    """The first violation, after checking there is one and all are for `rule`."""
    assert violations, f"expected a {rule} violation"
    assert {v.rule for v in violations} == {rule}
    return violations[0]


def reference(count: int = 10, limit: int = 3) -> Walk:
    return f.cursor_walk(f.items(f.ids(count)), limit)


def with_pages(walk: Walk, pages: list[Page], **changes: object) -> Walk:
    return dataclasses.replace(walk, pages=tuple(pages), **changes)


# -- registry ------------------------------------------------------------------------------


def test_every_invariant_is_registered_under_a_catalogue_rule() -> None:
    assert set(inv.INVARIANTS) <= set(BY_ID)
    assert len(inv.INVARIANTS) == 42
    for rule, registered in inv.INVARIANTS.items():
        assert registered.rule == rule and registered.inputs.startswith("(")


def test_every_invariant_is_exercised_in_this_file() -> None:
    # Tie-breakers, cursor errors and backward walks: selftests/test_invariants_styles.py.
    here = Path(__file__).parent  # styles' rules: test_invariants_styles.py, test_walk_links.py
    source = "".join(
        (here / name).read_text()
        for name in (
            "test_invariants.py",
            "test_invariants_styles.py",
            "test_walk_links.py",
            "test_walk_holds_place.py",
        )
    )
    untested = [rule for rule in inv.INVARIANTS if f'"{rule}"' not in source]
    assert untested == []


def test_registering_an_unknown_or_repeated_rule_fails() -> None:
    with pytest.raises(ValueError, match="not a rule id"):
        inv.invariant("NO-SUCH-RULE")
    with pytest.raises(ValueError, match="already registered"):
        inv.invariant("PAGE-FULL")(lambda p, w: [])


def test_inapplicable_invariant_gives_a_reason_and_no_verdict() -> None:
    reverse = inv.INVARIANTS["ORDER-REVERSE"]
    walk = f.page_walk(f.items(IDS), 3)
    assert "ascending" in (reverse.skip_reason(PAGE, walk, walk) or "")
    assert reverse(PAGE, walk, walk) == []


def test_invariants_accept_a_contract_as_well_as_a_pagination() -> None:
    walk = f.walk([f.page(["a"]), f.page(["a"])])
    assert only(inv.page_no_duplicates(f.contract(CURSOR), walk), "PAGE-NO-DUPLICATES")


# -- walks ---------------------------------------------------------------------------------


def test_walk_terminates_fails_on_a_cycle() -> None:
    note = "after=t0004 was already requested for page #2"
    walk = with_pages(reference(), list(reference().pages), stop="cycle", note=note)
    v = only(inv.walk_terminates(CURSOR, walk), "WALK-TERMINATES")
    assert "after=t0004 was already requested" in v.message and v.evidence


def test_walk_terminates_fails_on_a_page_cap_past_the_promised_end() -> None:
    pages = [f.page([f"x{n}"], params=[("page", n)], total=3, pages=3) for n in range(1, 6)]
    walk = f.walk(pages, stop="page-cap", note="stopped at the cap of 5 pages before page=6")
    v = only(inv.walk_terminates(PAGE, walk), "WALK-TERMINATES")
    assert "5 distinct items against a reported total of 3" in v.message


def test_walk_terminates_holds_on_an_ended_walk_and_skips_a_short_cap() -> None:
    assert inv.walk_terminates(PAGE, f.page_walk(f.items(IDS), 3)) == []
    capped = with_pages(f.page_walk(f.items(IDS), 3), [], stop="page-cap", note="cap")
    capped = dataclasses.replace(capped, pages=f.page_walk(f.items(IDS), 3).pages[:2])
    assert "page cap" in (inv.INVARIANTS["WALK-TERMINATES"].skip_reason(PAGE, capped) or "")
    assert inv.walk_terminates(PAGE, capped) == []


def test_page_no_duplicates_names_the_id_and_both_pages() -> None:
    records = f.items(IDS)
    walk = f.cursor_walk(records[:5] + records[4:], 5)
    v = only(inv.page_no_duplicates(CURSOR, walk), "PAGE-NO-DUPLICATES")
    assert "t0004 2 times" in v.message
    assert "on the first page and page #2 of the walk (after=t0004)." in v.message
    assert inv.page_no_duplicates(CURSOR, reference()) == []


def test_a_page_walk_that_starts_mid_listing_names_pages_by_their_own_number() -> None:
    """A window around a deep page boundary starts at page=3: its first page is no `page #1`."""
    window = f.walk(
        [
            f.page(IDS[:4], params=[("limit", 4), ("page", 3)]),
            f.page(IDS[3:7], params=[("limit", 4), ("page", 4)]),
        ],
        params=[("limit", 4)],
    )
    v = only(inv.page_no_duplicates(PAGE, window), "PAGE-NO-DUPLICATES")
    assert "e.g. t0003 2 times: on page=3 and page=4. All repeated ids" in v.message
    assert "page #" not in v.message


def test_pages_given_on_their_own_are_not_numbered_as_a_walk() -> None:
    """Single cursor pages (a probe's samples) are named by their cursor, with no ordinal."""
    pages = [after("t0002", ["t0002", "t0003"]), after("t0005", ["t0005", "t0006"])]
    violations = inv.cursor_exclusive(CURSOR, pages)
    assert [v.message.split(" contains")[0] for v in violations] == ["after=t0002", "after=t0005"]


def test_page_no_gaps_names_missing_and_extra_ids() -> None:
    records = f.items(IDS)
    large = f.cursor_walk(records, 100)
    small = f.cursor_walk([*records[:5], *records[6:], *f.items(["zz"])], 3)
    v = only(inv.page_no_gaps(CURSOR, small, large), "PAGE-NO-GAPS")
    assert "missing from the small-limit walk: [t0005]" in v.message
    assert "only in the small-limit walk: [zz]" in v.message
    assert "limit=3" in v.message and "limit=100" in v.message
    assert inv.page_no_gaps(CURSOR, f.cursor_walk(records, 3), large) == []


def test_page_no_gaps_skips_a_walk_that_did_not_finish() -> None:
    small = dataclasses.replace(f.cursor_walk(f.items(IDS[:4]), 3), stop="budget", note="spent")
    large = f.cursor_walk(f.items(IDS), 100)
    assert "stopped before the end" in (
        inv.INVARIANTS["PAGE-NO-GAPS"].skip_reason(CURSOR, small, large) or ""
    )
    assert inv.page_no_gaps(CURSOR, small, large) == []


# -- pages ---------------------------------------------------------------------------------


def test_meta_total_names_the_page_that_miscounts() -> None:
    walk = f.page_walk(f.items(IDS), 4)
    pages = list(walk.pages)
    pages[1] = dataclasses.replace(pages[1], meta=dataclasses.replace(pages[1].meta, total=11))
    v = only(inv.meta_total(PAGE, with_pages(walk, pages)), "META-TOTAL")
    assert v.message.startswith("page=2 reports total 11, but") and "10 distinct items" in v.message
    assert inv.meta_total(PAGE, walk) == []


def test_meta_total_does_not_blame_a_right_total_for_items_a_walk_lost() -> None:
    """One root cause, one failure: the walk lost t0004 at a page boundary (PAGE-NO-GAPS);
    every page says total 10, which the largest-limit walk confirms."""
    records = f.items(IDS)
    lost = f.page_walk(records, 4)
    pages = [
        dataclasses.replace(p, items=tuple(i for i in p.items if i.id != "t0004"))
        for p in lost.pages
    ]
    small = with_pages(lost, pages)
    large = f.page_walk(records, 100)
    assert inv.meta_total(PAGE, small, reference=large) == []
    assert inv.page_no_gaps(PAGE, small, large)  # the cause is reported where it belongs
    # Without the reference the same walk blames the total, as before.
    assert inv.meta_total(PAGE, small)


def test_meta_total_still_fails_a_wrong_total_when_a_walk_lost_items() -> None:
    records = f.items(IDS)
    small = f.page_walk(records[:4], 4)  # a walk that stopped after one page
    pages = [dataclasses.replace(p, meta=dataclasses.replace(p.meta, total=4)) for p in small.pages]
    v = only(
        inv.meta_total(PAGE, with_pages(small, pages), reference=f.page_walk(records, 100)),
        "META-TOTAL",
    )
    assert "reports total 4" in v.message and "PAGE-NO-GAPS" in v.message


def test_meta_total_accepts_a_total_a_repeating_walk_served() -> None:
    """A walk that repeats t0003 in place of t0004 served 10 items, 9 distinct: a total of
    10 is right, and PAGE-NO-DUPLICATES reports the repeat."""
    records = f.items(IDS)
    walk = f.page_walk(records, 4)
    second = walk.pages[1]
    swapped = (records[3], *second.items[1:])
    small = with_pages(
        walk, [walk.pages[0], dataclasses.replace(second, items=swapped), walk.pages[2]]
    )
    assert inv.page_no_duplicates(PAGE, small)
    assert inv.meta_total(PAGE, small) == []


def test_meta_total_needs_the_opt_in_when_the_contract_has_one() -> None:
    assert "include_total=true" in (
        inv.INVARIANTS["META-TOTAL"].skip_reason(CURSOR, reference()) or ""
    )


def test_page_limit_respected() -> None:
    too_many = f.page(IDS[:6], params=[("limit", 5)])
    v = only(inv.page_limit_respected(CURSOR, [too_many]), "PAGE-LIMIT-RESPECTED")
    assert "holds 6 items with limit=5" in v.message and "t0000" in v.message
    over_default = f.page(f.ids(21), params=[])
    assert (
        "the default 20"
        in only(inv.page_limit_respected(CURSOR, over_default), "PAGE-LIMIT-RESPECTED").message
    )
    assert inv.page_limit_respected(CURSOR, reference()) == []


def test_page_default_limit() -> None:
    short = f.page(f.ids(40), total=60)
    v = only(inv.page_default_limit(OFFSET, short), "PAGE-DEFAULT-LIMIT")
    assert "holds 40 items" in v.message and "should hold 50" in v.message
    assert inv.page_default_limit(OFFSET, f.page(f.ids(50), total=60)) == []
    # No total in the body: the count comes from a reference walk.
    assert only(inv.page_default_limit(CURSOR, f.page(f.ids(15)), 30), "PAGE-DEFAULT-LIMIT")
    assert inv.page_default_limit(CURSOR, f.page(f.ids(15)), 15) == []
    assert "with a limit" in (
        inv.INVARIANTS["PAGE-DEFAULT-LIMIT"].skip_reason(OFFSET, f.page(params=[("limit", 5)]))
        or ""
    )


def test_page_full_names_the_short_page() -> None:
    walk = f.page_walk(f.items(IDS), 4)
    pages = list(walk.pages)
    pages[0] = dataclasses.replace(pages[0], items=pages[0].items[:3])
    v = only(inv.page_full(PAGE, with_pages(walk, pages)), "PAGE-FULL")
    assert v.message.startswith("page=1 holds 3 items") and "the limit, 4" in v.message
    assert inv.page_full(PAGE, walk) == []  # the last page (2 items) may be short


def test_page_past_end() -> None:
    gone = f.page(params=[("page", 7)], status=404, error="GET ...: HTTP 404")
    v = only(inv.page_past_end(PAGE, gone), "PAGE-PAST-END")
    assert "page=7" in v.message and "HTTP 404" in v.message
    clamped = f.page(["t0009"], params=[("offset", 10)])
    assert "t0009" in only(inv.page_past_end(OFFSET, clamped), "PAGE-PAST-END").message
    assert inv.page_past_end(PAGE, f.page(params=[("page", 7)], total=12)) == []


def test_page_past_end_total() -> None:
    past = f.page(params=[("page", 4)], total=0, pages=0)
    v = only(inv.page_past_end_total(PAGE, past, 12), "PAGE-PAST-END-TOTAL")
    assert "page=4" in v.message and "total 0" in v.message and "real total is 12" in v.message
    assert inv.page_past_end_total(PAGE, f.page(params=[("page", 4)], total=12), 12) == []


# -- metadata ------------------------------------------------------------------------------


def test_meta_pages() -> None:
    wrong = f.page(IDS[:5], params=[("limit", 5), ("page", 1)], total=23, pages=4, limit=5)
    v = only(inv.meta_pages(PAGE, wrong), "META-PAGES")
    assert "reports 4 pages for a total of 23 at 5 per page" in v.message and "= 5" in v.message
    assert inv.meta_pages(PAGE, f.page_walk(f.items(IDS), 3)) == []
    assert inv.meta_pages(PAGE, f.page_walk([], 3)) == []  # total 0: pages 0
    # page_size wins over the requested limit.
    sized = f.page(IDS[:3], params=[("limit", 7)], total=10, pages=4, page_size=3)
    assert inv.meta_pages(FIRST_N, sized) == []
    assert only(
        inv.meta_pages(
            FIRST_N, dataclasses.replace(sized, meta=dataclasses.replace(sized.meta, pages=2))
        ),
        "META-PAGES",
    )


def test_meta_echo() -> None:
    wrong_page = f.page(IDS[:3], params=[("limit", 3), ("page", 2)], page=1, limit=3, total=10)
    v = only(inv.meta_echo(PAGE, wrong_page), "META-ECHO")
    assert "echoes page = 1" in v.message and "in force is 2" in v.message
    wrong_limit = f.page(IDS[:3], params=[], page=1, limit=50)
    v = only(inv.meta_echo(PAGE, wrong_limit), "META-ECHO")
    assert "limit = 50" in v.message and "in force is 100" in v.message
    assert inv.meta_echo(PAGE, f.page_walk(f.items(IDS), 3)) == []


def test_meta_has_more_on_a_walk_and_against_a_reference() -> None:
    walk = reference()
    pages = list(walk.pages)
    pages[-1] = dataclasses.replace(
        pages[-1], meta=dataclasses.replace(pages[-1].meta, has_more=True)
    )
    v = only(inv.meta_has_more(CURSOR, with_pages(walk, pages)), "META-HAS-MORE")
    assert (
        v.message.startswith("page #4 of the walk (after=t0008) says has-more = true")
        and "no items follow" in v.message
    )
    early = f.page(IDS[:3], params=[("limit", 3)], has_more=False)
    v = only(inv.meta_has_more(CURSOR, f.walk([early]), walk), "META-HAS-MORE")
    assert "has-more = false" in v.message and "more items follow" in v.message
    assert inv.meta_has_more(CURSOR, walk) == []
    assert inv.meta_has_more(CURSOR, walk, walk) == []


def test_meta_has_more_from_totals() -> None:
    offset = f.page(IDS[:5], params=[("limit", 5), ("offset", 0)], total=10, has_more=False)
    v = only(inv.meta_has_more(OFFSET, offset), "META-HAS-MORE")
    assert "offset=0" in v.message and "(0 + 5 items against a total of 10)" in v.message
    first = f.page(IDS, params=[("limit", 10)], total=10, has_more=True)
    assert (
        "10 items returned of a total of 10"
        in only(inv.meta_has_more(FIRST_N, first), "META-HAS-MORE").message
    )
    assert inv.meta_has_more(OFFSET, f.offset_walk(f.items(IDS), 3)) == []
    assert inv.meta_has_more(FIRST_N, f.first_n_page(f.items(IDS), 4)) == []


def test_meta_first_last_id() -> None:
    good = reference().pages[1]
    wrong = dataclasses.replace(good, meta=dataclasses.replace(good.meta, last_id="t0004"))
    v = only(inv.meta_first_last_id(CURSOR, wrong), "META-FIRST-LAST-ID")
    assert 'last_id = "t0004"' in v.message and '"t0005"' in v.message
    empty = f.page([], first_id="t0001", last_id=None)
    assert (
        "the page is empty"
        in only(inv.meta_first_last_id(CURSOR, empty), "META-FIRST-LAST-ID").message
    )
    assert inv.meta_first_last_id(CURSOR, reference()) == []
    assert inv.meta_first_last_id(CURSOR, f.page([], first_id=None, last_id=None)) == []


@pytest.mark.parametrize(
    ("pagination", "params", "count", "total", "expected"),
    [
        (OFFSET, [("limit", 5), ("offset", 8)], 5, 10, 2),
        (FIRST_N, [("limit", 7)], 6, 30, 7),
        (PAGE, [("limit", 5), ("page", 3)], 5, 12, 2),
    ],
    ids=["offset", "first-n", "page"],
)
def test_meta_length(
    pagination: Pagination,
    params: list[tuple[str, object]],
    count: int,
    total: int,
    expected: int,
) -> None:
    wrong = f.page(f.ids(count), params=params, total=total)
    v = only(inv.meta_length(pagination, wrong), "META-LENGTH")
    assert f"holds {count} items" in v.message and f"= {expected}." in v.message
    assert inv.meta_length(pagination, f.page(f.ids(expected), params=params, total=total)) == []


# -- a fraction sent for a `number` is judged as the server read it -------------------------


def test_meta_length_judges_a_truncated_limit_as_the_limit_the_server_used() -> None:
    """The worker reads limit=8.48 as 8 (docs/contracts.md#worker lets it): 8 items hold.
    Rounded, rounded up and the default are readings too; 7 items fit none of them."""
    sent = [("limit", "8.48"), ("offset", 0)]
    assert inv.meta_length(OFFSET, f.page(f.ids(8), params=sent, total=36)) == []
    assert inv.meta_length(OFFSET, f.page(f.ids(9), params=sent, total=36)) == []  # rounded up
    assert inv.meta_length(OFFSET, f.page(f.ids(36), params=sent, total=36)) == []  # default
    rounded = [("limit", "8.5"), ("offset", 0)]
    assert inv.meta_length(OFFSET, f.page(f.ids(9), params=rounded, total=36)) == []
    v = only(inv.meta_length(OFFSET, f.page(f.ids(7), params=sent, total=36)), "META-LENGTH")
    assert v.message == (
        "offset=0 holds 7 items, which no reading of limit=8.48 explains: with 0 items before "
        "it and a total of 36 it should hold min(limit, max(0, 36 - 0)) = 8 for limit 8 "
        "(truncated or rounded), 9 for limit 9 (rounded up) or 36 for limit 50 (the default)."
    )
    assert (v.expected, v.actual) == ("8, 9 or 36", "7")


def test_meta_length_judges_a_fractional_offset_as_the_offset_the_server_used() -> None:
    sent = [("limit", 10), ("offset", "30.5")]
    assert inv.meta_length(OFFSET, f.page(f.ids(6), params=sent, total=36)) == []  # truncated
    assert inv.meta_length(OFFSET, f.page(f.ids(5), params=sent, total=36)) == []  # rounded
    v = only(inv.meta_length(OFFSET, f.page(f.ids(3), params=sent, total=36)), "META-LENGTH")
    assert v.message == (
        "offset=30.5 holds 3 items, which no reading of offset=30.5 explains: with a total of "
        "36 it should hold min(limit, max(0, 36 - before)) = 6 for limit 10 and 30 items "
        "before it (truncated), 5 for limit 10 and 31 items before it (rounded or rounded up) "
        "or 10 for limit 10 and 0 items before it (the default)."
    )


def test_meta_length_takes_the_reading_a_page_echoes() -> None:
    """kortix echoes its limit: a page that says limit 8 is judged as limit 8 only."""
    sent = [("limit", "8.48"), ("page", 3)]
    assert inv.meta_length(PAGE, f.page(f.ids(8), params=sent, total=36, limit=8)) == []
    nine = f.page(f.ids(9), params=sent, total=36, limit=8)  # rounded up, but it echoes 8
    v = only(inv.meta_length(PAGE, nine), "META-LENGTH")
    assert v.message.startswith(
        "page=3 holds 9 items (it echoes limit 8), which no reading of limit=8.48 explains: "
        "with a total of 36 it should hold min(limit, max(0, 36 - before)) = 8 for limit 8 "
        "(truncated or rounded) and 16 items before it, 9 for limit 9 (rounded up) and 18 "
    )


def test_has_more_is_judged_at_the_offset_the_server_used() -> None:
    truncated = f.page(
        f.ids(6), params=[("limit", 10), ("offset", "30.5")], total=36, has_more=False
    )
    assert inv.meta_has_more(OFFSET, truncated) == []
    wrong = dataclasses.replace(truncated, meta=dataclasses.replace(truncated.meta, has_more=True))
    v = only(inv.meta_has_more(OFFSET, wrong), "META-HAS-MORE")
    assert v.message == (
        "offset=30.5 says has-more = true, but no items follow it "
        "(30 + 6 items against a total of 36)."
    )


def test_echo_full_pages_and_the_bound_take_every_reading_of_a_fractional_limit() -> None:
    sent = [("limit", "8.48"), ("page", 1)]
    assert inv.meta_echo(PAGE, f.page(f.ids(8), params=sent, page=1, limit=8, total=36)) == []
    v = only(
        inv.meta_echo(PAGE, f.page(f.ids(7), params=sent, page=1, limit=7, total=36)),
        "META-ECHO",
    )
    assert v.message == (
        "page=1 echoes limit = 7, but limit=8.48 reads as 8 (truncated or rounded), 9 (rounded "
        "up) or 100 (the default)."
    )
    assert inv.meta_pages(PAGE, f.page(f.ids(8), params=sent, pages=5, total=36)) == []
    v = only(inv.meta_pages(PAGE, f.page(f.ids(8), params=sent, pages=3, total=36)), "META-PAGES")
    assert v.message == (
        "page=1 reports 3 pages for a total of 36, which no reading of limit=8.48 explains: "
        "ceil(36 / limit) = 5 at 8 (truncated or rounded), 4 at 9 (rounded up) or 1 at 100 "
        "(the default)."
    )
    walk = f.walk(
        [
            f.page(f.ids(8), params=sent),
            f.page(f.ids(7), params=[("limit", "8.48"), ("page", 2)]),
            f.page(f.ids(3), params=[("limit", "8.48"), ("page", 3)]),
        ]
    )
    v = only(inv.page_full(PAGE, walk), "PAGE-FULL")
    assert v.message == (
        "page=2 holds 7 items, but it is not the last page (more came after it), so it should "
        "hold the limit: limit=8.48 reads as 8 (truncated or rounded), 9 (rounded up) or 100 "
        "(the default)."
    )
    v = only(
        inv.page_limit_respected(PAGE, f.page(f.ids(101), params=sent)), "PAGE-LIMIT-RESPECTED"
    )
    assert v.message.startswith(
        "page=1 holds 101 items with limit=8.48, which reads as 8 (truncated or rounded), 9 "
        "(rounded up) or 100 (the default); a page must never hold more than 100."
    )


def test_meta_object() -> None:
    good = f.page([f.item("a", None, {"object": "thread"})], object="list")
    assert inv.meta_object(CURSOR, good) == []
    bad_body = dataclasses.replace(good, meta=dataclasses.replace(good.meta, object="lists"))
    assert 'object = "lists"' in only(inv.meta_object(CURSOR, bad_body), "META-OBJECT").message
    bad_item = f.page([f.item("a", None, {"object": "thread"}), f.item("b")], object="list")
    v = only(inv.meta_object(CURSOR, bad_item), "META-OBJECT")
    assert "b: absent" in v.message


def test_meta_total_opt_in() -> None:
    with_total = f.walk(
        [
            f.page(IDS[:5], params=[("include_total", "true")], total=10),
            f.page(IDS[5:], params=[("include_total", "true"), ("after", "t0004")], total=10),
        ],
        params=[("include_total", "true")],
    )
    without = f.page(IDS[:3], total=None)
    assert inv.meta_total_opt_in(CURSOR, without, with_total) == []
    leaked = f.page(IDS[:3], total=10)
    v = only(inv.meta_total_opt_in(CURSOR, leaked, with_total), "META-TOTAL-OPT-IN")
    assert "without include_total=true" in v.message and "total = 10" in v.message
    miscounted = with_pages(
        with_total,
        [
            with_total.pages[0],
            f.page(IDS[5:], params=[("include_total", "true"), ("after", "t0004")], total=7),
        ],
    )
    v = only(inv.meta_total_opt_in(CURSOR, without, miscounted), "META-TOTAL-OPT-IN")
    assert v.message.startswith("page #2 of the walk (after=t0004) reports total 7")


# -- a field the body lacks is "absent", a null it sends is "null" ----------------------------


def served(pagination: Pagination, body: object, params: list[tuple[str, object]]) -> Page:
    """The page `extract_page` makes of a 200 with this JSON body."""
    request = f.request(params)
    response = Response(request, 200, {"content-type": "application/json"}, body)
    return extract_page(pagination, request, response)


def test_a_first_id_the_body_lacks_is_absent_and_a_null_one_is_null() -> None:
    data = [{"id": "t0005", "object": "thread"}, {"id": "t0006", "object": "thread"}]
    body = {"object": "list", "data": data, "last_id": "t0006", "has_more": True}
    lacking = served(CURSOR, body, [("limit", 2), ("after", "t0004")])
    v = only(inv.meta_first_last_id(CURSOR, lacking), "META-FIRST-LAST-ID")
    assert v.message == (
        'after=t0004 has no first_id (absent), but its first item is "t0005" (expected "t0005").'
    )
    assert v.actual == "absent"
    null = served(CURSOR, {**body, "first_id": None}, [("limit", 2), ("after", "t0004")])
    v = only(inv.meta_first_last_id(CURSOR, null), "META-FIRST-LAST-ID")
    assert v.message.startswith("after=t0004 has first_id = null, but") and v.actual == "null"


def test_a_has_more_and_a_total_the_body_lacks_are_absent() -> None:
    threads = [{"id": ident, "created_at": 1_700_000_000} for ident in IDS[:5]]
    lacking = served(OFFSET, {"threads": threads, "total": 10}, [("limit", 5), ("offset", 0)])
    v = only(inv.meta_has_more(OFFSET, lacking), "META-HAS-MORE")
    assert v.message == (
        "offset=0 has no hasMore (absent), but more items follow it "
        "(0 + 5 items against a total of 10)."
    )
    assert v.actual == "absent"
    null = served(OFFSET, {"threads": threads, "total": 10, "hasMore": None}, [("offset", 0)])
    assert (
        "offset=0 says has-more = null, but"
        in only(inv.meta_has_more(OFFSET, null), "META-HAS-MORE").message
    )
    past = served(PAGE, {"threads": [], "pagination": {"page": 4}}, [("page", 4)])
    v = only(inv.page_past_end_total(PAGE, past, 12), "PAGE-PAST-END-TOTAL")
    assert v.message.startswith(
        "page=4 lies past the end and has no pagination.total (absent); the real total is 12."
    )
    assert v.actual == "absent"


def test_a_type_marker_and_a_filter_echo_the_body_lacks_are_absent() -> None:
    unmarked = served(CURSOR, {"data": [{"id": "a", "object": "thread"}]}, [("limit", 2)])
    v = only(inv.meta_object(CURSOR, unmarked), "META-OBJECT")
    assert v.message == 'the first page has no object (absent); it should be "list".'
    assert v.actual == "absent"
    unechoed = served(FIRST_N, {"threads": [], "totalCount": 0}, [("project_id", "abc")])
    v = only(inv.filter_echo(FIRST_N, unechoed), "FILTER-ECHO")
    assert v.message == (
        "the first page was fetched with project_id=abc, but the body has no projectId (absent)."
    )
    null = served(FIRST_N, {"threads": [], "projectId": None}, [("project_id", "abc")])
    v = only(inv.filter_echo(FIRST_N, null), "FILTER-ECHO")
    assert v.message.endswith("but the body has projectId = null.") and v.actual == "null"


# -- order ---------------------------------------------------------------------------------


def test_order_sorted_names_the_page_boundary() -> None:
    records = f.items(IDS)
    swapped = [*records[:2], records[3], records[2], *records[4:]]
    v = only(inv.order_sorted(CURSOR, f.cursor_walk(swapped, 3)), "ORDER-SORTED")
    assert (
        "across the boundary between the first page and page #2 of the walk (after=t0003):"
        in v.message
    )
    assert "t0003 (2023-11-14T22:10:20Z) comes before t0002 (2023-11-14T22:11:20Z)" in v.message
    assert len(v.evidence) == 2
    v = only(inv.order_sorted(CURSOR, f.cursor_walk(swapped, 10)), "ORDER-SORTED")
    assert "desc on the first page: " in v.message
    assert inv.order_sorted(CURSOR, f.cursor_walk(records, 3)) == []


def moments(created: list[float], **fields: list[object]) -> list[Item]:
    """Items t0000.. with these created_at keys and these other field values, in order."""
    return [
        f.item(f"t{index:04d}", key, {name: values[index] for name, values in fields.items()})
        for index, key in enumerate(created)
    ]


CREATED = [NOW - 60, NOW - 10, NOW - 50, NOW - 20, NOW - 40, NOW - 30]  # not descending


def test_order_sorted_names_the_timestamp_the_items_are_sorted_by() -> None:
    """The items follow updated_at, newest first: the listing sorts by the wrong column."""
    updated = [f.iso(NOW + 600 - 60 * n) for n in range(6)]
    walk = f.cursor_walk(moments(CREATED, updated_at=updated), 3)
    violations = inv.order_sorted(CURSOR, walk)
    assert len(violations) == 3
    assert violations[0].message == (
        "Items are not sorted by created_at desc on the first page: t0000 "
        "(2025-06-15T15:05:40Z) comes before t0001 (2025-06-15T15:06:30Z). "
        "The items are in `updated_at` order (descending)."
    )
    assert all(v.message.endswith("in `updated_at` order (descending).") for v in violations)
    # Unix seconds count as well, in either direction; ORDER-ASC gets the same hint.
    rising = f.cursor_walk(moments(CREATED, lastMessageAt=[10, 20, 30, 40, 50, 60]), 3)
    v = inv.order_sorted(CURSOR, rising)[0]
    assert v.message.endswith(" The items are in `lastMessageAt` order (ascending).")
    falling = f.cursor_walk(moments(CREATED, seen_at=[9, 8, 7, 6, 5, 4]), 3, direction="asc")
    v = only(inv.order_asc(CURSOR, falling), "ORDER-ASC")
    assert v.message.endswith(" The items are in `seen_at` order (descending).")


def test_order_sorted_gives_no_hint_that_does_not_explain_every_pair() -> None:
    def hinted(**fields: list[object]) -> list[str]:
        walk = f.cursor_walk(moments(CREATED, **fields), 3)
        return [v.message for v in inv.order_sorted(CURSOR, walk) if "order (" in v.message]

    assert hinted(updated_at=[60, 50, 40, 45, 20, 10]) == []  # one pair out of its order
    assert hinted(updated_at=[9, 9, 9, 5, 5, 5]) == []  # two distinct values order anything
    assert hinted(rank=[60, 50, 40, 30, 20, 10]) == []  # a number, but no moment
    assert hinted(updated_at=["x", "y", "z", "w", "v", "u"]) == []  # no date-times
    assert hinted(updated_at=[60, 50, 40, 40, 20, 10]) == []  # t0002, t0003 tied: unexplained
    assert hinted() == []
    # A hostile target's 400-digit integer is no moment, and no crash of the walk probe.
    assert hinted(updated_at=[10**400, 50, 40, 30, 20, 10]) == []


def test_order_sorted_caps_the_pairs_it_lists() -> None:
    rising = f.items(IDS, step=60)
    violations = inv.order_sorted(CURSOR, f.cursor_walk(rising, 3))
    assert len(violations) == 5 and "(4 more such pairs" in violations[-1].message
    assert inv.order_sorted(CURSOR, f.cursor_walk(rising, 3), "asc") == []


def test_order_sorted_reads_a_backward_walk_in_order() -> None:
    records = f.items(IDS)
    backward = f.walk(
        [f.page(records[5:8]), f.page(records[2:5]), f.page(records[:2])],
        backward=True,
        direction="desc",
    )
    assert inv.order_sorted(CURSOR, backward) == []


def test_order_asc() -> None:
    desc = f.cursor_walk(f.items(IDS), 4, direction="asc")
    v = only(inv.order_asc(CURSOR, desc), "ORDER-ASC")
    assert "not sorted by created_at asc" in v.message and "t0000" in v.message
    assert inv.order_asc(CURSOR, f.cursor_walk(f.items(IDS, step=60), 4, direction="asc")) == []


def test_order_stable() -> None:
    records = f.items(IDS)
    ties = [*records[:3], records[4], records[3], *records[5:]]
    v = only(
        inv.order_stable(CURSOR, f.cursor_walk(records, 3), f.cursor_walk(ties, 3)), "ORDER-STABLE"
    )
    assert "differ at position 3: expected t0003" in v.message and "has t0004" in v.message
    assert inv.order_stable(CURSOR, f.cursor_walk(records, 3), f.cursor_walk(records, 4)) == []


def test_order_reverse() -> None:
    records = f.items(IDS)
    desc = f.cursor_walk(records, 3)
    asc = f.cursor_walk(records[::-1], 3, direction="asc")
    assert inv.order_reverse(CURSOR, asc, desc) == []
    wrong = f.cursor_walk([*records[::-1][:8], records[0], records[1]], 3, direction="asc")
    v = only(inv.order_reverse(CURSOR, wrong, desc), "ORDER-REVERSE")
    assert "position 8: expected t0001" in v.message


def test_order_prefix() -> None:
    records = f.items(IDS)
    small, large = f.first_n_page(records, 3), f.first_n_page(records, 6)
    assert inv.order_prefix(FIRST_N, small, large) == []
    shuffled = f.first_n_page([records[0], records[2], records[1], *records[3:]], 6)
    v = only(inv.order_prefix(FIRST_N, small, shuffled), "ORDER-PREFIX")
    assert "position 1 it has t0001, the larger list t0002" in v.message


# -- cursors -------------------------------------------------------------------------------


def after(cursor: str, ids: list[str], limit: int = 3, **meta: object) -> Page:
    return f.page(ids, params=[("limit", limit), ("order", "desc"), ("after", cursor)], **meta)


def before(cursor: str, ids: list[str], limit: int = 3) -> Page:
    return f.page(ids, params=[("limit", limit), ("order", "desc"), ("before", cursor)])


def test_cursor_after() -> None:
    inclusive = after("t0003", ["t0003", "t0004", "t0005"])
    v = only(inv.cursor_after(CURSOR, inclusive, reference()), "CURSOR-AFTER")
    assert "after=t0003" in v.message and "[t0004, t0005, t0006]" in v.message
    assert inv.cursor_after(CURSOR, after("t0003", ["t0004", "t0005", "t0006"]), reference()) == []
    assert inv.cursor_after(CURSOR, after("t0008", ["t0009"]), reference()) == []
    assert "not in the reference" in (
        inv.INVARIANTS["CURSOR-AFTER"].skip_reason(CURSOR, after("nope", []), reference()) or ""
    )


def test_cursor_exclusive() -> None:
    v = only(
        inv.cursor_exclusive(CURSOR, [before("t0005", ["t0003", "t0004", "t0005"])]),
        "CURSOR-EXCLUSIVE",
    )
    assert "contains t0005" in v.message and "before=t0005" in v.message
    assert inv.cursor_exclusive(CURSOR, reference()) == []


def test_cursor_before() -> None:
    v = only(
        inv.cursor_before(CURSOR, before("t0005", ["t0005", "t0006"]), reference()), "CURSOR-BEFORE"
    )
    assert "do not precede t0005" in v.message and "[t0005, t0006]" in v.message
    assert inv.cursor_before(CURSOR, before("t0005", ["t0000", "t0001"]), reference()) == []


def test_cursor_before_previous_page() -> None:
    from_start = before("t0005", ["t0000", "t0001", "t0002"])
    assert inv.cursor_before(CURSOR, from_start, reference()) == []
    v = only(
        inv.cursor_before_previous_page(CURSOR, from_start, reference()),
        "CURSOR-BEFORE-PREVIOUS-PAGE",
    )
    assert "immediately before t0005" in v.message and "[t0002, t0003, t0004]" in v.message
    assert (
        inv.cursor_before_previous_page(
            CURSOR, before("t0005", ["t0002", "t0003", "t0004"]), reference()
        )
        == []
    )


def test_cursor_after_last() -> None:
    assert inv.cursor_after_last(CURSOR, after("t0009", [], has_more=False)) == []
    v = only(
        inv.cursor_after_last(CURSOR, after("t0009", ["t0000"], has_more=False)),
        "CURSOR-AFTER-LAST",
    )
    assert "after=t0009" in v.message and "1 items [t0000]" in v.message
    assert only(
        inv.cursor_after_last(CURSOR, after("t0009", [], has_more=True)), "CURSOR-AFTER-LAST"
    )
    refused = f.page(params=[("after", "t0009")], status=400, error="GET ...: HTTP 400")
    assert "HTTP 400" in only(inv.cursor_after_last(CURSOR, refused), "CURSOR-AFTER-LAST").message


def test_cursor_unknown() -> None:
    refused = f.page(params=[("after", "thrd_nope")], status=400, error="HTTP 400")
    empty = f.page(params=[("after", "thrd_nope")])
    assert inv.cursor_unknown(CURSOR, refused) == []
    assert inv.cursor_unknown(CURSOR, empty) == []
    crashed = f.page(params=[("after", "thrd_nope")], status=500, error="GET ...: HTTP 500")
    v = only(inv.cursor_unknown(CURSOR, crashed), "CURSOR-UNKNOWN")
    assert "after=thrd_nope" in v.message and "HTTP 500" in v.message
    ignored = f.page(IDS[:2], params=[("after", "thrd_nope")])
    assert (
        "2 items [t0000, t0001]"
        in only(inv.cursor_unknown(CURSOR, ignored), "CURSOR-UNKNOWN").message
    )
    strict = dataclasses.replace(CURSOR, cursor=Cursor("after", "before", unknown="error"))
    assert "a 4xx error" in only(inv.cursor_unknown(strict, empty), "CURSOR-UNKNOWN").message


# -- filters -------------------------------------------------------------------------------


def agents(*values: object) -> list[Item]:
    return [f.item(f"w{i}", None, {"agent_id": v}) for i, v in enumerate(values)]


def test_filter_exact() -> None:
    page = f.page(agents("agent1", "agent0", "agent1"), params=[("agent_id", "agent1")])
    v = only(inv.filter_exact(OFFSET, page), "FILTER-EXACT")
    assert "agent_id=agent1" in v.message and 'w1 with "agent0"' in v.message
    assert inv.filter_exact(OFFSET, f.page(agents("agent1"), params=[("agent_id", "agent1")])) == []
    assert inv.filter_exact(OFFSET, f.page(agents("agent0"))) == []  # no filter sent


def test_filter_exact_compares_booleans_as_booleans() -> None:
    pinned = [f.item("a", None, {"is_pinned": True}), f.item("b", None, {"is_pinned": 1})]
    v = only(inv.filter_exact(CURSOR, f.page(pinned, params=[("is_pinned", True)])), "FILTER-EXACT")
    assert "b with 1" in v.message
    assert inv.filter_exact(CURSOR, f.page(pinned[:1], params=[("is_pinned", "true")])) == []


def test_filter_default() -> None:
    hidden = [
        f.item("a", None, {"visible_in_ui": True}),
        f.item("b", None, {"visible_in_ui": False}),
    ]
    v = only(inv.filter_default(CURSOR, f.page(hidden)), "FILTER-DEFAULT")
    assert "without visible_in_ui" in v.message and "[b]" in v.message
    assert inv.filter_default(CURSOR, f.page(hidden[:1])) == []
    assert inv.filter_default(CURSOR, f.page(hidden, params=[("visible_in_ui", "false")])) == []


def test_filter_subset_and_superset() -> None:
    everything = f.cursor_walk(f.items(IDS), 4)
    narrowed = f.cursor_walk(f.items(["t0001", "zz"]), 4)
    v = only(inv.filter_subset(CURSOR, narrowed, everything), "FILTER-SUBSET")
    assert "[zz]" in v.message
    assert inv.filter_subset(CURSOR, f.cursor_walk(f.items(IDS[:3]), 4), everything) == []
    widened = f.cursor_walk(f.items([*IDS[:4], *IDS[5:], "deleted"]), 4)
    v = only(inv.filter_superset(CURSOR, widened, everything), "FILTER-SUPERSET")
    assert "[t0004]" in v.message and "widened walk" in v.message
    assert (
        inv.filter_superset(CURSOR, f.cursor_walk(f.items([*IDS, "deleted"]), 4), everything) == []
    )


def test_filter_total() -> None:
    pages = [f.page(agents("a", "a"), params=[("agent_id", "a")], total=3, has_more=False)]
    walk = f.walk(pages, params=[("agent_id", "a")])
    v = only(inv.filter_total(OFFSET, walk), "FILTER-TOTAL")
    assert "total 3" in v.message and "2 distinct items" in v.message
    fixed = f.walk(
        [dataclasses.replace(pages[0], meta=dataclasses.replace(pages[0].meta, total=2))],
        params=[("agent_id", "a")],
    )
    assert inv.filter_total(OFFSET, fixed) == []
    assert "without any filter" in (
        inv.INVARIANTS["FILTER-TOTAL"].skip_reason(OFFSET, f.walk(pages)) or ""
    )


def test_filter_echo() -> None:
    wrong = f.page(params=[("project_id", "abc")], echoes=(("projectId", "default"),))
    v = only(inv.filter_echo(FIRST_N, wrong), "FILTER-ECHO")
    assert "project_id=abc" in v.message and '"default"' in v.message
    right = f.page(params=[("project_id", "abc")], echoes=(("projectId", "abc"),))
    assert inv.filter_echo(FIRST_N, right) == []


# -- determinism and items -----------------------------------------------------------------


def test_determinism() -> None:
    one = f.page(IDS[:3], digest="d1")
    assert inv.determinism(CURSOR, one, f.page(IDS[:3], digest="d1")) == []
    v = only(
        inv.determinism(CURSOR, one, f.page(["t0000", "t0002", "t0001"], digest="d2")),
        "DETERMINISM",
    )
    assert "from position 1" in v.message and len(v.evidence) == 2
    v = only(inv.determinism(CURSOR, one, f.page(IDS[:3], digest="d3")), "DETERMINISM")
    assert "volatile" in v.message
    v = only(inv.determinism(CURSOR, one, f.page(status=500, error="x", digest="")), "DETERMINISM")
    assert "HTTP 200, then HTTP 500" in v.message
    assert v.message.startswith("The same GET of the first page answered differently")


def test_determinism_names_a_page_of_a_walk_by_its_own_parameters() -> None:
    one, two = f.page_walk(f.items(IDS), 4), f.page_walk(f.items(IDS), 4)
    changed = with_pages(two, [two.pages[0], dataclasses.replace(two.pages[1], status=500)])
    v = only(inv.determinism(PAGE, with_pages(one, list(one.pages[:2])), changed), "DETERMINISM")
    assert v.message == (
        "The same GET of page=2 answered differently the second time: HTTP 200, then HTTP 500."
    )
    later = reference()
    changed = with_pages(later, [later.pages[0], dataclasses.replace(later.pages[1], status=500)])
    v = only(
        inv.determinism(CURSOR, with_pages(later, list(later.pages[:2])), changed), "DETERMINISM"
    )
    assert v.message.startswith("The same GET of page #2 of the walk (after=t0002) answered")


def test_filter_pages_within_names_the_page_of_the_filtered_walk() -> None:
    narrowed = f.cursor_walk(f.items(IDS[:6]), 100)
    paged = f.cursor_walk([*f.items(IDS[:3]), *f.items(["zz"])], 3)
    v = only(filter_pages_within(CURSOR, paged, narrowed), "FILTER-SUBSET")
    assert v.message.startswith(
        "In the filtered walk (limit=3&order=desc), page #2 of the walk (after=t0002) holds "
        "1 item(s) the same filtered listing in one walk (limit=100&order=desc) does not: [zz]"
    )


def test_item_fields_agree() -> None:
    items = [
        f.item("a", None, {"project_id": "p1", "project.project_id": "p1", "project": OBJECT}),
        f.item("b", None, {"project_id": "p1", "project.project_id": "p2", "project": OBJECT}),
        f.item("c", None, {"project_id": None, "project": None}),
    ]
    v = only(inv.item_fields_agree(PAGE, f.page(items, params=[("page", 2)])), "ITEM-FIELDS-AGREE")
    assert "e.g. b on page=2" in v.message and '"p1" vs "p2"' in v.message
    assert inv.item_fields_agree(PAGE, f.page([items[0], items[2]])) == []


@pytest.mark.parametrize(
    ("value", "says"),
    [
        (1_700_000_000_000, "looks like milliseconds"),
        (12, "before 2000-01-01"),
        (NOW + 3 * 366 * 86_400, "more than a year in the future"),
        ("1700000000", "is not a number"),
    ],
)
def test_item_unix_seconds(value: object, says: str) -> None:
    items = [
        f.item("ok", None, {"created_at": 1_700_000_000}),
        f.item("bad", None, {"created_at": value}),
    ]
    v = only(inv.item_unix_seconds(OFFSET, f.page(items), now=NOW), "ITEM-UNIX-SECONDS")
    assert says in v.message and "bad" in v.message
    assert inv.item_unix_seconds(OFFSET, f.page(items[:1]), now=NOW) == []


@pytest.mark.parametrize("url", ["/icons/a.svg", "ftp://example.test/a", "https://", 7])
def test_item_absolute_url(url: object) -> None:
    items = [f.item("w1", None, {"agent.icon": url})]
    v = only(inv.item_absolute_url(OFFSET, f.page(items)), "ITEM-ABSOLUTE-URL")
    assert "w1" in v.message and "agent.icon" in v.message
    good = [
        f.item("w1", None, {"agent.icon": "https://example.test/i.svg"}),
        f.item("w2", None, {"agent.icon": None}),
    ]
    assert inv.item_absolute_url(OFFSET, f.page(good)) == []
