"""What the mutation matrix runs: variants (a contract with one fault, or none), datasets,
and which variant runs on which dataset.

A check proven only on data we chose proves nothing, so every variant whose verdict can
depend on where page boundaries fall runs on several datasets: the default one, one whose
listing total is prime (no small limit divides it) and one smaller than the documented
default limit (every walk at the default limit is a single page). So do the conforming
server and every tolerated variant: a rule that cries wolf on a small listing is a defect
too. Other faults (a field's type, an error status) run on the default dataset only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from threadconform import reference
from threadconform.reference.live import Live

__all__ = [
    "DATASETS",
    "DEFAULT",
    "EVERY_DATASET",
    "LIVE_DATASETS",
    "LIVE_DELETE",
    "LIVE_INSERT",
    "NEEDS_TOTAL",
    "PAGE_BOUNDARY_RULES",
    "PRIME",
    "SMALL",
    "Cell",
    "Dataset",
    "Requirement",
    "Variant",
    "cells",
    "datasets_for",
    "live_variants",
    "observable",
    "variants",
]

# The rules whose verdict depends on where page boundaries fall in the data: a fault that
# breaks one of them may hide on one dataset and show on another.
PAGE_BOUNDARY_RULES = frozenset(
    {
        "PAGE-NO-DUPLICATES",
        "PAGE-NO-GAPS",
        "PAGE-FULL",
        "PAGE-PAST-END-TOTAL",
        "WALK-TERMINATES",
        "META-TOTAL",
        "META-HAS-MORE",
        "META-PAGES",
        "META-LENGTH",
        "ORDER-STABLE",
    }
)

# Faults that cannot show on a short listing: with fewer threads than this, their server
# answers exactly as the conforming one does (a default limit of 20 instead of 50 on 13
# threads), so no run could catch them there and the matrix does not count them.
NEEDS_TOTAL: dict[str, int] = {"default-limit-20": 21, "caps-limit-at-100": 101}

# Faults from servers the suite did not write (issue 20) whose rules do not depend on page
# boundaries but whose data does (how many read threads leak, how many items a filter
# drops): proven on every dataset all the same.
EVERY_DATASET = frozenset(
    {
        "github/tenant-leak-read-only",
        "graph/skiptoken-500",
        "graph/skiptoken-ignored",
        "gmail/page-token-500",
    }
)

Requirement = Literal["prime", "below-default-limit"]


@dataclass(frozen=True)
class Dataset:
    """One reference data set: `reference.start(threads=..., seed=..., **options)`.

    `total` is what the conforming listing's total must be for the dataset to prove what it
    is meant to; the matrix measures it on every contract (a prime dataset moves `threads`
    up until the listing, after the contract's default filters, is prime).
    """

    name: str
    threads: int
    seed: int = 0
    total: Requirement | None = None
    options: tuple[tuple[str, Any], ...] = ()  # more reference.start keywords (tie layouts)

    @property
    def start_options(self) -> dict[str, Any]:
        return {"seed": self.seed, **dict(self.options)}


DEFAULT = Dataset("default", 237, seed=0)  # what `pytest` serves with no --base-url
PRIME = Dataset("prime", 151, seed=1, total="prime")
SMALL = Dataset("small", 13, seed=2, total="below-default-limit")
DATASETS: tuple[Dataset, ...] = (DEFAULT, PRIME, SMALL)
# Live targets (issue 19): the data changes while the suite walks it, as another client of
# a staging server would change it: a new newest thread every 20 of a run's list requests,
# or a deletion every 60 (rarer, so a default run still finds a listing to walk). One
# server serves every variant of a contract, but each variant counts its own requests and
# changes its own copy of the data (`LiveGroup`), so a run gets the same writes at the
# same requests whichever runs share the server's time.
LIVE_INSERT = Dataset("live-insert", 151, seed=1, options=(("live", Live(20, "insert")),))
LIVE_DELETE = Dataset("live-delete", 237, seed=0, options=(("live", Live(60, "delete")),))
LIVE_DATASETS: tuple[Dataset, ...] = (LIVE_INSERT, LIVE_DELETE)


def live_variants(contracts: Iterable[str] = reference.CONTRACTS) -> list[Variant]:
    """What must hold on a live target: the conforming server passes, and every
    page-boundary fault is still caught while the writes arrive. (The tolerated variants
    differ from the conforming server in shapes and statuses, not in how pages are cut:
    the frozen matrix proves them; leaving them out halves the live matrix's cost.)"""
    return [v for v in variants(contracts) if v.fault is None or v.page_boundary]


@dataclass(frozen=True)
class Variant:
    contract: str
    fault: str | None  # None: the conforming server
    tolerated: bool
    breaks: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.contract}/{self.fault or 'conforming'}"

    @property
    def page_boundary(self) -> bool:
        return bool(PAGE_BOUNDARY_RULES.intersection(self.breaks))

    @property
    def kind(self) -> str:
        if self.fault is None:
            return "conforming"
        return "tolerated" if self.tolerated else "fault"


def variants(contracts: Iterable[str] = reference.CONTRACTS) -> list[Variant]:
    """Every server of the contracts as a frozen matrix runs it. A fault that shows only
    while the listing changes (`Fault.live_only`, a token that encodes an offset) conforms
    on a frozen one, so there it is a variant that must pass: a rule that blamed it would
    be a false alarm. Its live verdict is a SHOULD unless the spec states a keyset, which a
    matrix does not count; selftests/test_walk_holds_place.py proves it."""
    found = []
    for contract in contracts:
        found.append(Variant(contract, None, True))
        for fault in reference.faults(contract).values():
            if fault.live_only:
                found.append(Variant(contract, fault.name, True))
            else:
                found.append(Variant(contract, fault.name, fault.tolerated, tuple(fault.breaks)))
    return found


def datasets_for(variant: Variant, datasets: tuple[Dataset, ...] = DATASETS) -> tuple[Dataset, ...]:
    """Every dataset for a variant that must pass, or a fault whose rules depend on page
    boundaries; the first (default) dataset only for the others."""
    if variant.tolerated or variant.page_boundary or variant.label in EVERY_DATASET:
        return datasets
    return datasets[:1]


def observable(variant: Variant, total: int | None) -> bool:
    """Whether the variant's fault can show on a listing of `total` threads."""
    needed = NEEDS_TOTAL.get(variant.fault or "")
    return needed is None or total is None or total >= needed


@dataclass(frozen=True)
class Cell:
    """One run of the matrix: a variant on a dataset."""

    variant: Variant
    dataset: Dataset


def cells(chosen: Iterable[Variant], datasets: tuple[Dataset, ...] = DATASETS) -> list[Cell]:
    """Every (variant, dataset) run, grouped by contract then dataset (one server each)."""
    chosen = list(chosen)
    contracts = list(dict.fromkeys(v.contract for v in chosen))
    return [
        Cell(variant, dataset)
        for contract in contracts
        for dataset in datasets
        for variant in chosen
        if variant.contract == contract and dataset in datasets_for(variant, datasets)
    ]
