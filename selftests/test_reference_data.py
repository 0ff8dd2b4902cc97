"""The reference data set: deterministic per seed, with every feature the suite needs."""

from __future__ import annotations

from collections import Counter

import pytest

from threadconform.reference import data
from threadconform.reference.data import PRIMARY, SECONDARY, Dataset, Thread, generate


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return generate(237, seed=0)


@pytest.fixture(scope="module")
def main(dataset: Dataset) -> tuple[Thread, ...]:
    return dataset.of_tenant(PRIMARY)


def test_same_seed_same_data() -> None:
    assert generate(237, seed=7) == generate(237, seed=7)


def test_other_seed_other_data() -> None:
    one, other = generate(237, seed=7), generate(237, seed=8)
    assert {t.id for t in one.threads}.isdisjoint(t.id for t in other.threads)
    assert [t.created_at for t in one.threads] != [t.created_at for t in other.threads]


def test_sizes(dataset: Dataset, main: tuple[Thread, ...]) -> None:
    assert len(main) == 237
    assert len(dataset.of_tenant(SECONDARY)) == data.SECOND_TENANT_THREADS
    assert len({t.id for t in dataset.threads}) == len(dataset.threads)
    assert len(generate(0).of_tenant(PRIMARY)) == 0


def test_newest_first_in_realistic_range(main: tuple[Thread, ...]) -> None:
    instants = [t.created_at for t in main]
    assert instants == sorted(instants, reverse=True)
    assert instants[-1] >= data.START - 30 * 86_400 and instants[0] == data.END
    assert all(t.updated_at >= t.created_at for t in main)


def test_ties_at_page_boundaries(main: tuple[Thread, ...]) -> None:
    for boundary in (10, 20, 25, 40, 50, 100, 200):
        assert main[boundary - 1].created_at == main[boundary].created_at, boundary
    groups = Counter(t.created_at for t in main)
    assert sum(1 for size in groups.values() if size >= 3) >= 3


def test_flags_present(main: tuple[Thread, ...]) -> None:
    assert any(t.pinned_at is not None for t in main)
    assert any(not t.visible for t in main)
    assert any(t.deleted_at is not None for t in main)
    assert any(t.end_user is None for t in main)
    assert any(t.project_id is None for t in main)
    assert any(t.assistant_id is None for t in main)
    assert any(t.workflow_id is not None for t in main)
    assert any(not t.tags for t in main) and any(t.tags for t in main)
    assert all(t.pinned_at is None or t.created_at <= t.pinned_at for t in main)


def test_projects(dataset: Dataset, main: tuple[Thread, ...]) -> None:
    used = {t.project_id for t in main if t.project_id}
    own = [p for p in dataset.projects if p.project_id in used]
    assert len(own) >= 4
    assert any(p.sandbox_id is None for p in own) and any(p.sandbox_id for p in own)
    assert all(p.tenant == PRIMARY for p in own)


def test_every_filter_value_selects_something(main: tuple[Thread, ...]) -> None:
    for attribute, values in (
        ("assistant_id", data.ASSISTANTS),
        ("workflow_id", data.WORKFLOWS),
        ("end_user", data.END_USERS),
        ("chat_project", data.CHAT_PROJECTS),
        ("organization_id", data.ORGANIZATIONS[PRIMARY]),
        ("agent_id", tuple(a.agent_id for a in data.AGENTS)),
    ):
        present = {getattr(t, attribute) for t in main}
        assert set(values) <= present, attribute
    assert {"general", "research", "support"} <= {t.project_type for t in main}


def test_exact_group_is_a_multiple_of_page_sizes(
    dataset: Dataset, main: tuple[Thread, ...]
) -> None:
    group = set(dataset.exact_group)
    assert len(group) == 40
    assert {t.id for t in main if t.assistant_id == data.EXACT_ASSISTANT} == group
    assert {t.id for t in main if t.agent_id == data.EXACT_AGENT} == group
    chat = {t.id for t in main if t.chat_project == data.EXACT_CHAT_PROJECT}
    assert chat == group
    members = [t for t in main if t.id in group]
    assert all(t.visible and t.deleted_at is None and t.project_type == "general" for t in members)


def test_second_tenant_is_separate(dataset: Dataset) -> None:
    second = dataset.of_tenant(SECONDARY)
    assert {t.organization_id for t in second} <= set(data.ORGANIZATIONS[SECONDARY])
    assert set(data.ORGANIZATIONS[SECONDARY]).isdisjoint(data.ORGANIZATIONS[PRIMARY])
    assert {t.owner for t in second} == {data.OWNERS[SECONDARY]}
    own = {p.project_id for p in dataset.projects if p.tenant == SECONDARY}
    assert {t.project_id for t in second if t.project_id} <= own
    assert any(t.visible and t.deleted_at is None for t in second)


def test_small_data_sets_have_no_exact_group() -> None:
    assert generate(50).exact_group == ()
    assert len(generate(120).exact_group) == 40


# -- tie layouts (issue 10: proofs must not depend on one data set) -------------------------


def _runs(threads: tuple[Thread, ...]) -> list[int]:
    """Sizes of the runs of equal created_at, newest first."""
    sizes: list[int] = []
    for index, thread in enumerate(threads):
        if index and thread.created_at == threads[index - 1].created_at:
            sizes[-1] += 1
        else:
            sizes.append(1)
    return sizes


@pytest.mark.parametrize(
    ("threads", "ties"), [(151, (12, 7, 25, 5)), (13, (3, 4)), (11, (5, 5)), (7, ())]
)
def test_tie_layout_gives_exactly_these_groups_in_order(
    threads: int, ties: tuple[int, ...]
) -> None:
    main = generate(threads, seed=3, ties=ties).of_tenant(PRIMARY)
    assert len(main) == threads
    assert [size for size in _runs(main) if size > 1] == list(ties)
    assert [t.created_at for t in main] == sorted((t.created_at for t in main), reverse=True)


def test_tie_layout_that_does_not_fit_is_refused_with_the_numbers() -> None:
    with pytest.raises(ValueError, match=r"need at least 8 threads .* has 5"):
        generate(5, ties=(3, 4))
    with pytest.raises(ValueError, match="at least 2 threads"):
        generate(20, ties=(1,))


def test_a_tie_layout_leaves_the_default_data_set_alone() -> None:
    assert generate(237, seed=0) == generate(237, seed=0, ties=None)
    assert generate(237, seed=0, ties=(4,)) != generate(237, seed=0)
