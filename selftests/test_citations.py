"""Every citation a vendor reads points inside the repository: the package (rules, reports,
probes), the specs, the docs and the README cite docs/contracts.md and the vendors' own
documents, never a file outside the repository or a path on someone's machine."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from threadconform import rules

ROOT = Path(__file__).resolve().parent.parent
CITED = ROOT / "docs" / "contracts.md"
# What a vendor with only the repository could not follow.
OUTSIDE = re.compile(r"CONTRACTS\.md|\.\./shared|shared/seeds|/work/|/home/|/root/|/Users/")
ANCHOR = re.compile(r"docs/contracts\.md#([a-z0-9-]+)")
SUFFIXES = {".py", ".yaml", ".yml", ".md", ".json", ".html", ".toml", ".txt"}


def shipped_and_read() -> list[Path]:
    folders = ("threadconform", "specs", "docs", "tests", "bench")
    files = [p for f in folders for p in (ROOT / f).rglob("*") if p.suffix in SUFFIXES]
    return [*files, ROOT / "README.md", ROOT / "pyproject.toml"]


def anchors(markdown: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    found = set()
    for heading in re.findall(r"^#+ (.+)$", markdown, flags=re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        found.add(slug)
    return found


@pytest.mark.parametrize("path", shipped_and_read(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_citation_points_outside_the_repository(path: Path) -> None:
    text = path.read_text(encoding="utf-8", errors="replace")
    found = sorted({m.group(0) for m in OUTSIDE.finditer(text)})
    assert not found, f"{path.relative_to(ROOT)} cites {found}: cite docs/contracts.md instead"


def test_every_contracts_anchor_cited_exists() -> None:
    known = anchors(CITED.read_text(encoding="utf-8"))
    missing = {}
    for path in shipped_and_read():
        for anchor in ANCHOR.findall(path.read_text(encoding="utf-8", errors="replace")):
            if anchor not in known:
                missing.setdefault(str(path.relative_to(ROOT)), set()).add(anchor)
    assert not missing, f"anchors not in docs/contracts.md: {missing}"


def test_the_contracts_page_has_a_section_per_contract_and_the_severity_rules() -> None:
    known = anchors(CITED.read_text(encoding="utf-8"))
    spec_names = {p.stem for p in (ROOT / "specs").glob("*.yaml")}
    assert {"severity", "every-contract", "sources"} | spec_names <= known


def test_every_rule_source_is_followable() -> None:
    """A rule's default source cites docs/contracts.md, the vendor's own document, or a
    public standard (an RFC, OWASP, a CWE) that anyone can look up."""
    public = re.compile(r"docs/contracts\.md|seed|RFC \d+|OWASP|CWE-\d+")
    for rule in rules.CATALOGUE:
        assert public.search(rule.source), f"{rule.id}: {rule.source}"


def test_the_citation_check_can_fail() -> None:
    assert OUTSIDE.search("see ../shared/CONTRACTS.md § kortix")
    assert anchors("## Every contract\n### Cursor meaning (aitronos)") == {
        "every-contract",
        "cursor-meaning-aitronos",
    }
