"""reports/mutation-matrix.md: kill rates (overall and per dataset), what each dataset was
on each contract, the in-process/black-box agreement, what went wrong, then every run."""

from __future__ import annotations

from statistics import mean

from threadconform.mutation.matrix import Matrix, Outcome
from threadconform.mutation.plan import NEEDS_TOTAL, Variant
from threadconform.mutation.runs import Result

__all__ = ["WALL_LINE", "failures", "headline", "report"]

WALL_LINE = "Wall time {wall:.0f} s for {runs} runs"  # bench/suite_run.py reads this line


def report(matrix: Matrix) -> str:
    lines = ["# Mutation matrix", "", *_header(matrix), "", *_headline(matrix), ""]
    lines += _explanation()
    lines += ["", "## Per dataset", "", *_per_dataset(matrix)]
    lines += ["", "## Datasets as served", "", *_served(matrix)]
    lines += ["", "## In-process runs against black-box runs", "", *_comparisons(matrix)]
    lines += _unobservable(matrix)
    lines += _problems(matrix)
    lines += ["", "## Every run", "", *_every_run(matrix)]
    return "\n".join(lines) + "\n"


def _header(matrix: Matrix) -> list[str]:
    suite = [o.suite.seconds for o in matrix.outcomes]
    schemathesis = [o.schemathesis.seconds for o in matrix.outcomes if o.schemathesis]
    runs = len(matrix.outcomes)
    wall = WALL_LINE.format(wall=matrix.wall_seconds, runs=runs)
    text = [
        f"Profile `{matrix.profile}`, {matrix.workers} workers. {wall} "
        f"({len(matrix.variants)} variants on {len(matrix.datasets)} datasets, "
        f"{len(matrix.servers)} servers), plus {len(schemathesis)} plain Schemathesis runs.",
    ]
    if suite:
        requests = mean(o.suite.requests for o in matrix.outcomes)
        cost = f"mean {mean(suite):.1f} s, max {max(suite):.1f} s, {requests:.0f} requests"
        also = f"; per Schemathesis run: mean {mean(schemathesis):.1f} s" if schemathesis else ""
        text += ["", f"Cost per suite run (in-process): {cost}{also}."]
    cpu_suite = sum(o.suite.cpu_seconds for o in matrix.outcomes)
    cpu_st = sum(o.schemathesis.cpu_seconds for o in matrix.outcomes if o.schemathesis)
    text += [
        "",
        f"CPU time: suite runs {cpu_suite:.0f} s, Schemathesis {cpu_st:.0f} s, reference "
        f"servers {matrix.server_cpu_seconds:.0f} s (wall time on a machine with N free "
        "cores is about their sum divided by N).",
    ]
    return text


def _headline(matrix: Matrix) -> list[str]:
    faults = [v for v in matrix.variants if not v.tolerated]
    passing = [v for v in matrix.variants if v.tolerated]
    caught = sum(matrix.ok(v) for v in faults)
    alarms = sum(not matrix.ok(v) for v in passing)
    st_caught = sum(_flagged(matrix, v) is True for v in faults)
    st_alarms = sum(_flagged(matrix, v) is True for v in passing)
    st_run = any(o.schemathesis for o in matrix.outcomes)
    st = (lambda text: text) if st_run else (lambda text: "not run")
    return [
        "| | threadconform | plain Schemathesis (`--checks all`, default dataset) |",
        "| --- | ---: | ---: |",
        f"| faults caught on every dataset | {caught}/{len(faults)} "
        f"({_pct(caught, len(faults))}) | "
        + st(f"{st_caught}/{len(faults)} ({_pct(st_caught, len(faults))})")
        + " |",
        f"| false alarms (tolerated variants and conforming servers) | "
        f"{alarms}/{len(passing)} | " + st(f"{st_alarms}/{len(passing)}") + " |",
    ]


def _explanation() -> list[str]:
    return [
        "A fault counts as caught only if every run of it fails and names a rule the fault "
        "breaks, on every dataset it ran on; a tolerated variant or a conforming server "
        "must pass on every dataset. Faults whose rules depend on where page boundaries "
        "fall, tolerated variants and the conforming servers run on every dataset; the "
        "other faults on the default one. Schemathesis counts as flagging a variant when "
        "its run exits non-zero. Each suite run is `pytest --contract C --base-url URL "
        "--profile P` run in a long-lived worker process; each server serves every fault "
        "of its contract under `/__fault/NAME`.",
    ]


def _flagged(matrix: Matrix, variant: Variant) -> bool | None:
    found = [o.schemathesis_flagged for o in matrix.of(variant) if o.schemathesis]
    return found[0] if found else None


def _per_dataset(matrix: Matrix) -> list[str]:
    lines = [
        "| dataset | threads asked, seed | faults caught | kill rate | false alarms "
        "| suite runs | run seconds | mean requests |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for dataset in matrix.datasets:
        found = [o for o in matrix.outcomes if o.dataset == dataset]
        faults = [o for o in found if not o.variant.tolerated]
        passing = [o for o in found if o.variant.tolerated]
        caught = sum(o.ok for o in faults)
        alarms = sum(not o.ok for o in passing)
        seconds = sum(o.suite.seconds for o in found)
        requests = mean(o.suite.requests for o in found) if found else 0
        lines.append(
            f"| {dataset.name} | {dataset.threads}, {dataset.seed} | {caught}/{len(faults)} | "
            f"{_pct(caught, len(faults))} | {alarms}/{len(passing)} | {len(found)} | "
            f"{seconds:.0f} | {requests:.0f} |"
        )
    return lines


def _served(matrix: Matrix) -> list[str]:
    lines = [
        "| contract | dataset | threads served | listing total | default limit | required | met |",
        "| --- | --- | ---: | ---: | ---: | --- | --- |",
    ]
    for info in matrix.servers:
        lines.append(
            f"| {info.contract} | {info.dataset.name} | {info.threads} | "
            f"{_or_dash(info.total)} | {_or_dash(info.default_limit)} | "
            f"{info.dataset.total or '-'} | {'yes' if info.meets else 'NO'} |"
        )
    return lines


def _comparisons(matrix: Matrix) -> list[str]:
    if not matrix.comparisons:
        return ["No run was made both ways."]
    lines = [
        "The same run in a worker process and as a user's `pytest` subprocess: exit status, "
        "failed and warned rules must agree (request counts are shown, not compared: a "
        "default-profile kortix run differs by 4 of about 600).",
        "",
        "| variant | dataset | in-process | black box | same |",
        "| --- | --- | --- | --- | --- |",
    ]
    for c in matrix.comparisons:
        same = "yes" if c.same else "NO"
        lines.append(
            f"| {c.label} | {c.dataset} | {_seen(c.in_process)} | {_seen(c.black_box)} | {same} |"
        )
    return lines


def _seen(result: Result) -> str:
    return (
        f"exit {_or_dash(result.exit_status)}, failed {', '.join(result.failed) or '-'}, "
        f"{result.requests} requests, {result.seconds:.1f} s ({result.cpu_seconds:.1f} s CPU)"
    )


def _unobservable(matrix: Matrix) -> list[str]:
    if not matrix.unobservable:
        return []
    lines = ["", "## Not run: the fault cannot show on the dataset", ""]
    lines += [
        "| variant | dataset | listing total | needs at least |",
        "| --- | --- | ---: | ---: |",
    ]
    for cell, total in matrix.unobservable:
        needed = NEEDS_TOTAL.get(cell.variant.fault or "", 0)
        lines.append(
            f"| {cell.variant.label} | {cell.dataset.name} | {_or_dash(total)} | {needed} |"
        )
    return lines


def _problems(matrix: Matrix) -> list[str]:
    wrong = [o for o in matrix.outcomes if not o.ok]
    if not wrong:
        return []
    lines = ["", "## Missed faults, false alarms and runs without a result", ""]
    lines.append("| variant | dataset | outcome | breaks | failed | warned | exit |")
    lines.append("| --- | --- | --- | --- | --- | --- | ---: |")
    for o in wrong:
        lines.append(
            f"| {o.variant.label} | {o.dataset.name} | {o.verdict} | "
            f"{', '.join(o.variant.breaks) or '-'} | {', '.join(o.suite.failed) or '-'} | "
            f"{', '.join(o.suite.warned) or '-'} | {_or_dash(o.suite.exit_status)} |"
        )
    return lines


def _every_run(matrix: Matrix) -> list[str]:
    lines = [
        "| contract | variant | kind | dataset | outcome | rules named (failed) | requests "
        "| seconds | Schemathesis |",
        "| --- | --- | --- | --- | --- | --- | ---: | ---: | --- |",
    ]
    lines += [_row(o) for o in matrix.outcomes]
    return lines


def _row(outcome: Outcome) -> str:
    variant = outcome.variant
    rules = ", ".join(outcome.named) or ", ".join(outcome.suite.failed[:4]) or "-"
    flagged = outcome.schemathesis_flagged
    st = "-" if flagged is None else ("flagged" if flagged else "passed")
    return (
        f"| {variant.contract} | {variant.fault or '(conforming)'} | {variant.kind} | "
        f"{outcome.dataset.name} | {outcome.verdict} | {rules} | {outcome.suite.requests} | "
        f"{outcome.suite.seconds:.1f} | {st} |"
    )


def headline(text: str) -> str:
    """The kill-rate table of a report's text (what a terminal shows)."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("| |")), len(lines))
    end = next((i for i in range(start, len(lines)) if not lines[i].startswith("|")), len(lines))
    return "\n".join(lines[start:end])


def failures(matrix: Matrix, tolerated: bool) -> str:
    """Every wrong outcome of one kind with the run's output tail: for a test's message."""
    wrong = [o for o in matrix.outcomes if o.variant.tolerated == tolerated and not o.ok]
    return "\n\n".join(
        f"{o.variant.label} on dataset {o.dataset.name} (breaks "
        f"{', '.join(o.variant.breaks) or 'nothing'}): {o.verdict}, exit "
        f"{o.suite.exit_status}, failed {', '.join(o.suite.failed) or 'nothing'}\n"
        f"{o.suite.detail[-800:]}"
        for o in wrong
    )


def _or_dash(value: object) -> str:
    return "-" if value is None else str(value)


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "n/a"
