"""What a probe may ask of the target during one run: one way to send, one way to walk.

`fetch` sends one GET and raises the typed stop (`client.BudgetSpent`, of which
`DeadlineSpent` is a kind) once the run has stopped; `walk` never raises: a stopped
run ends a walk with stop "budget". Both take the credential to send (another tenant's)
as a parameter. The run's state (whether and why it stopped) is one `RunState`, and what
the probes share (reference walks, samples, walk statistics, notes) are typed fields.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import functools
import threading
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from threadconform import paths, spec
from threadconform.client import DEFAULT, Client, CredentialArg
from threadconform.exchange import Response
from threadconform.leaks import ErrorSample
from threadconform.ledger import Finding
from threadconform.live import Consistency, LiveLog, snapshot
from threadconform.model import Contract
from threadconform.outcomes import BudgetSpent, DeadlineSpent
from threadconform.probes.turn import Turn, sharing
from threadconform.profiles import Profile
from threadconform.walk import Item, Walk, extract_page, walk, walk_backward

if TYPE_CHECKING:
    from threadconform.shapes import Shapes

__all__ = [
    "MAX_ITEMS_EXAMINED",
    "MIN_ITEMS_EXAMINED",
    "SILENT_LIMIT",
    "Ending",
    "ProbeContext",
    "ReferenceKey",
    "RunState",
    "Samples",
    "WalkStats",
]

SILENT_LIMIT = 3  # consecutive unanswered requests before a run stops sending
# Items of one page the probes examine: twice the largest page the contract allows
# (within bounds), so a page that is too long still shows as too long, while 450,000
# items in a 2 MB body cost what a few hundred do (bench/hostile_table.py, case crowd).
MIN_ITEMS_EXAMINED, MAX_ITEMS_EXAMINED = 200, 1000
# Why a run ended before judging everything: "gone" (the target stopped answering) and
# "deadline" (--max-time) leave rules unjudged; "budget" is an ordinary, chosen limit.
Ending = Literal["", "budget", "deadline", "gone"]
StrParams = tuple[tuple[str, str], ...]
T = TypeVar("T")


@dataclass
class RunState:
    """Whether the run still sends requests, and if not, why."""

    ending: Ending = ""  # what stopped the run's requests ("" while it sends)
    reason: str = ""  # why no more requests are sent: the budget, the deadline, silence
    gone: str = ""  # why the target counts as gone (ending "gone")
    silent: int = 0  # consecutive requests that got no answer at all

    @property
    def over(self) -> bool:
        return self.ending != ""

    def stop(self, reason: str, *, gone: str = "", ending: Ending = "budget") -> None:
        """The first stop names the ending; the first reason given is kept."""
        if not self.over:
            self.gone = gone
            self.ending = "gone" if gone else ending
        self.reason = self.reason or reason


@dataclass(frozen=True)
class Samples:
    """Values taken from the target's own answers: real ids and filter values."""

    ids: list[str]
    values: dict[str, list[Any]]


@dataclass(frozen=True)
class ReferenceKey:
    """Which reference walk: its filters and its direction."""

    params: StrParams
    direction: str | None


@dataclass
class WalkStats:
    """How many walks the walk probe judged, and with which limits."""

    walks: int = 0
    limits: set[int] = field(default_factory=set)

    def add(self, limit: int) -> None:
        self.walks += 1
        self.limits.add(limit)


@dataclass
class ProbeContext:
    contract: Contract
    client: Client
    profile: Profile
    seed: int
    second_token: str | None = None
    state: RunState = field(default_factory=RunState)
    errors: ErrorSample = field(default_factory=ErrorSample)  # 4xx/5xx bodies, for leaks
    references: dict[ReferenceKey, Walk] = field(default_factory=dict)
    # When each cached reference was read (requests sent before it): on a listing seen to
    # change, a reference older than a unit's bracket is no evidence (probes/settle.py).
    read_at: dict[ReferenceKey, int] = field(default_factory=dict)
    samples_by_credential: dict[str | None, Samples] = field(default_factory=dict)
    walk_stats: WalkStats = field(default_factory=WalkStats)
    empty_listing: str | None = None  # the run's note that the caller's listing is empty
    provocations: tuple[Response, ...] | None = None  # security's, sent once per run
    shapes: Shapes | None = None  # the 200 body's shapes, built once for the fuzz probe
    frozen: bool = False  # --frozen: the user guarantees the listing does not change
    # --write-hook: creates one thread on the target; None when it worked, else why not
    write_hook: Callable[[], str | None] | None = None
    live: LiveLog = field(default_factory=LiveLog)  # what the run saw of a changing target
    # Held by walks judged side by side (--concurrency) while they count or change what
    # the run shares: the silence count, walk statistics, the references after a change.
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)
    # Once the listing is seen to change, one unit's bracket at a time (probes/turn.py).
    turn: Turn = field(default_factory=Turn, repr=False, compare=False)
    _once: dict[Hashable, threading.RLock] = field(default_factory=dict, repr=False, compare=False)

    def fetch(
        self,
        params: Mapping[str, Any] | Sequence[tuple[str, str]] = (),
        *,
        credential: CredentialArg = DEFAULT,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """One GET (another tenant's `credential`, extra `headers`), counted towards
        SILENT_LIMIT. Raises BudgetSpent once the run has stopped, whatever stopped it."""
        if self.state.over:
            raise BudgetSpent(self.state.reason)
        try:
            with self.turn.taken(self.live.changed):
                response = self.client.get(params, credential=credential, headers=headers)
        except DeadlineSpent as reached:
            self.state.stop(str(reached), ending="deadline")
            raise
        except BudgetSpent:
            self.state.stop(f"the request budget ({self.client.max_requests}) is spent")
            raise
        unserved = self._count_silence(response)
        if unserved is not None and response.status is not None:
            # A body that never completed, a 429 or 503 that outlasted its retries: no
            # answer to judge (at --concurrency N, up to N of them come back as the run
            # stops, to whichever probes sent them), only a count towards silence.
            response = dataclasses.replace(response, status=None, body=None, error=unserved)
        self.errors.add(response)
        return self._bounded(response)

    def walk(
        self,
        params: Sequence[tuple[str, str]],
        direction: str | None = None,
        *,
        max_pages: int | None = None,
        beyond_cap: bool = False,
        credential: CredentialArg = DEFAULT,
        backward_from: str | None = None,
    ) -> Walk:
        """A bounded walk; a stopped run ends it with stop "budget".

        At most `max_pages` pages within the profile's cap, or exactly that cap when
        `beyond_cap` (a walk back needs one page more than the walk forward). `credential`
        walks another tenant's listing; `backward_from` walks back from that item id."""
        if self.state.over:
            return Walk(tuple(params), direction, (), "budget", self.state.reason)
        pages = self._page_cap(params, max_pages, beyond_cap)
        sender = _Sender(self, credential)
        pagination = self.contract.pagination
        if backward_from is not None:
            return walk_backward(
                sender,
                pagination,
                params,
                start=backward_from,
                max_pages=pages,
                direction=direction,
                together=self.together,
                path=self._path(params, direction, credential),
            )
        return walk(
            sender,
            pagination,
            params,
            max_pages=pages,
            direction=direction,
            together=self.together,
            path=self._path(params, direction, credential),
        )

    def _path(
        self, params: Sequence[tuple[str, str]], direction: str | None, credential: CredentialArg
    ) -> tuple[str, ...] | None:
        """For a walk by `after=<id>`: the ids of the reference walk of its listing (its
        filters and direction), read already, which a correct server's pages follow.
        None for another tenant's listing: the caller's references are not its path."""
        pagination = self.contract.pagination
        own = credential is DEFAULT or credential == self.client.credential
        if pagination.style != "cursor" or pagination.cursor is None or not own:
            return None
        walked = {pagination.limit.param, pagination.cursor.after, pagination.cursor.before}
        key = ReferenceKey(tuple(p for p in params if p[0] not in walked), direction)
        reference = self.references.get(key)
        return reference.ids if reference is not None else None

    def together(self, calls: Sequence[Callable[[], T]]) -> list[T]:
        """Each call's result, in order: side by side while the run may have requests out
        at once and the listing has held still; else in turn, so that a write lands
        between the same requests as at --concurrency 1 (pages a walk knows ahead, a
        batch of fuzzed cases)."""
        if self.client.concurrency < 2 or self.live.changed or len(calls) < 2:
            return [call() for call in calls]
        width = min(len(calls), self.client.concurrency)
        with ThreadPoolExecutor(width, thread_name_prefix="together") as pool:
            # Each call in a copy of this context: it shares the caller's turn and reads.
            futures = [pool.submit(contextvars.copy_context().run, call) for call in calls]
            return [future.result() for future in futures]

    def each(self, units: Sequence[Callable[[], list[Finding]]]) -> Iterator[Finding]:
        """Each unit's findings, in the units' order, the units side by side where
        `together` allows (independent checks: the positions of a cursor, the directions
        of a listing). A unit the run's stop cut short ends the findings there with that
        stop, as one unit after another would."""
        for found in self.together([functools.partial(_stopped_or, unit) for unit in units]):
            if isinstance(found, BudgetSpent):
                raise found
            yield from found

    def alone(self) -> contextlib.AbstractContextManager[None]:
        """Held around one unit's bracket: once the listing has been seen to change, no
        other probe's request goes out until the block ends (probes/turn.py)."""
        return self.turn.taken(self.live.changed)

    def _page_cap(
        self, params: Sequence[tuple[str, str]], max_pages: int | None, beyond_cap: bool
    ) -> int:
        if beyond_cap:
            if max_pages is None:
                raise ValueError("beyond_cap needs max_pages: the cap to walk to")
            return max_pages
        limit = dict(params).get(self.contract.pagination.limit.param)
        default = self.contract.pagination.limit.default
        pages = self.profile.pages_for(int(limit) if limit and limit.isdigit() else default)
        return min(pages, max_pages) if max_pages is not None else pages

    def reference(
        self, params: Sequence[tuple[str, str]] = (), direction: str | None = None
    ) -> Walk:
        """The walk with the largest limit for these filters and direction, fetched once."""
        key = ReferenceKey(tuple(params), direction)
        cached = self.references.get(key)
        if cached is not None:  # no turn to wait for when nothing is read
            return cached
        # Probes side by side read a reference once, not each (the turn first: see turn.py).
        with self.alone(), self.once(key), sharing():
            cached = self.references.get(key)
            if cached is not None:
                return cached
            read_at = self.client.requests_sent
            found = self.walk(tuple(params) + self._largest(), direction)
            with self.lock:
                self.read_at[key] = read_at
                self.references[key] = found
                if self._first_reference(key) and not self.state.over:
                    self.live.first = (key, snapshot(found))
            return found

    def _first_reference(self, key: ReferenceKey) -> bool:
        """Is this read the run's first of the listing (TARGET-FROZEN reads it again at
        the end)? The caller's default listing is preferred to whichever reference came
        first: with probes side by side (--concurrency) that order is the threads'."""
        first = self.live.first
        default = ReferenceKey((), None)
        return first is None or (key == default and first[0] != default)

    def reread(self, key: ReferenceKey) -> Walk:
        """That reference walk read again (not cached): has the listing changed since?"""
        return self.walk(key.params + self._largest(), key.direction)

    @property
    def consistency(self) -> Consistency:
        """What the contract's pagination promises while the listing changes."""
        return self.contract.pagination.promise

    def samples(self) -> Samples:
        """Ids and filter values of the caller's own listing, from the reference walk (no
        request of its own)."""
        return _samples(self.contract, self.reference().items)

    def samples_for(self, credential: str | None) -> Samples:
        """The same for another tenant's credential: its first page of the largest limit."""
        if credential == self.client.credential:
            return self.samples()
        with self.alone(), self.once(("samples", credential)), sharing():
            if credential not in self.samples_by_credential:
                try:
                    response = self.fetch(self._largest(), credential=credential)
                except BudgetSpent:
                    return _samples(self.contract, ())
                page = extract_page(self.contract.pagination, response.request, response)
                self.samples_by_credential[credential] = _samples(self.contract, page.items)
            return self.samples_by_credential[credential]

    def once(self, key: Hashable) -> threading.RLock:
        """The lock under which what `key` names is read once and shared: probes running
        side by side (--concurrency) wait for the first reader instead of reading again."""
        with self.lock:
            return self._once.setdefault(key, threading.RLock())

    def _largest(self) -> StrParams:
        limit = self.contract.pagination.limit
        return ((limit.param, str(limit.maximum or limit.default or 100)),)

    def items_of(self, response: Response) -> list[Any] | None:
        items = paths.get(response.body, self.contract.pagination.response.items)
        return items if isinstance(items, list) else None

    @property
    def items_examined(self) -> int:
        limit = self.contract.pagination.limit
        largest = limit.maximum or limit.default or MAX_ITEMS_EXAMINED
        return max(MIN_ITEMS_EXAMINED, min(MAX_ITEMS_EXAMINED, 2 * largest))

    def error_schema(self, status_key: str | None) -> dict[str, Any] | None:
        """The JSON schema of a documented error response's body, references resolved."""
        operation = self.contract.document["paths"][self.contract.endpoint]["get"]
        response = operation.get("responses", {}).get(status_key or "")
        if response is None:
            return None
        resolved = spec.resolve(self.contract, response)
        schema = resolved.get("content", {}).get("application/json", {}).get("schema")
        return schema if isinstance(schema, dict) and schema else None

    # Read-only views kept for callers of the old context (runner, selftests).
    @property
    def ending(self) -> Ending:
        return self.state.ending

    @property
    def cache(self) -> dict[str, Any]:
        """Legacy view of the old `cache` keys: "walk-stats" and "empty-listing"."""
        stats = {"walks": self.walk_stats.walks, "limits": self.walk_stats.limits}
        view: dict[str, Any] = {"walk-stats": stats}
        if self.empty_listing is not None:
            view["empty-listing"] = self.empty_listing
        return view

    def _bounded(self, response: Response) -> Response:
        """The response with at most items_examined items in its list (the rest dropped
        and counted in `items_dropped`)."""
        path = paths.split(self.contract.pagination.response.items)
        items = paths.get(response.body, self.contract.pagination.response.items)
        cap = self.items_examined
        plain = path and not any(part == "*" or part.isdigit() for part in path)
        if not isinstance(items, list) or len(items) <= cap or not plain:
            return response
        body = _replaced(response.body, path, items[:cap])
        return dataclasses.replace(response, body=body, items_dropped=len(items) - cap)

    def _count_silence(self, response: Response) -> str | None:
        """Why the response is no answer (None: it is one), counted: a target that stops
        serving (timeouts, trickled bodies, endless 429s) would otherwise cost a timeout
        or a Retry-After per remaining request; a few in a row end the run's requests."""
        unserved = self._unserved(response)
        with self.lock:
            self.state.silent = self.state.silent + 1 if unserved else 0
            if unserved and self.state.silent >= SILENT_LIMIT:
                self.state.stop(f"the target stopped answering: {unserved}", gone=unserved)
        return unserved

    def _unserved(self, response: Response) -> str | None:
        """Why this response is no answer at all (None when it is one, however wrong)."""
        where = self.client.redact(f"{response.request.method} {response.request.full_url}")
        if response.status is None:
            return response.error or f"{where}: no answer"
        if response.elapsed >= self.client.timeout:  # e.g. a body trickled byte by byte
            return response.error or f"{where}: took {response.elapsed:.1f} s"
        hint = response.headers.get("retry-after")
        if response.status == 429:
            return (
                f"{where}: still HTTP 429 Too Many Requests after its retries "
                f"(Retry-After: {hint or 'none'}); lower --max-rps"
            )
        if response.status == 503 and hint is not None:
            # 503 with Retry-After is "come back later", not an answer to judge; a bare
            # 503 is a server error (HTTP-NO-5XX).
            return (
                f"{where}: still HTTP 503 Service Unavailable after its retries "
                f"(Retry-After: {hint})"
            )
        return None


def _stopped_or(unit: Callable[[], list[Finding]]) -> list[Finding] | BudgetSpent:
    try:
        return unit()
    except BudgetSpent as stop:
        return stop


def _replaced(body: Any, path: tuple[str, ...], value: Any) -> Any:
    """A copy of `body` with the value at the (mapping-only) `path` replaced."""
    if not path or not isinstance(body, dict):
        return value
    head, *rest = path
    return {**body, head: _replaced(body.get(head), tuple(rest), value)}


def _samples(contract: Contract, items: Sequence[Item]) -> Samples:
    values: dict[str, list[Any]] = {}
    for flt in contract.pagination.filters:
        if flt.field is not None:
            seen = {item.get(flt.field, None) for item in items}
            values[flt.param] = sorted((v for v in seen if v is not None), key=str)
    return Samples([item.id for item in items], values)


@dataclass(frozen=True)
class _Sender:
    """The context as a walker's fetcher: its pages count towards SILENT_LIMIT too, and
    carry the walk's credential."""

    context: ProbeContext
    credential: CredentialArg

    def get(self, params: Any = ()) -> Response:
        return self.context.fetch(params, credential=self.credential)
