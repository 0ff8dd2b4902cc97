"""Root conftest.

The suite's pytest plugin (`threadconform.pytest_plugin`) is loaded through the package's
`pytest11` entry point, so that its options are known before pytest chooses a rootdir.
Benchmarks are scripts, not tests.

Hypothesis keeps caches (character maps, constants) in `.hypothesis/` under the current
folder; runs from the repository keep them in a temporary folder instead, so that neither
the self-tests nor the suite write into the checkout.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

collect_ignore = ["bench"]
_STORAGE = "HYPOTHESIS_STORAGE_DIRECTORY"


def pytest_configure(config: pytest.Config) -> None:
    if _STORAGE not in os.environ:
        os.environ[_STORAGE] = tempfile.mkdtemp(prefix="threadconform-hypothesis-")
        config.add_cleanup(lambda: shutil.rmtree(os.environ.pop(_STORAGE), ignore_errors=True))
