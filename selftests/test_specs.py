"""Self-tests for the hand-written specs in specs/ and their loader, threadconform.spec.

They check that each spec is valid OpenAPI 3.1, that it carries every example of its seed
document verbatim and that those examples (and only well-formed bodies) validate against
its schemas, that every `x-pagination` block matches its JSON Schema and its references
resolve, and that a broken spec fails to load with a one-line, actionable message.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator
from openapi_spec_validator import OpenAPIV31SpecValidator

from threadconform import spec
from threadconform.model import Auth, Contract
from threadconform.rules import BY_ID

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / ".." / "shared" / "seeds"
NAMES = ("aitronos", "chat", "freddy", "kortix", "worker")  # pinned by the tables below
ALL = tuple(spec.names())  # every spec in specs/, a sixth one included: the generic checks
# info.description starts by naming its source; it may name other seeds it borrows from.
SOURCE = re.compile(r"Source: seed document (\d{3}_[0-9a-f]{16}\.txt)")

# How many distinct JSON examples each seed holds (chat's seed has none). Pinning the counts
# keeps the extraction below honest: finding nothing would otherwise pass vacuously.
SEED_EXAMPLE_COUNT = {"kortix": 2, "chat": 0, "aitronos": 1, "freddy": 4, "worker": 1}

# The seed table of docs/contracts.md: endpoint, style, auth.
EXPECTED = {
    "kortix": ("/threads", "page", Auth("bearer", scheme_name="bearerAuth")),
    "chat": ("/api/chat/threads", "first-n", None),
    "aitronos": ("/v1/threads", "cursor", Auth("header", "X-API-Key", "apiKeyAuth")),
    "freddy": ("/v1/threads", "cursor", Auth("bearer", scheme_name="bearerAuth")),
    "worker": ("/api/threads", "offset", None),
}

# Every documented query parameter, with the constraints the seeds (and docs/contracts.md) give.
PARAMETERS: dict[str, dict[str, dict[str, Any]]] = {
    "kortix": {
        "page": {"type": "integer", "minimum": 1, "default": 1},
        "limit": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100},
    },
    "chat": {
        "project_id": {"type": "string", "maxLength": 100, "pattern": "^[a-zA-Z0-9_-]+$"},
        "project_type": {
            "type": "string",
            "default": "general",
            "maxLength": 50,
            "pattern": "^[a-zA-Z0-9_-]+$",
        },
        "limit": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 50},
    },
    "aitronos": {
        "limit": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
        "order": {"type": "string", "enum": ["asc", "desc"], "default": "desc"},
        "after": {"type": "string"},
        "before": {"type": "string"},
        "organization_id": {"type": "string"},
        "assistant_id": {"type": "string"},
        "include_deleted": {"type": "boolean", "default": False},
        "visible_in_ui": {"type": "boolean", "default": True},
        "include_total": {"type": "boolean"},
        "workflow_id": {"type": "string"},
        "is_pinned": {"type": "boolean"},
    },
    "freddy": {
        "limit": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
        "order": {"type": "string", "enum": ["asc", "desc"], "default": "desc"},
        "after": {"type": "string"},
        "before": {"type": "string"},
        "assistantId": {"type": "string"},
        "visibleInUi": {"type": "boolean"},
    },
    "worker": {
        "agent_id": {"type": "string"},
        "user_id": {"type": "string"},
        # The seed types both as "number" (docs/contracts.md#worker: a fraction may be
        # rejected or truncated).
        "limit": {"type": "number", "minimum": 1, "maximum": 100, "default": 50},
        "offset": {"type": "number", "minimum": 0, "default": 0},
    },
}

# Chat's seed shows no body, so the schema is exercised with one built from its field list.
CHAT_BODY: dict[str, Any] = {
    "threads": [
        {
            "threadId": "t-1",
            "title": "First",
            "projectId": "proj_1",
            "createdAt": "2025-01-01T10:00:00Z",
            "messageCount": 3,
            "tags": ["a"],
            "qualityScore": 99.5,
            "settings": {"temperature": 1.5, "maxTokens": 1, "pinnedDocuments": None},
            "customMetadata": {"labels": {"k": "v"}, "tags": None},
            "permissions": None,
            "lastMessageAt": None,
        }
    ],
    "totalCount": 1,
    "projectId": "proj_1",
    "hasNext": False,
    "page": 1,
    "pageSize": 50,
    "requestId": None,
}


# --- helpers --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def contracts() -> dict[str, Contract]:
    return {c.name: c for c in spec.load_all(spec.SPEC_DIR, opt_in=True)}


def operation(contract: Contract) -> dict[str, Any]:
    return contract.document["paths"][contract.endpoint]["get"]


def validator(schema: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator(schema, format_checker=spec.format_checker())


def errors(schema: dict[str, Any], instance: Any) -> list[str]:
    return [error.message for error in validator(schema).iter_errors(instance)]


def spec_examples(contract: Contract) -> Iterator[tuple[str, Any, dict[str, Any]]]:
    """(status, example value, resolved schema) for every example of every response."""
    for status, response in operation(contract)["responses"].items():
        for media in (response.get("content") or {}).values():
            schema = spec.resolve(contract, media.get("schema", {}))
            if "example" in media:
                yield str(status), media["example"], schema
            for example in (media.get("examples") or {}).values():
                yield str(status), example["value"], schema


def seed_file(contract: Contract) -> Path:
    """The seed the spec's info.description names as its source."""
    found = SOURCE.search(contract.document["info"]["description"])
    assert found, f"{contract.name}: info.description does not name its source seed"
    return SEEDS / found.group(1)


def seed_examples(text: str) -> list[Any]:
    """The JSON objects in a seed page, in order, without repeats.

    Code samples hold objects too (`params={"limit": 20}`): an object that follows `=`,
    `(`, `,` or `:` on its own line is an argument in code, not an example body.
    """
    decoder = json.JSONDecoder()
    found: list[Any] = []
    start = text.find("{")
    while start != -1:
        line_before = text[text.rfind("\n", 0, start) + 1 : start].rstrip()
        try:
            value, end = decoder.raw_decode(text, start)
        except ValueError:
            value, end = None, start + 1
        in_code = line_before[-1:] in ("=", "(", ",", ":")
        if isinstance(value, dict) and not in_code and value not in found:
            found.append(value)
        start = text.find("{", end)
    return found


def require_seeds() -> None:
    if not SEEDS.is_dir():
        pytest.skip(f"seed documents not found at {SEEDS.resolve()} (outside the repository)")


def examples(contract: Contract) -> list[tuple[str, Any, dict[str, Any]]]:
    """The spec's examples; for chat (whose seed shows none) the hand-built CHAT_BODY."""
    found = list(spec_examples(contract))
    if not found and contract.name == "chat":
        return [("200", CHAT_BODY, contract.response_schema)]
    return found


def bodies(contract: Contract) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(200 body, resolved 200 schema) pairs."""
    return [(value, schema) for status, value, schema in examples(contract) if status == "200"]


def item_schema(contract: Contract, schema: dict[str, Any]) -> dict[str, Any]:
    return schema["properties"][contract.pagination.response.items]["items"]


# --- the specs are valid OpenAPI 3.1 and load -----------------------------------------


def test_spec_dir_holds_the_five_contracts() -> None:
    assert set(NAMES) <= set(ALL)


@pytest.mark.parametrize("name", ALL)
def test_spec_passes_openapi_spec_validator(name: str) -> None:
    # Read as the suite reads it (JSON values only), never with YAML 1.1's dates and booleans.
    document = spec.read_document(spec.find(name))
    assert str(document["openapi"]).startswith("3.1.")
    OpenAPIV31SpecValidator(document).validate()  # raises on the first problem


@pytest.mark.parametrize("name", NAMES)
def test_contract_matches_the_contracts_table(name: str, contracts: dict[str, Contract]) -> None:
    contract = contracts[name]
    endpoint, style, auth = EXPECTED[name]
    assert (contract.name, contract.method, contract.endpoint) == (name, "GET", endpoint)
    assert contract.pagination.style == style
    assert contract.auth == auth
    assert contract.title and contract.version == "1.0.0"


@pytest.mark.parametrize("name", NAMES)
def test_every_documented_parameter_is_declared(name: str, contracts: dict[str, Contract]) -> None:
    declared = contracts[name].parameters
    assert sorted(declared) == sorted(PARAMETERS[name])
    for param, expected in PARAMETERS[name].items():
        got = {key: declared[param].get(key) for key in expected}
        assert got == expected, param


@pytest.mark.parametrize("name", ALL)
def test_references_are_resolved(name: str, contracts: dict[str, Contract]) -> None:
    contract = contracts[name]
    assert "$ref" not in json.dumps(contract.response_schema)
    assert "$ref" not in json.dumps(contract.parameters)
    assert "$ref" in json.dumps(operation(contract)["responses"]["200"]), "document unresolved"


def test_load_accepts_a_string_path() -> None:
    assert spec.load(str(spec.find("worker"))).name == "worker"


# --- seed examples are in the spec and validate ---------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_info_names_its_seed_document(name: str, contracts: dict[str, Contract]) -> None:
    require_seeds()
    assert seed_file(contracts[name]).is_file()


@pytest.mark.parametrize("name", NAMES)
def test_every_seed_example_is_in_the_spec(name: str, contracts: dict[str, Contract]) -> None:
    require_seeds()
    contract = contracts[name]
    seeds = seed_examples(seed_file(contract).read_text(encoding="utf-8"))
    assert len(seeds) == SEED_EXAMPLE_COUNT[name]
    in_spec = [value for _, value, _ in spec_examples(contract)]
    for example in seeds:
        assert example in in_spec, f"seed example missing from the spec: {example}"
    # ... and the spec invents none: every example it shows is a seed's.
    assert len(in_spec) == len(seeds)


@pytest.mark.parametrize("name", ALL)
def test_examples_validate_against_their_response(name: str, contracts: dict[str, Contract]):
    for status, value, schema in spec_examples(contracts[name]):
        assert errors(schema, value) == [], f"{name} {status} example"


@pytest.mark.parametrize("name", ALL)
def test_example_without_a_required_body_field_fails(
    name: str, contracts: dict[str, Contract]
) -> None:
    for status, value, schema in examples(contracts[name]):
        assert schema.get("required"), f"{name} {status}: the body requires nothing"
        for field in schema["required"]:
            broken = {key: item for key, item in value.items() if key != field}
            assert errors(schema, broken), f"{name} {status} without {field!r} validated"


@pytest.mark.parametrize("name", ALL)
def test_broken_items_do_not_validate(name: str, contracts: dict[str, Contract]) -> None:
    contract = contracts[name]
    items, item_id = contract.pagination.response.items, contract.pagination.response.id
    checked = 0
    for body, schema in bodies(contract):
        if not body[items]:
            continue
        for field in item_schema(contract, schema)["required"]:
            broken = copy.deepcopy(body)
            del broken[items][0][field]
            assert errors(schema, broken), f"{name}: an item without {field!r} validated"
        assert errors(schema, with_first_item(body, items, **{item_id: 12345}))
        checked += 1
    if name in NAMES:
        assert checked, f"{name}: no example with items to break"
    elif not checked:
        pytest.skip(f"{name}: no 200 example with items to break")


def test_formats_are_checked() -> None:
    assert errors({"format": "date-time"}, "2026-03-02 yesterday")
    assert errors({"format": "uuid"}, "not-a-uuid")
    assert errors({"format": "uri"}, "/icons/support.svg")
    assert not errors({"format": "date-time"}, "2026-03-02T14:30:00Z")
    assert not errors({"format": "uuid"}, "550e8400-e29b-41d4-a716-446655440000")
    assert not errors({"format": "uri"}, "https://your-worker.workers.dev/icons/support.svg")


def test_bad_formats_in_examples_fail(contracts: dict[str, Contract]) -> None:
    (kortix, schema), *_ = bodies(contracts["kortix"])
    for field, value in (("created_at", "2026-03-02"), ("thread_id", "thread-1")):
        broken = copy.deepcopy(kortix)
        broken["threads"][0][field] = value
        assert errors(schema, broken), field
    (worker, schema), *_ = bodies(contracts["worker"])
    broken = copy.deepcopy(worker)
    broken["threads"][0]["agent"]["icon"] = "/icons/support.svg"
    assert errors(schema, broken)


# --- contract-specific schema decisions (docs/contracts.md) --------------------------------


def with_first_item(body: dict[str, Any], items: str, **changes: Any) -> dict[str, Any]:
    changed = copy.deepcopy(body)
    changed[items][0].update(changes)
    return changed


def test_chat_optional_fields_are_nullable_and_bounded(contracts: dict[str, Contract]) -> None:
    schema = contracts["chat"].response_schema
    assert not errors(schema, CHAT_BODY)
    assert not errors(schema, with_first_item(CHAT_BODY, "threads", summary=None, uuid=None))
    assert errors(schema, with_first_item(CHAT_BODY, "threads", tags=None))  # not "Any of"
    assert errors(schema, with_first_item(CHAT_BODY, "threads", qualityScore=100.5))
    assert errors(schema, with_first_item(CHAT_BODY, "threads", relevanceScore=1.5))
    assert errors(schema, with_first_item(CHAT_BODY, "threads", settings={"temperature": 2.1}))
    assert errors(schema, with_first_item(CHAT_BODY, "threads", settings={"maxTokens": 0}))
    assert errors(schema, {**CHAT_BODY, "pageSize": 0})
    assert errors(schema, {**CHAT_BODY, "page": 0})


def test_kortix_project_is_null_when_project_id_is(contracts: dict[str, Contract]) -> None:
    (body, schema), *_ = bodies(contracts["kortix"])
    assert not errors(schema, with_first_item(body, "threads", project_id=None, project=None))
    assert errors(schema, with_first_item(body, "threads", project_id=None))


def test_worker_timestamps_are_integers_and_agent_type_is_an_enum(
    contracts: dict[str, Contract],
) -> None:
    (body, schema), *_ = bodies(contracts["worker"])
    assert errors(schema, with_first_item(body, "threads", created_at="1699900000"))
    agent = {**body["threads"][0]["agent"], "type": "robot"}
    assert errors(schema, with_first_item(body, "threads", agent=agent))
    assert not errors(schema, with_first_item(body, "threads", user_id=None))


def test_freddy_error_envelope(contracts: dict[str, Contract]) -> None:
    by_status = {status: (value, schema) for status, value, schema in examples(contracts["freddy"])}
    value, schema = by_status["401"]
    assert not errors(schema, value)  # `param` is optional
    broken = {"error": {key: item for key, item in value["error"].items() if key != "code"}}
    assert errors(schema, broken)
    # docs/contracts.md#aitronos: a refused key gets `type: authentication_error` (MUST).
    assert errors(schema, {"error": {**value["error"], "type": "invalid_request_error"}})


# --- x-pagination ---------------------------------------------------------------------


def block_schema() -> dict[str, Any]:
    return json.loads(spec.SCHEMA_FILE.read_text(encoding="utf-8"))


def test_x_pagination_schema_is_a_valid_draft_2020_12_schema() -> None:
    Draft202012Validator.check_schema(block_schema())


@pytest.mark.parametrize("name", ALL)
def test_x_pagination_validates_against_its_schema(name: str, contracts: dict[str, Contract]):
    block = operation(contracts[name])[spec.EXTENSION]
    assert list(Draft202012Validator(block_schema()).iter_errors(block)) == []


@pytest.mark.parametrize("name", ALL)
def test_rules_are_catalogue_ids_and_musts_cite_a_source(
    name: str, contracts: dict[str, Contract]
) -> None:
    rules = contracts[name].pagination.rules
    assert rules, "every contract sets some severities"
    for rule_id, setting in rules.items():
        assert rule_id in BY_ID
        if setting.severity == "MUST":
            assert setting.source, f"{name}: {rule_id} is MUST without a source"


ORDERS = {
    "kortix": ("created_at", "date-time", "desc", True, None),
    "chat": None,
    "aitronos": ("created_at", "date-time", "desc", True, "order"),
    "freddy": ("createdAt", "unix-seconds", "desc", True, "order"),
    "worker": ("created_at", "unix-seconds", "desc", False, None),
}
LIMITS = {  # default, minimum, maximum, out_of_range
    "kortix": (100, 1, 1000, "reject"),
    "chat": (50, 1, 1000, "reject"),
    "aitronos": (20, 1, 100, "reject"),
    "freddy": (20, 1, 100, "reject"),
    "worker": (50, 1, 100, "reject-or-clamp"),
}


@pytest.mark.parametrize("name", NAMES)
def test_limit_and_order_read_as_contracts_md_says(
    name: str, contracts: dict[str, Contract]
) -> None:
    pagination = contracts[name].pagination
    limit, order = pagination.limit, pagination.order
    assert (limit.default, limit.minimum, limit.maximum, limit.out_of_range) == LIMITS[name]
    got = order and (order.key, order.encoding, order.direction, order.documented, order.param)
    assert got == ORDERS[name]


def test_pagination_reads_as_contracts_md_says(contracts: dict[str, Contract]) -> None:
    kortix, chat, worker = (contracts[n].pagination for n in ("kortix", "chat", "worker"))
    aitronos, freddy = contracts["aitronos"].pagination, contracts["freddy"].pagination
    assert (kortix.limit.default, kortix.limit.maximum, kortix.page.default) == (100, 1000, 1)
    assert kortix.items.agree[0].other == "project.project_id"
    assert chat.order is None and "queryDurationMs" in chat.volatile
    assert worker.limit.out_of_range == "reject-or-clamp" and worker.order.documented is False
    assert worker.items.absolute_urls == ("agent.icon",)
    assert aitronos.response.total_requires == "include_total"
    visible = {f.param: f for f in aitronos.filters}["visible_in_ui"]
    assert (visible.type, visible.default) == ("boolean", True)
    assert {f.param: f for f in freddy.filters}["visibleInUi"].default is None
    assert freddy.items.unix_seconds == ("createdAt", "updatedAt")
    assert freddy.rules["TENANT-FILTER"].severity == "off"
    assert aitronos.rules["TENANT-FILTER"].severity == "MUST"


# --- broken specs fail with one-line, actionable messages -----------------------------


def kortix_document() -> dict[str, Any]:
    return yaml.safe_load(spec.find("kortix").read_text(encoding="utf-8"))


def block_of(document: dict[str, Any]) -> dict[str, Any]:
    return document["paths"]["/threads"]["get"][spec.EXTENSION]


def _second_get(document: dict[str, Any]) -> None:
    document["paths"]["/other"] = copy.deepcopy(document["paths"]["/threads"])
    document["paths"]["/other"]["get"]["operationId"] = "listOtherThreads"


Mutation = Callable[[dict[str, Any]], Any]
BROKEN: dict[str, tuple[Mutation, str]] = {
    "no-style": (lambda d: block_of(d).pop("style"), "x-pagination.style"),
    "typo-key": (lambda d: block_of(d).update(stlye="page"), "x-pagination.stlye"),
    "limit-param": (
        lambda d: block_of(d)["limit"].update(param="nope"),
        "x-pagination.limit.param",
    ),
    "total-field": (
        lambda d: block_of(d)["response"].update(total="pagination.nope"),
        "x-pagination.response.total",
    ),
    "order-key": (lambda d: block_of(d)["order"].update(key="createdAt"), "x-pagination.order.key"),
    "unknown-rule": (
        lambda d: block_of(d)["rules"].update({"NOT-A-RULE": "SHOULD"}),
        "x-pagination.rules.NOT-A-RULE",
    ),
    "lowercase-rule": (
        lambda d: block_of(d)["rules"].update({"order-sorted": "SHOULD"}),
        "x-pagination.rules.order-sorted",
    ),
    "style-block": (lambda d: block_of(d).update(cursor={"after": "page"}), "x-pagination.cursor"),
    "error-response": (
        lambda d: block_of(d)["errors"]["auth"].update(response="403"),
        "x-pagination.errors.auth.response",
    ),
    "bounds-disagree": (
        lambda d: block_of(d)["limit"].update(default=50),
        "x-pagination.limit.default",
    ),
    "not-openapi": (lambda d: d.clear() or d.update(hello="world"), "openapi"),
    "invalid-openapi": (lambda d: d["info"].pop("version"), "info"),
    "dangling-ref": (
        lambda d: d["components"]["schemas"].pop("Sandbox"),
        "components.schemas.Project.properties.sandbox.anyOf[0].$ref",
    ),
    "two-gets": (_second_get, "paths"),
    "no-block": (
        lambda d: d["paths"]["/threads"]["get"].pop(spec.EXTENSION),
        "paths['/threads'].get.x-pagination",
    ),
}


def assert_one_line(message: str, file: Path, field: str) -> None:
    assert "\n" not in message and "Traceback" not in message and 'File "' not in message
    assert file.name in message, message
    assert f": {field}" in message, message
    assert re.search(r"\. \S", message), f"no 'what to do' after the problem: {message}"


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_spec_fails_naming_file_and_field(case: str, tmp_path: Path) -> None:
    mutate, field = BROKEN[case]
    document = kortix_document()
    mutate(document)
    file = tmp_path / f"{case}.yaml"
    file.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), "utf-8")
    with pytest.raises(spec.SpecError) as raised:
        spec.load(file)
    assert_one_line(str(raised.value), file, field)


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    file = tmp_path / "syntax.yaml"
    file.write_text("openapi: 3.1.0\ninfo:\n  title: [unclosed\n  version: 1\n", "utf-8")
    with pytest.raises(spec.SpecError) as raised:
        spec.load(file)
    assert_one_line(str(raised.value), file, "line 4")


def test_bare_off_is_a_severity_not_a_boolean(tmp_path: Path) -> None:
    # YAML 1.1 reads a bare `off` as false; the loader reads YAML's JSON-like core instead.
    text = spec.find("kortix").read_text(encoding="utf-8")
    file = tmp_path / "kortix.yaml"
    file.write_text(text.replace('TENANT-FILTER: "off"', "TENANT-FILTER: off"), "utf-8")
    assert spec.load(file).pagination.rules["TENANT-FILTER"].severity == "off"


def test_find_lists_the_valid_names() -> None:
    assert spec.find("kortix") == spec.SPEC_DIR / "kortix.yaml"
    with pytest.raises(spec.SpecError) as raised:
        spec.find("nope")
    message = str(raised.value)
    assert "'nope'" in message and "\n" not in message
    for name in NAMES:
        assert name in message


def test_a_documented_answer_to_a_garbled_link_token_is_read(tmp_path: Path) -> None:
    graph = spec.load(spec.find("graph")).pagination
    assert graph.link is not None and graph.link.malformed is not None
    assert (graph.link.malformed.accept, graph.link.malformed.status) == ("error", 400)
    assert graph.refusal("malformed") == graph.link.malformed
    text = spec.find("graph").read_text(encoding="utf-8")
    file = tmp_path / "graph.yaml"
    garbled = 'malformed: {accept: error, status: 400, response: "400"}'
    assert garbled in text
    file.write_text(text.replace(garbled, garbled.replace('"400"', '"499"')))
    with pytest.raises(spec.SpecError) as raised:
        spec.load(file)
    assert "link.malformed.response" in str(raised.value) and "'499'" in str(raised.value)
