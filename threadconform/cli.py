"""The `threadconform` command line.

Each subcommand is one `add_<name>(subparsers)` function that registers its parser and sets
`handler` to a function `(namespace) -> exit code`; `main` only dispatches.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from types import FrameType
from typing import TYPE_CHECKING

from threadconform import __version__, rules
from threadconform.outcomes import COMMAND_USAGE, ExitStatus

__all__ = [
    "Cell",
    "add_check_spec",
    "add_docs",
    "add_infer",
    "add_rules",
    "add_serve",
    "build_parser",
    "catalogue",
    "catalogue_markdown",
    "catalogue_text",
    "main",
    "run_check_spec",
    "run_docs",
    "run_infer",
    "run_rules",
    "run_serve",
    "run_suite",
    "suite_help",
]

if TYPE_CHECKING:
    from threadconform.model import Contract


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["run"]:
        return run_suite(args[1:])  # pytest parses its options, and ours
    parser = build_parser()
    namespace = parser.parse_args(args)
    if getattr(namespace, "handler", None) is None:
        parser.print_help()
        return COMMAND_USAGE
    code: int = namespace.handler(namespace)
    return code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="threadconform",
        description="Conformance suite for HTTP APIs that list conversation threads.",
    )
    parser.add_argument("--version", action="version", version=f"threadconform {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    subparsers.add_parser(
        "run",
        help="run the suite: the options of `pytest --contract ...` (see `threadconform run "
        "--help`), reports under the current folder",
    )
    add_serve(subparsers)
    add_rules(subparsers)
    add_check_spec(subparsers)
    add_docs(subparsers)
    add_infer(subparsers)
    return parser


def run_suite(args: Sequence[str]) -> int:
    """`pytest` on the suite's own test modules, from the current folder: the same options,
    exit statuses and reports as `pytest --contract ...` there."""
    import os

    import pytest

    from threadconform.suite import SUITE_DIR

    if "-h" in args or "--help" in args:
        print(suite_help())  # the suite's own options first; pytest's follow
    # Schemathesis' own pytest plugin is not needed by the suite and costs a second;
    # anyio's imports its asyncio backend, 0.2 s. The suite's modules assert nothing, so
    # no module needs pytest's assertion rewriting (the plugins it would recompile on
    # every run where bytecode is not written: 0.2 s more). Options given after win.
    quiet = ["-p", "no:schemathesis", "-p", "no:anyio", "--assert=plain"]
    command = [str(SUITE_DIR), "--rootdir", os.getcwd(), *quiet, *args]
    return int(pytest.main(command))


def suite_help() -> str:
    """`threadconform run --help`: the suite's options, each with its variable."""
    from threadconform.options import OPTIONS

    lines = [
        "usage: threadconform run [suite options] [pytest options]",
        "",
        "Runs the conformance suite (pytest on its own test modules) from this folder; "
        "reports go to reports/.",
        "",
        "suite options (each also read from its environment variable):",
    ]
    for option in OPTIONS:
        if option.pytest_owned:
            continue
        lines.append(f"  {option.flag:<16} {option.help} [env {option.env}]")
    lines += ["", "pytest's own options follow (any of them works here too).", ""]
    return "\n".join(lines)


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be >= 0")
    return value


def _ties(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected sizes separated by commas, e.g. 12,7,25,5; got {text!r}"
        ) from None
    return sizes


def add_serve(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from threadconform.reference import MODES, SERVED

    serve = subparsers.add_parser(
        "serve",
        help="run a reference server for one contract",
        description="Run the reference server of one contract until interrupted (Ctrl-C). "
        "It prints its URL first, then the demo credentials.",
    )
    serve.add_argument("contract", help=f"one of: {', '.join(SERVED)}")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=_count, default=0, help="port (default 0: any free one)")
    serve.add_argument(
        "--threads", type=_count, default=237, help="threads of the main tenant (default 237)"
    )
    serve.add_argument("--seed", type=int, default=0, help="data set seed (default 0)")
    serve.add_argument(
        "--ties",
        type=_ties,
        default=None,
        help="tie groups of the main tenant, sizes newest to oldest, e.g. 12,7,25,5 "
        "(exactly these threads share a created_at; default: the built-in pattern)",
    )
    serve.add_argument("--db", default=None, help="SQLite file (default: in memory)")
    serve.add_argument("--fault", default=None, help="serve this named defect")
    serve.add_argument(
        "--compress",
        choices=("gzip",),
        default=None,
        help="gzip every response the client accepts gzip for (as workerd and CDNs do)",
    )
    serve.add_argument(
        "--prefix", default="", help="serve the routes under this path, e.g. /v1 (default: none)"
    )
    serve.add_argument(
        "--live",
        type=_positive,
        default=None,
        metavar="N",
        help="live mode: every N requests to the list route (all tenants counted together), "
        "before answering, change the data as another client of the main tenant would; each "
        "change is reported on stderr (default: frozen data)",
    )
    serve.add_argument(
        "--live-mode",
        choices=MODES,
        default="insert",
        help="what a live change does: insert a new thread newest of all, delete the thread "
        "in the middle of the listing, or update that thread's activity time (it moves to "
        "the head where the listing is ordered by activity) (default: insert)",
    )
    serve.add_argument(
        "--delay-ms",
        type=float,
        default=0.0,
        metavar="MS",
        help="answer every request this many milliseconds later, as a server across a "
        "network does (requests wait side by side; default 0)",
    )
    serve.add_argument(
        "--list-faults", action="store_true", help="list the contract's faults and exit"
    )
    serve.set_defaults(handler=run_serve)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be >= 1")
    return value


def run_serve(namespace: argparse.Namespace) -> int:
    from threadconform.reference import SERVED, faults

    contract = namespace.contract
    if contract not in SERVED:
        return _usage(f"unknown contract {contract!r}; valid contracts: {', '.join(SERVED)}")
    known = faults(contract)
    if namespace.list_faults:
        for fault in known.values():
            mark = " (tolerated)" if fault.tolerated else ""
            print(f"{fault.name}{mark}: {fault.description} [{', '.join(fault.breaks)}]")
        return ExitStatus.PASS
    if namespace.ties is not None:
        from threadconform.reference.data import check_ties

        try:
            check_ties(namespace.threads, namespace.ties)
        except ValueError as problem:
            return _usage(f"--ties: {problem}")
    if namespace.delay_ms < 0:
        return _usage(f"--delay-ms: must be >= 0, got {namespace.delay_ms}")
    if namespace.fault is not None and namespace.fault not in known:
        valid = ", ".join(known) or "(none)"
        return _usage(f"unknown fault {namespace.fault!r} for {contract}; valid faults: {valid}")
    # SIGTERM ends the server like Ctrl-C does: uvicorn shuts down, then re-raises it here.
    signal.signal(signal.SIGTERM, _terminate)
    with contextlib.suppress(KeyboardInterrupt):
        _serve_until_interrupted(namespace)
    return ExitStatus.PASS


def _serve_until_interrupted(namespace: argparse.Namespace) -> None:
    from threadconform.reference.live import Live
    from threadconform.reference.server import delayed, listen, prepare, url_of, uvicorn_server

    live = None if namespace.live is None else Live(namespace.live, namespace.live_mode)
    app, store = prepare(
        namespace.contract,
        threads=namespace.threads,
        seed=namespace.seed,
        fault=namespace.fault,
        db=namespace.db,
        ties=namespace.ties,
        compress=namespace.compress,
        prefix=namespace.prefix,
        live=live,
        report=lambda change: print(change.line(), file=sys.stderr, flush=True),
    )
    sock = listen(namespace.host, namespace.port)
    try:
        _announce(namespace, url_of(sock))
        served = delayed(app, namespace.delay_ms) if namespace.delay_ms else app
        uvicorn_server(served).run(sockets=[sock])
    finally:
        sock.close()
        store.close()


def _announce(namespace: argparse.Namespace, url: str) -> None:
    """The URL line first (a parent process parses it), then what a human needs."""
    from threadconform.reference import header
    from threadconform.reference.faults import credentials_for

    contract = namespace.contract
    print(f"threadconform reference server for {contract} at {url}", flush=True)
    pair = credentials_for(contract, namespace.fault)
    for tenant, credential in (("primary", pair.primary), ("secondary", pair.secondary)):
        if credential is not None:
            ((name, value),) = header(contract, credential).items()
            print(f"  {tenant} credential: {name}: {value}")
    if namespace.prefix or namespace.compress:
        compression = namespace.compress or "none"
        print(f"  prefix: {namespace.prefix or 'none'}, compression: {compression}")
    storage = namespace.db or "in memory"
    ties = "" if namespace.ties is None else f", tie groups {namespace.ties}"
    print(f"  data: {namespace.threads} threads, seed {namespace.seed}{ties}, {storage}")
    print(f"  fault: {namespace.fault or 'none'}", flush=True)
    if namespace.live is not None:
        every = f"every {namespace.live} list requests"
        print(f"  live: {namespace.live_mode} {every} (changes reported on stderr)", flush=True)


def add_rules(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    rules_parser = subparsers.add_parser(
        "rules",
        help="print the rule catalogue: statements, severity per contract, sources",
        description="Print every rule the suite checks, its severity for each contract "
        "(n/a where it does not apply) and where that severity comes from. "
        "docs/rules.md is this command's Markdown output.",
    )
    rules_parser.add_argument("--contract", default="all", help="one contract (default: all)")
    rules_parser.add_argument("--spec", default=None, help="a spec file instead of specs/")
    rules_parser.add_argument(
        "--format", choices=("text", "markdown"), default="text", help="default: text"
    )
    rules_parser.set_defaults(handler=run_rules)


def run_rules(namespace: argparse.Namespace) -> int:
    from threadconform import spec

    try:
        if namespace.spec:
            contracts = [spec.load(namespace.spec)]
        elif namespace.contract == "all":
            contracts = spec.load_all(spec.SPEC_DIR)
        else:
            contracts = [spec.load(spec.find(namespace.contract))]
    except spec.SpecError as error:
        print(f"threadconform rules: {error}", file=sys.stderr)
        return COMMAND_USAGE
    table = catalogue(contracts)
    print(catalogue_markdown(table) if namespace.format == "markdown" else catalogue_text(table))
    return ExitStatus.PASS


@dataclass(frozen=True)
class Cell:
    severity: str  # MUST, SHOULD or n/a
    note: str  # the source of the severity, or why the rule does not apply


def catalogue(contracts: Sequence[Contract]) -> dict[str, dict[str, Cell]]:
    """rule id -> contract name -> its severity and source, in catalogue order."""
    from threadconform.runner import applicable

    table: dict[str, dict[str, Cell]] = {}
    for rule in rules.CATALOGUE:
        row = table.setdefault(rule.id, {})
        for contract in contracts:
            reason = applicable(contract, rule.id)
            setting = rules.setting(contract, rule.id)
            if reason is not None:
                row[contract.name] = Cell("n/a", reason)
            else:
                row[contract.name] = Cell(setting.severity, setting.source or rule.source)
    return table


def catalogue_text(table: dict[str, dict[str, Cell]]) -> str:
    lines = []
    for rule_id, row in table.items():
        lines.append(f"{rule_id}  {rules.BY_ID[rule_id].statement}")
        width = max(len(name) for name in row)
        for name, cell in row.items():
            lines.append(f"  {name:<{width}}  {cell.severity:<6}  {cell.note}")
        lines.append("")
    return "\n".join(lines).rstrip("\n")


def catalogue_markdown(table: dict[str, dict[str, Cell]]) -> str:
    names = list(next(iter(table.values())))
    lines = [
        "# Rule catalogue",
        "",
        "<!-- Generated by `threadconform rules --format markdown > docs/rules.md`; "
        "do not edit by hand. -->",
        "",
        "Every rule the suite checks, and its severity for each contract: **MUST** fails "
        "the run, **SHOULD** warns (fails with `--strict`), **n/a** does not apply. A "
        "contract's severities come from its spec's `x-pagination.rules`, else the "
        "catalogue default (`threadconform/rules.py`).",
        "",
        "| rule | area | statement | " + " | ".join(names) + " |",
        "| --- | --- | --- | " + " | ".join(":---:" for _ in names) + " |",
    ]
    for rule_id, row in table.items():
        rule = rules.BY_ID[rule_id]
        cells = " | ".join(row[name].severity for name in names)
        lines.append(f"| `{rule_id}` | {rule.area} | {_cell(rule.statement)} | {cells} |")
    lines += ["", "## Sources", ""]
    for rule_id, row in table.items():
        lines += [f"### {rule_id}", "", rules.BY_ID[rule_id].statement, ""]
        lines += [
            f"- **{name}** ({cell.severity}): {_cell(cell.note)}" for name, cell in row.items()
        ]
        lines.append("")
    return "\n".join(lines).rstrip("\n")


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell or list item."""
    return " ".join(text.split()).replace("|", "\\|")


def add_check_spec(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    checker = subparsers.add_parser(
        "check-spec",
        help="check a spec file: the loader, then every consistency problem at once",
        description="Load FILE as the suite does, then list every problem of its "
        "x-pagination block (unknown keys, contradictions, undocumented error fields, "
        "TODO decisions a draft left), one line each with its fix. Exit 0 when clean, 4 not.",
    )
    checker.add_argument("file", help="the spec file (OpenAPI 3.1 + x-pagination)")
    checker.set_defaults(handler=run_check_spec)


def run_check_spec(namespace: argparse.Namespace) -> int:
    from threadconform import spec_lint

    lines = spec_lint.check(namespace.file)
    for line in lines:
        print(line)
    if not lines:
        print(f"{namespace.file}: no problems")
    return 4 if lines else 0


def add_docs(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from threadconform.guide import TOPICS

    docs = subparsers.add_parser(
        "docs",
        help="print the x-pagination reference, an annotated spec template, or the rules",
        description="Print bundled documentation: "
        + "; ".join(f"{name}: {what}" for name, (_, what) in TOPICS.items()),
    )
    docs.add_argument("topic", nargs="?", default=None, help=f"one of: {', '.join(TOPICS)}")
    docs.set_defaults(handler=run_docs)


def run_docs(namespace: argparse.Namespace) -> int:
    from threadconform.guide import show

    text, code = show(namespace.topic)
    print(text, file=sys.stdout if code == 0 else sys.stderr)
    return code


def add_infer(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    infer = subparsers.add_parser(
        "infer",
        help="draft a spec from the URL of a list endpoint (GET requests only)",
        description="Send GET requests to the list endpoint at URL and draft a spec "
        "(OpenAPI 3.1 + x-pagination) from what it answers. Every inferred fact carries its "
        "evidence as a YAML comment; what could not be inferred is a `TODO: ...` value that "
        "check-spec refuses until you decide. A draft is a starting point, not a verdict.",
    )
    infer.add_argument("url", help="the full URL of the list endpoint")
    infer.add_argument("--token", default=None, help="a credential (Bearer, else X-API-Key)")
    infer.add_argument(
        "--header",
        action="append",
        default=[],
        help="'Name: value' sent on every request (repeatable)",
    )
    infer.add_argument("--openapi", default=None, help="an OpenAPI file naming the parameters")
    infer.add_argument(
        "-o", "--output", default=None, help="write the draft here (default: stdout)"
    )
    infer.add_argument(
        "--max-requests", type=_count, default=300, help="request budget (default 300)"
    )
    infer.set_defaults(handler=run_infer)


def run_infer(namespace: argparse.Namespace) -> int:
    from threadconform.infer import cli_main

    return cli_main(namespace)


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _usage(message: str) -> int:
    print(f"threadconform serve: {message}", file=sys.stderr)
    return COMMAND_USAGE
