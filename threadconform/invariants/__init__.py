"""Pagination, ordering and filter invariants: pure functions over recorded walks and pages.

Each invariant is registered under its rule id (`INVARIANTS["PAGE-NO-GAPS"]`) and called
as `invariant(contract_or_pagination, *walks_or_pages) -> list[Violation]`; an empty list
means it holds. Nothing here does I/O: the engine walks, then asks.

An invariant can also decline to judge. `INVARIANTS[rule].skip_reason(...)` says why
(the contract has no such field; a walk stopped before its end; the page was not fetched
the way the rule needs) and the engine reports a skip with that reason. Called anyway, a
declining invariant returns [] rather than guess: a skip must never look like a pass
unless the caller chose to ignore the reason.

Messages follow Hypothesis' manner: say what was sent, what was expected, what came
back, on which page, with at most five ids, and what to check.

This package gathers the sections (`base` holds the registry, `helpers` what they share,
`readings` how a server may have read a fraction it was sent) and fixes the registry's
order: section by section as below, each in definition order.
"""

from __future__ import annotations

from threadconform.invariants import (
    cursors,
    deterministic,
    filters,
    items,
    metadata,
    order,
    pages,
    places,
    walks,
)
from threadconform.invariants.base import INVARIANTS, Invariant, Pages, Spec, arrange, invariant
from threadconform.invariants.cursors import (
    cursor_after,
    cursor_after_last,
    cursor_before,
    cursor_before_previous_page,
    cursor_exclusive,
    cursor_malformed,
    cursor_unknown,
    link_keeps_params,
    link_same_origin,
    walk_backward,
)
from threadconform.invariants.deterministic import determinism
from threadconform.invariants.filters import (
    filter_default,
    filter_echo,
    filter_exact,
    filter_subset,
    filter_superset,
    filter_total,
)
from threadconform.invariants.items import item_absolute_url, item_fields_agree, item_unix_seconds
from threadconform.invariants.metadata import (
    meta_echo,
    meta_first_last_id,
    meta_has_more,
    meta_length,
    meta_object,
    meta_pages,
    meta_total_opt_in,
)
from threadconform.invariants.order import (
    order_asc,
    order_prefix,
    order_reverse,
    order_sorted,
    order_stable,
)
from threadconform.invariants.pages import (
    meta_total,
    page_default_limit,
    page_full,
    page_limit_respected,
    page_past_end,
    page_past_end_total,
)
from threadconform.invariants.places import walk_holds_place
from threadconform.invariants.walks import page_no_duplicates, page_no_gaps, walk_terminates
from threadconform.ledger import Violation

__all__ = [
    "INVARIANTS",
    "Invariant",
    "Pages",
    "Spec",
    "Violation",
    "cursor_after",
    "cursor_after_last",
    "cursor_before",
    "cursor_before_previous_page",
    "cursor_exclusive",
    "cursor_malformed",
    "cursor_unknown",
    "determinism",
    "filter_default",
    "filter_echo",
    "filter_exact",
    "filter_subset",
    "filter_superset",
    "filter_total",
    "invariant",
    "item_absolute_url",
    "item_fields_agree",
    "item_unix_seconds",
    "link_keeps_params",
    "link_same_origin",
    "meta_echo",
    "meta_first_last_id",
    "meta_has_more",
    "meta_length",
    "meta_object",
    "meta_pages",
    "meta_total",
    "meta_total_opt_in",
    "order_asc",
    "order_prefix",
    "order_reverse",
    "order_sorted",
    "order_stable",
    "page_default_limit",
    "page_full",
    "page_limit_respected",
    "page_no_duplicates",
    "page_no_gaps",
    "page_past_end",
    "page_past_end_total",
    "walk_backward",
    "walk_holds_place",
    "walk_terminates",
]

# The order rules are listed and judged in. A new section module must be named here, or
# importing the package fails (ValueError naming it).
arrange((walks, pages, metadata, order, cursors, places, filters, deterministic, items))
