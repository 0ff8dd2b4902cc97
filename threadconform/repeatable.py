"""Runs that repeat: the same seed, server and options give the same requests, whatever
folder, PYTHONPATH, other contracts or `-n` the run has.

Hypothesis (6.131 and later) mixes into its draws constants it collects from every
"local" module in `sys.modules`: any module outside site-packages, which includes the
`pytest` script, a module on PYTHONPATH, and the suite itself in an editable install.
Which modules are loaded differs between runs (another contract's probes, a worker of
`-n 2`), so the same seed drew other cases: 500s found went from 29 to 12 with a module
added to PYTHONPATH. Hypothesis has no setting for this, so a suite run pins the pool of
local constants empty; its fixed global constants still apply.
"""

from __future__ import annotations

from typing import Any

__all__ = ["pin_hypothesis_constants"]


def pin_hypothesis_constants() -> bool:
    """Make Hypothesis draw no constants from loaded modules; False when this Hypothesis
    has no such pool (nothing to pin, so nothing differs between runs either)."""
    try:
        from hypothesis.internal.conjecture import providers
    except ImportError:  # pragma: no cover - a Hypothesis without this module
        return False
    current = getattr(providers, "_get_local_constants", None)
    pool = getattr(providers, "_local_constants", None)
    if current is None or pool is None:
        return False
    if getattr(current, "pinned_by_threadconform", False):
        return True
    empty = _empty_like(providers, pool)

    def no_local_constants() -> Any:
        return empty

    no_local_constants.pinned_by_threadconform = True  # type: ignore[attr-defined]
    providers._get_local_constants = no_local_constants
    cache = getattr(providers, "CONSTANTS_CACHE", None)
    if cache is not None:  # pools computed before the pin: start again from none
        providers.CONSTANTS_CACHE = type(cache)(cache.max_size)
    return True


def _empty_like(providers: Any, pool: Any) -> Any:
    """An empty pool of the same type (its sorted sets keyed as Hypothesis keys them)."""
    sorted_set, float_key = providers.SortedSet, providers.float_to_int
    return type(pool)(
        integers=sorted_set(),
        floats=sorted_set(key=float_key),
        bytes=sorted_set(),
        strings=sorted_set(),
    )
