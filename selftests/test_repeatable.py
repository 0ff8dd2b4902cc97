"""Runs that repeat (issue 22, item 5): Hypothesis draws no constants from whatever
modules happen to be loaded, so the seed alone decides the cases."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

CHILD = textwrap.dedent(
    """
    import hashlib, sys
    sys.path.insert(0, sys.argv[1])
    from threadconform.repeatable import pin_hypothesis_constants
    if sys.argv[2] == "pin":
        assert pin_hypothesis_constants()
    if sys.argv[3] == "stray":
        import stray_module  # a module on PYTHONPATH, full of constants
    from hypothesis import given, seed, settings, strategies as st
    drawn = []
    @seed(0)
    @settings(max_examples=400, database=None, derandomize=True)
    @given(st.text(max_size=30), st.integers())
    def draw(text, number):
        drawn.append((text, number))
    draw()
    print(hashlib.sha256(repr(drawn).encode()).hexdigest())
    """
)
STRAY = "\n".join(
    f"CONSTANT_{n} = {f'stray-value-{n}'!r}\nNUMBER_{n} = {7919 * n}" for n in range(200)
)


def _drawn(folder: Path, pin: str, stray: str) -> str:
    (folder / "stray_module.py").write_text(STRAY + "\n")
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(folder), pin, stray],
        capture_output=True,
        text=True,
        check=True,
        cwd=folder,
    )
    return done.stdout.strip()


def test_a_module_on_the_path_changes_no_case_once_pinned(tmp_path: Path) -> None:
    # Unpinned, a module on the path changes what the same seed draws (the experiment
    # can tell); pinned, the cases are the same with and without it.
    assert _drawn(tmp_path, "free", "none") != _drawn(tmp_path, "free", "stray")
    assert _drawn(tmp_path, "pin", "none") == _drawn(tmp_path, "pin", "stray")


def test_pinning_twice_is_harmless() -> None:
    from threadconform.repeatable import pin_hypothesis_constants

    assert pin_hypothesis_constants() and pin_hypothesis_constants()
