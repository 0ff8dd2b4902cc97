"""Shrinking a failing fuzz case to the smallest query that still fails the same way.

Schemathesis has Hypothesis shrink a failing example before it reports it. The suite
judges each case itself (its own checks, its own client), so it shrinks once the fuzz
probe has collected its findings: it re-sends smaller queries through the probe's own
fetch (a GET of the list route, as every fuzz request) and keeps a smaller one only when
its answer fails *the same way* (`Failure`). Steps, in order: drop whole parameters one
at a time (the longest first), then single pairs of a parameter sent more than once,
then shorten each remaining value (`abc` for a number, kept when it fails; else empty,
one character of the same kind, the first half). It is bounded per cause and per probe
(`PER_CAUSE`, `PER_PROBE`), stops at once when the run stops (`BudgetSpent`), never
touches a value it is told to keep (what the grounding step took from the target's own
data), and tries its candidates in a fixed order, so a seed and a server decide every
request it sends.

`Examples` decides which fuzz violations are shown (one per cause, the shortest query,
`Violation.one_per_cause`) and which of them to shrink; the fuzz probe supplies the
judgement (`Rejudge`): this module knows nothing of Schemathesis.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from threadconform.exchange import Response
from threadconform.ledger import MAX_KEPT_VIOLATIONS, Violation
from threadconform.outcomes import BudgetSpent

__all__ = [
    "CANONICAL_BAD_NUMBER",
    "PER_CAUSE",
    "PER_PROBE",
    "Allowance",
    "Examples",
    "Failure",
    "Pairs",
    "Shrunk",
    "body_kind",
    "shorter_values",
    "shrink",
]

Pairs = tuple[tuple[str, str], ...]

# A fuzzed query sends some of the contract's parameters (kortix has 2, worker 4, freddy
# 6, aitronos 11; Schemathesis leaves out an optional one about half the time, and may
# repeat one): ten requests drop each of up to seven and shorten the one or two values
# that remain; on the widest cases the longest are dropped first, so a shrink cut short
# has still removed most characters. Thirty per probe shrink three causes fully, or
# five whose trigger is found early (most cases are then explained at no cost: see
# `Examples`); both fuzz probes together add at most 60 requests, 3% of the default
# profile's 2,000, and only on a target that fails (a conforming one costs none).
PER_CAUSE = 10
PER_PROBE = 30
# Shrinking polishes evidence; it must not take from later probes the requests their
# judgements need: it spends at most this share of what the run's budget has left.
BUDGET_SHARE = 0.1
CANONICAL_BAD_NUMBER = "abc"  # what a person types to test a number parameter

_NUMBER = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*")


@dataclass(frozen=True)
class Failure:
    """What failed, whatever the query: two answers fail the same way when these agree.

    `detail` is what the rule saw go wrong, never a value the query sent: for a 5xx the
    kind of its body (a JSON object with the same keys, or the same content type: the same
    handler answered), for a body that breaks the schema the place it breaks (array
    indices as `*`), for a 2xx that is not JSON its content type. A 500 with the same
    body kind is taken as the same crash: telling two crashes of one handler apart would
    need the server's traceback, which a conforming server does not send.
    """

    rule: str
    status: int | None
    detail: str


@dataclass
class Allowance:
    """The extra requests shrinking may still send in one probe."""

    left: int = PER_PROBE

    def take(self) -> bool:
        if self.left <= 0:
            return False
        self.left -= 1
        return True


@dataclass(frozen=True)
class Shrunk:
    pairs: Pairs  # the smallest query that still failed the same way
    response: Response  # its answer (the original one when nothing smaller failed)
    sent: int  # the requests this shrink cost


Fetch = Callable[[Pairs], Response]
Same = Callable[[Response], bool]


@dataclass
class _Shrinking:
    """One shrink under way: the smallest failing query so far, what it may still send."""

    pairs: Pairs
    response: Response
    same: Same
    fetch: Fetch
    allowance: Allowance
    most: int
    tried: set[Pairs] = field(default_factory=set)
    sent: int = 0
    stopped: bool = False  # the run stopped (budget, deadline, silence): send nothing more

    @property
    def spent(self) -> bool:
        return self.stopped or self.sent >= self.most or self.allowance.left <= 0

    def attempt(self, candidate: Pairs) -> bool:
        """Send `candidate` once; keep it when it fails the same way."""
        if candidate in self.tried or self.spent or not self.allowance.take():
            return False
        self.tried.add(candidate)
        try:
            answer = self.fetch(candidate)
        except BudgetSpent:  # the run stopped (nothing sent): no more, for any cause
            self.stopped = True
            self.allowance.left = 0
            return False
        self.sent += 1
        if not self.same(answer):
            return False
        self.pairs, self.response = candidate, answer
        return True


def shrink(
    response: Response,
    same: Same,
    fetch: Fetch,
    *,
    keep: frozenset[str] = frozenset(),
    numbers: frozenset[str] = frozenset(),
    allowance: Allowance | None = None,
    most: int = PER_CAUSE,
) -> Shrunk:
    """The smallest query found that `same` still accepts, starting from the query that got
    `response`. `keep` names parameters neither dropped nor rewritten; `numbers` those for
    which `abc` is tried. At most `most` requests, and never more than `allowance` holds."""
    state = _Shrinking(
        response.request.params, response, same, fetch, allowance or Allowance(), most
    )
    state.tried.add(state.pairs)
    _drop_names(state, keep)
    _drop_repeats(state, keep)
    _shorten(state, keep, numbers)
    return Shrunk(state.pairs, state.response, state.sent)


def _drop_names(state: _Shrinking, keep: frozenset[str]) -> None:
    """Each parameter in turn, the longest first: a shrink cut short by its bound has then
    already taken away most of the characters."""
    size: dict[str, int] = {}
    for name, value in state.pairs:
        size[name] = size.get(name, 0) + len(name) + len(value)
    for name in sorted(size, key=lambda n: -size[n]):  # stable: ties in query order
        if name not in keep:
            state.attempt(tuple(pair for pair in state.pairs if pair[0] != name))


def _drop_repeats(state: _Shrinking, keep: frozenset[str]) -> None:
    """Single pairs of a parameter still sent more than once (`limit=a&limit=b`)."""
    index = 0
    while index < len(state.pairs):
        name = state.pairs[index][0]
        repeated = sum(n == name for n, _ in state.pairs) > 1
        dropped = state.pairs[:index] + state.pairs[index + 1 :]
        if name in keep or not repeated or not state.attempt(dropped):
            index += 1  # a dropped pair leaves the next one at this index


def _shorten(state: _Shrinking, keep: frozenset[str], numbers: frozenset[str]) -> None:
    for index in range(len(state.pairs)):
        name = state.pairs[index][0]
        if name in keep:
            continue
        for value in shorter_values(state.pairs[index][1], number=name in numbers):
            if not _shorter(value, state.pairs[index][1]):
                continue  # an earlier candidate already made it this short
            pairs = list(state.pairs)
            pairs[index] = (name, value)
            if state.attempt(tuple(pairs)) and value == CANONICAL_BAD_NUMBER:
                break  # `limit=abc` says it best, even where `limit=` fails too


def _shorter(value: str, current: str) -> bool:
    """Is `value` an improvement on `current`: shorter, or `abc` in place of as long a one."""
    if value == CANONICAL_BAD_NUMBER and value != current:
        return len(value) <= len(current)
    return len(value) < len(current)


def shorter_values(value: str, *, number: bool = False) -> list[str]:
    """Values to try in place of `value`, in order, each once: for a number parameter first
    `abc` (what a person types to test one, and what the parameter probe sends, so the
    ledger shows the two as one; tried when no longer than `value`), then the shorter of:
    empty, one character of the same kind (a digit of a number, else the first
    character), the first half."""
    if _NUMBER.fullmatch(value):
        return _shorter_numbers(value)
    found = [CANONICAL_BAD_NUMBER] if number and len(CANONICAL_BAD_NUMBER) <= len(value) else []
    found += [v for v in ("", value[:1], value[: len(value) // 2]) if len(v) < len(value)]
    return [v for v in dict.fromkeys(found) if v != value]


def _shorter_numbers(value: str) -> list[str]:
    """A number is shortened only to numbers of the same kind (`_kind`): its sign and one
    digit, or its sign and `1.5` for a fraction, then its first half while that is still
    of its kind. `-1` must not become `-` or `abc`, nor `327034398` become `abc`: a parse
    error is another bug than a negative, fractional or oversized value, and a shrink must
    keep the bug it was given."""
    text = value.strip()
    sign = text[:1] if text[:1] in "+-" else ""
    kind = _kind(text)
    found = [sign + ("1.5" if kind.endswith("fraction") else "1"), text[: len(text) // 2]]
    return [v for v in dict.fromkeys(found) if len(v) < len(value) and _kind(v) == kind]


def _kind(value: str) -> str:
    """A value's kind as a shrink must keep it: empty, text, or a number by its sign and
    whether it is whole (`-fraction`, `integer`, ...)."""
    text = value.strip()
    if not text:
        return "empty"
    if not _NUMBER.fullmatch(text):
        return "text"
    whole = re.fullmatch(r"[-+]?\d+", text) is not None
    return ("-" if text.startswith("-") else "") + ("integer" if whole else "fraction")


def body_kind(response: Response) -> str:
    """What kind of body an answer has, without any of its values: the keys of a JSON
    object, the type of other JSON, else the content type (or that there is none)."""
    if response.is_json and isinstance(response.body, dict):
        return f"a JSON object with keys {','.join(sorted(response.body)) or '(none)'}"
    if response.is_json and response.body is not None:
        return f"JSON {type(response.body).__name__}"
    kind = response.content_type.split(";", 1)[0].strip().lower()
    if not response.text:
        return f"an empty {kind or 'untyped'} body"
    return f"a {kind or 'untyped'} body"


# The fuzz probe's judgement of one answer for one rule: the rule's violation on it, and
# what failed (None: the rule holds on that answer). The third argument is the query the
# answer's query was shrunk from (None while shrinking), for the violation's message.
Rejudge = Callable[[str, Response, Pairs | None], tuple[Violation, Failure] | None]


@dataclass(frozen=True)
class Candidate:
    """One fuzz violation, as found."""

    violation: Violation
    response: Response
    failure: Failure
    shrinkable: bool  # its rule is judged on the answer alone, whatever the query


@dataclass(frozen=True)
class _Example:
    failure: Failure
    trigger: frozenset[str]  # the parameters its shrunk query still needs (but kept ones)
    cause: str
    kinds: tuple[tuple[str, str], ...] = ()  # each trigger parameter's kind of value

    def explains(self, failure: Failure, sent: Pairs) -> bool:
        """Does this example most likely show the same bug as a case that failed alike?
        It must send every trigger parameter, each with a value of the same kind (a
        negative offset and a fraction in a limit are two bugs of one handler)."""
        if failure != self.failure:
            return False
        values = dict(sent)
        return all(name in values and _kind(values[name]) == kind for name, kind in self.kinds)


@dataclass
class Examples:
    """Which fuzz violations to shrink, and the cause each one is shown under.

    The cause of a violation is its `Failure` plus the parameters the shrunk query still
    sends (its trigger): two crashes of one handler on different parameters are two
    causes. A violation not shrunk takes the cause of the first shrunk example of the
    same failure whose trigger it also sends (shrinking it would most likely end there);
    one that no example explains is shown as found, under one "not shrunk" cause per
    failure. The ledger keeps one violation per cause, the shortest query.
    """

    rejudge: Rejudge
    fetch: Fetch
    keep: frozenset[str] = frozenset()
    numbers: frozenset[str] = frozenset()
    first: tuple[str, ...] = ()  # rules shrunk before the others, when requests are few
    allowance: Allowance = field(default_factory=Allowance)
    _examples: list[_Example] = field(default_factory=list)

    def shown(self, candidates: Iterable[Candidate]) -> dict[int, Violation]:
        """For each candidate (by position), the violation to record in its place."""
        found = list(candidates)
        result: dict[int, Violation] = {}
        for index in _resolution_order(found, self.first):
            result[index] = self._resolve(found[index])
        return result

    def _resolve(self, candidate: Candidate) -> Violation:
        violation, failure = candidate.violation, candidate.failure
        if not candidate.shrinkable:  # its `detail` names what the case got wrong
            return self._caused(violation, _cause(failure, "as found"))
        sent = candidate.response.request.params
        for example in self._examples:
            if example.explains(failure, sent):
                return self._caused(violation, example.cause)
        if self._room(failure) and self.allowance.left > 0:
            return self._shrunk(candidate)
        return self._caused(violation, _cause(failure, "not shrunk"))

    def _room(self, failure: Failure) -> bool:
        shrunk = [e for e in self._examples if e.failure.rule == failure.rule]
        return len({e.cause for e in shrunk}) < MAX_KEPT_VIOLATIONS

    def _shrunk(self, candidate: Candidate) -> Violation:
        failure = candidate.failure

        def same(answer: Response) -> bool:
            judged = self.rejudge(failure.rule, answer, None)
            return judged is not None and judged[1] == failure

        done = shrink(
            candidate.response,
            same,
            self.fetch,
            keep=self.keep,
            numbers=self.numbers,
            allowance=self.allowance,
        )
        # A kept parameter was never tried without: it is no part of the trigger.
        trigger = frozenset(name for name, _ in done.pairs) - self.keep
        cause = _cause(failure, f"on {','.join(sorted(trigger)) or 'no parameters'}")
        kinds = tuple((name, _kind(value)) for name, value in done.pairs if name in trigger)
        self._examples.append(_Example(failure, trigger, cause, kinds))
        violation = candidate.violation
        original = candidate.response.request.params
        if done.pairs != original:
            judged = self.rejudge(failure.rule, done.response, original)
            if judged is not None:  # always: `same` accepted it
                violation = judged[0]
        return self._caused(violation, cause)

    @staticmethod
    def _caused(violation: Violation, cause: str) -> Violation:
        return replace(violation, cause=cause, one_per_cause=True)


def _cause(failure: Failure, trigger: str) -> str:
    return f"{failure.rule}: {failure.status} with {failure.detail}, {trigger}"


def _resolution_order(found: list[Candidate], first: tuple[str, ...]) -> list[int]:
    """Positions in the order they are resolved: the shrinkable rules' violations first
    (they may send requests; `first` rules before the others, then as found), each rule's
    shortest query first, so an example shrunk early is the shortest start and explains
    the longer cases after it at no cost."""
    rules = dict.fromkeys([*first, *(c.failure.rule for c in found)])
    order = {rule: n for n, rule in enumerate(rules)}
    return sorted(
        range(len(found)),
        key=lambda i: (
            not found[i].shrinkable,
            order[found[i].failure.rule],
            _length(found[i].response.request.params),
            i,
        ),
    )


def _length(pairs: Pairs) -> int:
    return len("&".join(f"{name}={value}" for name, value in pairs))
