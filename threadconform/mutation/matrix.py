"""Running the matrix: servers once per (contract, dataset), runs in a pool of workers.

The parent starts the servers (in its own threads) and hands the runs to a pool of
long-lived worker processes, each of which runs the suite in-process (`runs.py`); plain
Schemathesis runs go to one more worker of their own. Results
come back in any order; a line of progress is printed, flushed, as each contract's dataset
is done, since CI shows nothing of a long step otherwise.
"""

from __future__ import annotations

import dataclasses
import functools
import multiprocessing
import queue
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from threadconform import reference
from threadconform.mutation import runs, servers
from threadconform.mutation.plan import DATASETS, Cell, Dataset, Variant, cells, observable
from threadconform.mutation.runs import Job, Result

__all__ = ["BLACK_BOX", "Comparison", "Matrix", "Outcome", "Progress", "ServerInfo", "run_matrix"]

# Runs made twice, in-process and as a user's subprocess, to prove the two give the same
# verdict, rules and requests: (variant label, dataset name).
BLACK_BOX = (("kortix/conforming", "default"), ("kortix/page-off-by-one", "prime"))
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Outcome:
    """One variant on one dataset: the suite's result (and plain Schemathesis's)."""

    cell: Cell
    suite: Result
    schemathesis: Result | None = None

    @property
    def variant(self) -> Variant:
        return self.cell.variant

    @property
    def dataset(self) -> Dataset:
        return self.cell.dataset

    @property
    def named(self) -> tuple[str, ...]:
        """The rules of the fault's `breaks` that the suite reported failing."""
        return tuple(rule for rule in self.variant.breaks if rule in self.suite.failed)

    @property
    def ok(self) -> bool:
        """Caught (a fault: the run failed naming a rule it breaks) or passed."""
        if self.variant.tolerated:
            return self.suite.exit_status == 0
        return self.suite.exit_status == 1 and bool(self.named)

    @property
    def verdict(self) -> str:
        if self.suite.exit_status is None:
            return "NO RESULT"
        if self.variant.tolerated:
            return "passed" if self.ok else "FALSE ALARM"
        return "caught" if self.ok else "MISSED"

    @property
    def schemathesis_flagged(self) -> bool | None:
        if self.schemathesis is None or self.schemathesis.exit_status is None:
            return None
        return self.schemathesis.exit_status != 0


@dataclass(frozen=True)
class ServerInfo:
    contract: str
    dataset: Dataset
    threads: int
    total: int | None
    default_limit: int | None
    meets: bool
    changes: int = 0  # what live mode changed in its data during the runs (0: frozen)


@dataclass(frozen=True)
class Comparison:
    """One run made in-process and as a subprocess."""

    label: str
    dataset: str
    in_process: Result
    black_box: Result

    @property
    def same(self) -> bool:
        # The verdict a user gets: exit status, failed and warned rules. Request counts are
        # shown beside it but not compared: a default-profile kortix run sends 629 requests
        # in a pool worker and 625 as a subprocess (the same 4-request gap on every run, with
        # the same verdicts; the cause is not yet found, see the issue note).
        def seen(r: Result) -> tuple[object, ...]:
            return (r.exit_status, sorted(r.failed), sorted(r.warned))

        return self.in_process.exit_status is not None and seen(self.in_process) == seen(
            self.black_box
        )


@dataclass
class Matrix:
    profile: str
    workers: int
    datasets: tuple[Dataset, ...]
    outcomes: list[Outcome] = field(default_factory=list)
    servers: list[ServerInfo] = field(default_factory=list)
    comparisons: list[Comparison] = field(default_factory=list)
    unobservable: list[tuple[Cell, int | None]] = field(default_factory=list)  # not run
    wall_seconds: float = 0.0
    server_cpu_seconds: float = 0.0  # the parent's CPU time while the runs ran: the servers

    def of(self, variant: Variant) -> list[Outcome]:
        return [o for o in self.outcomes if o.variant == variant]

    @property
    def variants(self) -> list[Variant]:
        return list(dict.fromkeys(o.variant for o in self.outcomes))

    def ok(self, variant: Variant) -> bool:
        """Caught (or passed) on every dataset it ran on."""
        found = self.of(variant)
        return bool(found) and all(o.ok for o in found)


def run_matrix(
    chosen: Iterable[Variant],
    datasets: tuple[Dataset, ...] = DATASETS,
    *,
    profile: str = "default",
    schemathesis: bool = True,
    black_box: Iterable[tuple[str, str]] = BLACK_BOX,
    workers: int = 2,
    progress: Progress | None = None,
) -> Matrix:
    say = progress or (lambda line: None)
    started = time.perf_counter()
    planned = cells(chosen, datasets)
    matrix = Matrix(profile, workers, datasets)
    contracts = list(dict.fromkeys(c.variant.contract for c in planned))
    served = servers.serve_all(contracts, datasets)
    try:
        matrix.servers = [_info(s) for s in served.values()]
        totals = {key: s.total for key, s in served.items()}
        planned, matrix.unobservable = _observable(planned, totals)
        say(_servers_line(matrix.servers, time.perf_counter() - started))
        jobs = _jobs(planned, served, profile, schemathesis, set(black_box), datasets[0])
        say(_plan_line(jobs, len(served), profile, workers))
        cpu = time.process_time()
        results = _pool(jobs, workers, _Tracker(jobs, planned, say, started))
        matrix.server_cpu_seconds = time.process_time() - cpu
        matrix.servers = [
            dataclasses.replace(info, changes=s.server.changes)
            for info, s in zip(matrix.servers, served.values(), strict=True)
        ]
    finally:
        servers.stop_all(served)
    _assemble(matrix, planned, results)
    matrix.wall_seconds = time.perf_counter() - started
    return matrix


def _observable(
    planned: list[Cell], totals: dict[tuple[str, str], int | None]
) -> tuple[list[Cell], list[tuple[Cell, int | None]]]:
    """The cells whose fault can show on their dataset, and the others with its total."""
    kept: list[Cell] = []
    dropped: list[Cell] = []
    for cell in planned:
        total = totals[cell.variant.contract, cell.dataset.name]
        (kept if observable(cell.variant, total) else dropped).append(cell)
    return kept, [(c, totals[c.variant.contract, c.dataset.name]) for c in dropped]


def _info(served: servers.Served) -> ServerInfo:
    return ServerInfo(
        served.contract,
        served.dataset,
        served.threads,
        served.total,
        served.default_limit,
        served.meets,
    )


def _jobs(
    planned: list[Cell],
    served: dict[tuple[str, str], servers.Served],
    profile: str,
    schemathesis: bool,
    black_box: set[tuple[str, str]],
    default: Dataset,
) -> list[Job]:
    """The suite on every cell; Schemathesis on the default dataset's; some black boxes."""
    jobs = []
    for cell in planned:
        variant, dataset = cell.variant, cell.dataset
        server = served[variant.contract, dataset.name].server
        key = (variant.label, dataset.name)
        kinds: list[runs.Kind] = ["suite"]
        kinds += ["schemathesis"] if schemathesis and dataset == default else []
        kinds += ["black-box"] if key in black_box else []
        url = server.fault_url(variant.fault)
        # A fault may carry its own credentials (a deployment that wants another token).
        keys = reference.credentials_for(variant.contract, variant.fault)
        jobs += [Job(k, variant.contract, url, keys, profile, key) for k in kinds]
    return jobs


class _Tracker:
    """Counts results per (contract, dataset) and says when one is complete."""

    def __init__(self, jobs: list[Job], planned: list[Cell], say: Progress, started: float):
        self.cells = {(c.variant.label, c.dataset.name): c for c in planned}
        self.left = Counter(_group(job) for job in jobs)
        self.groups = len(self.left)
        self.results: dict[tuple[str, str], list[Result]] = {}
        self.say = say
        self.started = started

    def add(self, result: Result) -> None:
        group = _group(result.job)
        self.results.setdefault(group, []).append(result)
        self.left[group] -= 1
        if self.left[group] == 0:
            done = sum(1 for n in self.left.values() if n == 0)
            self.say(self._line(group, done))

    def _line(self, group: tuple[str, str], done: int) -> str:
        found = self.results[group]
        judged = [Outcome(self.cells[r.job.key], r) for r in found if r.job.kind == "suite"]
        faults = [o for o in judged if not o.variant.tolerated]
        passing = [o for o in judged if o.variant.tolerated]
        wrong = ", ".join(
            f"{o.variant.fault or 'conforming'} {o.verdict}" for o in judged if not o.ok
        )
        cpu = sum(r.cpu_seconds for r in found)
        elapsed = time.perf_counter() - self.started
        return (
            f"matrix: {group[0]} on dataset {group[1]}: "
            f"{sum(o.ok for o in faults)}/{len(faults)} faults caught, "
            f"{sum(not o.ok for o in passing)}/{len(passing)} false alarms, "
            f"{cpu:.0f} CPU s [{done}/{self.groups} done, {elapsed:.0f} s elapsed]"
            + (f" ({wrong})" if wrong else "")
        )


def _group(job: Job) -> tuple[str, str]:
    return job.contract, job.key[1]


def _pool(jobs: list[Job], workers: int, tracker: _Tracker) -> list[Result]:
    """Every job's result. Suite and black-box runs go to `workers` processes, Schemathesis
    runs to one of their own (its CLI's global state never meets the suite's). When
    nothing has come back for a run's bound, the jobs still out are given up (the pools
    are terminated) and have no result."""
    arrived: queue.Queue[Result] = queue.Queue()
    bound = runs.RUN_SECONDS * runs.timeout_scale()
    context = multiprocessing.get_context("spawn")  # the parent has server threads: no fork
    results: list[Result] = []
    with (
        context.Pool(workers, initializer=runs.start_worker) as suite,
        context.Pool(1, initializer=runs.start_worker) as schemathesis,
    ):
        for job in jobs:
            pool = schemathesis if job.kind == "schemathesis" else suite
            failed = functools.partial(_crashed, arrived, job)
            pool.apply_async(runs.run, (job,), callback=arrived.put, error_callback=failed)
        for _ in jobs:
            try:
                result = arrived.get(timeout=bound)
            except queue.Empty:
                break
            results.append(result)
            tracker.add(result)
    done = {r.job for r in results}  # jobs come back as copies: compare by value
    gave_up = f"no result within {bound:.0f} s"
    return results + [Result(job, None, detail=gave_up) for job in jobs if job not in done]


def _crashed(arrived: queue.Queue[Result], job: Job, error: BaseException) -> None:
    """A job the pool could not run (its worker died): a result without an exit status."""
    arrived.put(Result(job, None, detail=f"{type(error).__name__}: {error}"))


def _assemble(matrix: Matrix, planned: list[Cell], results: list[Result]) -> None:
    by_key: dict[tuple[str, tuple[str, str]], Result] = {}
    for result in results:
        by_key[result.job.kind, result.job.key] = result
    for cell in planned:
        key = (cell.variant.label, cell.dataset.name)
        suite = by_key["suite", key]
        matrix.outcomes.append(Outcome(cell, suite, by_key.get(("schemathesis", key))))
        if ("black-box", key) in by_key:
            matrix.comparisons.append(Comparison(key[0], key[1], suite, by_key["black-box", key]))


def _servers_line(infos: list[ServerInfo], seconds: float) -> str:
    totals = ", ".join(
        f"{i.contract}/{i.dataset.name}={i.total}" + ("" if i.meets else " (NOT AS REQUIRED)")
        for i in infos
    )
    return f"matrix: {len(infos)} servers up in {seconds:.0f} s; listing totals: {totals}"


def _plan_line(jobs: list[Job], servers_count: int, profile: str, workers: int) -> str:
    kinds = Counter(job.kind for job in jobs)
    return (
        f"matrix: {kinds['suite']} suite runs, {kinds['schemathesis']} Schemathesis runs, "
        f"{kinds['black-box']} black-box runs on {servers_count} servers; profile {profile}, "
        f"{workers} workers"
    )
