"""The ``queue`` command as staff run it: list, show, label (with conflicts), export."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from review.logdb.database import LogDatabase
from tests.review.queue.queue_world import city, store

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def log_url(db_path: Path) -> str:
    url = f"sqlite:///{db_path}"

    async def fill() -> None:
        db = LogDatabase(url)
        await store(db, city())
        await db.dispose()

    asyncio.run(fill())
    return url


def queue(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "review.queue", *args, "--url", url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def as_json(done: subprocess.CompletedProcess[str]) -> Any:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_list_show_label_export(log_url: str, tmp_path: Path) -> None:
    listed = queue(log_url, "list", "--page-size", "3")
    assert listed.returncode == 0, listed.stderr
    assert "待审核：" in listed.stdout and "第 1/2 页" in listed.stdout
    assert "查4403**********123X的分" in listed.stdout or "查1101" in listed.stdout
    page = as_json(queue(log_url, "list", "--json"))
    assert page["total_groups"] == 6
    fine = next(
        g["items"][0] for g in page["groups"] if "罚单" in g["items"][0]["text"]
    )
    event = str(fine["event_id"])

    shown = as_json(queue(log_url, "show", event, "--json"))
    assert shown["text"] == "粤B***45那个罚单咋弄" and shown["version"] == 0
    assert [r["reason"] for r in shown["item"]["reasons"]] == [
        "nlu_fallback",
        "chose_other",
    ]
    human = queue(log_url, "show", event)
    assert "尚未处理（版本 0）" in human.stdout and "群众选择了其他意图" in human.stdout

    bad = queue(
        log_url, "label", event, "--intent", "pay_the_fine", "--reviewer", "wang"
    )
    assert bad.returncode == 1 and "意图“pay_the_fine”不存在" in bad.stderr
    masked = queue(
        log_url,
        "label",
        event,
        "--intent",
        "pay_fine",
        "--entity",
        "district=粤B***45",
        "--reviewer",
        "wang",
    )
    assert masked.returncode == 1 and "个人信息" in masked.stderr

    done = queue(
        log_url,
        "label",
        event,
        "--intent",
        "pay_fine",
        "--entity",
        "plate_number=粤B***45",
        "--reviewer",
        "wang",
    )
    assert done.returncode == 0, done.stderr
    assert "版本 1" in done.stdout
    late = queue(
        log_url, "label", event, "--skip", "--reviewer", "li", "--version", "0"
    )
    assert late.returncode == 1
    assert "已被 wang 处理" in late.stderr and "未保存" in late.stderr

    grouped = queue(
        log_url,
        "label",
        str(page["groups"][0]["items"][0]["event_id"]),
        "--intent",
        "query_license_points",
        "--entity",
        "id_number:1:19",
        "--group",
        "--reviewer",
        "li",
    )
    assert grouped.returncode == 0, grouped.stderr
    assert "已标注 4 条" in grouped.stdout
    assert as_json(queue(log_url, "list", "--json"))["total_groups"] == 4

    out = tmp_path / "reviewed"
    exported = subprocess.run(
        [
            sys.executable,
            "-m",
            "review.queue",
            "export",
            "--url",
            log_url,
            "--out",
            str(out),
            "--reviewer",
            "li",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert exported.returncode == 0, exported.stderr
    assert "已导出 2 条" in exported.stdout
    assert sorted(p.name for p in out.iterdir()) == [
        "pay_fine.yml",
        "query_license_points.yml",
    ]
    refused = subprocess.run(
        [
            sys.executable,
            "-m",
            "review.queue",
            "export",
            "--url",
            log_url,
            "--out",
            str(ROOT / "eval" / "holdout"),
            "--reviewer",
            "li",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode == 1 and "evaluation" in refused.stderr


def test_register_adds_the_queue_command_to_a_parent_cli() -> None:
    import argparse

    from review.queue.cli import register

    parser = argparse.ArgumentParser(prog="python -m review")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["queue", "label", "12", "--skip", "--reviewer", "wang"])
    assert args.command == "queue" and args.queue_command == "label"
    assert args.event_id == 12 and args.skip and args.version == 0
    assert callable(args.func)
