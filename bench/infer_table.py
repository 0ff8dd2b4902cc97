"""Print, for each reference server, the spec `threadconform infer` drafts from its URL
against the hand-written spec, field by field, and the GET requests each draft cost.

    .venv/bin/python bench/infer_table.py [NAME ...]
"""

from __future__ import annotations

import sys

from threadconform.infer.compare import compare, infer_reference
from threadconform.reference import SERVED


def main(names: list[str]) -> int:
    print("| contract | field | hand-written | draft | verdict |")
    print("| --- | --- | --- | --- | --- |")
    spent = []
    for name in names:
        draft, contract = infer_reference(name)
        spent.append((name, draft.requests, draft.not_inferred))
        for field, theirs, ours, verdict in compare(draft, contract):
            shown = str(ours) if len(str(ours)) < 40 else str(ours)[:37] + "..."
            print(f"| {name} | {field} | {theirs} | {shown} | {verdict} |")
    print()
    print("| contract | GET requests | not inferred |")
    print("| --- | ---: | --- |")
    for name, requests, left in spent:
        print(f"| {name} | {requests} | {'; '.join(left) or '-'} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or list(SERVED)))
