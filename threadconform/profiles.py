"""Run profiles: how many examples and requests a run may spend per contract."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    name: str
    fuzz_examples: int  # Schemathesis cases per generation mode
    walk_examples: int  # Hypothesis-chosen walks per pagination property
    max_pages: int  # pages one walk may fetch before it counts as capped
    max_requests: int  # hard request budget per contract


PROFILES: dict[str, Profile] = {
    profile.name: profile
    for profile in (
        Profile("quick", fuzz_examples=25, walk_examples=4, max_pages=40, max_requests=600),
        Profile("default", fuzz_examples=60, walk_examples=10, max_pages=80, max_requests=2000),
        Profile("thorough", fuzz_examples=300, walk_examples=40, max_pages=400, max_requests=12000),
    )
}
