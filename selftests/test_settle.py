"""Judging on a target that changes while it is read (probes/settle.py, issue 19).

Each case has a listing that holds still and one that changes under the walk: a violation
stands on the first, is taken again (then judged, or skipped with the reason) on the
second, and a keyset contract never excuses a repeat.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import httpx

from selftests.factories import (
    contract,
    cursor_pagination,
    cursor_server,
    mock_client,
    offset_pagination,
    offset_server,
    threads,
)
from threadconform.ledger import Finding, Violation
from threadconform.live import snapshot
from threadconform.probes.context import ProbeContext, ReferenceKey
from threadconform.probes.settle import TRIES, positional, reread, settled, vanished_cursor
from threadconform.probes.walks import judge_walk
from threadconform.profiles import PROFILES
from threadconform.walk import Walk

KEY = ReferenceKey((), None)


def _changing(
    data: list[dict[str, Any]],
    style: str,
    every: int | None,
    once: int | None = None,
    overlap: int = 0,
) -> Callable[..., Any]:
    """A server over `data` that puts a new newest thread at its head before every
    `every`-th request (None: never), or only before request number `once`; `overlap`:
    an offset server whose later pages start that many items early (a fault)."""
    serve = offset_server(data, overlap=overlap) if style == "offset" else cursor_server(data)
    seen = [0]

    def handle(request: httpx.Request) -> httpx.Response:
        seen[0] += 1
        if (every and seen[0] % every == 0) or seen[0] == once:
            fresh = threads(1, style)[0]
            key = "id"
            fresh[key] = f"new-{seen[0]}"
            data.insert(0, fresh)
        return serve(request)

    return handle


def _context(
    style: str,
    every: int | None,
    *,
    frozen: bool = False,
    once: int | None = None,
    overlap: int = 0,
) -> ProbeContext:
    pagination = offset_pagination() if style == "offset" else cursor_pagination()
    data = threads(30, style)
    client = mock_client(_changing(data, style, every, once, overlap))
    return ProbeContext(contract(pagination), client, PROFILES["default"], 0, frozen=frozen)


def _walk_unit(
    ctx: ProbeContext, limit: int, taken: list[Walk] | None = None
) -> Callable[[], list[Finding]]:
    def unit() -> list[Finding]:
        large = ctx.reference()
        small = ctx.walk((("limit", str(limit)),))
        if taken is not None:
            taken.append(small)
        return judge_walk(ctx, small, large)

    return unit


def _explained_walk(ctx: ProbeContext, limit: int) -> list[Finding]:
    """One walk settled as the planned walks are: judged allowing for the writes."""
    taken: list[Walk] = []
    ctx.reference()
    explain = positional(ctx, lambda: taken[-1] if taken else None)
    unit = _walk_unit(ctx, limit, taken)
    return settled(ctx, unit, key=KEY, where=f"the walk with limit={limit}", explain=explain)


def _held(findings: list[Finding]) -> set[str]:
    return {f.rule for f in findings if f.violation is None and f.skip is None}


def _repeat(ctx: ProbeContext, rule: str) -> Callable[[], list[Finding]]:
    """A unit that reads one page and always finds `rule` violated, as a server bug would."""

    def unit() -> list[Finding]:
        ctx.fetch((("limit", "5"),))
        return [Finding(rule, Violation(rule, "a repeat", (), "none", "one"))]

    return unit


def _failed(findings: list[Finding]) -> set[str]:
    return {f.rule for f in findings if f.violation is not None}


def test_a_violation_on_a_listing_that_held_still_stands() -> None:
    ctx = _context("offset", None)
    ctx.reference()
    found = settled(ctx, _repeat(ctx, "PAGE-NO-DUPLICATES"), key=KEY, where="a walk")
    assert _failed(found) == {"PAGE-NO-DUPLICATES"}
    assert ctx.live.checks == 1 and ctx.live.repeated == 0 and not ctx.live.changed


def test_a_walk_that_holds_costs_no_extra_read() -> None:
    ctx = _context("offset", None)
    ctx.reference()
    sent = ctx.client.requests_sent
    found = settled(ctx, _walk_unit(ctx, 7), key=KEY, where="the walk with limit=7")
    assert not _failed(found)
    assert ctx.client.requests_sent - sent == 5  # 5 pages of 7 of 30 threads, no re-read
    assert ctx.live.checks == 0


def test_an_insert_during_an_offset_walk_is_taken_again_then_judged() -> None:
    # One new thread before request 4, inside the first walk (limit 7: requests 2-6): its
    # later pages repeat an item. The re-read shows the new thread, so the walk is taken
    # again against a fresh reference; that one an unchanged listing brackets: judged.
    ctx = _context("offset", None, once=4)
    ctx.reference()
    found = settled(ctx, _walk_unit(ctx, 7), key=KEY, where="the walk with limit=7")
    held = {f.rule for f in found if f.violation is None and f.skip is None}
    assert not _failed(found), found
    assert {"PAGE-NO-DUPLICATES", "PAGE-NO-GAPS", "META-TOTAL"} <= held
    assert ctx.live.repeated == 1 and ctx.live.checks == 1
    assert "1 new thread(s) (new-4)" in ctx.live.describe()


def test_a_listing_that_changes_under_every_try_skips_never_passes() -> None:
    ctx = _context("offset", 2)
    ctx.reference()
    found = settled(ctx, _walk_unit(ctx, 3), key=KEY, where="the walk with limit=3")
    skipped = {f.rule: f.skip for f in found if f.skip}
    assert not _failed(found)
    assert "PAGE-NO-DUPLICATES" in skipped
    assert f"changed during every one of {TRIES} tries" in (skipped["PAGE-NO-DUPLICATES"] or "")
    assert ctx.live.repeated == TRIES - 1 and "PAGE-NO-DUPLICATES" in ctx.live.unjudged


def test_a_fault_is_still_a_fault_while_the_listing_changes() -> None:
    # A repeat on every try, the listing changing under each: under a keyset promise a
    # repeat is never a write's doing, so it stands.
    ctx = _context("cursor", 2)
    ctx.reference()
    found = settled(ctx, _repeat(ctx, "PAGE-NO-DUPLICATES"), key=KEY, where="a walk")
    assert _failed(found) == {"PAGE-NO-DUPLICATES"}


def test_the_same_repeat_on_an_offset_listing_that_keeps_changing_is_not_judged() -> None:
    ctx = _context("offset", 2)
    ctx.reference()
    found = settled(ctx, _repeat(ctx, "PAGE-NO-DUPLICATES"), key=KEY, where="a walk")
    assert not _failed(found) and any(f.skip for f in found)


def _spent(ctx: ProbeContext, rule: str) -> Callable[[], list[Finding]]:
    """A unit whose violation comes as the run's budget runs out: no read is left."""

    def unit() -> list[Finding]:
        ctx.state.stop("the request budget is spent")
        return [Finding(rule, Violation(rule, "a repeat", (), "none", "one"))]

    return unit


def test_a_run_out_of_requests_on_a_changing_listing_blames_no_write_on_the_server() -> None:
    # The listing was seen to change earlier; the budget runs out as a repeat shows up,
    # so nothing can tell the repeat from a write: not judged, never a failure.
    ctx = _context("offset", None, once=3)
    ctx.reference()
    settled(ctx, _walk_unit(ctx, 7), key=KEY, where="the walk with limit=7")
    assert ctx.live.changed
    found = settled(ctx, _spent(ctx, "PAGE-NO-DUPLICATES"), key=KEY, where="a walk")
    assert not _failed(found)
    (doubt,) = [f for f in found if f.rule == "PAGE-NO-DUPLICATES"]
    assert doubt.doubt and "could send no request to read it again" in (doubt.skip or "")


def test_a_run_out_of_requests_on_a_listing_never_seen_to_change_keeps_its_violation() -> None:
    ctx = _context("offset", None)
    ctx.reference()
    found = settled(ctx, _spent(ctx, "PAGE-NO-DUPLICATES"), key=KEY, where="a walk")
    assert _failed(found) == {"PAGE-NO-DUPLICATES"}


def test_frozen_reads_nothing_again_and_the_violation_stands() -> None:
    ctx = _context("offset", 2, frozen=True)
    ctx.reference()
    sent = ctx.client.requests_sent
    found = settled(ctx, _repeat(ctx, "PAGE-NO-DUPLICATES"), key=KEY, where="a walk")
    assert _failed(found) == {"PAGE-NO-DUPLICATES"}
    assert ctx.client.requests_sent == sent + 1 and ctx.live.checks == 0


def test_a_keyset_walk_owes_every_thread_that_existed_throughout() -> None:
    ctx = _context("cursor", 5)
    ctx.reference()
    found = settled(ctx, _walk_unit(ctx, 4), key=KEY, where="the walk with limit=4")
    assert "PAGE-NO-GAPS" not in _failed(found)
    assert "PAGE-NO-DUPLICATES" not in _failed(found)


def test_an_offset_walk_the_writes_explain_is_judged_without_walking_again() -> None:
    # The same insert inside the walk: its repeat is what the new thread explains (every
    # later page shifted by one), so the walk is judged as it is, and passes.
    ctx = _context("offset", None, once=4)
    found = _explained_walk(ctx, 7)
    assert not _failed(found), found
    assert {"PAGE-NO-DUPLICATES", "PAGE-NO-GAPS", "META-TOTAL", "META-HAS-MORE"} <= _held(found)
    assert ctx.live.repeated == 0 and ctx.live.explained == 1
    assert "1 judged allowing for the writes" in ctx.live.describe()


def test_an_offset_listing_that_changes_under_every_try_is_still_judged() -> None:
    # A new thread every second request: no walk of 30 threads is ever bracketed by an
    # unchanged listing, yet each of its pages is the listing as it stood then.
    ctx = _context("offset", 2)
    found = _explained_walk(ctx, 3)
    assert not _failed(found), found
    assert {"PAGE-NO-DUPLICATES", "PAGE-NO-GAPS"} <= _held(found)
    assert not ctx.live.unjudged


def test_a_repeat_the_writes_cannot_explain_fails_while_the_listing_changes() -> None:
    # Every later page starts two items early: one insert explains one repeated item per
    # page, never two, so the fault stands although the listing changed under the walk.
    ctx = _context("offset", None, once=4, overlap=2)
    found = _explained_walk(ctx, 7)
    assert "PAGE-NO-DUPLICATES" in _failed(found)
    message = next(f.violation.message for f in found if f.violation)  # type: ignore[union-attr]
    assert "The listing changed during the walk (1 new thread(s) (new-4)" in message
    assert "no order of those writes gives offset=7 its items" in message


def test_too_many_writes_to_order_fall_back_to_walking_again() -> None:
    # A write before every request: more writes than `explain` orders, so the walk is
    # taken again and, changing under every try, left unjudged (never passed).
    ctx = _context("offset", 1)
    found = _explained_walk(ctx, 2)
    assert not _failed(found)
    assert "PAGE-NO-DUPLICATES" in ctx.live.unjudged and ctx.live.explained == 0


def _out_of_order_delete(data: list[dict[str, Any]]) -> Callable[..., Any]:
    """An offset server whose head thread is deleted while a walk with limit=7 has its
    pages out side by side: the page at offset 21 is served first, then the delete, then
    the page at offset 14 (which so repeats one thread of the later page and misses one)."""
    serve = offset_server(data)
    served_later = threading.Event()

    def handle(request: httpx.Request) -> httpx.Response:
        offset, limit = request.url.params.get("offset"), request.url.params.get("limit")
        if limit == "7" and offset == "14" and not served_later.is_set():
            served_later.wait(5.0)  # a hang guard: the page at 21 comes first
        response = serve(request)
        if limit == "7" and offset == "21" and not served_later.is_set():
            del data[0]
            served_later.set()
        return response

    return handle


def test_pages_read_side_by_side_are_not_explained_as_if_read_in_turn() -> None:
    # A conforming server: the delete landed between two pages that were out at once, so
    # no order of reads in turn explains the walk, yet nothing is wrong. The walk is taken
    # again (alone) instead of failing PAGE-NO-DUPLICATES and PAGE-NO-GAPS.
    data = threads(30, "offset")
    client = mock_client(_out_of_order_delete(data), concurrency=4)
    ctx = ProbeContext(contract(offset_pagination()), client, PROFILES["default"], 0)
    found = _explained_walk(ctx, 7)
    assert not _failed(found), [f.violation.message for f in found if f.violation]
    assert {"PAGE-NO-DUPLICATES", "PAGE-NO-GAPS"} <= _held(found)
    assert ctx.live.changed and ctx.live.repeated == 1 and ctx.live.explained == 0


def _cursor_deleted_under_rereads(
    data: list[dict[str, Any]], tries: int
) -> tuple[Callable[..., Any], Callable[..., None]]:
    """A keyset server over `data` whose next cursor is deleted under the reads again of
    the listing that `arm` announces, `tries` of them at most: the thread the
    second page's `after=` names goes just before that page is asked for, so the read
    ends on a 400 after its first page, as a real server answers a deleted cursor."""
    serve = cursor_server(data)
    armed = [0, tries]

    def handle(request: httpx.Request) -> httpx.Response:
        named = request.url.params.get("after")
        if armed[0] and armed[1] and named and request.url.params.get("limit") == "100":
            armed[0], armed[1] = armed[0] - 1, armed[1] - 1
            data[:] = [thread for thread in data if thread["id"] != named]
        return serve(request)

    def arm(reads: int = 1) -> None:
        armed[0] += reads

    return handle, arm


def _cursor_context(handler: Callable[..., Any]) -> ProbeContext:
    return ProbeContext(contract(cursor_pagination()), mock_client(handler), PROFILES["default"], 0)


def _violation_then_arm(ctx: ProbeContext, arm: Callable[[], None]) -> Callable[[], list[Finding]]:
    def unit() -> list[Finding]:
        found = _repeat(ctx, "CURSOR-AFTER")()
        arm()
        return found

    return unit


def test_a_read_again_cut_short_by_a_deleted_cursor_does_not_prove_the_listing_held_still() -> None:
    # Seen at --concurrency 12 on the conforming aitronos: the read after a cursor check
    # lost its second page (its cursor's thread deleted meanwhile), the pages it got were
    # unchanged, and the check's violation was blamed on the server. The listing past
    # that page is unknown, so the check is taken again on a fresh read.
    data = threads(150, "cursor")
    handler, arm = _cursor_deleted_under_rereads(data, tries=1)
    ctx = _cursor_context(handler)
    ctx.reference()
    found = settled(ctx, _violation_then_arm(ctx, arm), key=KEY, where="a cursor")
    assert ctx.live.repeated == 1  # not judged on the read cut short
    assert _failed(found) == {"CURSOR-AFTER"}  # the next try, bracketed by full reads


def test_reads_again_cut_short_on_every_try_leave_the_rule_unjudged() -> None:
    data = threads(150, "cursor")
    handler, arm = _cursor_deleted_under_rereads(data, tries=TRIES)
    ctx = _cursor_context(handler)
    ctx.reference()
    found = settled(ctx, _violation_then_arm(ctx, arm), key=KEY, where="a cursor")
    assert not _failed(found)
    (doubt,) = [f for f in found if f.rule == "CURSOR-AFTER"]
    assert doubt.doubt and "could not be read again to its end" in (doubt.skip or "")


def test_a_third_read_that_lost_a_thread_is_a_write_not_a_field_that_differs_every_time() -> None:
    # Read again, the listing showed other bodies under the same ids; a third read tells
    # a write from a field that differs on every read. If that read lost a thread, the
    # listing changed: it must not come back as "no change".
    ctx = _context("offset", None)
    first = ctx.reference()
    rewritten = Walk(first.params, None, (replace(first.pages[0], body_digest="other"),), "end", "")
    shorter = Walk(
        first.params, None, (replace(first.pages[0], items=first.pages[0].items[1:]),), "end", ""
    )
    reads = iter([rewritten, shorter])
    ctx.reread = lambda key: next(reads)  # type: ignore[method-assign]
    _, change = reread(ctx, KEY, snapshot(first))
    assert change.vanished == (first.ids[0],)


def test_a_refused_cursor_whose_thread_was_deleted_is_no_evidence() -> None:
    data = threads(150, "cursor")
    ctx = _cursor_context(cursor_server(data))
    sampled = ctx.reference().ids[40]
    del data[40]
    reason = vanished_cursor(ctx, [("after", sampled), ("limit", "5")])
    assert reason is not None and "no longer listed" in reason and ctx.live.changed
    assert vanished_cursor(ctx, [("after", data[10]["id"])]) is None  # still listed


def test_a_refused_cursor_is_looked_for_again_when_a_read_ends_early() -> None:
    # The first read again loses its second page to a deleted cursor; the next one ends.
    data = threads(150, "cursor")
    handler, arm = _cursor_deleted_under_rereads(data, tries=1)
    ctx = _cursor_context(handler)
    sampled = ctx.reference().ids[120]
    data[:] = [thread for thread in data if thread["id"] != sampled]
    arm()
    reason = vanished_cursor(ctx, [("after", sampled)])
    assert reason is not None and "no longer listed" in reason
    assert ctx.live.checks == 2


def test_a_refused_cursor_never_read_to_the_end_is_excused_only_on_a_changing_listing() -> None:
    # Each read loses its next cursor to a deletion: the listing is seen to change, and
    # the thread, past every read's end, is not known to be there.
    data = threads(150, "cursor")
    handler, arm = _cursor_deleted_under_rereads(data, tries=99)  # fetching ahead asks more
    ctx = _cursor_context(handler)
    sampled = ctx.reference().ids[120]
    arm(99)
    reason = vanished_cursor(ctx, [("after", sampled)])
    assert ctx.live.checks == TRIES and ctx.live.changed
    assert reason is not None and "as far as it could be read" in reason
    # A read cut short never becomes the reference the other probes judge against.
    assert all(walk.complete for walk in ctx.references.values())
    # A server that fails every second page holds still: its refusal stands.
    serve = cursor_server(data)

    def second_page_fails(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("after") and request.url.params.get("limit") == "100":
            return httpx.Response(500, json={"error": "boom"})
        return serve(request)

    ctx = _cursor_context(second_page_fails)
    sampled = data[120]["id"]
    ctx.reference()
    assert vanished_cursor(ctx, [("after", sampled)]) is None
    assert ctx.live.checks == TRIES and not ctx.live.changed
