"""Read a spec file (OpenAPI 3.1 + `x-pagination`) into a `model.Contract`.

Loading is strict and its errors are for people: every problem is a `SpecError` whose
message is one line, `<file>: <where>: <what is wrong>. <what to do>`. The checks run in
order: YAML syntax, OpenAPI 3.1 validity, exactly one GET operation carrying
`x-pagination`, the block against `schemas/x-pagination.schema.json`, and finally that
every name and path the block mentions exists in the operation (parameters, the 200
schema, the item schema, responses, the rule catalogue) and agrees with it.

The modules, in the order a load uses them:

- `errors`: `SpecError`, `Fix` and the one-line message format;
- `yaml_reader`: the YAML, read as JSON data;
- `openapi`: OpenAPI validity, `$ref` resolution, the GET operation and its view;
- `block_schema`: the block against its JSON Schema;
- `block_checks`: the block against the operation it describes;
- `contract`: `load`, building the `model.Contract`;
- `bundled`: `spec_dir()` and the bundled contracts by name.

This package namespace is the public API; import from here, not from the modules.
"""

from __future__ import annotations

from threadconform.spec.block_schema import SCHEMA_FILE
from threadconform.spec.bundled import SPEC_DIR, default_names, find, load_all, names, spec_dir
from threadconform.spec.contract import load, resolve
from threadconform.spec.errors import EXTENSION, GUIDE, Fix, SpecError
from threadconform.spec.openapi import format_checker
from threadconform.spec.yaml_reader import read_document

__all__ = [
    "EXTENSION",
    "GUIDE",
    "SCHEMA_FILE",
    "SPEC_DIR",
    "Fix",
    "SpecError",
    "default_names",
    "find",
    "format_checker",
    "load",
    "load_all",
    "names",
    "read_document",
    "resolve",
    "spec_dir",
]
