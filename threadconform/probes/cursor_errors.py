"""Cursors the target never issued: well-formed unknown ids and malformed ones.

Unknown ids are shaped after a real one (same prefix, same kinds of characters), so a
server that checks the shape first still has to look them up: a random id, one a single
run of characters away from a real id (as a deleted thread's would look), and, with a
second credential, another tenant's real id. Malformed ids are of the wrong shape. Each
answer is judged against `x-pagination.cursor.unknown` / `malformed`: the accepted
outcome, the documented status and body fields, and the documented error envelope.
"""

from __future__ import annotations

import dataclasses
import random
import re
import string
from collections.abc import Iterator

from threadconform.ledger import Finding
from threadconform.model import CursorError
from threadconform.probes import judge, probe
from threadconform.probes.context import ProbeContext
from threadconform.probes.envelopes import envelope_findings
from threadconform.walk import extract_page

__all__ = ["RULES", "cursor_errors", "malformed_ids", "reshaped", "unknown_ids"]

RULES = ("CURSOR-UNKNOWN", "CURSOR-MALFORMED")
_PREFIX = re.compile(r"^[A-Za-z]+[_-]")


def reshaped(real: str, rng: random.Random, keep: int = 0) -> str:
    """`real` with every character after its prefix (and the first `keep` of the rest)
    replaced by a random one of the same kind: digit, hex letter, letter."""
    prefix = match.group(0) if (match := _PREFIX.match(real)) else ""
    body = real[len(prefix) :]
    hexish = all(c in string.hexdigits for c in body)
    out = []
    for index, char in enumerate(body):
        if index < keep:
            out.append(char)
        elif char.isdigit():
            out.append(rng.choice(string.digits))
        elif hexish and char in string.hexdigits:
            pool = "abcdef" if char.islower() else "ABCDEF"
            out.append(rng.choice(pool))
        elif char.isalpha():
            out.append(
                rng.choice(string.ascii_lowercase if char.islower() else string.ascii_uppercase)
            )
        else:
            out.append(char)
    return prefix + "".join(out)


def unknown_ids(real: list[str], foreign: list[str], seed: int) -> list[tuple[str, str]]:
    """(what it is, id): well-formed ids that name no item of `real`."""
    rng = random.Random(seed)
    known = set(real)
    chosen: list[tuple[str, str]] = []
    candidates = [
        ("a random id of the right shape", lambda: reshaped(real[len(real) // 2], rng)),
        (
            "an id like a deleted thread's (a real id with its tail changed)",
            lambda: reshaped(real[0], rng, keep=max(0, len(real[0]) - 4 - _prefix_len(real[0]))),
        ),
    ]
    for label, make in candidates:
        for _ in range(20):
            value = make()
            if value not in known:
                chosen.append((label, value))
                break
    theirs = [ident for ident in foreign if ident not in known]
    if theirs:
        chosen.append(("another tenant's id", theirs[0]))
    return chosen


def _prefix_len(ident: str) -> int:
    match = _PREFIX.match(ident)
    return len(match.group(0)) if match else 0


def malformed_ids(real: list[str]) -> list[tuple[str, str]]:
    """(what it is, id): cursors of the wrong shape."""
    found = [("a string that is no id", "threadconform-not-a-cursor")]
    if real:
        sample = real[0]
        found.append(("a truncated id", sample[: max(1, len(sample) // 2)]))
        found.append(("an id with junk appended", sample + "'\")--"))
    return found


@probe("cursor-errors", *RULES, order=80)
def cursor_errors(ctx: ProbeContext) -> Iterator[Finding]:
    pagination = ctx.contract.pagination
    cursor = pagination.cursor
    if cursor is None:
        for rule in RULES:
            yield Finding.skipped(rule, "the contract has no cursor parameters")
        return
    real = list(ctx.reference().ids)
    foreign: list[str] = []
    if ctx.contract.auth is not None and ctx.second_token:
        foreign = list(ctx.samples_for(ctx.second_token).ids)
    base = ((pagination.limit.param, "5"),)
    if not real:
        yield Finding.skipped("CURSOR-UNKNOWN", "needs a real id to shape unknown ones after")
    for label, value in unknown_ids(real, foreign, ctx.seed) if real else []:
        yield from _ask(
            ctx, "CURSOR-UNKNOWN", (*base, (cursor.after, value)), cursor.on_unknown, label
        )
    for label, value in malformed_ids(real):
        yield from _ask(
            ctx, "CURSOR-MALFORMED", (*base, (cursor.after, value)), cursor.on_malformed, label
        )


def _ask(
    ctx: ProbeContext,
    rule: str,
    params: tuple[tuple[str, str], ...],
    documented: CursorError,
    label: str,
) -> Iterator[Finding]:
    response = ctx.fetch(params)  # once the run stops, the probe ends here
    page = extract_page(ctx.contract.pagination, response.request, response)
    for finding in judge(ctx.contract, rule, page, response.body):
        if finding.violation is not None:  # say which kind of cursor it was
            message = f"{label[0].upper()}{label[1:]}: {finding.violation.message}"
            finding = Finding(rule, dataclasses.replace(finding.violation, message=message))
        yield finding
    status = response.status or 0
    if documented.response and 400 <= status < 500 and status == (documented.status or status):
        yield from envelope_findings(ctx, response, documented.response, rule)
