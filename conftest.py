"""Root conftest.

The suite's pytest plugin (`threadconform.pytest_plugin`) is loaded through the package's
`pytest11` entry point, so that its options are known before pytest chooses a rootdir.
Benchmarks are scripts, not tests.
"""

collect_ignore = ["bench"]
