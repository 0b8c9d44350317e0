"""`python -m review.privacy_scan PATH…`: find unmasked personal data in logs and log databases.

Scans every ``*.log`` / ``*.jsonl`` file and every SQLite database holding a
conversation log (a ``conversation_events`` table: all its tables are read,
staff tables included) under the given paths, for ID numbers, mobile numbers
and full plates as the NLU recognises them. Other databases (the sandbox's
back end, whose records are the government's own) are skipped. Findings are
printed masked, with the file and where; the exit status is 1 if there is
any. ``make test`` runs it over the whole test run's files (issue 5 target).
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bot.privacy import mask_id_number, mask_phone, mask_plate
from nlu.formats import ID_NUMBER, PHONE_NUMBER, PLATE_NUMBER, find_formats

LOG_SUFFIXES = (".log", ".jsonl")
DB_SUFFIXES = (".db", ".sqlite", ".sqlite3")
LOG_TABLE = "conversation_events"
_MASKERS = {
    ID_NUMBER: mask_id_number,
    PHONE_NUMBER: mask_phone,
    PLATE_NUMBER: mask_plate,
}


@dataclass(frozen=True)
class Finding:
    """One unmasked value: where, what kind, and the value masked for display."""

    path: Path
    where: str
    kind: str
    masked: str

    def __str__(self) -> str:
        return f"{self.path}: {self.where}: {self.kind} {self.masked}"


def _in_a_decimal(text: str, start: int, end: int) -> bool:
    # 0.9479401234563398 (a confidence, an F1) is no ID number.
    before = text[start - 1] if start else ""
    after = text[end : end + 2]
    return before == "." or (after[:1] == "." and after[1:2].isdigit())


def findings_in_text(path: Path, where: str, text: str) -> Iterator[Finding]:
    """Unmasked IDs, mobiles and plates in one piece of text."""
    for match in find_formats(text):
        if _in_a_decimal(text, match.start, match.end):
            continue
        mask = _MASKERS.get(match.entity)
        if mask is not None:
            yield Finding(path, where, match.entity, mask(match.text))


def scan_log(path: Path) -> Iterator[Finding]:
    """A log file, line by line (undecodable bytes replaced)."""
    with path.open("r", encoding="utf-8", errors="replace") as lines:
        for number, line in enumerate(lines, 1):
            yield from findings_in_text(path, f"line {number}", line)


def _is_conversation_log(connection: sqlite3.Connection) -> bool:
    row = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (LOG_TABLE,)
    ).fetchone()
    return row is not None


def scan_database(path: Path) -> Iterator[Finding]:
    """Every text value of every table of a conversation-log database."""
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return
    try:
        if not _is_conversation_log(connection):
            return
        tables = [
            name
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
            )
        ]
        for table in tables:
            quoted = '"' + table.replace('"', '""') + '"'
            for rowid, row in enumerate(connection.execute(f"SELECT * FROM {quoted}")):
                for value in row:
                    text = (
                        value.decode("utf-8", "replace")
                        if isinstance(value, bytes)
                        else value
                    )
                    if isinstance(text, str):
                        yield from findings_in_text(path, f"{table} row {rowid}", text)
    except sqlite3.DatabaseError:
        return  # not SQLite after all, or locked mid-write by a finished test
    finally:
        connection.close()


def scan(paths: list[Path]) -> Iterator[Finding]:
    """All findings under ``paths`` (files or folders, recursively)."""
    for root in paths:
        files = [root] if root.is_file() else sorted(root.rglob("*"))
        for path in files:
            if not path.is_file():
                continue
            if path.suffix in LOG_SUFFIXES:
                yield from scan_log(path)
            elif path.suffix in DB_SUFFIXES:
                yield from scan_database(path)


def main(argv: list[str] | None = None) -> int:
    """Prints findings; 1 if any, 0 if none."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path)
    args = parser.parse_args(argv)
    count = 0
    for finding in scan([p for p in args.paths if p.exists()]):
        print(finding)
        count += 1
    print(
        f"privacy scan: {count} unmasked value(s) in {', '.join(map(str, args.paths))}"
    )
    return 1 if count else 0


if __name__ == "__main__":
    sys.exit(main())
