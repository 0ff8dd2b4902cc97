"""`report.html`: the run's summary as one self-contained page a vendor can read.

Inline CSS, no scripts, no external assets: it opens from a CI artifact or an e-mail
attachment as is. Every value from the run goes through `html.escape`, since response
bodies and reasons are the target's words, not ours.
"""

from __future__ import annotations

import re
from html import escape

from threadconform import rules, security_report
from threadconform.report_types import (
    RuleEntry,
    SecurityEntry,
    Summary,
    TargetEntry,
    ViolationEntry,
    WaiverEntry,
)

__all__ = ["more_violations_line", "render"]

_CURLS_SHOWN = 4  # per violation, as in the terminal's failure text
_LABELS = {
    "pass": "pass",
    "fail": "FAIL",
    "warn": "warn",
    "waived": "waived",
    "skip": "skip",
    "n/a": "n/a",
}

_CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2330;
  margin: 0 auto; max-width: 1200px; padding: 1.5rem; }
h1 { margin: 0 0 .75rem; font-size: 1.6rem; }
h2 { margin-top: 2rem; border-bottom: 1px solid #d5d9e0; padding-bottom: .25rem; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dl.meta dt { font-weight: 600; }
dl.meta dd { margin: 0; }
table { border-collapse: collapse; margin: .5rem 0; }
th, td { border: 1px solid #d5d9e0; padding: .25rem .5rem; text-align: left;
  vertical-align: top; }
th { background: #f3f5f8; }
td.num { text-align: right; }
table.matrix td.cell { text-align: center; white-space: nowrap; }
table.matrix td.rule { white-space: nowrap; font-family: ui-monospace, monospace; }
table.matrix td.statement { color: #555c69; font-size: .9em; }
.o-pass { background: #e3f4e6; color: #1c5e2a; }
.o-fail { background: #fbe1e1; color: #8c1d1d; font-weight: 700; }
.o-warn { background: #fff2cc; color: #7a5600; }
.o-waived { background: #ece3fb; color: #4b2a85; }
.o-skip { background: #eef0f3; color: #555c69; }
.o-na, .o-none { background: #fafbfc; color: #9aa1ad; }
td.cell a { color: inherit; }
.verdict { display: inline-block; padding: .1rem .6rem; border-radius: .3rem; }
section.finding { border: 1px solid #d5d9e0; border-left-width: 6px; border-radius: .3rem;
  padding: .25rem 1rem .75rem; margin: 1rem 0; }
section.finding { background: #fff; color: #1d2330; font-weight: 400; }
section.finding.o-fail { border-left-color: #c62828; }
section.finding.o-warn { border-left-color: #e0a800; }
section.finding.o-waived { border-left-color: #6a3fb5; }
pre { background: #f3f5f8; padding: .5rem; overflow-x: auto; white-space: pre-wrap;
  word-break: break-all; }
code { font-family: ui-monospace, monospace; }
.muted { color: #555c69; }
"""


def render(data: Summary) -> str:
    verdict = data["verdict"].upper()
    body = [
        _header(data),
        _targets(data),
        _findings(data),  # what failed, with its evidence, before the matrix of every rule
        _matrix(data),
        security_report.html(data, _anchor),
        _skips(data),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>threadconform report: {escape(verdict)}</title>\n"
        f"<style>{_CSS}</style>\n</head>\n<body>\n" + "\n".join(body) + "\n</body>\n</html>\n"
    )


def _header(data: Summary) -> str:
    targets = data["contracts"]
    rows = [
        ("Target URL(s)", ", ".join(dict.fromkeys(t["target"] for t in targets)) or "none"),
        ("Contract(s)", ", ".join(dict.fromkeys(t["contract"] for t in targets)) or "none"),
        ("Spec version(s)", ", ".join(f"{t['contract']} {t['spec_version']}" for t in targets)),
        ("Suite version", f"threadconform {data['suite_version']}"),
        ("Seed", str(data["seed"])),
        (
            "Profile",
            data["profile"] + (" (strict: SHOULD failures fail)" if data["strict"] else ""),
        ),
        ("Started", data["started"]),
        ("Duration", f"{data['duration_seconds']} s"),
        ("Requests sent", str(data["requests"])),
        ("Waivers", data["waivers_file"] or "none"),
        ("Exit status", str(data["exit_status"])),
    ]
    if data["reason"]:
        rows.insert(0, (f"Why {data['verdict']}", data["reason"]))
    items = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in rows)
    verdict = data["verdict"]
    css = {"pass": "o-pass", "fail": "o-fail", "error": "o-fail"}.get(verdict, "o-warn")
    return (
        f'<header>\n<h1>threadconform conformance report: <span class="verdict {css}">'
        f"{escape(verdict.upper())}</span></h1>\n"
        f'<dl class="meta">{items}</dl>\n</header>'
    )


def _targets(data: Summary) -> str:
    head = (
        "<tr><th>target</th><th>contract</th><th>URL</th><th>spec</th><th>failed</th>"
        "<th>warned</th><th>waived</th><th>skipped</th><th>passed</th><th>requests</th>"
        "<th>seconds</th></tr>"
    )
    rows = []
    for t in data["contracts"]:
        c = t["counts"]
        url = escape(t["target"]) + (
            " <span class=muted>(embedded)</span>" if t["embedded"] else ""
        )
        numbers = [c["fail"], c["warn"], c["waived"], c["skip"], c["pass"], t["requests"]]
        cells = "".join(f'<td class="num">{n}</td>' for n in [*numbers, t["seconds"]])
        rows.append(
            f"<tr><td>{escape(t['name'])}</td><td>{escape(t['contract'])}</td><td>{url}</td>"
            f"<td>{escape(t['spec_version'])}</td>{cells}</tr>"
        )
        if t["unreachable"]:
            rows.append(f'<tr><td colspan="11" class="o-fail">{escape(t["unreachable"])}</td></tr>')
        elif stopped := t.get("stopped"):
            reason = escape(stopped["reason"])
            rows.append(f'<tr><td colspan="11" class="o-warn">{reason}</td></tr>')
        if (live := t.get("live")) and live["changed"]:
            rows.append(f'<tr><td colspan="11" class="o-skip">{escape(live["summary"])}</td></tr>')
    return f"<h2>Targets</h2>\n<table>{head}{''.join(rows)}</table>"


def _matrix(data: Summary) -> str:
    targets = data["contracts"]
    by_target = [{rule["id"]: rule for rule in t["rules"]} for t in targets]
    seen = {rule_id for found in by_target for rule_id in found}
    heads = "".join(f"<th>{escape(t['label'])}</th>" for t in targets)
    rows = []
    for rule in rules.CATALOGUE:
        if rule.id not in seen:
            continue
        cells = "".join(
            _cell(t, found.get(rule.id)) for t, found in zip(targets, by_target, strict=True)
        )
        rows.append(
            f'<tr><td class="rule">{escape(rule.id)}</td>{cells}'
            f'<td class="statement">{escape(rule.statement)}</td></tr>'
        )
    legend = (
        "Hover a cell for its reason; failures, warnings and waived failures link to their "
        "evidence below."
    )
    return (
        f"<h2>Rules × targets</h2>\n<p class=muted>{legend}</p>\n"
        f'<table class="matrix"><tr><th>rule</th>{heads}<th>statement</th></tr>'
        f"{''.join(rows)}</table>"
    )


def _cell(target: TargetEntry, rule: RuleEntry | None) -> str:
    if rule is None:
        return '<td class="cell o-none" title="not selected in this run">–</td>'
    outcome = rule["outcome"]
    label = escape(_LABELS[outcome])
    if outcome in ("fail", "warn", "waived"):
        label = f'<a href="#{_anchor(target, rule)}">{label}</a>'
    title = escape(f"{rule['severity']}: {rule['reason']}", quote=True)
    css = "o-na" if outcome == "n/a" else f"o-{outcome}"
    return f'<td class="cell {css}" title="{title}">{label}</td>'


def _anchor(target: TargetEntry | SecurityEntry, rule: RuleEntry) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "-", f"r-{target['name']}-{rule['id']}")


def _findings(data: Summary) -> str:
    sections = [
        _finding(target, rule)
        for target in data["contracts"]
        for rule in target["rules"]
        if rule["outcome"] in ("fail", "warn", "waived")
    ]
    if not sections:
        return "<h2>Failures</h2>\n<p>Every rule that was checked held.</p>"
    note = (
        "<p class=muted>Credentials in the curl lines are shown as <code>***</code>; "
        "put yours back to reproduce.</p>"
    )
    return "<h2>Failures, warnings and waived failures</h2>\n" + note + "\n".join(sections)


def _finding(target: TargetEntry, rule: RuleEntry) -> str:
    outcome = rule["outcome"]
    parts = [
        f'<section class="finding o-{outcome}" id="{_anchor(target, rule)}">',
        f'<h3><span class="verdict o-{outcome}">{escape(_LABELS[outcome])}</span> '
        f"{escape(rule['id'])} <span class=muted>{escape(target['label'])} · "
        f"{escape(rule['severity'])}</span></h3>",
        f"<p>{escape(rule['statement'])}</p>",
        f"<p class=muted>Source: {escape(rule['source'])}</p>",
    ]
    if rule["waiver"]:
        parts.append(_waiver(rule["waiver"]))
    parts.append("<ol>" + "".join(_violation(v) for v in rule["violations"]) + "</ol>")
    if not rule["violations"]:
        parts.append(f"<p>{escape(rule['reason'])}</p>")
    if unseen := more_violations_line(rule):
        parts.append(f"<p class=muted>{escape(unseen)}</p>")
    return "\n".join(parts) + "\n</section>"


def _waiver(waiver: WaiverEntry) -> str:
    state = "Waiver expired on" if waiver["expired"] else "Waived until"
    return (
        f"<p><strong>{state} {escape(waiver['expires'])}</strong>: {escape(waiver['reason'])} "
        f"<span class=muted>({escape(waiver['where'])})</span></p>"
    )


def _violation(violation: ViolationEntry) -> str:
    rows = "".join(
        f"<tr><th>{name}</th><td><code>{escape(value)}</code></td></tr>"
        for name, value in (("expected", violation["expected"]), ("got", violation["actual"]))
        if value
    )
    curls = "\n".join(escape(curl) for curl in violation["curl"][:_CURLS_SHOWN])
    reproduce = f"<p>Reproduce:</p><pre>{curls}</pre>" if curls else ""
    table = f"<table>{rows}</table>" if rows else ""
    return f"<li><p>{escape(violation['message'])}</p>{table}{reproduce}</li>"


def _skips(data: Summary) -> str:
    rows = [
        f"<tr><td>{escape(t['label'])}</td><td>{escape(r['id'])}</td>"
        f"<td>{escape(r['reason'])}</td></tr>"
        for t in data["contracts"]
        for r in t["rules"]
        if r["outcome"] == "skip"
    ]
    if not rows:
        return ""
    return (
        "<h2>Skipped</h2>\n<p class=muted>Rules the target gave no data for; they are "
        "neither passed nor failed.</p>\n<table><tr><th>target</th><th>rule</th><th>why</th>"
        f"</tr>{''.join(rows)}</table>"
    )


def more_violations_line(rule: RuleEntry) -> str:
    """What the reports a person reads add under a rule's shown evidence: "… and 19 more
    violation(s) of this rule (summary.json `more_violations` holds 19)", or "" when every
    violation is shown."""
    hidden = rule["violation_count"] - len(rule["violations"])
    if hidden <= 0:
        return ""
    held = len(rule["more_violations"])
    return (
        f"… and {hidden} more violation(s) of this rule "
        f"(summary.json `more_violations` holds {held})"
    )
