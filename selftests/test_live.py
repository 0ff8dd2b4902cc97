"""The pure part of live-target judging: how two reads of a listing are compared."""

from __future__ import annotations

from selftests.factories import ids, items, page, page_walk, walk
from threadconform.live import (
    DEFAULT_CONSISTENCY,
    Change,
    LiveLog,
    compare,
    existed_throughout,
    snapshot,
)
from threadconform.walk import Item


def _listing(names: list[str], *, total: int | None = None, cap: bool = False):  # type: ignore[no-untyped-def]
    records = items(names)
    read = page_walk(records, 1000)
    if total is not None:
        read = walk([page(records, total=total)])
    if cap:
        read = walk(read.pages, stop="page-cap")
    return snapshot(read)


def test_an_unchanged_listing_is_no_change() -> None:
    names = ids(20)
    assert not compare(_listing(names), _listing(names))


def test_a_new_thread_at_the_head_is_new_and_the_total_moves() -> None:
    names = ids(20)
    change = compare(_listing(names), _listing(["fresh", *names]))
    assert change.new == ("fresh",) and not change.vanished
    assert change.total == (20, 21)
    assert "1 new thread(s) (fresh)" in change.describe() and "total 20 → 21" in change.describe()


def test_a_deleted_thread_vanishes() -> None:
    names = ids(20)
    change = compare(_listing(names), _listing([n for n in names if n != "t0007"]))
    assert change.vanished == ("t0007",) and change.structural


def test_a_thread_whose_key_moved_is_moved() -> None:
    before = walk([page([Item("a", 3.0), Item("b", 2.0), Item("c", 1.0)])])
    after = walk([page([Item("c", 4.0), Item("a", 3.0), Item("b", 2.0)])])
    assert compare(snapshot(before), snapshot(after)).moved == ("c",)


def test_tied_items_that_swap_places_are_no_change() -> None:
    # A server without a tie-breaker reorders ties on every read: calling that a write
    # would excuse the very fault ORDER-STABLE and DETERMINISM look for.
    before = walk([page([Item("a", 2.0), Item("b", 2.0), Item("c", 1.0)], digest="x")])
    after = walk([page([Item("b", 2.0), Item("a", 2.0), Item("c", 1.0)], digest="x")])
    assert not compare(snapshot(before), snapshot(after))


def test_other_bodies_under_the_same_ids_are_a_rewrite_not_a_structural_change() -> None:
    records = [Item("a", 2.0), Item("b", 1.0)]
    change = compare(
        snapshot(walk([page(records, digest="one")])), snapshot(walk([page(records, digest="two")]))
    )
    assert change.rewritten and not change.structural and change


def test_page_capped_reads_compare_only_the_prefix_both_reached() -> None:
    names = ids(40)
    before = _listing(names[:10], cap=True)
    after = _listing(names[:12], cap=True)
    assert not compare(before, after).new  # t0010, t0011: only past the shorter read's end
    pushed = compare(_listing(names[:10], cap=True), _listing(["fresh", *names[:9]], cap=True))
    assert pushed.new == ("fresh",) and not pushed.vanished  # t0009 was pushed out, not deleted


def test_a_keyset_walk_owes_what_existed_at_its_start_and_still_exists() -> None:
    names = ids(10)
    before = _listing(names)
    after = _listing(["fresh", *[n for n in names if n != "t0004"]])
    owed = existed_throughout(before, after)
    assert owed == tuple(n for n in names if n != "t0004")


def test_the_log_adds_changes_up_and_says_nothing_for_a_frozen_target() -> None:
    log = LiveLog()
    assert log.describe() == ""
    log.saw("walk limit=3", Change(new=("x",), total=(5, 6)))
    log.saw("walk limit=4", Change())  # no change: not recorded
    log.saw("walk limit=5", Change(new=("y",), total=(6, 7)))
    log.repeated = 2
    assert log.changed and len(log.changes) == 2
    assert log.total.new == ("x", "y") and log.total.total == (5, 7)
    assert log.describe().startswith("the listing changed while it was tested (2 new")


def test_every_style_has_a_default_promise_under_writes() -> None:
    styles = {"page", "offset", "cursor", "first-n", "token", "next-link", "link-header"}
    assert set(DEFAULT_CONSISTENCY) == styles
    assert DEFAULT_CONSISTENCY["cursor"] == "keyset"
    assert {DEFAULT_CONSISTENCY[s] for s in styles - {"cursor"}} == {"none"}
