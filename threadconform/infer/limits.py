"""The page-size parameter and its limits: its name, default, minimum and maximum (and
what a limit past the maximum gets), settled once the walk shows the listing's length.
"""

from __future__ import annotations

import re

from threadconform.infer.facts import todo
from threadconform.infer.probe import link_next
from threadconform.infer.state import HUGE, LIMITS, Inference, Stop
from threadconform.infer.style import body_link

__all__ = ["find_limit_param", "find_maximum", "settle_limits"]


def find_limit_param(inf: Inference) -> None:
    assert inf.first is not None and inf.first.items is not None
    size = len(inf.first.items)
    inf.small_limit = 2 if size > 2 else 1
    hinted = [name for name in _link_params(inf) if name in LIMITS]
    for name in dict.fromkeys([*hinted, *LIMITS]):
        page = inf.prober.get({name: inf.small_limit})
        if page.ok and len(page.items or []) == inf.small_limit and size != inf.small_limit:
            inf.small = page
            inf.found.put(("limit", "param"), name, f"{page.shown} (the default page: {size})")
            _default(inf, size)
            _minimum(inf, name)
            return
    tried = ", ".join(LIMITS)
    inf.found.put(("limit", "param"), todo("the page-size parameter"), f"tried {tried}")
    raise Stop(f"no page-size parameter among {tried} changed the page length")


def _link_params(inf: Inference) -> list[str]:
    assert inf.first is not None
    link = link_next(inf.first.response.headers) or body_link(inf.first.body)
    query = inf.prober.follow(inf.first, link[1] if isinstance(link, tuple) else link or "")
    return [name for name, _ in query or ()]


def _default(inf: Inference, size: int) -> None:
    assert inf.first is not None
    # Refined after the walk: a default page holding the whole listing proves no default.
    inf.found.put(("limit", "default"), size, f"{inf.first.shown} (no limit sent)")


def _minimum(inf: Inference, name: str) -> None:
    page = inf.prober.get({name: 0})
    if page.status is not None and 400 <= page.status < 500:
        inf.bodies.setdefault("validation", page)
        inf.found.put(("limit", "minimum"), 1, f"{page.shown}: zero is refused")
    else:
        inf.found.put(("limit", "minimum"), None, f"{page.shown}: zero is not refused")


def find_maximum(inf: Inference) -> None:
    name = inf.limit_param
    assert name is not None
    huge = inf.prober.get({name: HUGE})
    if huge.ok:
        # Accepted: clamped if one more is no longer; decided for good after the walk.
        inf.largest = len(huge.items or [])
        inf.found.put(("limit", "maximum"), ("clamped?", inf.largest), huge.shown)
        return
    if huge.status is None or not 400 <= huge.status < 500:
        raise Stop(f"{huge.shown}: neither accepted nor refused")
    inf.bodies.setdefault("validation", huge)
    low = int(inf.found.value("limit", "default") or 1)
    for hint in _numbers(huge.response.text, low):
        accepted, refused = inf.prober.get({name: hint}), inf.prober.get({name: hint + 1})
        if accepted.ok and refused.status is not None and 400 <= refused.status < 500:
            _found_maximum(inf, hint, f"{huge.shown}; {accepted.shown}; {refused.shown}")
            return
    high = HUGE  # refused; `low` accepted (the default page was)
    while high - low > 1:
        middle = (low + high) // 2
        if inf.prober.get({name: middle}).ok:
            low = middle
        else:
            high = middle
    _found_maximum(inf, low, f"{huge.shown}; bisection: {low} accepted, {low + 1} refused")


def _found_maximum(inf: Inference, maximum: int, evidence: str) -> None:
    inf.largest = maximum
    inf.found.put(("limit", "maximum"), maximum, evidence)
    inf.found.put(("limit", "out_of_range"), "reject", "a limit past the maximum got a 4xx")


def _numbers(text: str, above: int) -> list[int]:
    found = [int(n) for n in re.findall(r"\d+", text) if above <= int(n) < HUGE]
    return sorted(set(found), reverse=True)[:3]


def settle_limits(inf: Inference, size: int, total: int) -> None:
    """With the listing's length known: a default page or an accepted huge limit that held
    everything proves nothing about a default or a maximum."""
    default = inf.found.value("limit", "default")
    if isinstance(default, int) and default >= total:
        why = f"the default page held the whole listing ({total} items)"
        inf.found.put(("limit", "default"), todo("the default page size (" + why + ")"), why)
    maximum = inf.found.value("limit", "maximum")
    if isinstance(maximum, tuple):
        name = inf.limit_param
        if maximum[1] >= total:
            why = f"{name}={HUGE} returned the whole listing ({total} items): no maximum shows"
            inf.found.put(("limit", "maximum"), todo("the documented maximum page size"), why)
        else:
            why = f"{name}={HUGE} returned {maximum[1]} of {total} items: clamped"
            inf.found.put(("limit", "maximum"), maximum[1], why)
            inf.found.put(("limit", "out_of_range"), "reject-or-clamp", why)
