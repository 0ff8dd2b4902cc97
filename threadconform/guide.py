"""The text `threadconform docs [TOPIC]` prints: bundled Markdown pages, read from the
installed wheel (`threadconform.docs`) or, in a source checkout, the repository's `docs/`."""

from __future__ import annotations

import importlib.resources
from pathlib import Path

__all__ = ["TOPICS", "docs_dir", "page", "show"]

# topic -> (file under docs/, what it is)
TOPICS: dict[str, tuple[str, str]] = {
    "x-pagination": ("x-pagination.md", "every key of the x-pagination block"),
    "template": ("spec-template.md", "a minimal annotated spec that loads as it is"),
    "rules": ("rules.md", "the rule catalogue and each contract's severities"),
}


def docs_dir() -> Path:
    """`threadconform/docs/` in an installed wheel, else the repository's `docs/`."""
    bundled = importlib.resources.files("threadconform") / "docs"
    if bundled.is_dir():
        return Path(str(bundled))
    return Path(__file__).resolve().parent.parent / "docs"


def page(topic: str) -> str:
    return (docs_dir() / TOPICS[topic][0]).read_text(encoding="utf-8").rstrip("\n")


def show(topic: str | None) -> tuple[str, int]:
    """(text, exit code): the topic's page; no topic: the reference, then the template."""
    if topic is None:
        return page("x-pagination") + "\n\n" + page("template"), 0
    if topic not in TOPICS:
        listed = "; ".join(f"{name} ({what})" for name, (_, what) in TOPICS.items())
        return f"threadconform docs: unknown topic {topic!r}; topics: {listed}", 2
    return page(topic), 0
