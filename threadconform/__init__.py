"""threadconform: a conformance suite for HTTP APIs that list conversation threads."""

__version__ = "0.1.0"
