"""Issue 23 point 4: the matrix's verdicts with an inferred spec in place of the hand-written one.

For each contract: start its reference server with every fault (the conforming API at the
root, fault NAME under /__fault/NAME), infer a draft from the root, make the draft's TODO
decisions the way a vendor would from the contract's document (the hand-written spec's value
for each TODO field, and only those: the fields are listed), check the result as
`threadconform check-spec` does, then run the suite (`pytest --spec SPEC --base-url URL
--profile P --seed 0`, in this process as the matrix's workers do) on the conforming server,
its tolerated variants and its page-boundary/metadata faults, once with the draft and once
with the hand-written spec. A tolerated variant that fails is a false alarm; a fault is
caught when the run fails naming a rule the fault breaks (the matrix's own verdict).

    .venv/bin/python bench/infer_matrix.py [--profile quick] [--out FILE.jsonl] [NAME ...]

One JSON line per contract goes to --out as each contract ends (a long run's partial
results survive); the table and every difference are printed at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from threadconform import reference, spec, spec_lint
from threadconform.infer import infer
from threadconform.mutation.matrix import Outcome
from threadconform.mutation.plan import DEFAULT, Cell, Variant, variants
from threadconform.mutation.runs import ROOT, Job, Result, credential_env, run_environment

__all__ = [
    "DECIDABLE",
    "EXPLAINED",
    "ContractResult",
    "Row",
    "chosen_variants",
    "decide",
    "explain",
    "main",
    "run_contract",
]

# The x-pagination fields `infer` leaves as TODO when requests cannot show them (a promise,
# a documented default the data never reached, the flag that fills a null total).
DECIDABLE = frozenset(
    {
        "order",
        "order.documented",
        "limit.default",
        "limit.maximum",
        "response.total",
        "response.total_requires",
        "cursor.unknown",
        "cursor.malformed",
    }
)

# Differences read and explained by hand: (variant label) -> why. Each is a promise of the
# vendor's document that no request to the conforming server can show.
_NO_FILTERS = (
    "the fault is in the filters, which are the vendor's parameters: `infer URL` without "
    "--openapi knows none, so the draft sends no filter and judges no FILTER-* rule"
)
EXPLAINED: dict[str, str] = {
    "gmail/filter-dropped-later-pages": _NO_FILTERS,
    "github/filter-dropped-later-pages": _NO_FILTERS,
    "github/link-drops-filter": _NO_FILTERS,
    "graph/filter-dropped-later-pages": _NO_FILTERS,
    "stripe/short-pages": (
        "Stripe's document makes a full page a convention (PAGE-FULL: SHOULD in the "
        "hand-written spec), and the rules that assume full pages follow that severity "
        "(PAGE-DEFAULT-LIMIT, CURSOR-AFTER: issue 20); no request can show a severity, so "
        "the draft keeps the catalogue's MUST"
    ),
    "worker/total-ignores-filter": (
        "the fault is in the filters, which are the vendor's parameters: `infer URL` without "
        "--openapi knows none, so the draft sends no filter and no FILTER-*/META-TOTAL check "
        "under a filter runs (the hand-written spec's filter parameters are also why its "
        "PARAM-INVALID-REJECTED and META-LENGTH runs differ)"
    ),
    "aitronos/total-ignores-filter": (
        "the fault is in the filters, which are the vendor's parameters: `infer URL` without "
        "--openapi knows none, so the draft sends no filter and no FILTER-*/META-TOTAL check "
        "under a filter runs"
    ),
    "freddy/unknown-cursor-empty-page": (
        "as aitronos's: the document lets an unknown cursor be an error or an empty page; the "
        "conforming server answers 400, so the draft says `error`"
    ),
    "aitronos/unknown-cursor-empty-page": (
        "the document lets an unknown cursor be an error or an empty page (accept: "
        "error-or-empty); the conforming server answers 400, so the draft says `error` and an "
        "empty page fails CURSOR-UNKNOWN (and CURSOR-MALFORMED, which the draft also observed "
        "as an error)"
    ),
    "chat/total-ignores-filter": (
        "the fault is in the filters, which are the vendor's parameters: `infer URL` without "
        "--openapi knows none, so the draft sends no filter and no FILTER-*/META-TOTAL check "
        "under a filter runs"
    ),
    "chat/optional-fields-null": (
        "the document makes the pagination echoes optional and nullable (checked only when "
        "present, as SHOULD); the conforming server always sends them as values, so the "
        "draft's page schema types them and its has_more is a MUST (META-HAS-MORE)"
    ),
    "chat/no-pagination-echoes": (
        "the document makes the pagination echoes optional; the conforming server always "
        "sends them, so the draft's page schema requires them and its has_more is a MUST "
        "(META-HAS-MORE)"
    ),
    "worker/clamp-out-of-range": (
        "the document allows clamping an out-of-range limit (out_of_range: reject-or-clamp); "
        "the conforming server rejects it, so the draft says `reject` and a clamp fails "
        "PARAM-INVALID-REJECTED"
    ),
    "worker/no-agent-object": (
        "`agent` is optional in the document; every thread the conforming server lists has "
        "one, so the draft's item schema (keys seen on every item) requires it"
    ),
}


@dataclass(frozen=True)
class Row:
    """One variant, run with the hand-written spec and with the decided draft."""

    variant: str
    kind: str  # conforming, tolerated or fault
    hand: str  # the matrix's verdict: passed, FALSE ALARM, caught, MISSED, NO RESULT
    draft: str
    hand_failed: tuple[str, ...]
    draft_failed: tuple[str, ...]
    cpu_seconds: float

    @property
    def differs(self) -> bool:
        return self.hand != self.draft


@dataclass
class ContractResult:
    contract: str
    profile: str
    requests: int = 0  # the GET requests the draft cost
    decided: list[str] = field(default_factory=list)  # the TODO fields a decision filled
    lint: list[str] = field(default_factory=list)  # check-spec's problems after the decisions
    rows: list[Row] = field(default_factory=list)
    cpu_seconds: float = 0.0

    def count(self, which: str, verdict: str) -> int:
        return sum(1 for row in self.rows if getattr(row, which) == verdict)


def chosen_variants(contract: str) -> list[Variant]:
    """The conforming server, its tolerated variants, and its faults that break a
    page-boundary rule or a META-* rule."""
    return [
        v
        for v in variants([contract])
        if v.tolerated or v.page_boundary or any(r.startswith("META-") for r in v.breaks)
    ]


# --- the decisions --------------------------------------------------------------------


def decide(draft: dict[str, Any], hand: dict[str, Any]) -> list[str]:
    """Replace each TODO of the draft's x-pagination block with the hand-written spec's
    value at the same place (deleting the key where the hand-written spec has none); return
    the decided fields as `path: value`. Nothing else of the draft is touched."""
    block = spec_lint.operation(draft)["x-pagination"]
    theirs = spec_lint.operation(hand)["x-pagination"]
    decided: list[str] = []
    for where in _todo_paths(block, ()):
        parent = _at(block, where[:-1])
        if where == ("order", "documented") and theirs.get("order") is None:
            block["order"] = None  # the vendor promises no order: "or set order: null"
            decided.append("order: null (the hand-written spec documents no order)")
            continue
        found, value = _lookup(theirs, where)
        dotted = ".".join(str(p) for p in where)
        if found:
            parent[where[-1]] = value
            decided.append(f"{dotted}: {json.dumps(value)}")
        else:
            del parent[where[-1]]
            decided.append(f"{dotted}: removed (not in the hand-written spec)")
        if (
            where == ("response", "total_requires")
            and not _lookup(theirs, ("response", "total"))[0]
        ):
            block["response"].pop("total", None)
            decided.append("response.total: removed with total_requires")
    return decided


def _todo_paths(node: Any, where: tuple[Any, ...]) -> Iterator[tuple[Any, ...]]:
    if isinstance(node, dict):
        for key, value in list(node.items()):
            yield from _todo_paths(value, (*where, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _todo_paths(value, (*where, index))
    elif spec_lint.is_todo(node):
        yield where


def _at(node: Any, where: tuple[Any, ...]) -> Any:
    for part in where:
        node = node[part]
    return node


def _lookup(node: Any, where: tuple[Any, ...]) -> tuple[bool, Any]:
    for part in where:
        if not _holds(node, part):
            return False, None
        node = node[part]
    return True, node


def _holds(node: Any, part: Any) -> bool:
    if isinstance(node, dict):
        return part in node
    return isinstance(node, list) and isinstance(part, int) and part < len(node)


# --- the runs -------------------------------------------------------------------------


def suite(spec_path: Path, variant: Variant, url: str, profile: str) -> Result:
    """`pytest --spec SPEC --base-url URL --profile P --seed 0`, in this process."""
    import pytest

    keys = reference.credentials_for(variant.contract, variant.fault)
    job = Job("suite", variant.contract, url, keys, profile, (variant.label, DEFAULT.name))
    with tempfile.TemporaryDirectory(prefix="tc-infer-matrix-") as reports:
        args = [
            "-q", "-p", "no:cacheprovider", "--spec", str(spec_path), "--base-url", url,
            "--profile", profile, "--seed", "0", "--report-dir", reports,
        ]  # fmt: skip
        started = time.process_time()
        with run_environment(credential_env(keys)), _quiet():
            status = int(pytest.main(args))
        spent = time.process_time() - started
        summary = Path(reports) / "summary.json"
        if not summary.exists():
            return Result(job, status, cpu_seconds=spent)
        data = json.loads(summary.read_text())
        rules = [rule for target in data["contracts"] for rule in target["rules"]]
        failed = tuple(r["id"] for r in rules if r["outcome"] == "fail")
        warned = tuple(r["id"] for r in rules if r["outcome"] == "warn")
        requests = int(data.get("requests", 0))
        return Result(job, status, failed, warned, requests, cpu_seconds=spent)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        yield


def run_contract(name: str, profile: str, workdir: Path) -> ContractResult:
    started = time.process_time()
    result = ContractResult(name, profile)
    hand_path = spec.find(name)
    hand = spec.read_document(hand_path)
    endpoint = spec.load(hand_path).endpoint
    with reference.start(
        name, threads=DEFAULT.threads, all_faults=True, **DEFAULT.start_options
    ) as server:
        draft = infer(server.url + endpoint, token=server.credentials.primary)
        result.requests = draft.requests
        document = json.loads(json.dumps(draft.document))
        result.decided = decide(document, hand)
        draft_path = workdir / f"{name}.draft.json"
        draft_path.write_text(json.dumps(document, indent=1), encoding="utf-8")
        (workdir / f"{name}.draft.yaml").write_text(draft.yaml, encoding="utf-8")
        result.lint = spec_lint.check(draft_path)
        for variant in chosen_variants(name):
            url = server.fault_url(variant.fault)
            runs = [suite(path, variant, url, profile) for path in (hand_path, draft_path)]
            hand_run, draft_run = (Outcome(Cell(variant, DEFAULT), run) for run in runs)
            result.rows.append(
                Row(
                    variant.label,
                    variant.kind,
                    hand_run.verdict,
                    draft_run.verdict,
                    tuple(sorted(runs[0].failed)),
                    tuple(sorted(runs[1].failed)),
                    round(runs[0].cpu_seconds + runs[1].cpu_seconds, 1),
                )
            )
    result.cpu_seconds = round(time.process_time() - started, 1)
    return result


def explain(contract: str, row: Row) -> str | None:
    """Why a variant's verdicts differ: a hand-read explanation, or one a rule's severity in
    the hand-written spec's `rules` block gives (a vendor's documented MUST/SHOULD/off, which
    no request can show); None: unexplained."""
    if row.variant in EXPLAINED:
        return EXPLAINED[row.variant]
    block = spec_lint.operation(spec.read_document(spec.find(contract)))["x-pagination"]
    set_by_hand = block.get("rules") or {}
    changed = set(row.hand_failed) ^ set(row.draft_failed)
    if changed and changed <= set(set_by_hand):
        severities = ", ".join(
            f"{rule}: {_severity(set_by_hand[rule])}" for rule in sorted(changed)
        )
        return f"severities the hand-written spec documents ({severities}); the draft has none"
    return None


def _severity(setting: Any) -> str:
    """A `rules` entry: a severity ("off") or a block naming one."""
    return str(setting.get("severity") if isinstance(setting, dict) else setting)


# --- the report -----------------------------------------------------------------------


def table(results: list[ContractResult]) -> list[str]:
    lines = [
        "| contract | variants | caught (hand / draft) | false alarms (hand / draft) "
        "| differences | decided TODO fields | check-spec | CPU s |",
        "| --- | ---: | --- | --- | ---: | --- | --- | ---: |",
    ]
    for r in results:
        caught = f"{r.count('hand', 'caught')} / {r.count('draft', 'caught')}"
        alarms = f"{r.count('hand', 'FALSE ALARM')} / {r.count('draft', 'FALSE ALARM')}"
        faults = sum(1 for row in r.rows if row.kind == "fault")
        lint = "clean" if not r.lint else f"{len(r.lint)} problems"
        lines.append(
            f"| {r.contract} | {len(r.rows)} ({faults} faults) | {caught} | {alarms} "
            f"| {sum(row.differs for row in r.rows)} | {'; '.join(r.decided) or '-'} "
            f"| {lint} | {r.cpu_seconds} |"
        )
    return lines


def differences(results: list[ContractResult]) -> list[str]:
    lines = []
    for r in results:
        for row in r.rows:
            if row.differs:
                only_hand = sorted(set(row.hand_failed) - set(row.draft_failed))
                only_draft = sorted(set(row.draft_failed) - set(row.hand_failed))
                lines.append(
                    f"- {row.variant}: hand {row.hand}, draft {row.draft}; failing only with "
                    f"the hand-written spec: {', '.join(only_hand) or '-'}; only with the "
                    f"draft: {', '.join(only_draft) or '-'}. Why: "
                    f"{explain(r.contract, row) or 'UNEXPLAINED'}"
                )
        lines += [f"- {r.contract}: check-spec: {line}" for line in r.lint]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("names", nargs="*", default=list(reference.SERVED))
    parser.add_argument("--profile", default="default")
    parser.add_argument("--out", default=None, help="append one JSON line per contract")
    parser.add_argument("--workdir", default=None, help="keep the drafts here")
    options = parser.parse_args(argv)
    os.chdir(ROOT)  # pytest finds tests/ and pyproject.toml there, as from a checkout
    results = []
    with tempfile.TemporaryDirectory(prefix="tc-infer-drafts-") as scratch:
        workdir = Path(options.workdir or scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        for name in options.names:
            result = run_contract(name, options.profile, workdir)
            results.append(result)
            print(f"{name}: {len(result.rows)} variants, {result.cpu_seconds} CPU s", flush=True)
            if options.out:
                with open(options.out, "a", encoding="utf-8") as out:
                    out.write(json.dumps(asdict(result)) + "\n")
    print("\n".join(["", *table(results), "", "Differences:", *differences(results)]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
