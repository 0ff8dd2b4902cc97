"""The walk: every item of the listing at the largest limit, following the inferred style
to the end; what later steps (order, totals, limits) read.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from threadconform import paths
from threadconform.infer.limits import settle_limits
from threadconform.infer.probe import Page, link_next
from threadconform.infer.state import Inference

_MAX_PAGES = 200

__all__ = ["walk_listing"]


def walk_listing(inf: Inference) -> None:
    """Every item, at the largest limit, following the inferred style to the end."""
    name = inf.limit_param
    assert name is not None
    size = inf.largest or int(inf.found.value("limit", "default") or inf.small_limit)
    pages = list(_pages(inf, {name: size}))
    inf.walked = [item for page in pages for item in page.items or []]
    inf.last_page = pages[-1] if pages else None
    inf.past_end = _past_end(inf, pages, {name: size})
    ids = [str(paths.get(item, inf.id_path)) for item in inf.walked]
    what = f"{len(pages)} pages of {name}={size}: {len(ids)} items, {len(set(ids))} distinct ids"
    inf.found.put(("walk",), len(set(ids)), what)
    settle_limits(inf, size, len(set(ids)))


def _pages(inf: Inference, base: dict[str, Any]) -> Iterator[Page]:
    page = inf.prober.get(base)
    seen: set[str] = set()
    for _ in range(_MAX_PAGES):
        yield page
        ids = page.ids(inf.id_path)
        if not page.ok or not ids or seen.issuperset(ids):
            return
        seen.update(ids)
        params = _next_params(inf, page, base, len(seen))
        if params is None:
            return
        page = inf.prober.get(params)


def _past_end(inf: Inference, pages: list[Page], base: dict[str, Any]) -> Page | None:
    """One request for the page after the last (a cursor after the last item, the next
    page number or offset): an empty page shows what the body holds then (a null first_id)."""
    last = pages[-1] if pages else None
    if last is None or not last.ok or not last.items or inf.style not in _PAST_END:
        return None
    count = len({str(paths.get(item, inf.id_path)) for item in inf.walked})
    params = _next_params(inf, last, base, count, full=False)
    return inf.prober.get(params) if params is not None else None


_PAST_END = ("page", "offset", "cursor")


def _next_params(
    inf: Inference, page: Page, base: dict[str, Any], count: int, *, full: bool = True
) -> Any:
    """The query of the page after `page`; None at the end (`full`: a short page ends a
    page, offset or cursor listing)."""
    style, size = inf.style, next(iter(base.values()))
    if full and style in _PAST_END and len(page.items or []) < int(size):
        return None
    if style == "page":
        block = inf.found.value("page")
        number = int(dict(page.params).get(block["param"], "1"))
        return {**base, block["param"]: number + 1}
    if style == "offset":
        return {**base, inf.found.value("offset")["param"]: count}
    if style == "cursor":
        return {**base, inf.found.value("cursor", "after"): page.ids(inf.id_path)[-1]}
    if style == "token":
        token = inf.found.value("token")
        value = paths.get(page.body, token["next"])
        return {**base, token["param"]: value} if isinstance(value, str) and value else None
    if style in ("next-link", "link-header"):
        link = link_next(page.response.headers) if style == "link-header" else None
        if style == "next-link":
            value = paths.get(page.body, inf.found.value("link")["next"])
            link = value if isinstance(value, str) and value else None
        return inf.prober.follow(page, link) if link else None
    return None
