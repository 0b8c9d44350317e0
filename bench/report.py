"""Rewrites one marked section of docs/benchmarks.md, leaving the others as they are."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "docs" / "benchmarks.md"
HEADER = (
    "# Benchmarks\n\n"
    "Figures measured on this project's 2-core machine. Each section is rewritten by\n"
    "the command named in it; `make bench` runs them all. Absolute times depend on\n"
    "the machine: compare the rows of one table, which were measured in one run.\n"
)


def write_section(name: str, body: str, path: Path = BENCHMARKS) -> None:
    """Replaces the section ``name`` (or appends it) in the benchmarks file."""
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    text = path.read_text("utf-8") if path.exists() else HEADER
    block = f"{start}\n{body.rstrip()}\n{end}"
    if start in text and end in text:
        before = text.split(start, 1)[0]
        after = text.split(end, 1)[1]
        text = before + block + after
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
