"""Auth and errors: which credential the endpoint wants, and the statuses it answers a
missing credential, an invalid parameter and a bad cursor with.
"""

from __future__ import annotations

from typing import Any

from threadconform.infer.facts import todo
from threadconform.infer.state import Inference, Stop

__all__ = ["find_auth", "find_cursor_errors", "find_errors"]


def find_auth(inf: Inference, credential: str | None, headers: dict[str, str]) -> None:
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
    raise Stop(f"{bare.shown} without a credential, and no credential given works")


def find_errors(inf: Inference) -> None:
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


def find_cursor_errors(inf: Inference) -> None:
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
