"""The pure part of live-target judging: how two reads of a listing are compared."""

from __future__ import annotations

from dataclasses import replace

from selftests.factories import ids, items, page, page_walk, walk
from threadconform.live import (
    DEFAULT_CONSISTENCY,
    Change,
    Explanation,
    LiveLog,
    Snapshot,
    Window,
    compare,
    existed_throughout,
    explain,
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


def test_a_read_cut_short_is_no_rewrite_of_the_pages_it_did_not_get() -> None:
    # A read again that ended on an error after its first page (a deleted cursor) has
    # fewer pages, not other ones: compared with a full read it shows no change, so the
    # caller must ask whether it reached as far (probes/settle.py), not see a rewrite.
    full = page_walk(items(ids(10)), 5)
    short = walk(full.pages[:1], stop="error")
    assert not compare(snapshot(full), snapshot(short))
    other = walk([replace(full.pages[0], body_digest="another body"), *full.pages[1:]])
    assert compare(snapshot(full), snapshot(other)).rewritten


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


def _ids_read(names: list[str]) -> Snapshot:
    return Snapshot(tuple(names), tuple((0.0,) for _ in names), len(names), True)


def _offset_walk(listings: list[list[str]], size: int) -> list[Window]:
    """An offset walk whose page k is served from `listings[k]` (the listing then)."""
    out = []
    for k, listing in enumerate(listings):
        chunk = tuple(listing[k * size : (k + 1) * size])
        out.append(Window(k * size, size, chunk, len(listing), (k + 1) * size < len(listing)))
    return out


def test_a_walk_shifted_by_inserts_and_a_delete_is_explained() -> None:
    names = ids(12)
    one = ["n1", *names]
    two = ["n2", "n1", *[n for n in names if n != "t0009"]]
    windows = _offset_walk([names, one, one, two, two], 3)
    found = explain(_ids_read(names), _ids_read(two), windows)
    assert found == Explanation(None, None, None, 8)


def test_writes_that_undo_themselves_explain_nothing() -> None:
    # The pages must come from states that grow: a later page cannot go back to a
    # listing without the thread an earlier page already showed.
    names = ids(12)
    one = ["n1", *names]
    windows = _offset_walk([one, names, names, names], 4)
    found = explain(_ids_read(names), _ids_read(one), windows)
    assert found is not None and found.items == 1


def test_two_tied_threads_served_the_other_way_round_are_not_explained() -> None:
    names = ids(12)
    one = ["n1", *names]
    flipped = [*one[:6], one[7], one[6], *one[8:]]
    windows = _offset_walk([names, one, flipped, flipped], 3)
    found = explain(_ids_read(names), _ids_read(one), windows)
    assert found is not None and found.items == 2


def test_a_total_no_state_has_is_named_apart_from_the_items() -> None:
    names = ids(9)
    windows = [
        replace(w, total=99) if n == 1 else w for n, w in enumerate(_offset_walk([names] * 3, 3))
    ]
    found = explain(_ids_read(names), _ids_read(["n1", *names]), windows)
    assert found is not None and found.items is None and found.total == 1 and found.has_more is None


def test_reads_that_a_deletion_shifted_leave_the_order_of_its_neighbours_open() -> None:
    # Seen at --concurrency 12 on the conforming worker: the read before the walk lost
    # t0004 (t0001 was deleted between its pages, so its second page began one thread
    # late), and t0005 was deleted before the read after it. t0004 then looks new and
    # t0005 vanished, both between t0003 and t0006: which came first, neither read says.
    # Putting the vanished one first made the walk's page [t0004, t0005, t0006] a page
    # no state held, a false PAGE-NO-GAPS.
    names = ids(12)
    before = [n for n in names if n != "t0004"]
    during = [n for n in names if n != "t0001"]
    after = [n for n in during if n != "t0005"]
    windows = _offset_walk([during] * 4, 3)
    found = explain(_ids_read(before), _ids_read(after), windows)
    assert found is not None and found.items is None
    # Only that stretch is open: t0004 served before t0003, which both reads place
    # ahead of it, is still a page no state holds.
    swapped = [*during[:2], during[3], during[2], *during[4:]]
    found = explain(_ids_read(before), _ids_read(after), _offset_walk([swapped] * 4, 3))
    assert found is not None and found.items == 0


def test_too_many_open_orders_are_not_explained_either_way() -> None:
    names = ids(12)
    # Five threads only the earlier read holds, five only the later one, in one stretch:
    # 252 orders of them, past what explain tries.
    before = [n for n in names if n not in ("t0006", "t0007", "t0008", "t0009", "t0010")]
    after = [n for n in names if n not in ("t0001", "t0002", "t0003", "t0004", "t0005")]
    assert explain(_ids_read(before), _ids_read(after), _offset_walk([names], 3)) is None


def test_what_cannot_be_ordered_is_not_explained_either_way() -> None:
    names = ids(12)
    windows = _offset_walk([names], 3)
    twice = Snapshot((*names, names[-1]), tuple((0.0,) for _ in range(13)), 13, True)
    assert explain(twice, _ids_read(names), windows) is None  # a read a write shifted
    many = [f"n{k}" for k in range(11)]
    assert explain(_ids_read(names), _ids_read([*many, *names]), windows) is None
    stranger = [Window(0, 3, ("ghost", "t0000", "t0001"))]
    assert explain(_ids_read(names), _ids_read(["n1", *names]), stranger) is None
