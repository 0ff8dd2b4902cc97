"""The demo data set: one generic model of threads, mapped into each contract's shape later.

Everything comes from one `random.Random(seed)`, so a seed always gives the same data.
Fixed names (organizations, assistants, agents, users) are the same for every seed, so the
documentation can name them; ids, titles, timestamps and flags vary with the seed.

What the data set is built to exercise (see `Dataset` for the exact names):
  * ties: runs of threads sharing one `created_at`, forced at every 10th and 25th position
    of the main tenant's newest-first list (likely page boundaries) plus random ones;
  * one "exact group" of 40 threads (when there are at least 120): assistant `asst_billing`,
    agent `billing_agent` and chat project `billing`, each matching exactly those 40 threads,
    all visible and not deleted, so the filtered listing is a multiple of 5, 10, 20 and 40;
  * pinned, hidden (visible_in_ui false) and soft-deleted threads; threads without an end
    user (worker user_id null) and without a project (kortix project null); projects without
    a sandbox; a second tenant with its own organization, projects and threads.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from random import Random

__all__ = [
    "AGENTS",
    "ASSISTANTS",
    "CHAT_PROJECTS",
    "END",
    "END_USERS",
    "EXACT_AGENT",
    "EXACT_ASSISTANT",
    "EXACT_CHAT_PROJECT",
    "EXACT_GROUP_MIN_THREADS",
    "EXACT_GROUP_SIZE",
    "MODELS",
    "ORGANIZATIONS",
    "OWNERS",
    "PROJECT_TYPES",
    "SECOND_TENANT_THREADS",
    "START",
    "STATUSES",
    "TAGS",
    "TITLE_WORDS",
    "WORKFLOWS",
    "Agent",
    "Dataset",
    "Project",
    "Thread",
    "check_ties",
    "generate",
    "new_thread",
    "tie_starts",
    "tie_timeline",
    "timeline",
]

# The newest thread of the main tenant is created at END; gaps are spread so the oldest
# lands near START. Fixed instants, so timestamps never depend on when the server runs.
START = int(datetime(2025, 1, 6, 8, 0, tzinfo=UTC).timestamp())
END = int(datetime(2026, 3, 31, 18, 0, tzinfo=UTC).timestamp())

EXACT_GROUP_SIZE = 40
EXACT_GROUP_MIN_THREADS = 120
SECOND_TENANT_THREADS = 41

PRIMARY, SECONDARY = 0, 1  # tenant numbers

# Organizations per tenant: the primary user belongs to three, the secondary to one.
ORGANIZATIONS: tuple[tuple[str, ...], ...] = (
    ("org_acme", "org_acme_labs", "org_acme_eu"),
    ("org_globex",),
)
OWNERS = ("usr_alice", "usr_bruno")  # the user each tenant's credential belongs to
ASSISTANTS = ("asst_support_agent", "asst_research", "asst_writer", "asst_sql")
EXACT_ASSISTANT = "asst_billing"
WORKFLOWS = ("wf_onboarding", "wf_triage", "wf_weekly_report")
END_USERS = ("user_abc123", "user_def456", "user_ghi789", "user_jkl012", "user_mno345")
CHAT_PROJECTS = ("support-bot", "research_2026", "marketing", "eng-tools", "default")
EXACT_CHAT_PROJECT = "billing"
PROJECT_TYPES = ("general", "general", "general", "general", "research", "support")
EXACT_AGENT = "billing_agent"
STATUSES = ("inactive", "inactive", "active", "streaming")
MODELS = ("gpt-4o", "gpt-4o-mini", "claude-sonnet-4", "llama-3.1-70b")
TAGS = ("support", "web", "billing", "urgent", "api", "mobile", "research", "beta")
TITLE_WORDS = (
    "Data Analysis", "New Chat", "Quarterly Report", "Bug Triage", "Customer Inquiry",
    "Pricing Question", "Onboarding", "SQL Help", "Release Notes", "Travel Plans",
    "Refund Request", "Design Review", "Weekly Sync", "Migration Plan", "Ideas",
)  # fmt: skip


@dataclass(frozen=True)
class Agent:
    agent_id: str
    title: str
    type: str  # ai_human | dual_ai
    description: str
    icon: str  # a path ("/icons/x.svg", resolved against the request) or an absolute URL


AGENTS: tuple[Agent, ...] = (
    Agent(
        "support_agent",
        "Support Agent",
        "ai_human",
        "Handles customer inquiries and resolves support issues",
        "/icons/support.svg",
    ),
    Agent(
        "research_duo",
        "Research Duo",
        "dual_ai",
        "Two models debate a research question",
        "/icons/research.svg",
    ),
    Agent(
        "sales_agent",
        "Sales Agent",
        "ai_human",
        "Qualifies leads and books demos",
        "https://cdn.example.com/icons/sales.svg",
    ),
    Agent(
        EXACT_AGENT,
        "Billing Agent",
        "ai_human",
        "Answers invoice and payment questions",
        "/icons/billing.svg",
    ),
)


@dataclass(frozen=True)
class Project:
    project_id: str  # uuid
    tenant: int
    name: str
    icon_name: str | None
    is_public: bool
    created_at: int
    updated_at: int
    sandbox_id: str | None  # None: the project has no sandbox
    sandbox_pass: str | None
    sandbox_token: str | None


@dataclass(frozen=True)
class Thread:
    id: str  # 32 lowercase hex digits; each contract formats it (uuid, thrd_..., thread_...)
    tenant: int
    owner: str
    organization_id: str
    project_id: str | None
    chat_project: str
    project_type: str
    assistant_id: str | None
    workflow_id: str | None
    agent_id: str
    end_user: str | None
    title: str
    created_at: int
    updated_at: int
    last_message_at: int
    message_count: int
    status: str
    visible: bool
    pinned_at: int | None
    deleted_at: int | None
    is_public: bool
    last_model: str | None
    tags: tuple[str, ...]
    metadata: tuple[tuple[str, str], ...]
    space_ids: tuple[str, ...]
    quality: float
    relevance: float
    temperature: float
    max_tokens: int


@dataclass(frozen=True)
class Dataset:
    seed: int
    threads: tuple[Thread, ...]  # main tenant first, each tenant newest first
    projects: tuple[Project, ...]
    agents: tuple[Agent, ...]
    exact_group: tuple[str, ...]  # ids of the threads of the exact group (may be empty)

    def of_tenant(self, tenant: int) -> tuple[Thread, ...]:
        return tuple(t for t in self.threads if t.tenant == tenant)


def generate(threads: int = 237, seed: int = 0, ties: Sequence[int] | None = None) -> Dataset:
    """The data set for `threads` main-tenant threads (and 41 second-tenant ones).

    `ties` (e.g. (12, 7, 25, 5), as on a real Kortix table of 150 threads) replaces the
    default tie pattern of the main tenant with exactly these groups of equal `created_at`,
    spread evenly from newest to oldest; None keeps the default pattern.
    """
    if threads < 0:
        raise ValueError("threads must be >= 0")
    check_ties(threads, ties)
    rng = Random(seed)
    projects = _projects(rng, PRIMARY, 6) + _projects(rng, SECONDARY, 2)
    group_size = EXACT_GROUP_SIZE if threads >= EXACT_GROUP_MIN_THREADS else 0
    exact = frozenset(rng.sample(range(threads), group_size))
    main = [
        _thread(rng, PRIMARY, at, projects, exact=i in exact)
        for i, at in enumerate(
            timeline(rng, threads) if ties is None else tie_timeline(rng, threads, ties)
        )
    ]
    second = [
        _thread(rng, SECONDARY, at, projects, exact=False)
        for at in timeline(rng, SECOND_TENANT_THREADS)
    ]
    group = tuple(t.id for i, t in enumerate(main) if i in exact)
    return Dataset(seed, tuple(main + second), projects, AGENTS, group)


def timeline(rng: Random, count: int) -> list[int]:
    """`count` creation instants, newest first, with runs of equal instants (ties)."""
    if count == 0:
        return []
    # About a quarter of the steps are ties (gap 0), so the others are stretched to match.
    mean_gap = max(2, (END - START) * 4 // (3 * count))
    instants = [END]
    for position in range(1, count):
        # A tie across positions 9|10, 19|20, 24|25, 49|50, 99|100 ... straddles the page
        # boundary of every common page size; the random ones land anywhere.
        boundary = position % 10 == 0 or position % 25 == 0
        tied = boundary or rng.random() < 0.12
        gap = 0 if tied else rng.randint(1, 2 * mean_gap - 1)
        instants.append(instants[-1] - gap)
    return instants


def check_ties(count: int, ties: Sequence[int] | None) -> None:
    """Raise ValueError unless the tie groups fit into `count` threads, apart."""
    if ties is None:
        return
    if any(size < 2 for size in ties):
        raise ValueError(f"every tie group needs at least 2 threads, got {list(ties)}")
    needed = sum(ties) + max(0, len(ties) - 1)
    if needed > count:
        raise ValueError(
            f"tie groups {list(ties)} need at least {needed} threads (one apart), "
            f"the data set has {count}"
        )


def tie_starts(count: int, ties: Sequence[int]) -> list[int]:
    """Where each tie group starts (0-based, newest first): spread evenly, never touching."""
    starts: list[int] = []
    room = count - sum(ties) - max(0, len(ties) - 1)  # free positions to spread around
    used = 0
    for index, size in enumerate(ties):
        # Free positions before this group: an even share of the room.
        share = room * (2 * index + 1) // (2 * len(ties))
        starts.append(used + share + index)
        used += size
    return starts


def tie_timeline(rng: Random, count: int, ties: Sequence[int]) -> list[int]:
    """`count` instants, newest first, where exactly the groups `ties` share an instant."""
    if count == 0:
        return []
    tied: set[int] = set()
    for start, size in zip(tie_starts(count, ties), ties, strict=True):
        tied.update(range(start + 1, start + size))  # positions equal to their predecessor
    mean_gap = max(2, (END - START) // count)
    instants = [END]
    for position in range(1, count):
        gap = 0 if position in tied else rng.randint(1, 2 * mean_gap - 1)
        instants.append(instants[-1] - gap)
    return instants


def new_thread(rng: Random, tenant: int, created_at: int) -> Thread:
    """A thread another client just created: every contract lists it by default (visible,
    not deleted, project type general), no messages yet, no project; the id is random like
    every other id of the data set (`live.py` makes sure it is unused)."""
    return Thread(
        id=_hex_id(rng),
        tenant=tenant,
        owner=OWNERS[tenant],
        organization_id=ORGANIZATIONS[tenant][0],
        project_id=None,
        chat_project=rng.choice(CHAT_PROJECTS),
        project_type="general",
        assistant_id=rng.choice((*ASSISTANTS, None)),
        workflow_id=None,
        agent_id=rng.choice([a.agent_id for a in AGENTS[:3]]),
        end_user=rng.choice(END_USERS),
        title=f"{rng.choice(TITLE_WORDS)} #{rng.randint(1, 999)}",
        created_at=created_at,
        updated_at=created_at,
        last_message_at=created_at,
        message_count=0,
        status="inactive",
        visible=True,
        pinned_at=None,
        deleted_at=None,
        is_public=False,
        last_model=None,
        tags=(),
        metadata=(),
        space_ids=(),
        quality=round(rng.uniform(0, 100), 1),
        relevance=round(rng.random(), 2),
        temperature=rng.choice((0.2, 0.7, 1.0, 1.5, 2.0)),
        max_tokens=rng.choice((256, 1024, 4096)),
    )


def _hex_id(rng: Random) -> str:
    return uuid.UUID(int=rng.getrandbits(128), version=4).hex


def _projects(rng: Random, tenant: int, count: int) -> tuple[Project, ...]:
    names = ("Analytics Project", "Quick Test", "Website Revamp", "Support Bot", "Data Lake")
    made = []
    for index in range(count):
        created = START - rng.randint(1, 90) * 86_400
        # Every third project has no sandbox: the seed's second example shows `null`.
        has_sandbox = index % 3 != 1
        made.append(
            Project(
                project_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                tenant=tenant,
                name=f"{names[index % len(names)]} {tenant}{index}",
                icon_name=rng.choice(("chart", "code", "globe", None)),
                is_public=index == 2,
                created_at=created,
                updated_at=created + rng.randint(0, 30) * 86_400,
                sandbox_id=f"sandbox_{rng.getrandbits(40):010x}" if has_sandbox else None,
                sandbox_pass=str(uuid.UUID(int=rng.getrandbits(128), version=4))
                if has_sandbox
                else None,
                sandbox_token=f"tok_{rng.getrandbits(48):012x}" if has_sandbox else None,
            )
        )
    return tuple(made)


def _thread(
    rng: Random, tenant: int, created_at: int, projects: tuple[Project, ...], *, exact: bool
) -> Thread:
    """One thread; threads of the exact group are always visible and never deleted."""
    own_projects = [p for p in projects if p.tenant == tenant]
    project = None if rng.random() < 0.1 else rng.choice(own_projects)
    messages = rng.choice((0, rng.randint(1, 60)))
    updated = created_at + (rng.randint(0, 5 * 86_400) if messages else 0)
    pinned = rng.random() < 0.08
    return Thread(
        id=_hex_id(rng),
        tenant=tenant,
        owner=OWNERS[tenant],
        organization_id=rng.choice(ORGANIZATIONS[tenant]),
        project_id=project.project_id if project else None,
        chat_project=EXACT_CHAT_PROJECT if exact else rng.choice(CHAT_PROJECTS),
        project_type="general" if exact else rng.choice(PROJECT_TYPES),
        assistant_id=EXACT_ASSISTANT if exact else rng.choice((*ASSISTANTS, None)),
        workflow_id=rng.choice((*WORKFLOWS, None, None)),
        agent_id=EXACT_AGENT if exact else rng.choice([a.agent_id for a in AGENTS[:3]]),
        end_user=None if rng.random() < 0.2 else rng.choice(END_USERS),
        title=f"{rng.choice(TITLE_WORDS)} #{rng.randint(1, 999)}",
        created_at=created_at,
        updated_at=updated,
        last_message_at=updated,
        message_count=messages,
        status=rng.choice(STATUSES),
        visible=exact or rng.random() >= 0.12,
        pinned_at=rng.randint(created_at, updated) if pinned else None,
        deleted_at=None if exact or rng.random() >= 0.06 else updated + 3_600,
        is_public=rng.random() < 0.15,
        last_model=rng.choice(MODELS) if messages else None,
        tags=tuple(rng.sample(TAGS, rng.choice((0, 0, 1, 2, 3)))),
        metadata=_metadata(rng),
        space_ids=tuple(f"space_{rng.getrandbits(24):06x}" for _ in range(rng.choice((0, 0, 1)))),
        quality=round(rng.uniform(0, 100), 1),
        relevance=round(rng.random(), 2),
        temperature=rng.choice((0.2, 0.7, 1.0, 1.5, 2.0)),
        max_tokens=rng.choice((256, 1024, 4096)),
    )


def _metadata(rng: Random) -> tuple[tuple[str, str], ...]:
    pick = rng.random()
    if pick < 0.6:
        return ()
    if pick < 0.8:
        return (("source", rng.choice(("web", "api", "slack"))),)
    return (("category", "support"), ("priority", rng.choice(("high", "low"))))
