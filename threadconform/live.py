"""What a listing that changes while it is walked still promises, and how a change is seen.

A staging target is written to while the suite reads it: threads are created, deleted and
(in an activity order) moved. A walk taken while that happened is evidence only for what
the contract's pagination still promises under writes (`x-pagination.consistency`):

- ``none`` (page, offset, first-N, a token that is an encoded offset): nothing across
  requests. An insert before the window shifts every later page, so such a walk proves
  nothing: it is taken again until one is bracketed by an unchanged listing.
- ``keyset`` (`after=<id>`: "the threads after this one"): a forward walk still yields
  every thread that existed when it began and still exists when it ended, exactly once
  and in order; a thread created during the walk may appear at most once.
- ``snapshot`` (a continuation token that pins a consistent view): the walk reads one
  version of the listing; judged as ``keyset`` is (the stronger promise includes it).

A walk of the ``none`` kind is still evidence when the change is small and known: each
page of a page or offset walk is a window of the listing as it stood when that page was
served, and the writes arrived one after another. `explain` asks whether some order of the
writes seen between two reads yields every page the walk got; a page that no state of the
listing holds at that window is the server's fault, however the writes fell.

This module is pure: it compares two reads of a listing (`Snapshot`s, from the reference
walk taken before and re-read after) and names the change. The probes decide when to read.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from itertools import chain, product

from threadconform.model import DEFAULT_CONSISTENCY, Consistency
from threadconform.walk import Walk

__all__ = [
    "DEFAULT_CONSISTENCY",
    "MOST_WRITES",
    "Change",
    "Consistency",
    "Explanation",
    "LiveLog",
    "Snapshot",
    "Window",
    "compare",
    "existed_throughout",
    "explain",
    "owed_by",
    "snapshot",
]

_SHOWN = 5  # ids named in one line
# Writes `explain` orders (2**n states of the listing); past it a walk is read again.
MOST_WRITES = 10
# States of the listing `explain` tries, over every order the reads leave open (see
# `_union_orders`): 4096 take about 0.2 s over a 237-thread listing read 7 at a time.
MOST_STATES = 1 << 12


@dataclass(frozen=True)
class Snapshot:
    """One read of a listing: its ids in order, each id's full sort key, its total."""

    ids: tuple[str, ...]
    keys: tuple[tuple[float | str | None, ...], ...]
    total: object
    complete: bool  # the read reached the end (else: a prefix, page-capped)
    content: tuple[str, ...] = ()  # each page's body digest (volatile paths left out)

    @property
    def empty(self) -> bool:
        return not self.ids


def snapshot(walk: Walk) -> Snapshot:
    """The listing as one walk read it (the first page's total, when there is one)."""
    total = next((page.meta.total for page in walk.pages if page.ok), None)
    keys = tuple(item.full_key for item in walk.items)
    content = tuple(page.body_digest for page in walk.pages if page.ok)  # not an error's
    return Snapshot(walk.ids, keys, total, walk.complete, content)


@dataclass(frozen=True)
class Change:
    """How a listing differs between two reads; falsy when it does not."""

    new: tuple[str, ...] = ()  # ids only the later read holds
    vanished: tuple[str, ...] = ()  # ids only the earlier read holds
    moved: tuple[str, ...] = ()  # ids in both whose sort key changed
    total: tuple[object, object] | None = None  # (before, after) when the total moved
    rewritten: bool = False  # same ids, keys and total, other bodies (see `compare`)

    def __bool__(self) -> bool:
        return self.structural or self.rewritten

    @property
    def structural(self) -> bool:
        """Ids, sort keys or the total changed: what a write does, never a fault."""
        return bool(self.new or self.vanished or self.moved or self.total)

    def describe(self) -> str:
        """One line: "2 new threads (t1, t2), 1 vanished (t9); total 237 → 238"."""
        parts = []
        if self.new:
            parts.append(f"{len(self.new)} new thread(s) ({_ids(self.new)})")
        if self.vanished:
            parts.append(f"{len(self.vanished)} vanished ({_ids(self.vanished)})")
        if self.moved:
            parts.append(f"{len(self.moved)} moved ({_ids(self.moved)})")
        text = ", ".join(parts) or ("the same ids, other content" if self.rewritten else "")
        if self.total is not None:
            text += f"; total {self.total[0]!r} → {self.total[1]!r}"
        return text

    def __add__(self, other: Change) -> Change:
        total = (self.total[0], other.total[1]) if self.total and other.total else None
        return Change(
            _union(self.new, other.new),
            _union(self.vanished, other.vanished),
            _union(self.moved, other.moved),
            total or self.total or other.total,
            self.rewritten or other.rewritten,
        )


def compare(before: Snapshot, after: Snapshot) -> Change:
    """The change between two reads of the same listing. Where either read is a prefix
    (page-capped, or cut short by an error), ids past the shorter read's end are not
    called new or vanished.

    Items that only swap places while keeping their sort keys are no change: no write
    does that, but a server without a tie-breaker does it on every read, and calling that
    "the listing changed" would excuse the very fault the order rules look for. Bodies
    that differ under the same ids, keys and total are `rewritten` (an update, or a field
    that differs on every read: the caller tells the two apart by reading again)."""
    later, earlier = set(after.ids), set(before.ids)
    new = tuple(i for i in after.ids if i not in earlier)
    vanished = tuple(i for i in before.ids if i not in later)
    if not (before.complete and after.complete):
        new, vanished = _within_prefix(before, after, new, vanished)
    moved = _moved(before, after, earlier & later)
    total = None if before.total == after.total else (before.total, after.total)
    # Only the pages both reads got: a read cut short (an error) has fewer pages, not others.
    reach = min(len(before.content), len(after.content))
    rewritten = not (new or vanished or moved or total) and (
        before.content[:reach] != after.content[:reach]
    )
    return Change(new, vanished, moved, total, rewritten)


def _within_prefix(
    before: Snapshot, after: Snapshot, new: tuple[str, ...], vanished: tuple[str, ...]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Of two page-capped reads, what is new or vanished inside the prefix both reached:
    an insert pushes the earlier read's last ids out of the later one, a deletion pulls
    ids in; neither is a change of those ids."""
    reach = min(len(before.ids), len(after.ids))
    inside_after = set(after.ids[: max(0, reach - len(vanished))])
    inside_before = set(before.ids[: max(0, reach - len(new))])
    return (
        tuple(i for i in new if i in inside_after),
        tuple(i for i in vanished if i in inside_before),
    )


def existed_throughout(before: Snapshot, after: Snapshot) -> tuple[str, ...]:
    """The ids a keyset walk between the two reads must yield exactly once, in order: in
    the listing when it began and still there when it ended (in the earlier read's
    order). With a page-capped read only the prefix both reads reached counts."""
    later = set(after.ids)
    if before.complete and after.complete:
        return tuple(i for i in before.ids if i in later)
    reach = min(len(before.ids), len(after.ids))
    return tuple(i for i in before.ids[:reach] if i in later)


def owed_by(walk: Walk, before: Snapshot, after: Snapshot) -> tuple[str, ...]:
    """What a forward walk taken between the two reads owes, as a keyset promises: the
    threads that existed throughout; for a walk that stopped early (page cap, an error),
    only those up to the last one it reached, by their place in the earlier read (not by
    count: threads deleted meanwhile were walked but are not owed)."""
    owed = existed_throughout(before, after)
    if walk.complete:
        return owed
    place = {ident: n for n, ident in enumerate(before.ids)}
    reached = [place[ident] for ident in walk.ids if ident in place]
    if not reached:
        return ()
    last = max(reached)
    return tuple(ident for ident in owed if place[ident] <= last)


def _moved(before: Snapshot, after: Snapshot, common: set[str]) -> tuple[str, ...]:
    key_before = dict(zip(before.ids, before.keys, strict=False))
    key_after = dict(zip(after.ids, after.keys, strict=False))
    return tuple(i for i in before.ids if i in common and key_before.get(i) != key_after.get(i))


@dataclass(frozen=True)
class Window:
    """One page of a positional walk: where it starts in the listing, how many items it
    may hold, what it held, and the page-level fields it reported (None when absent)."""

    start: int
    size: int
    ids: tuple[str, ...]
    total: int | None = None
    has_more: bool | None = None


@dataclass(frozen=True)
class Explanation:
    """Which pages of a walk no order of the writes explains (index, else None)."""

    items: int | None  # the first page whose items no state of the listing holds there
    total: int | None  # ... whose total (items explained) no state has
    has_more: int | None  # ... whose has-more flag (items explained) no state gives
    states: int  # states of the listing considered


def explain(
    before: Snapshot, after: Snapshot, windows: Sequence[Window], *, most: int = MOST_WRITES
) -> Explanation | None:
    """Could a positional walk bracketed by `before` and `after` have read these windows
    while the writes between the two reads arrived, one after another, in some order?

    A state of the listing is `before` with some of the writes applied (a new thread
    present, a vanished one gone); the states the pages were served from must grow from
    page to page. Where the two reads leave the place of a write's thread open (see
    `_union_orders`), each place is tried. None when that cannot be told: a read that
    stopped early, a thread that moved (an update in an activity order), more than `most`
    writes or `MOST_STATES` states, a read holding a thread twice (shifted by a write
    while it was taken), or a page holding a thread that neither read saw (created and
    deleted meanwhile)."""
    change = compare(before, after)
    writes = (*change.new, *change.vanished)
    if change.moved or not (before.complete and after.complete) or len(writes) > most:
        return None
    if len(set(before.ids)) < len(before.ids) or len(set(after.ids)) < len(after.ids):
        return None  # a read a write disturbed (a page shifted under it): no order to trust
    orders = _union_orders(before.ids, after.ids, MOST_STATES >> len(writes))
    if orders is None:
        return None
    known = set(before.ids) | set(after.ids)
    if any(ident not in known for window in windows for ident in window.ids):
        return None
    found = [
        _explained_in(_States(order, change.new, change.vanished), windows) for order in orders
    ]
    best = min(found, key=_unexplained_count)
    if best.items is None:
        return replace(best, states=sum(f.states for f in found))
    # No order explains the items: name the first page by which every order had failed.
    last = max(f.items for f in found if f.items is not None)
    return Explanation(last, None, None, sum(f.states for f in found))


def _explained_in(listings: _States, windows: Sequence[Window]) -> Explanation:
    """`explain` for one order of the listing's threads."""

    def first_unexplained(*fields: str) -> int | None:
        return _first_unexplained(listings, windows, fields)

    items = first_unexplained()
    if items is not None:
        return Explanation(items, None, None, listings.count)
    return Explanation(
        None, first_unexplained("total"), first_unexplained("has_more"), listings.count
    )


def _unexplained_count(found: Explanation) -> tuple[bool, int]:
    """Orders that explain the items first, then those that explain the most fields."""
    fields = (found.total, found.has_more)
    return found.items is not None, sum(index is not None for index in fields)


class _States:
    """The listing under each subset of the writes (a bit mask), built when first asked."""

    def __init__(self, union: list[str], new: Sequence[str], vanished: Sequence[str]) -> None:
        self._union = union
        self._bit = {ident: 1 << n for n, ident in enumerate((*new, *vanished))}
        self._new = set(new)
        self.writes = len(self._bit)
        self.count = 1 << self.writes
        self._built: dict[int, tuple[str, ...]] = {}

    def listing(self, state: int) -> tuple[str, ...]:
        if state not in self._built:
            self._built[state] = tuple(i for i in self._union if self._present(i, state))
        return self._built[state]

    def _present(self, ident: str, state: int) -> bool:
        bit = self._bit.get(ident)
        if bit is None:
            return True  # in both reads: untouched by the writes
        applied = bool(state & bit)
        return applied if ident in self._new else not applied


def _first_unexplained(
    listings: _States, windows: Sequence[Window], fields: tuple[str, ...]
) -> int | None:
    """The first window no state reachable from the previous page's states explains."""
    reachable = [False] * listings.count
    reachable[0] = True  # before the first page: no write applied yet (any may follow)
    for index, window in enumerate(windows):
        _grow(reachable, listings.writes)
        fits = [ok and _fits(listings.listing(s), window, fields) for s, ok in enumerate(reachable)]
        if not any(fits):
            return index
        reachable = fits
    return None


def _grow(reachable: list[bool], writes: int) -> None:
    """Every superset of a reachable state is reachable: more writes may land meanwhile."""
    for bit in range(writes):
        mask = 1 << bit
        for state in range(len(reachable)):
            if state & mask and not reachable[state] and reachable[state ^ mask]:
                reachable[state] = True


def _fits(listing: tuple[str, ...], window: Window, fields: tuple[str, ...]) -> bool:
    if listing[window.start : window.start + window.size] != window.ids:
        return False
    if "total" in fields and window.total is not None and window.total != len(listing):
        return False
    more = window.start + window.size < len(listing)
    return not ("has_more" in fields and window.has_more is not None and window.has_more != more)


def _union_orders(before: Sequence[str], after: Sequence[str], most: int) -> list[list[str]] | None:
    """Every order of the ids of either read that the two reads allow, or None past `most`.

    The ids both reads hold keep the later read's order. A vanished id (only the earlier
    read holds it) follows the id both hold before it in the earlier read; a new one the
    id both hold before it in the later read. When vanished and new ids fall between the
    same two ids both hold, their order among themselves is open: the reads themselves may
    have been shifted by the writes. A deletion during a read of an offset listing makes
    its next page skip a thread, so that read holds a thread's neighbours but not the
    thread, which then looks new beside a thread another deletion removed later; placing
    the vanished one first gave a page no state held (a false PAGE-NO-GAPS at
    --concurrency 12). Each interleaving is returned, in turn."""
    later, earlier = set(after), set(before)
    vanished_after: dict[str | None, list[str]] = {}  # the vanished ids after each common id
    anchor: str | None = None
    for ident in before:
        if ident in later:
            anchor = ident
        else:
            vanished_after.setdefault(anchor, []).append(ident)
    pieces: list[list[list[str]]] = []  # each stretch of the listing, in each order it may take
    anchor, new = None, []
    for held in [*after, None]:  # None: the end of the listing
        if held is not None and held not in earlier:
            new.append(held)
            continue
        pieces.append(list(_interleavings(vanished_after.get(anchor, []), new)))
        if held is not None:
            pieces.append([[held]])
        anchor, new = held, []
    if math.prod(len(piece) for piece in pieces) > most:
        return None
    return [list(chain.from_iterable(choice)) for choice in product(*pieces)]


def _interleavings(one: list[str], two: list[str]) -> Iterator[list[str]]:
    """Every merge of two sequences that keeps each one's own order."""
    if not one or not two:
        yield [*one, *two]
        return
    for rest in _interleavings(one[1:], two):
        yield [one[0], *rest]
    for rest in _interleavings(one, two[1:]):
        yield [two[0], *rest]


@dataclass
class LiveLog:
    """What one contract's run saw of a changing target, for the reports."""

    changes: list[tuple[str, Change]] = field(default_factory=list)  # (where, what)
    repeated: int = 0  # walks taken again because the listing changed under them
    explained: int = 0  # walks judged allowing for the writes seen during them
    unjudged: dict[str, str] = field(default_factory=dict)  # rule -> why it was not judged
    checks: int = 0  # re-reads made to tell a change from a fault
    first: tuple[Hashable, Snapshot] | None = None  # the run's first reference: (key, read)

    def saw(self, where: str, change: Change) -> None:
        if change:
            self.changes.append((where, change))

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    @property
    def total(self) -> Change:
        """Every change seen, added up."""
        whole = Change()
        for _, change in self.changes:
            whole = whole + change
        return whole

    def describe(self) -> str:
        """One line for the terminal and the reports, or "" for an unchanged target."""
        if not self.changes:
            return ""
        text = (
            f"the listing changed while it was tested ({self.total.describe()}); "
            f"{self.repeated} walk(s) taken again"
        )
        if self.explained:
            text += f", {self.explained} judged allowing for the writes"
        if self.unjudged:
            text += f", {len(self.unjudged)} rule(s) left unjudged"
        return text


def _ids(ids: Sequence[str]) -> str:
    shown = ", ".join(ids[:_SHOWN])
    return shown + (f", … {len(ids) - _SHOWN} more" if len(ids) > _SHOWN else "")


def _union(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*a, *b)))
