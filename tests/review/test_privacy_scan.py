"""The privacy scan finds raw identifiers in logs and log databases, and only there."""

import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from review.privacy_scan import main, scan

RAW_ID = "440301199001011238"
RAW_PHONE = "13800138000"
RAW_PLATE = "粤B12345"


def _database(path: Path, table: str, text: str) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute(f"CREATE TABLE {table} (id INTEGER, text TEXT)")
        connection.execute(f"INSERT INTO {table} VALUES (1, ?)", (text,))


@pytest.fixture
def tmp_path() -> Iterator[Path]:
    """Outside pytest's basetemp: make test's own scan must not find these plants."""
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder)


def test_raw_values_in_logs_and_log_tables_are_found_and_shown_masked(
    tmp_path: Path, capsys
) -> None:
    (tmp_path / "rasa.log").write_text(f"ok\nuser said 身份证{RAW_ID}\n", "utf-8")
    log_db = tmp_path / "conversations.db"
    _database(log_db, "conversation_events", "masked 138****8000")
    with sqlite3.connect(log_db) as connection:
        connection.execute("CREATE TABLE annotations (text TEXT)")
        connection.execute("INSERT INTO annotations VALUES (?)", (f"车牌{RAW_PLATE}",))
        connection.execute(
            "INSERT INTO conversation_events VALUES (2, ?)", (f"电话{RAW_PHONE}",)
        )
    found = {(f.path.name, f.kind, f.masked) for f in scan([tmp_path])}
    assert found == {
        ("rasa.log", "id_number", "4403**********1238"),
        ("conversations.db", "phone_number", "138****8000"),
        ("conversations.db", "plate_number", "粤B***45"),
    }
    assert main([str(tmp_path)]) == 1
    printed = capsys.readouterr().out
    assert (
        RAW_ID not in printed and RAW_PHONE not in printed and RAW_PLATE not in printed
    )


def test_masked_values_and_back_end_databases_pass(tmp_path: Path) -> None:
    (tmp_path / "gateway.log").write_text(
        "phone=138****8000 plate=粤B***45 f1=0.9479401234563398 x=4403052600000011.5\n",
        "utf-8",
    )
    _database(tmp_path / "sandbox.db", "vehicles", RAW_PLATE)  # the back end's own
    (tmp_path / "notes.txt").write_text(RAW_ID, "utf-8")  # not a log
    assert list(scan([tmp_path])) == []
    assert main([str(tmp_path), str(tmp_path / "missing")]) == 0
