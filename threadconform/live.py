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

This module is pure: it compares two reads of a listing (`Snapshot`s, from the reference
walk taken before and re-read after) and names the change. The probes decide when to read.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from threadconform.walk import Walk

__all__ = [
    "CONSISTENCY",
    "DEFAULT_CONSISTENCY",
    "Change",
    "Consistency",
    "LiveLog",
    "Snapshot",
    "compare",
    "existed_throughout",
    "snapshot",
]

Consistency = Literal["none", "keyset", "snapshot"]
CONSISTENCY: tuple[Consistency, ...] = ("none", "keyset", "snapshot")
# What each style promises under writes when the spec does not say: a cursor style is an
# `after=<id>` keyset; an opaque token or link may be an encoded offset, so nothing.
DEFAULT_CONSISTENCY: dict[str, Consistency] = {
    "page": "none",
    "offset": "none",
    "first-n": "none",
    "cursor": "keyset",
    "token": "none",
    "next-link": "none",
    "link-header": "none",
}
_SHOWN = 5  # ids named in one line


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
    content = tuple(page.body_digest for page in walk.pages)
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
    (page-capped), ids past the shorter read's end are not called new or vanished.

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
    rewritten = not (new or vanished or moved or total) and before.content != after.content
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


def _moved(before: Snapshot, after: Snapshot, common: set[str]) -> tuple[str, ...]:
    key_before = dict(zip(before.ids, before.keys, strict=False))
    key_after = dict(zip(after.ids, after.keys, strict=False))
    return tuple(i for i in before.ids if i in common and key_before.get(i) != key_after.get(i))


@dataclass
class LiveLog:
    """What one contract's run saw of a changing target, for the reports."""

    changes: list[tuple[str, Change]] = field(default_factory=list)  # (where, what)
    repeated: int = 0  # walks taken again because the listing changed under them
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
        if self.unjudged:
            text += f", {len(self.unjudged)} rule(s) left unjudged"
        return text


def _ids(ids: Sequence[str]) -> str:
    shown = ", ".join(ids[:_SHOWN])
    return shown + (f", … {len(ids) - _SHOWN} more" if len(ids) > _SHOWN else "")


def _union(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*a, *b)))
