"""The 训练与发布 page on the session's real training run (no second run).

The console runs on a copy of that run's log database and of its model
folders, so promoting here never disturbs the other training tests. Rasa is
not running: a promotion reaches no instance, which the page must report
plainly (the real promotion is in tests/e2e/test_staff_loop.py).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from bot.settings import load_settings
from review.console.app import create_app
from review.console.models import Role
from review.console.users import add_user
from review.logdb.database import LogDatabase
from review.logdb.models import AuditEntry
from review.training.jobs import _owner
from review.training.models import JobStatus, Stage, TrainingJob
from review.training.paths import TrainingPaths
from review.training.routes import PATHS
from tests.review.console.kit import HTML, PASSWORDS, csrf_in, login
from tests.review.training.kit import Trained

STAFF = {"rita": Role.REVIEWER, "tom": Role.TRAINER, "ada": Role.ADMIN}


def _copy(trained: Trained, base: Path) -> tuple[TrainingPaths, Path]:
    """The run's log database and model folders, copied under ``base``."""
    source = Path(trained.db_url.removeprefix("sqlite:///"))
    db_file = base / "log.db"
    shutil.copyfile(source, db_file)
    models, candidates = base / "models", base / "models" / "candidates"
    candidates.mkdir(parents=True)
    for served in trained.paths.models.glob("*.tar.gz"):
        if served.name != trained.job.candidate:
            shutil.copy2(served, models)
    name = trained.job.candidate
    assert name is not None
    found = [trained.paths.candidates / name, trained.paths.models / name]
    shutil.copy2(next(p for p in found if p.exists()), candidates / name)
    paths = dataclasses.replace(trained.paths, models=models, candidates=candidates)
    return paths, db_file


@pytest.fixture
async def console(
    trained: Trained, tmp_path: Path, aiohttp_client: Any
) -> AsyncIterator[tuple[TestClient, LogDatabase, TrainingPaths]]:
    paths, db_file = _copy(trained, tmp_path)
    db = LogDatabase(f"sqlite:///{db_file}")
    async with db.write() as session:
        for name, role in STAFF.items():
            await add_user(
                session,
                actor="test",
                username=name,
                password=PASSWORDS[name],
                role=role,
            )
    settings = load_settings(
        {
            "VAR_DIR": str(tmp_path / "var"),
            "CONVERSATION_LOG_URL": f"sqlite:///{db_file}",
            "CONSOLE_ADMIN_USER": "chief",
            "CONSOLE_ADMIN_PASSWORD": PASSWORDS["chief"],
            "RASA_URLS": "http://127.0.0.1:9",
        }
    )
    app = create_app(settings)
    app[PATHS] = paths
    client = await aiohttp_client(app)
    yield client, db, paths
    await db.dispose()


async def _audit(db: LogDatabase, action: str) -> list[AuditEntry]:
    async with db.read() as session:
        return list(
            await session.scalars(select(AuditEntry).where(AuditEntry.action == action))
        )


async def test_a_trainer_sees_the_comparison_but_cannot_promote(
    console: tuple[TestClient, LogDatabase, TrainingPaths], trained: Trained
) -> None:
    client, _db, _paths = console
    token = await login(client, "tom")
    page = await client.get("/training", headers=HTML)
    html = await page.text()
    assert page.status == 200
    assert trained.job.gate is not None and trained.job.gate.passed
    assert 'data-testid="gate-passed"' in html
    assert f'data-intent="{trained.job.gate.intents[0].intent}"' in html
    assert 'data-testid="promote-needs-admin"' in html
    assert 'data-testid="promote-form"' not in html
    assert 'data-testid="rollback-form"' not in html
    refused = await client.post(
        "/training/promote",
        data={"csrf_token": token, "model": trained.job.candidate},
        headers=HTML,
    )
    assert refused.status == 403


async def test_a_reviewer_has_no_training_page(
    console: tuple[TestClient, LogDatabase, TrainingPaths],
) -> None:
    client, _db, _paths = console
    await login(client, "rita")
    assert (await client.get("/training", headers=HTML)).status == 403
    assert (await client.get("/training/jobs/1")).status == 403


async def test_a_failed_promotion_is_reported_and_changes_nothing(
    console: tuple[TestClient, LogDatabase, TrainingPaths], trained: Trained
) -> None:
    client, db, paths = console
    token = await login(client, "ada")
    html = await (await client.get("/training", headers=HTML)).text()
    assert 'data-testid="promote-form"' in html
    served_before = sorted(p.name for p in paths.models.glob("*.tar.gz"))
    forged = await client.post(
        "/training/promote", data={"model": trained.job.candidate}
    )
    assert forged.status == 403
    done = await client.post(
        "/training/promote",
        data={"csrf_token": token, "model": trained.job.candidate, "reason": "测试"},
        headers=HTML,
    )
    text = await done.text()
    assert done.status == 502 and 'data-testid="training-error"' in text
    assert "127.0.0.1:9" in text  # which instance failed
    assert sorted(p.name for p in paths.models.glob("*.tar.gz")) == served_before
    assert (paths.candidates / str(trained.job.candidate)).exists()
    [entry] = await _audit(db, "model.promoted")
    assert (entry.actor, entry.target, entry.reason) == (
        "ada",
        trained.job.candidate,
        "测试",
    )
    missing = await client.post(
        "/training/promote",
        data={"csrf_token": csrf_in(text), "model": "no-such-model.tar.gz"},
        headers=HTML,
    )
    assert missing.status == 404


async def test_a_running_job_shows_progress_and_blocks_a_second_start(
    console: tuple[TestClient, LogDatabase, TrainingPaths],
) -> None:
    client, db, _paths = console
    async with db.write() as session:
        job = TrainingJob(
            status=JobStatus.RUNNING.value,
            stage=Stage.TRAINING_NLU.value,
            requested_by="tom",
            reason=None,
            owner=_owner(),  # alive: the console must not fail it at start
            started_at=dt.datetime.now(dt.timezone.utc),
            stage_seconds="{}",
            log_tail="",
        )
        session.add(job)
    token = await login(client, "tom")
    html = await (await client.get("/training", headers=HTML)).text()
    assert 'data-status="running"' in html and "训练语义理解（NLU）" in html
    assert 'data-testid="train-form"' not in html
    status = await client.get(f"/training/jobs/{job.id}")
    assert (await status.json())["stage_text"] == "训练语义理解（NLU）"
    assert (await client.get("/training/jobs/999999")).status == 404
    second = await client.post(
        "/training/jobs", data={"csrf_token": token}, headers=HTML
    )
    assert second.status == 409
    assert f"已有训练任务正在进行（任务 #{job.id}）" in await second.text()
    assert await _audit(db, "training.started") == []
