"""`python -m threadconform.mutation`: run the matrix, write reports/mutation-matrix.md."""

from __future__ import annotations

import argparse
import sys

from threadconform import reference
from threadconform.mutation.matrix import run_matrix
from threadconform.mutation.plan import variants
from threadconform.mutation.report import headline, report
from threadconform.mutation.runs import ROOT
from threadconform.profiles import PROFILES


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m threadconform.mutation", description=__doc__)
    parser.add_argument("--profile", default="default", choices=list(PROFILES))
    parser.add_argument("--contract", action="append", choices=list(reference.CONTRACTS))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-schemathesis", action="store_true", help="skip the comparison")
    parser.add_argument("--output", default=str(ROOT / "reports" / "mutation-matrix.md"))
    options = parser.parse_args(argv)
    matrix = run_matrix(
        variants(options.contract or reference.CONTRACTS),
        profile=options.profile,
        schemathesis=not options.no_schemathesis,
        workers=options.workers,
        progress=lambda line: print(line, flush=True),
    )
    text = report(matrix)
    with open(options.output, "w", encoding="utf-8") as out:
        out.write(text)
    print(headline(text), flush=True)
    print(f"report: {options.output}")
    wrong = [o for o in matrix.outcomes if not o.ok]
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
