"""The rule catalogue: every check the suite makes, under a stable id.

A rule's severity for a contract is the spec's `x-pagination.rules` entry when there is
one, else the catalogue default below. `off` means the rule does not apply.
"""

from __future__ import annotations

from dataclasses import dataclass

from threadconform.model import Consistency, Contract, RuleSetting, Severity

__all__ = ["BY_ID", "CATALOGUE", "Rule", "default_source", "define", "setting"]


@dataclass(frozen=True)
class Rule:
    id: str
    statement: str
    default: Severity
    area: str
    source: str  # the docs/contracts.md section the default comes from
    # The promises under writes (`x-pagination.consistency`) that make a SHOULD a MUST: a
    # spec that states its walk holds still under writes is held to it.
    must_when: tuple[Consistency, ...] = ()


_EVERY = "docs/contracts.md#severity, MUST 2 (every correct list endpoint)"
_ALL = "docs/contracts.md#every-contract"

CATALOGUE: tuple[Rule, ...] = (
    # Transport and schema
    Rule(
        "HTTP-NO-5XX",
        "No request, however malformed, is answered with a 5xx.",
        "MUST",
        "http",
        _EVERY,
    ),
    Rule(
        "HTTP-JSON",
        "A 2xx response has a JSON content type and a body that parses as JSON.",
        "MUST",
        "http",
        _ALL,
    ),
    Rule(
        "SCHEMA-RESPONSE",
        "A 2xx body validates against the spec's response schema.",
        "MUST",
        "schema",
        _ALL,
    ),
    Rule(
        "SCHEMA-EXAMPLE",
        "A value the seed shows only in an example (a shape marked x-example-shape) is not "
        "null where the example shows a value.",
        "SHOULD",
        "schema",
        "docs/contracts.md#documented-shape-versus-example-shape",
    ),
    Rule(
        "PARAM-VALID-ACCEPTED",
        "Every valid combination of documented parameters gets a 2xx.",
        "MUST",
        "params",
        "docs/contracts.md#severity, MUST 1 (documented parameters)",
    ),
    Rule(
        "PARAM-INVALID-REJECTED",
        "A value outside a parameter's documented constraints is rejected with a 4xx "
        "(or clamped into range, where the spec allows clamping).",
        "MUST",
        "params",
        "docs/contracts.md#severity (Rejected)",
    ),
    Rule(
        "PARAM-ERROR-STATUS",
        "A rejected parameter gets the documented error status.",
        "SHOULD",
        "params",
        "docs/contracts.md#severity (SHOULD: exactly 422 rather than 4xx)",
    ),
    Rule(
        "PARAM-ERROR-ENVELOPE",
        "A rejected parameter gets the documented error body.",
        "MUST",
        "params",
        "docs/contracts.md#severity (Rejected: the contract's error envelope)",
    ),
    # Authentication and tenants
    Rule(
        "AUTH-REQUIRED",
        "A request without a credential is refused with a 4xx.",
        "MUST",
        "auth",
        "the seed's authentication section",
    ),
    Rule(
        "AUTH-INVALID-REJECTED",
        "A request with a wrong credential is refused with a 4xx.",
        "MUST",
        "auth",
        "the seed's authentication section",
    ),
    Rule(
        "AUTH-STATUS-401",
        "A refused credential gets exactly 401.",
        "SHOULD",
        "auth",
        "docs/contracts.md#severity (SHOULD: the exact status)",
    ),
    Rule(
        "AUTH-ERROR-ENVELOPE",
        "A refused credential gets the documented error body.",
        "MUST",
        "auth",
        "the seed's error responses",
    ),
    Rule(
        "AUTH-VALID-ACCEPTED",
        "A request with the right credential gets a 2xx.",
        "MUST",
        "auth",
        "the seed's authentication section",
    ),
    Rule(
        "TENANT-ISOLATION",
        "Two tenants' listings share no thread id.",
        "MUST",
        "tenant",
        "docs/contracts.md#kortix and #aitronos (tenant isolation)",
    ),
    Rule(
        "TENANT-FILTER",
        "A filter naming another tenant's resource returns none of its threads "
        "(or the documented 403).",
        "MUST",
        "tenant",
        "docs/contracts.md#aitronos (Tenants)",
    ),
    # Walks
    Rule(
        "WALK-TERMINATES",
        "A full walk ends: no page, cursor or body repeats, within the request budget.",
        "MUST",
        "walk",
        _EVERY,
    ),
    Rule("PAGE-NO-DUPLICATES", "No item appears twice in a walk.", "MUST", "walk", _EVERY),
    Rule(
        "PAGE-NO-GAPS",
        "A walk with a small limit yields exactly the items of a walk with the largest limit.",
        "MUST",
        "walk",
        _EVERY,
    ),
    Rule(
        "PAGE-LIMIT-RESPECTED",
        "No page holds more items than the limit asked for.",
        "MUST",
        "walk",
        _EVERY,
    ),
    Rule(
        "PAGE-DEFAULT-LIMIT",
        "Without a limit, a page holds the documented default number.",
        "MUST",
        "walk",
        "the seed's parameter defaults",
    ),
    Rule(
        "PAGE-FULL",
        "Every page but the last holds exactly `limit` items.",
        "MUST",
        "walk",
        "docs/contracts.md, the contract's section: pagination rules",
    ),
    Rule(
        "PAGE-PAST-END",
        "A page past the end is a 2xx with no items, not an error.",
        "MUST",
        "walk",
        "docs/contracts.md#kortix (a page past the last)",
    ),
    Rule(
        "PAGE-PAST-END-TOTAL",
        "A page past the end still reports the real total.",
        "SHOULD",
        "walk",
        "docs/contracts.md#kortix (a page past the last)",
    ),
    # Metadata
    Rule(
        "META-TOTAL",
        "The reported total equals the number of items a full walk yields.",
        "MUST",
        "meta",
        "the seed's total field",
    ),
    Rule(
        "META-TOTAL-OPT-IN",
        "The total is null unless it is asked for; when asked for, it is the filtered count.",
        "MUST",
        "meta",
        "docs/contracts.md#aitronos (include_total)",
    ),
    Rule(
        "META-PAGES",
        "`pages` equals ceil(total / page size), 0 when total is 0.",
        "MUST",
        "meta",
        "docs/contracts.md#kortix",
    ),
    Rule(
        "META-ECHO",
        "Echoed page and limit fields equal the effective values.",
        "MUST",
        "meta",
        "docs/contracts.md, the contract's section: pagination fields",
    ),
    Rule(
        "META-HAS-MORE",
        "The has-more flag is true exactly when more items follow.",
        "MUST",
        "meta",
        "the seed's has-more field",
    ),
    Rule(
        "META-FIRST-LAST-ID",
        "first/last id equal the first/last item's id, and are null on an empty page.",
        "MUST",
        "meta",
        "docs/contracts.md#aitronos",
    ),
    Rule(
        "META-LENGTH",
        "A page holds min(limit, max(0, total - offset)) items (first-N: min(limit, total)).",
        "MUST",
        "meta",
        "docs/contracts.md#worker and #chat",
    ),
    Rule(
        "META-OBJECT",
        "Constant type markers (`object: list`, `object: thread`) are present.",
        "MUST",
        "meta",
        "the seed's response example",
    ),
    # Order
    Rule(
        "ORDER-SORTED",
        "Items are sorted by the sort key in the default direction, across pages.",
        "MUST",
        "order",
        "the seed's ordering statement",
    ),
    Rule(
        "ORDER-ASC",
        "With the ascending order selected, items are sorted oldest first.",
        "MUST",
        "order",
        "the seed's order parameter",
    ),
    Rule(
        "ORDER-STABLE",
        "Ties in the sort key are resolved the same way on every walk.",
        "MUST",
        "order",
        _EVERY,
    ),
    Rule(
        "ORDER-REVERSE",
        "The ascending walk is exactly the reverse of the descending walk.",
        "MUST",
        "order",
        "docs/contracts.md#aitronos (asc is the reverse of desc)",
    ),
    Rule(
        "ORDER-PREFIX",
        "The list for a smaller limit is a prefix of the list for a larger one.",
        "SHOULD",
        "order",
        "docs/contracts.md#chat (deterministic order)",
    ),
    # Cursors
    Rule(
        "CURSOR-AFTER",
        "`after=X` returns the items that follow X in the requested order.",
        "MUST",
        "cursor",
        "docs/contracts.md#aitronos (Cursor meaning)",
    ),
    Rule(
        "CURSOR-EXCLUSIVE",
        "The cursor item X itself is never returned.",
        "MUST",
        "cursor",
        "docs/contracts.md#aitronos (Cursor meaning)",
    ),
    Rule(
        "CURSOR-BEFORE",
        "`before=X` returns only items that precede X in the requested order.",
        "MUST",
        "cursor",
        "docs/contracts.md#aitronos (Cursor meaning)",
    ),
    Rule(
        "CURSOR-BEFORE-PREVIOUS-PAGE",
        "`before=X` returns the items immediately before X.",
        "SHOULD",
        "cursor",
        "docs/contracts.md#aitronos (Cursor meaning)",
    ),
    Rule(
        "CURSOR-AFTER-LAST",
        "`after=<last id>` returns an empty page with no more to come.",
        "MUST",
        "cursor",
        "docs/contracts.md#aitronos (Cursor meaning)",
    ),
    Rule(
        "CURSOR-UNKNOWN",
        "A well-formed cursor id the target never issued (random, deleted-looking, another "
        "tenant's) gets the documented error (status, envelope, type/code) or an empty page, "
        "never items or a 5xx.",
        "MUST",
        "cursor",
        "docs/contracts.md#aitronos (unknown or malformed cursor)",
    ),
    Rule(
        "CURSOR-MALFORMED",
        "A cursor of the wrong shape (or garbage sent as a page token or in a next link, "
        "where the spec documents its answer) gets the documented error (status, envelope, "
        "type/code) or an empty page, never items or a 5xx.",
        "MUST",
        "cursor",
        "docs/contracts.md#aitronos (unknown or malformed cursor)",
    ),
    Rule(
        "LINK-SAME-ORIGIN",
        "A next link stays on the target's origin and endpoint (relative or absolute); the "
        "suite never follows one elsewhere.",
        "MUST",
        "walk",
        _EVERY,
    ),
    Rule(
        "LINK-KEEPS-PARAMS",
        "Every next link (or token page) carries the walk's filters and limit unchanged.",
        "MUST",
        "walk",
        _EVERY,
    ),
    Rule(
        "WALK-BACKWARD",
        "Walking back with `before` from the last item to the start yields the forward "
        "walk's items in the same order.",
        "MUST",
        "cursor",
        "docs/contracts.md#aitronos (Cursor meaning: `before=X` precedes X)",
    ),
    # Filters
    Rule(
        "FILTER-EXACT",
        "Every item returned under an exact filter has the filtered value.",
        "MUST",
        "filter",
        "the seed's filter parameters",
    ),
    Rule(
        "FILTER-SUBSET",
        "A narrowing filter returns a subset of the unfiltered listing.",
        "MUST",
        "filter",
        "the seed's filter parameters",
    ),
    Rule(
        "FILTER-SUPERSET",
        "A widening filter returns a superset of the default listing.",
        "MUST",
        "filter",
        "the seed's filter parameters",
    ),
    Rule(
        "FILTER-TOTAL",
        "The total counts the filtered set.",
        "MUST",
        "filter",
        "the seed's total field",
    ),
    Rule(
        "FILTER-ECHO",
        "A filter echoed in the body equals the value sent.",
        "MUST",
        "filter",
        "docs/contracts.md#chat (projectId)",
    ),
    Rule(
        "FILTER-DEFAULT",
        "An omitted filter with a documented default applies that default.",
        "MUST",
        "filter",
        "the seed's filter defaults",
    ),
    # Determinism and items
    Rule(
        "DETERMINISM",
        "The same GET twice gives the same items in the same order.",
        "MUST",
        "determinism",
        _ALL,
    ),
    Rule(
        "ITEM-FIELDS-AGREE",
        "Fields that name the same thing in an item agree.",
        "MUST",
        "item",
        "docs/contracts.md#kortix (project_id)",
    ),
    Rule(
        "ITEM-UNIX-SECONDS",
        "Unix timestamps are plausible seconds, not milliseconds.",
        "MUST",
        "item",
        "the seed's timestamp fields",
    ),
    Rule(
        "ITEM-ABSOLUTE-URL",
        "URL fields documented as full URLs are absolute.",
        "MUST",
        "item",
        "docs/contracts.md#worker (agent icon)",
    ),
    # Security: what a vendor's security review wants to hear (SHOULD: conventions the
    # seeds do not state; a spec raises one to MUST in x-pagination.rules)
    Rule(
        "SEC-ITEM-CREDENTIALS",
        "List items carry no credentials (fields named or shaped like passwords, tokens, "
        "API keys, private keys, JWTs); a field the spec documents as exposed is named, "
        "not warned about.",
        "SHOULD",
        "security",
        "OWASP API Security Top 10 2023 API3 (excessive data exposure); CWE-200",
    ),
    Rule(
        "SEC-AUTH-SCHEME-CASE",
        "The auth scheme is matched case-insensitively: `bearer <token>` is accepted "
        "like `Bearer <token>`.",
        "SHOULD",
        "security",
        "RFC 9110 § 11.1 (the scheme is a case-insensitive token)",
    ),
    Rule(
        "SEC-AUTH-WHITESPACE",
        "Extra spaces between the auth scheme and the credential are accepted.",
        "SHOULD",
        "security",
        "RFC 9110 § 11.4 and RFC 6750 § 2.1 (scheme, then 1*SP, then the credential)",
    ),
    Rule(
        "SEC-AUTH-NOT-IN-QUERY",
        "The credential sent as a query parameter (access_token, api_key, ...) instead of "
        "its header is refused: URLs end up in logs, proxies and browser history.",
        "SHOULD",
        "security",
        "RFC 6750 § 2.3 and § 5.3 (credentials in URLs are logged and leak)",
    ),
    Rule(
        "SEC-AUTH-SECOND-HEADER",
        "A valid documented credential is accepted, for the same caller, when the request "
        "also carries it in a second credential header (X-API-Key or Authorization) that "
        "a client library or gateway may add.",
        "SHOULD",
        "security",
        "docs/contracts.md#severity (SHOULD: a widely held convention)",
    ),
    # Last: judged after every other rule, it scans the error bodies they all received.
    Rule(
        "SEC-ERROR-INTERNALS",
        "No 4xx/5xx body reveals internals: SQL text or its parameters, a stack trace, a "
        "server file path, a database driver or ORM error class, or a credential.",
        "SHOULD",
        "security",
        "OWASP ASVS 4.0 § 7.4.1 (a generic message on error); CWE-209",
    ),
    # The suite itself: a probe that crashes must fail the run, never hide its rules.
    Rule(
        "WALK-KEYSET-UNDER-WRITES",
        "With --write-hook, a forward keyset walk during which a thread is created still "
        "yields every thread that existed before and after it, exactly once and in order.",
        "MUST",
        "walk",
        "docs/contracts.md#live-targets",
    ),
    Rule(
        "WALK-HOLDS-PLACE",
        "A walk by page token or next link holds its place by thread, not by position: "
        "while threads arrive or vanish during the walk it repeats none and misses none that "
        "existed throughout.",
        "SHOULD",
        "walk",
        "docs/contracts.md#live-targets (SHOULD; MUST where x-pagination.consistency is "
        "keyset or snapshot)",
        must_when=("keyset", "snapshot"),
    ),
    Rule(
        "TARGET-FROZEN",
        "A target declared frozen (--frozen) does not change while it is tested; without "
        "--frozen a change is reported and only reads an unchanged listing bracketed are judged.",
        "MUST",
        "live",
        "docs/contracts.md#live-targets",
    ),
    Rule(
        "SUITE-ERROR",
        "Every probe of the suite ran to its end; an internal error is reported here.",
        "MUST",
        "suite",
        "docs/contracts.md#skipped-never-passed: a crash of the suite fails SUITE-ERROR "
        "(a bug in threadconform: please report it)",
    ),
)

BY_ID: dict[str, Rule] = {rule.id: rule for rule in CATALOGUE}
# The run-integrity rules stay last in the catalogue (and in every report).
_LAST_AREAS = ("live", "suite")


def define(rule: Rule) -> Rule:
    """Add a rule to the catalogue: how a new probe module declares the rule it judges
    (docs/DESIGN.md, "Adding a rule"). It takes its place before the run-integrity rules;
    an id already in the catalogue is refused."""
    global CATALOGUE
    if rule.id in BY_ID:
        raise ValueError(f"rule {rule.id} is already in the catalogue; choose another id")
    cut = next((n for n, known in enumerate(CATALOGUE) if known.area in _LAST_AREAS), None)
    cut = len(CATALOGUE) if cut is None else cut
    CATALOGUE = (*CATALOGUE[:cut], rule, *CATALOGUE[cut:])
    BY_ID[rule.id] = rule
    return rule


def setting(contract: Contract, rule_id: str) -> RuleSetting:
    """The severity (or `off`) and source of one rule for one contract."""
    rule = BY_ID[rule_id]
    configured = contract.pagination.rules.get(rule_id)
    stated = contract.pagination.consistency  # what the spec says, not the style's default
    if configured is None and stated in rule.must_when:
        source = f"x-pagination.consistency: {stated} (docs/contracts.md#live-targets)"
        return RuleSetting("MUST", source)
    if configured is None:
        return RuleSetting(rule.default, default_source(contract, rule))
    return RuleSetting(configured.severity, configured.source or default_source(contract, rule))


_SEEDS = ("kortix", "chat", "aitronos", "freddy", "worker")


def default_source(contract: Contract, rule: Rule) -> str:
    """The source of a rule the contract's `rules:` block does not cite.

    The catalogue's sources are the five seeds' sections of docs/contracts.md; an opt-in
    contract is read from its vendor's documentation, so a seed's section is not its
    source: the contract's own section is (what it reads as MUST, and why)."""
    cites_a_seed = any(f"docs/contracts.md#{seed}" in rule.source for seed in _SEEDS)
    if contract.opt_in and cites_a_seed:
        return (
            f"docs/contracts.md#{contract.name} (the catalogue default, {rule.default}: "
            "no entry in the spec's x-pagination.rules)"
        )
    return rule.source
