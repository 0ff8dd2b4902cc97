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
from types import FrameType

from threadconform import __version__


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    namespace = parser.parse_args(argv)
    if getattr(namespace, "handler", None) is None:
        parser.print_help()
        return 2
    code: int = namespace.handler(namespace)
    return code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="threadconform",
        description="Conformance suite for HTTP APIs that list conversation threads.",
    )
    parser.add_argument("--version", action="version", version=f"threadconform {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    add_serve(subparsers)
    return parser


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be >= 0")
    return value


def add_serve(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from threadconform.reference import CONTRACTS

    serve = subparsers.add_parser(
        "serve",
        help="run a reference server for one contract",
        description="Run the reference server of one contract until interrupted (Ctrl-C). "
        "It prints its URL first, then the demo credentials.",
    )
    serve.add_argument("contract", help=f"one of: {', '.join(CONTRACTS)}")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=_count, default=0, help="port (default 0: any free one)")
    serve.add_argument(
        "--threads", type=_count, default=237, help="threads of the main tenant (default 237)"
    )
    serve.add_argument("--seed", type=int, default=0, help="data set seed (default 0)")
    serve.add_argument("--db", default=None, help="SQLite file (default: in memory)")
    serve.add_argument("--fault", default=None, help="serve this named defect")
    serve.add_argument(
        "--list-faults", action="store_true", help="list the contract's faults and exit"
    )
    serve.set_defaults(handler=run_serve)


def run_serve(namespace: argparse.Namespace) -> int:
    from threadconform.reference import CONTRACTS, faults

    contract = namespace.contract
    if contract not in CONTRACTS:
        return _usage(f"unknown contract {contract!r}; valid contracts: {', '.join(CONTRACTS)}")
    known = faults(contract)
    if namespace.list_faults:
        for fault in known.values():
            mark = " (tolerated)" if fault.tolerated else ""
            print(f"{fault.name}{mark}: {fault.description} [{', '.join(fault.breaks)}]")
        return 0
    if namespace.fault is not None and namespace.fault not in known:
        valid = ", ".join(known) or "(none)"
        return _usage(f"unknown fault {namespace.fault!r} for {contract}; valid faults: {valid}")
    # SIGTERM ends the server like Ctrl-C does: uvicorn shuts down, then re-raises it here.
    signal.signal(signal.SIGTERM, _terminate)
    with contextlib.suppress(KeyboardInterrupt):
        _serve_until_interrupted(namespace)
    return 0


def _serve_until_interrupted(namespace: argparse.Namespace) -> None:
    from threadconform.reference.server import listen, prepare, url_of, uvicorn_server

    app, store = prepare(
        namespace.contract,
        threads=namespace.threads,
        seed=namespace.seed,
        fault=namespace.fault,
        db=namespace.db,
    )
    sock = listen(namespace.host, namespace.port)
    try:
        _announce(namespace, url_of(sock))
        uvicorn_server(app).run(sockets=[sock])
    finally:
        sock.close()
        store.close()


def _announce(namespace: argparse.Namespace, url: str) -> None:
    """The URL line first (a parent process parses it), then what a human needs."""
    from threadconform.reference import credentials, header

    contract = namespace.contract
    print(f"threadconform reference server for {contract} at {url}", flush=True)
    pair = credentials(contract)
    for tenant, credential in (("primary", pair.primary), ("secondary", pair.secondary)):
        if credential is not None:
            ((name, value),) = header(contract, credential).items()
            print(f"  {tenant} credential: {name}: {value}")
    storage = namespace.db or "in memory"
    print(f"  data: {namespace.threads} threads, seed {namespace.seed}, {storage}")
    print(f"  fault: {namespace.fault or 'none'}", flush=True)


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _usage(message: str) -> int:
    print(f"threadconform serve: {message}", file=sys.stderr)
    return 2
