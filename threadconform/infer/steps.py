"""The inference itself: which steps `infer` runs, in which order.

Each step (in its own module: `refusals`, `fields`, `limits`, `style`, `walk`,
`volatile`, `order`) reads earlier findings and adds its own, each with the requests that
showed it. A step the request budget cuts short is named in `Findings.not_inferred`; its
facts stay TODOs.
"""

from __future__ import annotations

from collections.abc import Callable

from threadconform.infer.fields import find_items, find_response_fields
from threadconform.infer.limits import find_limit_param, find_maximum
from threadconform.infer.order import find_order
from threadconform.infer.refusals import find_auth, find_cursor_errors, find_errors
from threadconform.infer.state import LIMITS, Inference, Stop
from threadconform.infer.style import find_style
from threadconform.infer.volatile import find_volatile
from threadconform.infer.walk import walk_listing
from threadconform.outcomes import BudgetSpent

__all__ = ["LIMITS", "Inference", "run"]


def run(inference: Inference, credential: str | None, headers: dict[str, str]) -> Inference:
    """Every step in order; a spent budget ends the run and names what was left."""
    steps: list[tuple[str, Callable[[], None]]] = [
        ("auth", lambda: find_auth(inference, credential, headers)),
        ("items path and id", lambda: find_items(inference)),
        ("limit parameter", lambda: find_limit_param(inference)),
        ("pagination style", lambda: find_style(inference)),
        ("maximum limit", lambda: find_maximum(inference)),
        ("walk at the largest limit (order, totals)", lambda: walk_listing(inference)),
        ("response fields", lambda: find_response_fields(inference)),
        ("volatile fields", lambda: find_volatile(inference)),
        ("order", lambda: find_order(inference)),
        ("error envelope", lambda: find_errors(inference)),
        ("cursor errors", lambda: find_cursor_errors(inference)),
    ]
    for index, (name, step) in enumerate(steps):
        try:
            step()
        except BudgetSpent:
            left = [name] + [later for later, _ in steps[index + 1 :]]
            inference.found.not_inferred += left
            break
        except Stop as stop:
            inference.found.not_inferred.append(f"{name}: {stop}")
            inference.found.not_inferred += [later for later, _ in steps[index + 1 :]]
            break
    return inference
