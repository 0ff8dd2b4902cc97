"""WALK-HOLDS-PLACE: does a page token or next link name a thread, or a position?

Judged on a forward walk by token or link during which the listing changed (the reads
before and after it differ). A token that names the last thread seen (its sort key and
id) resumes right after that thread whatever arrived or vanished meanwhile; a token that
encodes a position (an offset in disguise) shifts by one for every thread that arrived or
vanished before it, so a page repeats the previous page's last thread or skips one. On a
frozen listing the two cannot be told apart, which is why this is only judged on a walk
the writes disturbed (docs/contracts.md#live-targets).
"""

from __future__ import annotations

from threadconform.exchange import Request
from threadconform.invariants.base import for_styles, invariant
from threadconform.invariants.helpers import CAP, at, fail
from threadconform.ledger import Violation
from threadconform.live import Snapshot, Window, compare, explain, owed_by
from threadconform.model import Pagination
from threadconform.walk import Walk

__all__ = ["walk_holds_place"]

TOKEN_STYLES = ("token", "next-link", "link-header")


def _telling(
    pagination: Pagination, walk: Walk, before: Snapshot, after: Snapshot, *, ahead: bool = False
) -> str | None:
    """A walk shows what its tokens hold on to only if a write landed where it would
    shift a page. One that served every thread once is judged only when that is known
    (`ahead`: the write hook created a thread ahead of the walk's position between two
    of its pages): nobody knows whether a write seen afterwards landed during the walk or
    after it, and a token it never tested must not pass."""
    if len(walk.pages) < 2:
        return "the walk had one page: no token was followed"
    if not compare(before, after):
        return "the listing did not change during the walk: it shows nothing about the token"
    if ahead or any(_lost(walk, before, after)):
        return None
    return "no write is known to have landed ahead of the walk's position during it"


@invariant("WALK-HOLDS-PLACE", applies=for_styles(*TOKEN_STYLES), needs=_telling)
def walk_holds_place(
    pagination: Pagination, walk: Walk, before: Snapshot, after: Snapshot, *, ahead: bool = False
) -> list[Violation]:
    """(walk, before, after, ahead=False): a forward walk by token or link, the reads of
    the listing taken before and after it (it changed in between), and whether a write is
    known to have landed ahead of the walk's position while it was taken."""
    repeated, missing = _lost(walk, before, after)
    if not repeated and not missing:
        return []
    return fail(
        "WALK-HOLDS-PLACE",
        _message(pagination, walk, before, after, repeated, missing),
        _evidence(walk, repeated),
        "every thread that existed throughout exactly once",
        _what(repeated, missing),
    )


def _lost(walk: Walk, before: Snapshot, after: Snapshot) -> tuple[list[str], list[str]]:
    """The threads the walk served twice, and those it owed (they existed throughout) but
    never served; both empty for a walk that kept its place. A thread whose sort key
    changed meanwhile (new activity in a listing ordered by it) moved: a token that names
    its thread may rightly miss it or meet it again, so it is neither."""
    moved = set(compare(before, after).moved)
    seen: set[str] = set()
    repeated: dict[str, None] = {}
    for ident in walk.ids:
        if ident in seen and ident not in moved:
            repeated[ident] = None
        seen.add(ident)
    owed = owed_by(walk, before, after)
    return list(repeated), [i for i in owed if i not in seen and i not in moved]


def _what(repeated: list[str], missing: list[str]) -> str:
    parts = []
    if repeated:
        parts.append(f"{len(repeated)} repeated {repeated[:CAP]}")
    if missing:
        parts.append(f"{len(missing)} missing {missing[:CAP]}")
    return "; ".join(parts)


def _message(
    pagination: Pagination,
    walk: Walk,
    before: Snapshot,
    after: Snapshot,
    repeated: list[str],
    missing: list[str],
) -> str:
    change = compare(before, after)
    index = _first_page_of(walk, repeated)
    did = []
    if repeated:
        where = at(pagination, walk.pages[index], index + 1)
        shown = ", ".join(repeated[:CAP])
        did.append(f"repeated {len(repeated)} thread(s) ({shown}), first on {where}")
    if missing:
        did.append(
            f"never showed {len(missing)} thread(s) that existed before and after it "
            f"({', '.join(missing[:CAP])})"
        )
    shift = (
        " The writes explain every page if each page starts at a fixed position: the token "
        "encodes an offset."
        if _positional(walk, before, after) is True
        else ""
    )
    return (
        f"The listing changed during the walk ({change.describe()}), and the walk "
        f"{' and '.join(did)}. A token that names the last thread it served resumes after "
        f"that thread whatever arrived or vanished.{shift} Check that the next page token "
        "encodes the last item's sort key and id, not its position."
    )


def _first_page_of(walk: Walk, repeated: list[str]) -> int:
    """The index of the page where the first repeat showed, within a page or across two
    (the second page when nothing repeated)."""
    seen: set[str] = set()
    for index, page in enumerate(walk.pages):
        for ident in page.ids:
            if ident in seen and ident in repeated:
                return index
            seen.add(ident)
    return 1


def _evidence(walk: Walk, repeated: list[str]) -> list[Request]:
    index = _first_page_of(walk, repeated)
    return [page.request for page in walk.pages[max(0, index - 1) : index + 1]]


def _positional(walk: Walk, before: Snapshot, after: Snapshot) -> bool | None:
    """Do the writes explain the walk as an offset walk, each page starting where the
    pages before it ended (`live.explain`)? None when that cannot be told."""
    size = max((len(page.ids) for page in walk.pages), default=0)
    if size == 0:
        return None
    starts = [sum(len(p.ids) for p in walk.pages[:n]) for n in range(len(walk.pages))]
    windows = [
        Window(start, size, page.ids) for start, page in zip(starts, walk.pages, strict=True)
    ]
    found = explain(before, after, windows)
    return None if found is None else found.items is None
