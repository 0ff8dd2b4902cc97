"""`threadconform infer URL`: draft a spec (OpenAPI 3.1 + x-pagination) from the answers a
list endpoint gives to GET requests. Every inferred value carries its evidence as a YAML
comment; what the requests could not show is a `TODO: ...` that `check-spec` refuses.

    draft = infer("http://127.0.0.1:8000/v1/threads", token="sk_...")
    print(draft.yaml)
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from threadconform.client import Client
from threadconform.infer.draft import HEADER, document, to_yaml
from threadconform.infer.facts import Findings, todo
from threadconform.infer.probe import Prober, Target
from threadconform.infer.steps import Inference, run
from threadconform.outcomes import BudgetSpent

__all__ = ["Draft", "cli_main", "infer"]


@dataclass(frozen=True)
class Draft:
    yaml: str  # the draft spec, comments and all
    document: dict[str, Any]  # the same, as data
    findings: Findings
    requests: int  # GET requests sent
    log: tuple[str, ...]  # every request and what it showed

    @property
    def not_inferred(self) -> list[str]:
        return self.findings.not_inferred


def infer(
    url: str,
    *,
    token: str | None = None,
    headers: dict[str, str] | None = None,
    openapi: Path | str | None = None,
    max_requests: int = 300,
    timeout: float = 10.0,
) -> Draft:
    """Draft the spec of the list endpoint at `url` with at most `max_requests` GETs."""
    target = Target.parse(url)
    client = Client(
        target.origin,
        target.path,
        auth=None,
        credential=None,
        timeout=timeout,
        max_requests=max_requests,
    )
    with client:
        prober = Prober(client, target)
        inference = run(Inference(prober), token, dict(headers or {}))
        filters = _filters(inference, openapi)
        found = inference.found
        bodies = {k: v for k, v in inference.bodies.items() if k != "double"}
        doc, comments = document(
            found,
            url,
            target.path,
            bodies,
            inference.first,
            inference.walked,
            filters,
            later=(inference.small, inference.last_page, inference.past_end),
        )
        walk = found.facts.get(("walk",))
        if walk is not None:
            anchor = ("paths", target.path, "get", "x-pagination", "order")
            comments[anchor] = f"walk: {walk.evidence}. {comments.get(anchor, '')}".strip()
        header = HEADER.format(requests=client.requests_sent, url=url)
        if found.not_inferred:
            header += "Not inferred (budget --max-requests or a dead end): "
            header += "; ".join(found.not_inferred) + "\n"
        text = to_yaml(doc, comments, header)
        return Draft(text, doc, found, client.requests_sent, tuple(prober.log))


def _filters(inference: Inference, openapi: Path | str | None) -> list[dict[str, Any]]:
    """The --openapi file's other query parameters, each checked as an exact filter on the
    item field of the same name when the first page shows one."""
    if openapi is None:
        return []
    from threadconform import spec

    other = spec.read_document(openapi)
    path = inference.prober.target.path
    operation = ((other.get("paths") or {}).get(path) or {}).get("get") or {}
    used = {str(v) for v in _names(inference)}
    found: list[dict[str, Any]] = []
    for parameter in operation.get("parameters") or []:
        if not isinstance(parameter, dict) or parameter.get("in") != "query":
            continue
        name = str(parameter.get("name"))
        if name in used:
            continue
        try:
            found.append(_filter(inference, name, parameter.get("schema") or {"type": "string"}))
        except BudgetSpent:
            inference.found.not_inferred.append(f"filter {name}")
            break
    return found


def _names(inference: Inference) -> list[Any]:
    values = inference.found.facts.values()
    return [v.value for v in values if isinstance(v.value, str)] + [
        v.value.get("param") for v in values if isinstance(v.value, dict)
    ]


def _filter(inference: Inference, name: str, schema: dict[str, Any]) -> dict[str, Any]:
    first = inference.first
    kind = "boolean" if schema.get("type") == "boolean" else "string"
    entry: dict[str, Any] = {"param": name, "_schema": schema}
    if kind == "boolean":
        entry["type"] = "boolean"
    items = first.items if first and first.items else []
    values = [i.get(name) for i in items if isinstance(i, dict) and i.get(name) is not None]
    if values and not isinstance(values[0], (dict, list)):
        page = inference.prober.get({name: values[-1]})
        wanted = values[-1]
        if page.ok and page.items and all(i.get(name) == wanted for i in page.items):
            entry.update(match="exact", field=name)
            return entry
    entry["match"] = todo("exact (name the item field), subset, superset or none")
    return entry


def cli_main(namespace: argparse.Namespace) -> int:
    headers: dict[str, str] = {}
    for raw in namespace.header:
        name, sep, value = raw.partition(":")
        if not sep or not name.strip():
            print(f"threadconform infer: --header {raw!r} is not 'Name: value'", file=sys.stderr)
            return 2
        headers[name.strip()] = value.strip()
    try:
        draft = infer(
            namespace.url,
            token=namespace.token,
            headers=headers,
            openapi=namespace.openapi,
            max_requests=namespace.max_requests,
        )
    except ValueError as problem:
        print(f"threadconform infer: {problem}", file=sys.stderr)
        return 2
    if namespace.output:
        Path(namespace.output).write_text(draft.yaml, encoding="utf-8")
        print(f"wrote {namespace.output} ({draft.requests} GET requests)", file=sys.stderr)
    else:
        sys.stdout.write(draft.yaml)
    for left in draft.not_inferred:
        print(f"threadconform infer: not inferred: {left}", file=sys.stderr)
    return 0
