"""``python -m bench.load``: run the load benchmark and write its section."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from bench.load.config import parse_args
from bench.load.measure import run
from bench.load.render import render
from bench.report import write_section


def main(argv: list[str] | None = None) -> int:
    """Measure, print, write docs/benchmarks.md; non-zero when a check failed."""
    config = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="govbot-load-") as work:
        figures = run(config, Path(work))
    body = render(figures)
    print(body)
    for example in figures.checks.examples:
        print("  failed:", example, file=sys.stderr)
    if figures.reference_checks is not None:
        for example in figures.reference_checks.examples:
            print("  stock failed:", example, file=sys.stderr)
    if config.write:
        write_section(config.section(), body)
    return 0 if figures.clean() else 1


if __name__ == "__main__":
    raise SystemExit(main())
