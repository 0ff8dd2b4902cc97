"""What the inference steps share: the `Inference` state, the parameter names they try,
and `Stop`, which a step raises when later steps have nothing to build on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from threadconform.infer.facts import Findings
from threadconform.infer.probe import Page, Prober

__all__ = ["AFTERS", "BEFORES", "HUGE", "LIMITS", "OFFSETS", "PAGES", "TOKENS", "Inference", "Stop"]


LIMITS = ("limit", "per_page", "pageSize", "page_size", "maxResults", "$top", "first", "size")
AFTERS = ("after", "starting_after", "cursor", "after_id", "since_id")
BEFORES = ("before", "ending_before", "before_id")
TOKENS = ("pageToken", "page_token", "cursor", "token", "next", "continuation", "nextToken")
PAGES = ("page", "page_number", "pageNumber")
OFFSETS = ("offset", "skip", "start", "$skip")
HUGE = 10_000
_MAX_PAGES = 200


@dataclass
class Inference:
    """The state the steps share: the prober, the findings, and what the requests showed."""

    prober: Prober
    found: Findings = field(default_factory=Findings)
    first: Page | None = None  # the default page
    small: Page | None = None  # page 1 at the small limit
    small_limit: int = 0
    largest: int | None = None  # the largest limit known to be accepted
    walked: list[Any] = field(default_factory=list)  # every item of the full walk
    last_page: Page | None = None
    past_end: Page | None = None  # the page after the last one (empty), where there is one
    bodies: dict[str, Any] = field(default_factory=dict)  # error bodies by status
    auth_kind: str | None = None  # "bearer", "header:<Name>" or None

    @property
    def id_path(self) -> str:
        return str(self.found.value("response", "id"))

    @property
    def limit_param(self) -> str | None:
        value = self.found.value("limit", "param")
        return None if value is None or str(value).startswith("TODO") else str(value)

    @property
    def style(self) -> str:
        return str(self.found.value("style", default=""))


class Stop(Exception):
    """A step found nothing later steps could build on."""
