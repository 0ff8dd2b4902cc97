"""The inference itself: which requests `infer` sends and what it concludes from them.

Each step reads earlier findings and adds its own, each with the requests that showed it.
A step the request budget cuts short is named in `Findings.not_inferred`; its facts stay
TODOs.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from threadconform import paths
from threadconform.client import BudgetExhausted
from threadconform.infer.facts import Findings, todo
from threadconform.infer.probe import Page, Prober, link_next
from threadconform.infer.shapes import is_date_time, is_unix_seconds

__all__ = ["LIMITS", "Inference", "run"]

LIMITS = ("limit", "per_page", "pageSize", "page_size", "maxResults", "$top", "first", "size")
AFTERS = ("after", "starting_after", "cursor", "after_id", "since_id")
BEFORES = ("before", "ending_before", "before_id")
TOKENS = ("pageToken", "page_token", "cursor", "token", "next", "continuation", "nextToken")
PAGES = ("page", "page_number", "pageNumber")
OFFSETS = ("offset", "skip", "start", "$skip")
_HUGE = 10_000
_MAX_PAGES = 200
PX = "x-pagination"


@dataclass
class Inference:
    """The state the steps share: the prober, the findings, and what the requests showed."""

    prober: Prober
    found: Findings = field(default_factory=Findings)
    first: Page | None = None  # the default page
    small: Page | None = None  # page 1 at the small limit
    small_limit: int = 0
    largest: int | None = None  # the largest limit known to be accepted
    walked: list[Any] = field(default_factory=list)  # every item of the full walk
    last_page: Page | None = None
    bodies: dict[str, Any] = field(default_factory=dict)  # error bodies by status
    auth_kind: str | None = None  # "bearer", "header:<Name>" or None

    @property
    def id_path(self) -> str:
        return str(self.found.value("response", "id"))

    @property
    def limit_param(self) -> str | None:
        value = self.found.value("limit", "param")
        return None if value is None or str(value).startswith("TODO") else str(value)

    @property
    def style(self) -> str:
        return str(self.found.value("style", default=""))


def run(inference: Inference, credential: str | None, headers: dict[str, str]) -> Inference:
    """Every step in order; a spent budget ends the run and names what was left."""
    steps: list[tuple[str, Callable[[], None]]] = [
        ("auth", lambda: _auth(inference, credential, headers)),
        ("items path and id", lambda: _items(inference)),
        ("limit parameter", lambda: _limit_param(inference)),
        ("pagination style", lambda: _style(inference)),
        ("maximum limit", lambda: _maximum(inference)),
        ("walk at the largest limit (order, totals)", lambda: _walk(inference)),
        ("response fields", lambda: _response_fields(inference)),
        ("order", lambda: _order(inference)),
        ("error envelope", lambda: _errors(inference)),
        ("cursor errors", lambda: _cursor_errors(inference)),
    ]
    for index, (name, step) in enumerate(steps):
        try:
            step()
        except BudgetExhausted:
            left = [name] + [later for later, _ in steps[index + 1 :]]
            inference.found.not_inferred += left
            break
        except _Stop as stop:
            inference.found.not_inferred.append(f"{name}: {stop}")
            inference.found.not_inferred += [later for later, _ in steps[index + 1 :]]
            break
    return inference


class _Stop(Exception):
    """A step found nothing later steps could build on."""


# --- auth -----------------------------------------------------------------------------


def _auth(inf: Inference, credential: str | None, headers: dict[str, str]) -> None:
    prober = inf.prober
    bare = prober.get(headers={})
    inf.bodies["auth"] = bare
    choices: list[tuple[str, dict[str, str]]] = []
    if headers:
        name = next(iter(headers))
        kind = "bearer" if name.lower() == "authorization" else f"header:{name}"
        choices.append((kind, dict(headers)))
    if credential:
        choices.append(("bearer", {**headers, "Authorization": f"Bearer {credential}"}))
        choices.append(("header:X-API-Key", {**headers, "X-API-Key": credential}))
    if bare.response.ok and bare.status not in (401, 403):
        inf.first = bare
        inf.found.put(("auth",), None, f"{bare.shown}: no credential is needed")
        prober.auth_headers = dict(headers)
        return
    for kind, sent in choices:
        page = prober.get(headers=sent)
        if page.response.ok:
            inf.first, inf.auth_kind = page, kind
            prober.auth_headers = sent
            how = "Authorization: Bearer" if kind == "bearer" else kind.split(":", 1)[1]
            evidence = f"{bare.shown} (no credential); {page.shown} with {how}"
            inf.found.put(("auth",), kind, evidence)
            return
    raise _Stop(f"{bare.shown} without a credential, and no credential given works")


# --- items and id ---------------------------------------------------------------------


def _items(inf: Inference) -> None:
    assert inf.first is not None
    body = inf.first.body
    found = _arrays(body, ())
    if not found:
        raise _Stop(f"{inf.first.shown}: no array of objects in the body")
    where, items = max(found, key=lambda pair: len(pair[1]))
    path = "$" if not where else ".".join(p.replace(".", "\\.") for p in where)
    inf.prober.items_path = path
    shown = f"GET {inf.prober.show(inf.first.params)} -> {inf.first.status}, {len(items)} items"
    inf.first = Page(inf.first.params, inf.first.response, items, shown)
    evidence = f"{inf.first.shown}: the largest array of objects is at {path!r}"
    inf.found.put(("response", "items"), path, evidence)
    ident = _id_field(items)
    if ident is None:
        inf.found.put(("response", "id"), todo("the item field holding a unique id"), evidence)
        raise _Stop("no item field is unique across the first page")
    inf.found.put(("response", "id"), ident, f"{inf.first.shown}: {ident!r} is unique per item")


def _arrays(node: Any, where: tuple[str, ...]) -> list[tuple[tuple[str, ...], list[Any]]]:
    found: list[tuple[tuple[str, ...], list[Any]]] = []
    if isinstance(node, list) and node and all(isinstance(i, dict) for i in node):
        found.append((where, node))
    if isinstance(node, dict) and len(where) < 3:
        for key, value in node.items():
            found += _arrays(value, (*where, str(key)))
    return found


def _id_field(items: list[Any]) -> str | None:
    """ "id" if unique, else the first *id/*Id field unique across the page."""
    keys = [k for k in items[0] if all(isinstance(i.get(k), (str, int)) for i in items)]
    unique = [k for k in keys if len({str(i[k]) for i in items}) == len(items)]
    named = [k for k in unique if k == "id"] + [k for k in unique if k.lower().endswith("id")]
    return named[0] if named else None


# --- limit ----------------------------------------------------------------------------


def _limit_param(inf: Inference) -> None:
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
    raise _Stop(f"no page-size parameter among {tried} changed the page length")


def _link_params(inf: Inference) -> list[str]:
    assert inf.first is not None
    link = link_next(inf.first.response.headers) or _body_link(inf.first.body)
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


def _maximum(inf: Inference) -> None:
    name = inf.limit_param
    assert name is not None
    huge = inf.prober.get({name: _HUGE})
    if huge.ok:
        # Accepted: clamped if one more is no longer; decided for good after the walk.
        inf.largest = len(huge.items or [])
        inf.found.put(("limit", "maximum"), ("clamped?", inf.largest), huge.shown)
        return
    if huge.status is None or not 400 <= huge.status < 500:
        raise _Stop(f"{huge.shown}: neither accepted nor refused")
    inf.bodies.setdefault("validation", huge)
    low = int(inf.found.value("limit", "default") or 1)
    for hint in _numbers(huge.response.text, low):
        accepted, refused = inf.prober.get({name: hint}), inf.prober.get({name: hint + 1})
        if accepted.ok and refused.status is not None and 400 <= refused.status < 500:
            _found_maximum(inf, hint, f"{huge.shown}; {accepted.shown}; {refused.shown}")
            return
    high = _HUGE  # refused; `low` accepted (the default page was)
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
    found = [int(n) for n in re.findall(r"\d+", text) if above <= int(n) < _HUGE]
    return sorted(set(found), reverse=True)[:3]


# --- style ----------------------------------------------------------------------------


def _style(inf: Inference) -> None:
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


def _body_link(body: Any) -> tuple[str, str] | None:
    """(body path, URL) of a next link in the body: a URL under a key naming `next`."""
    if not isinstance(body, dict):
        return None
    for key, value in body.items():
        escaped = str(key).replace(".", "\\.")
        if isinstance(value, dict):
            inner = _body_link(value)
            if inner is not None:
                return f"{escaped}.{inner[0]}", inner[1]
        elif "next" in str(key).lower() and _is_url(value):
            return escaped, str(value)
    return None


def _is_url(value: Any) -> bool:
    return isinstance(value, str) and (value.startswith(("http://", "https://", "/", "?")))


def _next_link(inf: Inference) -> bool:
    assert inf.small is not None
    found = _body_link(inf.small.body)
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
        if isinstance(v, str) and v and not _is_url(v)
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
    assert inf.small is not None
    first_of_second = second.ids(inf.id_path)[0]
    for name in BEFORES:
        page = inf.prober.get({inf.limit_param or "": inf.small_limit, name: first_of_second})
        if page.ok and page.ids(inf.id_path) == inf.small.ids(inf.id_path):
            evidence = f"{page.shown}: the page before {first_of_second!r} is page 1"
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


# --- the walk -------------------------------------------------------------------------


def _walk(inf: Inference) -> None:
    """Every item, at the largest limit, following the inferred style to the end."""
    name = inf.limit_param
    assert name is not None
    size = inf.largest or int(inf.found.value("limit", "default") or inf.small_limit)
    pages = list(_pages(inf, {name: size}))
    inf.walked = [item for page in pages for item in page.items or []]
    inf.last_page = pages[-1] if pages else None
    ids = [str(paths.get(item, inf.id_path)) for item in inf.walked]
    what = f"{len(pages)} pages of {name}={size}: {len(ids)} items, {len(set(ids))} distinct ids"
    inf.found.put(("walk",), len(set(ids)), what)
    _settle_limits(inf, size, len(set(ids)))


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


def _next_params(inf: Inference, page: Page, base: dict[str, Any], count: int) -> Any:
    style, size = inf.style, next(iter(base.values()))
    if style in ("page", "offset", "cursor") and len(page.items or []) < int(size):
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


def _settle_limits(inf: Inference, size: int, total: int) -> None:
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
            why = f"{name}={_HUGE} returned the whole listing ({total} items): no maximum shows"
            inf.found.put(("limit", "maximum"), todo("the documented maximum page size"), why)
        else:
            why = f"{name}={_HUGE} returned {maximum[1]} of {total} items: clamped"
            inf.found.put(("limit", "maximum"), maximum[1], why)
            inf.found.put(("limit", "out_of_range"), "reject-or-clamp", why)


# --- response fields ------------------------------------------------------------------


def _scalars(body: Any, where: tuple[str, ...] = ()) -> dict[str, Any]:
    """Dotted path -> value of every scalar in the body outside lists (3 levels deep)."""
    found: dict[str, Any] = {}
    if isinstance(body, dict) and len(where) < 3:
        for key, value in body.items():
            here = (*where, str(key).replace(".", "\\."))
            if isinstance(value, dict):
                found.update(_scalars(value, here))
            elif not isinstance(value, list):
                found[".".join(here)] = value
    return found


def _response_fields(inf: Inference) -> None:
    first, last, small = inf.first, inf.last_page, inf.small
    if first is None or first.items is None or not isinstance(first.body, dict):
        return
    total = int(inf.found.value("walk", default=0))
    head, tail = _scalars(first.body), _scalars(last.body if last else None)
    ids = first.ids(inf.id_path)
    shown = first.shown
    for path, value in head.items():
        if type(value) is int and value == total:
            if not inf.found.has("response", "total"):
                inf.found.put(("response", "total"), path, f"{shown}: {path} = {total} = the walk")
        elif value is None and "total" in path.lower() and not inf.found.has("response", "total"):
            inf.found.put(("response", "total"), path, f"{shown}: {path} is null")
            inf.found.put(
                ("response", "total_requires"),
                todo(f"the boolean parameter that fills {path} (it was null), or remove total"),
                f"{shown}: {path} is null",
            )
        elif value is True and tail.get(path) is False:
            inf.found.put(("response", "has_more"), path, f"{shown}: {path} true; last page: false")
        elif isinstance(value, str) and ids and value == ids[0]:
            inf.found.put(("response", "first_id"), path, f"{shown}: {path} = the first id")
        elif isinstance(value, str) and ids and value == ids[-1]:
            inf.found.put(("response", "last_id"), path, f"{shown}: {path} = the last id")
        elif path == "object" and isinstance(value, str) and tail.get(path, value) == value:
            inf.found.put(("response", "object"), {"path": path, "value": value}, shown)
    _echoes(inf, head, _scalars(small.body) if small else {}, total)
    marker = [i.get("object") for i in first.items]
    if marker and isinstance(marker[0], str) and len(set(marker)) == 1:
        inf.found.put(("response", "item_object"), {"path": "object", "value": marker[0]}, shown)


def _echoes(inf: Inference, head: dict[str, Any], small: dict[str, Any], total: int) -> None:
    default = inf.found.value("limit", "default")
    if not isinstance(default, int):
        return
    for path, value in head.items():
        if type(value) is not int or small.get(path) is None:
            continue
        if value == default and small.get(path) == inf.small_limit:
            key = "page_size" if "size" in path.lower() else "limit"
            inf.found.put(
                ("response", key), path, f"echoes the limit: {default}, then {inf.small_limit}"
            )
        elif value == math.ceil(total / default) and small[path] == math.ceil(
            total / inf.small_limit
        ):
            inf.found.put(("response", "pages"), path, f"= ceil({total} / the limit) on both pages")
        elif inf.style == "page" and value == 1 and "page" in path.lower():
            second = inf.bodies.get("page2")
            if second is not None and _scalars(second.body).get(path) == 2:
                inf.found.put(("response", "page"), path, f"1 on page 1, 2 on {second.shown}")


# --- order ----------------------------------------------------------------------------


def _order(inf: Inference) -> None:
    items = inf.walked
    walked = f"the walk's {len(items)} items"
    candidates = _timestamps(items)
    sorted_keys = [(k, enc, d) for k, enc in candidates if (d := _direction(items, k)) is not None]
    if len(items) < 3 or not sorted_keys:
        why = f"no timestamp-like field is sorted across {walked}"
        inf.found.put(("order",), None, why)
        return
    sorted_keys.sort(key=lambda entry: _preference(entry[0]))
    key, encoding, direction = sorted_keys[0]
    others = ", ".join(k for k, _, _ in sorted_keys[1:]) or "none"
    evidence = f"{key} is {direction} across {walked} (also sorted: {others})"
    inf.found.put(("order", "key"), key, evidence)
    inf.found.put(("order", "encoding"), encoding, f"the values of {key} are {encoding}")
    inf.found.put(("order", "direction"), direction, evidence)
    inf.found.put(
        ("order", "documented"),
        todo(
            "does the vendor document this order? true: MUST; false: a SHOULD convention; "
            "or set order: null"
        ),
        "requests show an order, never whether it is promised",
    )
    _tie_breaker(inf, key, encoding, direction)


def _timestamps(items: list[Any]) -> list[tuple[str, str]]:
    if not items or not isinstance(items[0], dict):
        return []
    found = []
    for key in items[0]:
        values = [i.get(key) for i in items if isinstance(i, dict)]
        if all(is_date_time(v) for v in values):
            found.append((key, "date-time"))
        elif all(is_unix_seconds(v) for v in values):
            found.append((key, "unix-seconds"))
    return found


def _sortable(value: Any) -> Any:
    return value.replace("Z", "+00:00") if isinstance(value, str) else value


def _direction(items: list[Any], key: str) -> str | None:
    values = [_sortable(i[key]) for i in items]
    if len(set(values)) < 2:
        return None
    if all(a >= b for a, b in itertools.pairwise(values)):
        return "desc"
    if all(a <= b for a, b in itertools.pairwise(values)):
        return "asc"
    return None


def _preference(key: str) -> int:
    lowered = key.lower()
    for rank, word in enumerate(("created", "updated", "date", "time")):
        if word in lowered:
            return rank
    return 9


def _tie_breaker(inf: Inference, key: str, encoding: str, direction: str) -> None:
    groups: list[list[str]] = []
    previous: Any = object()
    for item in inf.walked:
        if item[key] != previous:
            groups.append([])
        groups[-1].append(str(paths.get(item, inf.id_path)))
        previous = item[key]
    tied = [g for g in groups if len(g) > 1]
    count = sum(len(g) for g in tied)
    if len(tied) < 3 or count < 8:
        inf.found.put(("order", "ties"), None, f"{count} items share a {key}: too few to tell")
        return
    for order, ok in (
        ("desc", all(g == sorted(g, reverse=True) for g in tied)),
        ("asc", all(g == sorted(g) for g in tied)),
    ):
        if ok:
            evidence = f"{count} items in {len(tied)} groups share a {key}; ids {order} in each"
            keys = [
                {"path": key, "encoding": encoding},
                {"path": inf.id_path, "encoding": "string", "direction": order},
            ]
            inf.found.put(("order", "keys"), keys, evidence)
            return
    inf.found.put(("order", "ties"), None, f"{count} tied items follow no id order")


# --- errors ---------------------------------------------------------------------------


def _errors(inf: Inference) -> None:
    name = inf.limit_param
    page = inf.prober.get({name: "abc"}) if name else None
    if page is not None and page.status is not None and 400 <= page.status < 500:
        inf.bodies["validation"] = page
    chosen = inf.bodies.get("validation")
    if chosen is not None and chosen.status is not None:
        inf.found.put(
            ("errors", "validation"),
            {"status": chosen.status, "response": str(chosen.status)},
            chosen.shown,
        )
    bare = inf.bodies.get("auth")
    if inf.auth_kind and bare is not None and bare.status in (401, 403):
        inf.found.put(
            ("errors", "auth"),
            {"status": bare.status, "response": str(bare.status)},
            f"{bare.shown} (no credential)",
        )


def _cursor_errors(inf: Inference) -> None:
    after = inf.found.value("cursor", "after")
    if inf.style != "cursor" or not after or inf.small is None:
        return
    real = inf.small.ids(inf.id_path)[0]
    unknown = real[:-4] + ("0000" if not real.endswith("0000") else "1111")
    for case, value in (("unknown", unknown), ("malformed", "not-an-id!")):
        page = inf.prober.get({after: value})
        if page.status is not None and 400 <= page.status < 500:
            inf.bodies[f"cursor.{case}"] = page
            verdict: Any = {"accept": "error", "status": page.status, "response": str(page.status)}
        elif page.ok and not page.items:
            verdict = "empty"
        else:
            verdict = todo(f"what a {case} cursor gets ({page.shown})")
        inf.found.put(("cursor", case), verdict, f"after={value!r}: {page.shown}")
