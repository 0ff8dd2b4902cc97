"""The reports' "security" section: the security rules of every target on their own, so a
vendor can hand that part to its security team.

It is made from the same rule entries as the rest of the summary (`reports.document`), so
it cannot disagree with them; the Markdown and HTML render that one list. A documented
exposure (x-pagination `items.documented_credentials`) is a note on a rule that held: named
here, never a failure, because the contract itself shows those fields.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from threadconform import escape as escape_text
from threadconform import rules
from threadconform.report_types import RuleEntry, SecurityEntry, Summary, TargetEntry

__all__ = ["AREA", "INTRO", "finding", "html", "markdown", "section"]

AREA = "security"
INTRO = (
    "Errors that reveal internals, credentials in list items, and the auth edge cases a "
    "client library will hit. SHOULD rules unless a spec raises them: a warning fails the "
    "run only under --strict. A documented exposure is named, not warned about."
)


def section(targets: list[TargetEntry]) -> list[SecurityEntry]:
    """summary.json's `security`: for each reached target, its security rules' entries."""
    ids = {rule.id for rule in rules.CATALOGUE if rule.area == AREA}
    found: list[SecurityEntry] = []
    for target in targets:
        chosen = [rule for rule in target["rules"] if rule["id"] in ids]
        if chosen:
            found.append({"name": target["name"], "label": target["label"], "rules": chosen})
    return found


def finding(rule: RuleEntry) -> str:
    """One line: what was found (the first violation and its fragments), else the reason."""
    if not rule["violations"]:
        return str(rule["reason"])
    first = rule["violations"][0]
    more = len(rule["violations"]) - 1
    tail = f" (+{more} more)" if more else ""
    detail = f": {first['actual']}" if first["actual"] else ""
    return f"{first['message']}{detail}{tail}"


def markdown(data: Summary) -> list[str]:
    entries = data.get("security") or []
    if not entries:
        return []
    lines = ["", "## Security", "", INTRO, "", "| target | rule | outcome | finding |"]
    lines.append("| --- | --- | --- | --- |")
    for target in entries:
        for rule in target["rules"]:
            text = escape_text.markdown(finding(rule))  # the target's words: inert markup
            lines.append(f"| {target['label']} | {rule['id']} | {rule['outcome']} | {text} |")
    return lines


def html(data: Summary, anchor: Callable[[SecurityEntry, RuleEntry], str]) -> str:
    """The HTML section; `anchor(target, rule)` links a warning to its full finding."""
    entries = data.get("security") or []
    if not entries:
        return ""
    rows = []
    for target in entries:
        for rule in target["rules"]:
            outcome = escape(rule["outcome"])
            if rule["outcome"] in ("fail", "warn", "waived"):
                outcome = f'<a href="#{anchor(target, rule)}">{outcome}</a>'
            css = "o-na" if rule["outcome"] == "n/a" else f"o-{rule['outcome']}"
            rows.append(
                f"<tr><td>{escape(target['label'])}</td><td>{escape(rule['id'])}</td>"
                f'<td class="cell {css}">{outcome}</td><td>{escape(finding(rule))}</td></tr>'
            )
    head = "<tr><th>target</th><th>rule</th><th>outcome</th><th>finding</th></tr>"
    return (
        f'<h2 id="security">Security</h2>\n<p class=muted>{escape(INTRO)}</p>\n'
        f"<table>{head}{''.join(rows)}</table>"
    )
