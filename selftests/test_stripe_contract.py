"""The opt-in Stripe-style contract: its reference server, the unknown-id shapes the suite
sends, the opt-in mechanism, and (slow) its mutation matrix."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator

import httpx
import pytest

from threadconform import mutation, reference, spec
from threadconform.probes.cursor_errors import malformed_ids, reshaped, unknown_ids

SEEDS = ["aitronos", "chat", "freddy", "kortix", "worker"]
URL = "/v1/conversations"


@pytest.fixture(scope="module")
def server() -> Iterator[reference.RunningServer]:
    with reference.start("stripe", threads=60, seed=7) as running:
        yield running


def get(server: reference.RunningServer, who: str = "primary", **params: object) -> httpx.Response:
    token = getattr(server.credentials, who)
    headers = reference.header("stripe", token)
    return httpx.get(server.url + URL, params=params, headers=headers, timeout=10)


def test_the_default_run_is_the_five_seeds() -> None:
    assert spec.default_names() == SEEDS
    assert "stripe" in spec.names() and spec.load(spec.find("stripe")).opt_in
    assert [c.name for c in spec.load_all()] == SEEDS
    assert "stripe" in [c.name for c in spec.load_all(opt_in=True)]
    assert set(reference.CONTRACTS) == set(SEEDS)
    assert "stripe" in reference.OPT_IN and "stripe" not in reference.CONTRACTS


def test_newest_first_with_ties_broken_by_id_descending(server: reference.RunningServer) -> None:
    body = get(server, limit=100).json()
    data = body["data"]
    assert 50 <= len(data) <= 60 and body["has_more"] is False  # soft-deleted ones are hidden
    keys = [(c["created"], c["id"]) for c in data]
    assert keys == sorted(keys, reverse=True)
    assert any(a["created"] == b["created"] for a, b in itertools.pairwise(data))
    first = get(server).json()
    assert len(first["data"]) == 10 and first["has_more"] is True
    assert first["object"] == "list" and first["url"] == URL


def test_walks_forward_and_backward(server: reference.RunningServer) -> None:
    every = [c["id"] for c in get(server, limit=100).json()["data"]]
    page = get(server, limit=7, ending_before=every[20]).json()
    assert [c["id"] for c in page["data"]] == every[13:20] and page["has_more"] is True
    start = get(server, limit=7, ending_before=every[5]).json()
    assert [c["id"] for c in start["data"]] == every[:5] and start["has_more"] is False
    tail = every[len(every) - 4 :]
    after = get(server, limit=7, starting_after=every[len(every) - 5]).json()
    assert [c["id"] for c in after["data"]] == tail and after["has_more"] is False


def test_unknown_malformed_and_foreign_cursors_get_resource_missing(
    server: reference.RunningServer,
) -> None:
    theirs = get(server, "secondary", limit=1).json()["data"][0]["id"]
    for value in ("conv_" + "0" * 32, "nope", theirs):
        for param in ("starting_after", "ending_before"):
            response = get(server, **{param: value})
            error = response.json()["error"]
            assert response.status_code == 400, value
            assert (error["type"], error["code"], error["param"]) == (
                "invalid_request_error",
                "resource_missing",
                param,
            )


def test_unknown_ids_have_the_shape_of_real_ones() -> None:
    real = ["conv_" + f"{n:032x}" for n in range(0, 2000, 7)]
    rng = random.Random(0)
    for _ in range(50):
        made = reshaped(real[3], rng)
        assert made.startswith("conv_") and len(made) == len(real[3])
        assert all(c in "0123456789abcdef" for c in made[5:])
    chosen = unknown_ids(real, ["conv_foreign"], seed=1)
    assert [label.split()[0] for label, _ in chosen] == ["a", "an", "another"]
    assert all(value not in real for _, value in chosen)
    neighbour = chosen[1][1]
    assert neighbour[:-4] == real[0][:-4]  # a real id with its tail changed
    assert unknown_ids(["thrd_1"], [], seed=0)[0][1] != "thrd_1"
    assert {v for _, v in malformed_ids(real)}.isdisjoint(real)
    assert unknown_ids(real, ["conv_" + f"{0:032x}"], seed=1)[-1][0] != "another tenant's id"


@pytest.mark.slow
def test_every_stripe_fault_is_caught_and_no_false_alarm() -> None:
    # The opt-in contracts (stripe, gmail, github, graph) on two datasets, as the five seeds are.
    found = mutation.run_matrix(
        mutation.variants(reference.OPT_IN),
        (mutation.DEFAULT, mutation.SMALL),
        profile="default",
        schemathesis=False,
        black_box=(),
    )
    assert len([o for o in found.outcomes if not o.variant.tolerated]) >= 9
    assert not [o for o in found.outcomes if not o.ok], mutation.failures(
        found, tolerated=False
    ) + mutation.failures(found, tolerated=True)
