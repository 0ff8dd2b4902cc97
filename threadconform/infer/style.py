"""The pagination style: a Link header, a next link or token in the body, a cursor, a
page number or an offset, each accepted only when its second page continues the first.
"""

from __future__ import annotations

from typing import Any

from threadconform.infer.probe import Page, link_next
from threadconform.infer.state import AFTERS, BEFORES, OFFSETS, PAGES, TOKENS, Inference

__all__ = ["body_link", "find_style", "is_url"]


def find_style(inf: Inference) -> None:
    for detect in (_link_header, _next_link, _token, _cursor, _page, _offset):
        if detect(inf):
            return
    inf.found.put(("style",), "first-n", "no next link, token, cursor, page or offset works")


def _continues(inf: Inference, page: Page, skip: int) -> bool:
    """`page` holds exactly the items after the first `skip` of the listing at the small
    limit: no item of page 1, and the next ones in order (checked against one request for
    2 × the small limit, which is fetched once)."""
    if not page.ok or not page.items or inf.small is None:
        return False
    name = inf.limit_param
    if "double" not in inf.bodies and name:
        inf.bodies["double"] = inf.prober.get({name: inf.small_limit * 2})
    double = inf.bodies.get("double")
    wanted = double.ids(inf.id_path)[skip : skip + inf.small_limit] if double else []
    return page.ids(inf.id_path) == wanted and bool(wanted)


def _link_header(inf: Inference) -> bool:
    assert inf.small is not None
    link = link_next(inf.small.response.headers)
    query = inf.prober.follow(inf.small, link) if link else None
    if query is None:
        return False
    page = inf.prober.get(query)
    if not _continues(inf, page, inf.small_limit):
        return False
    evidence = f'{inf.small.shown}: Link rel="next" <{link}>; {page.shown} continues it'
    inf.found.put(("style",), "link-header", evidence)
    inf.found.put(("link",), {"rel": "next"}, evidence)
    return True


def body_link(body: Any) -> tuple[str, str] | None:
    """(body path, URL) of a next link in the body: a URL under a key naming `next`."""
    if not isinstance(body, dict):
        return None
    for key, value in body.items():
        escaped = str(key).replace(".", "\\.")
        if isinstance(value, dict):
            inner = body_link(value)
            if inner is not None:
                return f"{escaped}.{inner[0]}", inner[1]
        elif "next" in str(key).lower() and is_url(value):
            return escaped, str(value)
    return None


def is_url(value: Any) -> bool:
    return isinstance(value, str) and (value.startswith(("http://", "https://", "/", "?")))


def _next_link(inf: Inference) -> bool:
    assert inf.small is not None
    found = body_link(inf.small.body)
    query = inf.prober.follow(inf.small, found[1]) if found else None
    if found is None or query is None:
        return False
    page = inf.prober.get(query)
    if not _continues(inf, page, inf.small_limit):
        return False
    evidence = f"{inf.small.shown}: {found[0]} = {found[1]!r}; {page.shown} continues it"
    inf.found.put(("style",), "next-link", evidence)
    inf.found.put(("link",), {"next": found[0]}, evidence)
    return True


def _token(inf: Inference) -> bool:
    assert inf.small is not None
    body = inf.small.body if isinstance(inf.small.body, dict) else {}
    keys = [
        k
        for k, v in body.items()
        if isinstance(v, str) and v and not is_url(v)
        if any(word in k.lower() for word in ("token", "cursor", "next"))
    ]
    for key in keys:
        derived = (
            key[4].lower() + key[5:] if key.lower().startswith("next") and len(key) > 5 else key
        )
        for param in dict.fromkeys([derived, *TOKENS]):
            page = inf.prober.get({inf.limit_param or "": inf.small_limit, param: body[key]})
            if _continues(inf, page, inf.small_limit):
                evidence = f"{inf.small.shown}: {key} = {body[key]!r}; {page.shown} continues it"
                inf.found.put(("style",), "token", evidence)
                inf.found.put(("token",), {"param": param, "next": key}, evidence)
                return True
    return False


def _cursor(inf: Inference) -> bool:
    assert inf.small is not None
    ids = inf.small.ids(inf.id_path)
    for name in AFTERS:
        page = inf.prober.get({inf.limit_param or "": inf.small_limit, name: ids[-1]})
        if _continues(inf, page, inf.small_limit):
            inf.found.put(("style",), "cursor", f"{page.shown}: the items after {ids[-1]!r}")
            inf.found.put(("cursor", "after"), name, page.shown)
            _before(inf, page)
            return True
    return False


def _before(inf: Inference, second: Page) -> None:
    """The parameter that pages backward: `before=` the last item of page 2 returns the
    small-limit items just ahead of it. Not the first item of page 2: the page before it is
    page 1, which a server that ignores the parameter returns too."""
    assert inf.small is not None
    both = inf.small.ids(inf.id_path) + second.ids(inf.id_path)
    last = both[-1]
    wanted = both[-1 - inf.small_limit : -1]
    for name in BEFORES:
        page = inf.prober.get({inf.limit_param or "": inf.small_limit, name: last})
        if page.ok and page.ids(inf.id_path) == wanted:
            evidence = f"{page.shown}: the {len(wanted)} items just before {last!r}"
            inf.found.put(("cursor", "before"), name, evidence)
            return
    inf.found.put(("cursor", "before"), None, f"none of {', '.join(BEFORES)} pages backward")


def _page(inf: Inference) -> bool:
    for name in PAGES:
        page = inf.prober.get({inf.limit_param or "": inf.small_limit, name: 2})
        if _continues(inf, page, inf.small_limit):
            inf.bodies["page2"] = page
            inf.found.put(("style",), "page", f"{page.shown}: the second page")
            one = inf.prober.get({inf.limit_param or "": inf.small_limit, name: 1})
            same = (
                one.ok
                and inf.small is not None
                and one.ids(inf.id_path) == inf.small.ids(inf.id_path)
            )
            zero = inf.prober.get({inf.limit_param or "": inf.small_limit, name: 0})
            refused = zero.status is not None and 400 <= zero.status < 500
            block = {
                "param": name,
                "default": 1 if same else None,
                "minimum": 1 if refused else None,
            }
            inf.found.put(
                ("page",), block, f"{one.shown} (page 1 = no page sent: {same}); {zero.shown}"
            )
            return True
    return False


def _offset(inf: Inference) -> bool:
    for name in OFFSETS:
        page = inf.prober.get({inf.limit_param or "": inf.small_limit, name: inf.small_limit})
        if _continues(inf, page, inf.small_limit):
            inf.found.put(
                ("style",), "offset", f"{page.shown}: the items after the first {inf.small_limit}"
            )
            below = inf.prober.get({inf.limit_param or "": inf.small_limit, name: -1})
            refused = below.status is not None and 400 <= below.status < 500
            block = {"param": name, "default": 0, "minimum": 0 if refused else None}
            inf.found.put(("offset",), block, f"{below.shown}")
            return True
    return False
