"""Hang guards for self-tests that run the suite or a build in a subprocess.

A guard is a bound on a wait, never a performance assertion; it scales with the
environment variable THREADCONFORM_TEST_TIMEOUT_SCALE (a float, default 1) so a loaded
machine can stretch every guard at once.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

import pytest


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


def progress_printer(config: pytest.Config, prefix: str = "") -> Callable[[str], None]:
    """Print one line past pytest's capture: CI shows a long step's progress only if it
    is printed as it happens (the mutation matrices)."""
    capture = config.pluginmanager.getplugin("capturemanager")

    def progress(line: str) -> None:
        with capture.global_and_fixture_disabled():
            sys.stdout.write(f"\n{prefix}{line}")
            sys.stdout.flush()

    return progress
