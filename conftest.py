"""Root conftest: load the threadconform pytest plugin for the suite in tests/."""

pytest_plugins = ["threadconform.pytest_plugin"]
