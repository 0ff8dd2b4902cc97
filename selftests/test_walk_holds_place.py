"""WALK-HOLDS-PLACE (issue 19.5): a page token or next link that encodes a position is
right on a frozen listing and repeats or skips threads once they arrive. It fails where
the writes show it (SHOULD; MUST where the spec states `consistency: keyset|snapshot`),
is never "held" on a walk that could not have shown it, and holds on purpose under
`--write-hook` for a token that names its thread.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import yaml

from selftests.factories import mock_client, page, walk
from selftests.walk_run import run_engine
from threadconform import reference, rules, spec
from threadconform.invariants import INVARIANTS
from threadconform.live import Snapshot
from threadconform.model import Pagination
from threadconform.probes.context import ProbeContext
from threadconform.probes.write_hook import write_hook
from threadconform.profiles import PROFILES
from threadconform.walk import Walk

RULE = "WALK-HOLDS-PLACE"
CHECK = INVARIANTS[RULE]
# A token contract's pagination, from the bundled gmail spec.
GMAIL = spec.load(spec.find("gmail"))
# Two data sets, each with a write every 20 list requests (issue 19: "on at least two").
DATASETS = [pytest.param(151, 1, id="prime-151"), pytest.param(237, 0, id="default-237")]


def _read(ids: list[str]) -> Snapshot:
    """A whole read; each thread's sort key is its own (newest first), whatever its place."""
    keys = tuple((1.0 if ident == "new" else -float(ident[1:]),) for ident in ids)
    return Snapshot(tuple(ids), keys, None, True)


def _walk(pages: list[list[str]]) -> Walk:
    made = [
        page(ids, params=(("pageToken", f"tok{n}"),) if n else ()) for n, ids in enumerate(pages)
    ]
    return walk(made, params=(("maxResults", 3),), note="the next page token was empty")


def _pagination() -> Pagination:
    return GMAIL.pagination


LISTING = [f"t{n}" for n in range(10)]


def test_a_token_that_repeats_a_thread_once_one_arrives_fails_and_says_it_is_an_offset() -> None:
    before, after = _read(LISTING), _read(["new", *LISTING])
    # The offset token: "new" arrived after page 1, so page 2 starts one thread back.
    walk = _walk([LISTING[0:3], LISTING[2:5], LISTING[5:8], LISTING[8:10]])
    (violation,) = CHECK(_pagination(), walk, before, after)
    assert "repeated 1 thread(s) (t2)" in violation.message
    assert "the token encodes an offset" in violation.message
    assert "1 new thread(s) (new)" in violation.message
    assert [r.params for r in violation.evidence] == [(), (("pageToken", "tok1"),)]


def test_a_token_that_skips_a_thread_once_one_vanishes_fails() -> None:
    before, after = _read(LISTING), _read([i for i in LISTING if i != "t1"])
    walk = _walk([LISTING[0:3], LISTING[4:7], LISTING[7:10]])  # t3 skipped after t1 went
    (violation,) = CHECK(_pagination(), walk, before, after)
    assert "never showed 1 thread(s) that existed before and after it (t3)" in violation.message


def test_a_token_that_names_its_thread_holds_when_a_write_is_known_to_land_ahead() -> None:
    before, after = _read(LISTING), _read(["new", *LISTING])
    walk = _walk([LISTING[0:3], LISTING[3:6], LISTING[6:9], LISTING[9:10]])
    assert CHECK.skip_reason(GMAIL, walk, before, after, ahead=True) is None
    assert CHECK(_pagination(), walk, before, after, ahead=True) == []


def test_a_clean_walk_is_never_held_on_writes_that_could_have_come_after_it() -> None:
    """Without the write hook nobody knows when the insert landed: an offset token would
    have served these pages too if it landed after the walk, so the rule declines."""
    before, after = _read(LISTING), _read(["new", *LISTING])
    walk = _walk([LISTING[0:3], LISTING[3:6], LISTING[6:9], LISTING[9:10]])
    assert "no write is known to have landed ahead" in str(
        CHECK.skip_reason(GMAIL, walk, before, after)
    )
    unchanged = CHECK.skip_reason(GMAIL, walk, before, before)
    assert unchanged is not None and "did not change" in unchanged
    one_page = CHECK.skip_reason(GMAIL, _walk([LISTING]), before, after)
    assert one_page is not None and "one page" in one_page


def test_only_token_and_link_styles_have_the_rule() -> None:
    assert CHECK.applies(GMAIL.pagination) is None
    assert CHECK.applies(spec.load(spec.find("github")).pagination) is None
    assert CHECK.applies(spec.load(spec.find("kortix")).pagination) is not None
    assert CHECK.applies(spec.load(spec.find("aitronos")).pagination) is not None


def _stated(tmp_path: Path, consistency: str) -> Path:
    document = yaml.safe_load(spec.find("gmail").read_text())
    operation = document["paths"]["/gmail/v1/users/me/threads"]["get"]
    operation["x-pagination"]["consistency"] = consistency
    path = tmp_path / "gmail.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def test_a_spec_that_states_keyset_or_snapshot_makes_the_rule_a_must(tmp_path: Path) -> None:
    assert rules.setting(GMAIL, RULE).severity == "SHOULD"
    for promise in ("keyset", "snapshot"):
        stated = spec.load(_stated(tmp_path, promise))
        setting = rules.setting(stated, RULE)
        assert setting.severity == "MUST" and f"consistency: {promise}" in str(setting.source)
    assert rules.setting(spec.load(_stated(tmp_path, "none")), RULE).severity == "SHOULD"


def _verdict(
    contract_name: str, server: reference.RunningServer, **options: object
) -> dict[str, str]:
    engine = run_engine(contract_name, server, **options)  # type: ignore[arg-type]
    names = (RULE, "PAGE-NO-DUPLICATES", "PAGE-NO-GAPS", "WALK-TERMINATES")
    return {name: engine.record(name).status for name in names} | {
        f"{name}:reason": engine.record(name).reason for name in names
    }


@pytest.mark.parametrize(("threads", "seed"), DATASETS)
def test_the_offset_token_fault_is_caught_while_threads_arrive(threads: int, seed: int) -> None:
    with reference.start(
        "gmail", threads=threads, seed=seed, fault="token-encodes-offset", live_every=20
    ) as server:
        found = _verdict("gmail", server)
    assert found[RULE] == "fail", found[f"{RULE}:reason"]
    assert "the token encodes an offset" in found[f"{RULE}:reason"]
    # The writes explain each repeat: no MUST rule blames the server for them.
    assert found["PAGE-NO-DUPLICATES"] != "fail", found["PAGE-NO-DUPLICATES:reason"]


@pytest.mark.parametrize(("threads", "seed"), DATASETS)
def test_a_keyset_token_gives_no_false_alarm_while_threads_arrive(threads: int, seed: int) -> None:
    with reference.start("gmail", threads=threads, seed=seed, live_every=20) as server:
        found = _verdict("gmail", server)
    assert found[RULE] == "skip" and "--write-hook" in found[f"{RULE}:reason"]
    assert "fail" not in {found[k] for k in ("PAGE-NO-DUPLICATES", "PAGE-NO-GAPS")}


def test_on_a_frozen_listing_the_offset_token_conforms_and_the_rule_says_why_it_skips() -> None:
    with reference.start("gmail", threads=151, seed=1, fault="token-encodes-offset") as server:
        found = _verdict("gmail", server)
    assert found[RULE] == "skip", found[f"{RULE}:reason"]
    assert "fail" not in {found[k] for k in ("PAGE-NO-DUPLICATES", "PAGE-NO-GAPS")}


def test_graphs_offset_skiptoken_is_named_on_a_live_target() -> None:
    """The reference graph server's `$skiptoken` is a base64 offset, which Graph's
    documentation does not rule out: a SHOULD warning, never a MUST failure."""
    with reference.start("graph", threads=151, seed=1, live_every=20) as server:
        found = _verdict("graph", server)
    assert found[RULE] == "fail" and "encodes an offset" in found[f"{RULE}:reason"]
    assert rules.setting(spec.load(spec.find("graph")), RULE).severity == "SHOULD"


@pytest.mark.parametrize(
    ("contract_name", "fault", "expected"),
    [
        ("gmail", None, "pass"),
        ("gmail", "token-encodes-offset", "fail"),
        ("github", None, "fail"),  # its Link header's next page is `page=N+1`
    ],
)
def test_the_write_hook_proves_a_token_keeps_its_place_or_shows_it_does_not(
    contract_name: str, fault: str | None, expected: str
) -> None:
    # live_every beyond the run: the data changes only when the hook writes.
    with reference.start(
        contract_name, threads=40, seed=2, fault=fault, live_every=10**9
    ) as server:

        def hook() -> str | None:
            server.write()
            return None

        found = _verdict(contract_name, server, write_hook=hook)
    assert found[RULE] == expected, found[f"{RULE}:reason"]
    assert server.changes >= 1


def test_a_fault_that_shows_only_under_writes_is_marked_so() -> None:
    (fault,) = [f for f in reference.faults("gmail").values() if f.name == "token-encodes-offset"]
    assert fault.live_only and fault.breaks[0] == RULE and not fault.tolerated


def test_the_rule_is_a_must_for_a_keyset_spec_on_a_live_run(tmp_path: Path) -> None:
    path = _stated(tmp_path, "keyset")
    with reference.start(
        "gmail", threads=151, seed=1, fault="token-encodes-offset", live_every=20
    ) as server:
        engine = run_engine("gmail", server, spec_path=str(path))
        record = engine.record(RULE)
        assert record.status == "fail"
        assert rules.setting(engine.target.contract, RULE).severity == "MUST"


def test_a_thread_that_moved_during_the_walk_is_neither_repeated_nor_missing() -> None:
    """A listing ordered by activity moves an updated thread to the head: a token that
    names its thread rightly misses it; that is no fault (the review's false alarm)."""
    before = _read(LISTING)
    after = Snapshot(
        ("t7", *[i for i in LISTING if i != "t7"]),
        ((1.0,), *[(-float(i[1:]),) for i in LISTING if i != "t7"]),
        None,
        True,
    )
    walk = _walk([LISTING[0:3], LISTING[3:6], ["t6", "t8", "t9"]])
    assert CHECK(_pagination(), walk, before, after) == []
    assert CHECK.skip_reason(GMAIL, walk, before, after) is not None


def test_short_pages_are_never_held_without_a_write_known_to_land_ahead() -> None:
    """Gmail may serve fewer than maxResults: a clean walk of short pages while the listing
    changed is still no evidence that its token holds its place."""
    before, after = _read(LISTING), _read(["new", *LISTING])
    walk = _walk([LISTING[0:3], LISTING[3:5], LISTING[5:8], LISTING[8:10]])
    assert "no write is known to have landed ahead" in str(
        CHECK.skip_reason(GMAIL, walk, before, after)
    )


def test_a_repeat_within_one_page_is_named_on_that_page() -> None:
    before, after = _read(LISTING), _read(["new", *LISTING])
    walk = _walk([LISTING[0:3], LISTING[3:6], ["t6", "t6", "t7"], LISTING[7:10]])
    (violation,) = CHECK(_pagination(), walk, before, after)
    assert "first on page #3 of the walk" in violation.message


def test_a_walk_that_breaks_off_after_the_hook_is_skipped_not_held() -> None:
    """The token is refused once the hook has written: nothing after the first page was
    served, so nothing shows whether the token keeps its place."""
    data = [f"{n:016x}" for n in range(12)]
    wrote: list[bool] = []

    def handler(request: httpx.Request) -> httpx.Response:
        token = request.url.params.get("pageToken")
        if token and wrote:
            return httpx.Response(500, json={"error": {"code": 500, "status": "INTERNAL"}})
        size = int(request.url.params.get("maxResults", 100))
        start = int(token or 0)
        body: dict[str, object] = {
            "threads": [
                {"id": i, "snippet": "", "historyId": "1"} for i in data[start : start + size]
            ],
            "resultSizeEstimate": len(data),
        }
        if start + size < len(data):
            body["nextPageToken"] = str(start + size)
        return httpx.Response(200, json=body)

    def hook() -> str | None:
        data.insert(0, "f" * 16)
        wrote.append(True)
        return None

    ctx = ProbeContext(GMAIL, mock_client(handler), PROFILES["default"], 0, write_hook=hook)
    found = [f for f in write_hook.run(ctx) if f.rule == RULE]
    assert [f.skip is not None for f in found] == [True], found
    assert "did not go on after the write hook" in str(found[0].skip)
