"""Build a `model.Contract` from one spec file: read it, check the OpenAPI document and
its `x-pagination` block, then turn the block, the auth scheme and the `x-threadconform`
settings into the model's dataclasses.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from threadconform import model
from threadconform.spec.block_checks import check_references
from threadconform.spec.block_schema import check_block
from threadconform.spec.errors import EXTENSION, SpecError, fail, short, where_of
from threadconform.spec.openapi import View, check_openapi, find_operation, resolve_refs
from threadconform.spec.yaml_reader import read

__all__ = ["load", "resolve"]


def load(path: Path | str) -> model.Contract:
    """Read, validate and cross-check one spec file."""
    file = Path(path)
    document = read(file)
    check_openapi(file, document)
    endpoint, operation = find_operation(file, document)
    block = operation[EXTENSION]
    view = _anchored(file, document, endpoint, operation, block)
    return model.Contract(
        name=file.stem,
        path=file,
        title=str(document["info"]["title"]),
        version=str(document["info"]["version"]),
        method="GET",
        endpoint=endpoint,
        auth=_auth(file, document, endpoint, operation),
        pagination=_pagination(block),
        document=document,
        response_schema=view.body,
        parameters={name: param.get("schema", {}) for name, param in view.params.items()},
        opt_in=_opt_in(file, document),
    )


def _anchored(
    file: Path, document: dict[str, Any], endpoint: str, operation: dict[str, Any], block: Any
) -> View:
    """Check the block; a fix a check proposes is anchored at the block in the document."""
    try:
        check_block(file, block)
        view = View.of(file, document, endpoint, operation)
        check_references(file, block, view)
    except SpecError as error:
        if error.fix is not None and error.fix.path[:1] != ("paths",):
            anchor = ("paths", endpoint, "get", EXTENSION)
            raise SpecError(str(error), error.fix.within(anchor)) from None
        raise
    return view


def resolve(contract: model.Contract, node: Any) -> Any:
    """`node` (a part of `contract.document`) with every local `$ref` replaced inline."""
    return resolve_refs(contract.path, contract.document, node)


def _opt_in(file: Path, document: dict[str, Any]) -> bool:
    settings = document.get("x-threadconform") or {}
    if not isinstance(settings, dict) or set(settings) - {"opt_in"}:
        what = f"{short(settings)} is not {{opt_in: true|false}}"
        fail(file, "x-threadconform", what, "Write `x-threadconform: {opt_in: true}`, or drop it.")
    value = settings.get("opt_in", False)
    if not isinstance(value, bool):
        fail(
            file,
            "x-threadconform.opt_in",
            f"{short(value)} is not a boolean",
            "Use true or false.",
        )
    return value


def _auth(
    file: Path, document: dict[str, Any], endpoint: str, operation: dict[str, Any]
) -> model.Auth | None:
    requirements = operation.get("security", document.get("security")) or []
    schemes = [name for requirement in requirements for name in requirement]
    if not schemes:
        return None
    name = schemes[0]
    declared = (document.get("components") or {}).get("securitySchemes") or {}
    if name not in declared:
        where = "security" if "security" not in operation else f"paths['{endpoint}'].get.security"
        what = f"names the undeclared scheme {name!r}"
        fail(file, where, what, "Declare it under components.securitySchemes.")
    scheme = resolve_refs(file, document, declared[name])
    kind = scheme.get("type")
    if kind == "http" and str(scheme.get("scheme", "")).lower() == "bearer":
        return model.Auth("bearer", scheme_name=name)
    if kind in ("oauth2", "openIdConnect"):
        return model.Auth("bearer", scheme_name=name)  # both send `Authorization: Bearer`
    if kind == "apiKey" and scheme.get("in") == "header":
        return model.Auth("header", header=str(scheme["name"]), scheme_name=name)
    where = where_of(("components", "securitySchemes", name))
    fix = "Use http bearer, oauth2/openIdConnect, or an apiKey in a header."
    fail(file, where, f"type {kind!r} is not supported", fix)


def _pagination(block: dict[str, Any]) -> model.Pagination:
    # The JSON Schema allows exactly the dataclass fields, so `**` is safe here.
    response = dict(block["response"])
    for key in ("object", "item_object"):
        response[key] = model.ConstField(**response[key]) if response.get(key) else None
    order = block.get("order")
    return model.Pagination(
        style=block["style"],
        limit=model.Limit(**block["limit"]),
        response=model.ResponseFields(**response),
        page=model.Bounded(**block["page"]) if block.get("page") else None,
        offset=model.Bounded(**block["offset"]) if block.get("offset") else None,
        cursor=_cursor(block["cursor"]) if block.get("cursor") else None,
        token=_token(block["token"]) if block.get("token") else None,
        link=_link(block["link"]) if block.get("link") else None,
        order=_order(order) if order else None,
        filters=tuple(model.Filter(**item) for item in block.get("filters") or []),
        volatile=tuple(block.get("volatile") or []),
        consistency=block.get("consistency"),
        items=_item_rules(block.get("items") or {}),
        errors=_errors(block.get("errors") or {}),
        rules={rule_id: _rule(value) for rule_id, value in (block.get("rules") or {}).items()},
    )


def _order(order: dict[str, Any]) -> model.Order:
    """`keys: [{path, encoding, direction}, ...]`, or the `key`/`encoding` shorthand."""
    keys = [model.SortKey(**key) for key in order.get("keys") or []]
    first = keys[0] if keys else model.SortKey(order["key"], order["encoding"])
    return model.Order(
        key=first.path,
        encoding=first.encoding,
        direction=order["direction"],
        documented=order["documented"],
        param=order.get("param"),
        values=dict(order.get("values") or {}),
        ties=tuple(keys[1:]),
    )


def _refusal(value: Any) -> model.CursorError | None:
    """`error | empty | error-or-empty`, or {accept, status, response, fields}."""
    if value is None or isinstance(value, str):
        return model.CursorError(accept=cast(Any, value)) if value else None
    fields = tuple((path, wanted) for path, wanted in (value.get("fields") or {}).items())
    return model.CursorError(value["accept"], value.get("status"), value.get("response"), fields)


def _token(token: dict[str, Any]) -> model.Token:
    return model.Token(token["param"], token["next"], _refusal(token.get("malformed")))


def _link(link: dict[str, Any]) -> model.Link:
    return model.Link(link.get("next"), link.get("rel", "next"), _refusal(link.get("malformed")))


def _cursor(cursor: dict[str, Any]) -> model.Cursor:
    return model.Cursor(
        after=cursor["after"],
        before=cursor.get("before"),
        unknown=_refusal(cursor.get("unknown")) or model.CursorError(),
        malformed=_refusal(cursor.get("malformed")),
        backward_has_more=bool(cursor.get("backward_has_more")),
    )


def _item_rules(items: dict[str, Any]) -> model.ItemRules:
    return model.ItemRules(
        unix_seconds=tuple(items.get("unix_seconds") or []),
        absolute_urls=tuple(items.get("absolute_urls") or []),
        agree=tuple(model.FieldsAgree(**agree) for agree in items.get("agree") or []),
        documented_credentials=tuple(items.get("documented_credentials") or []),
    )


def _errors(errors: dict[str, Any]) -> model.Errors:
    def one(kind: str) -> model.ErrorContract | None:
        return model.ErrorContract(**errors[kind]) if errors.get(kind) else None

    return model.Errors(auth=one("auth"), validation=one("validation"), forbidden=one("forbidden"))


def _rule(value: str | dict[str, Any]) -> model.RuleSetting:
    if isinstance(value, str):
        return model.RuleSetting(severity=value)  # type: ignore[arg-type]
    return model.RuleSetting(severity=value["severity"], source=value.get("source"))
