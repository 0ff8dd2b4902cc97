"""Server-controlled text, made inert for each place a report shows it.

A target chooses its error messages, headers and bodies, and the reports quote them: in a
terminal an escape sequence could rewrite the screen, in `summary.md` (posted as a pull
request comment) `<img src=...>`, `[link](...)` or `@team` would render, fetch or notify.
HTML escaping lives in html_report (`html.escape`); JSON and JUnit escape themselves.
"""

from __future__ import annotations

import re

__all__ = ["code_span", "markdown", "terminal"]

_KEEP = frozenset("\n\t")
# Characters that start Markdown (or GitHub) syntax inline: emphasis, code, links and
# images, tables, strike-through, headings, HTML, mentions and issue references.
_MARKDOWN = re.compile(r"([\\`*_\[\]|~#!])")
_ENTITIES = {"<": "&lt;", ">": "&gt;", "@": "&#64;"}
# An ampersand renders as itself unless it starts a character reference (`&lt;`, `&#64;`):
# only those are escaped, so a query's `a=1&b=2` reads as it was sent.
_REFERENCE = re.compile(r"&(?=#?[0-9A-Za-z]+;)")


def terminal(text: str) -> str:
    """`text` with control characters (ESC, BEL, CR, ...) shown as escapes, not obeyed."""
    return "".join(
        c if c in _KEEP or c.isprintable() else c.encode("unicode_escape").decode("ascii")
        for c in text
    )


def markdown(text: str) -> str:
    """`text` as one line of literal Markdown: no markup, HTML, mention or line break."""
    flat = _REFERENCE.sub("&amp;", _MARKDOWN.sub(r"\\\1", " ".join(terminal(text).split())))
    return "".join(_ENTITIES.get(c, c) for c in flat)  # after: entities hold a "#"


def code_span(text: str) -> str:
    """`text` as one Markdown code span, whatever backticks it holds, verbatim: spaces
    kept as they are (a curl line's `Bearer  token` with two spaces is the evidence);
    only line breaks and tabs are shown as escapes, so the span stays on one line."""
    flat = terminal(text).replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t")
    longest = max((len(run) for run in re.findall(r"`+", flat)), default=0)
    fence = "`" * (longest + 1)
    # CommonMark strips one space from each end of a span: pad when an end is a space or
    # a backtick, so neither is lost nor merged with the fence.
    padded = longest or flat[:1] in (" ", "`") or flat[-1:] in (" ", "`")
    return f"{fence} {flat} {fence}" if padded else f"{fence}{flat}{fence}"
