"""Hang guards for self-tests that run the suite or a build in a subprocess.

A guard is a bound on a wait, never a performance assertion; it scales with the
environment variable THREADCONFORM_TEST_TIMEOUT_SCALE (a float, default 1) so a loaded
machine can stretch every guard at once.
"""

from __future__ import annotations

import os


def scaled(seconds: float) -> float:
    """`seconds` times THREADCONFORM_TEST_TIMEOUT_SCALE."""
    raw = os.environ.get("THREADCONFORM_TEST_TIMEOUT_SCALE", "1")
    try:
        scale = float(raw)
    except ValueError:
        raise ValueError(
            f"THREADCONFORM_TEST_TIMEOUT_SCALE must be a number, got {raw!r}"
        ) from None
    return seconds * max(scale, 0.1)
