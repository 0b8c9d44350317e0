"""The background retraining job: stages, one at a time, failures, restarts."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess

import pytest
from sqlalchemy import select

from bot.settings import load_settings
from review.logdb.database import LogDatabase
from review.training.jobs import JobView
from review.training.models import JobStatus, Stage, TrainingJob
from review.training.paths import TrainingPaths
from review.training.service import TrainingService
from tests.review.training.kit import Trained


def test_the_candidate_is_trained_beside_the_served_models(trained: Trained) -> None:
    job = trained.job
    assert job.status is JobStatus.DONE, (job.error, job.log_tail)
    assert job.stage is Stage.DONE
    assert job.candidate is not None
    assert (trained.paths.candidates / job.candidate).is_file()
    # Not served: the served folder still holds only the live model.
    assert not (trained.paths.models / job.candidate).exists()
    assert job.finished_at is not None and job.requested_by == "trainer1"


def test_progress_went_through_the_stages_with_timings(trained: Trained) -> None:
    assert trained.stages_seen[0] in (Stage.PREPARING, Stage.TRAINING_NLU)
    assert Stage.TRAINING_NLU in trained.stages_seen
    assert Stage.EVALUATING in trained.stages_seen
    timings = trained.job.stage_seconds
    # Dialogue policies are restored from Rasa's cache when only NLU changed.
    for stage in ("preparing", "training_nlu", "evaluating"):
        assert timings[stage] >= 0, timings
    assert timings["training_nlu"] > 1


def test_the_job_compared_the_candidate_with_the_live_model(trained: Trained) -> None:
    gate = trained.job.gate
    assert gate is not None
    assert gate.live == next(trained.paths.models.glob("*.tar.gz")).name
    assert gate.candidate == trained.job.candidate
    assert {d.intent for d in gate.intents} >= {"greet", "query_license_points"}


def test_a_second_start_while_one_runs_is_refused(trained: Trained) -> None:
    refused = trained.refused_second
    assert refused is not None
    assert refused.job_id == trained.job.id
    assert "已有训练任务正在进行" in str(refused)


async def _service(db: LogDatabase, paths: TrainingPaths) -> TrainingService:
    await db.migrate()
    return TrainingService.create(load_settings({}), db, paths, rasa_urls=())


async def test_a_job_of_a_dead_process_is_failed_at_start(tmp_path) -> None:
    db = LogDatabase(f"sqlite:///{tmp_path / 'log.db'}")
    service = await _service(db, TrainingPaths())
    dead = subprocess.Popen(["true"])
    dead.wait()
    async with db.write() as session:
        session.add(
            TrainingJob(
                status="running",
                stage="training_nlu",
                requested_by="trainer1",
                owner=f"{socket.gethostname()}:{dead.pid}",
                started_at=dt.datetime.now(dt.timezone.utc),
                stage_seconds="{}",
                log_tail="",
            )
        )
    try:
        assert await service.recover() == [1]
        view = await service.jobs.get(1)
        assert view is not None
        assert view.status is JobStatus.FAILED and view.stage is Stage.FAILED
        assert "训练进程已终止" in (view.error or "")
        assert await service.recover() == []
    finally:
        await service.close()
        await db.dispose()


async def test_a_job_of_a_live_process_is_left_running(tmp_path) -> None:
    db = LogDatabase(f"sqlite:///{tmp_path / 'log.db'}")
    service = await _service(db, TrainingPaths())
    async with db.write() as session:
        session.add(
            TrainingJob(
                status="running",
                stage="training_nlu",
                requested_by="trainer2",
                owner=f"{socket.gethostname()}:{os.getppid()}",
                started_at=dt.datetime.now(dt.timezone.utc),
                stage_seconds="{}",
                log_tail="",
            )
        )
    try:
        assert await service.recover() == []
        with pytest.raises(Exception, match="已有训练任务正在进行"):
            await service.jobs.start("trainer1")
    finally:
        await service.close()
        await db.dispose()


async def test_a_training_that_fails_is_reported_with_its_log(tmp_path) -> None:
    nlu = tmp_path / "data" / "nlu"
    nlu.mkdir(parents=True)
    # A broken training file, and a mobile number that must not reach the tail.
    (nlu / "broken.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: greet\n  examples: 13912340000 [unclosed\n',
        "utf-8",
    )
    models = tmp_path / "models"
    paths = TrainingPaths(models=models, candidates=models / "candidates", data=(nlu,))
    db = LogDatabase(f"sqlite:///{tmp_path / 'log.db'}")
    service = await _service(db, paths)
    try:
        job = await service.jobs.start("trainer1")
        final: JobView = await service.jobs.wait(job.id)
        assert final.status is JobStatus.FAILED
        assert final.stage is Stage.FAILED
        assert "训练失败" in (final.error or "")
        assert final.log_tail
        assert "13912340000" not in final.log_tail
        assert list(models.glob("**/*.tar.gz")) == []
        # The failed job no longer blocks a new one.
        async with db.read() as session:
            running = await session.scalar(
                select(TrainingJob.id).where(TrainingJob.status == "running")
            )
        assert running is None
    finally:
        await service.close()
        await db.dispose()


async def test_a_missing_engine_fails_the_job_clearly(tmp_path) -> None:
    paths = TrainingPaths(engine_python=tmp_path / "no-python")
    db = LogDatabase(f"sqlite:///{tmp_path / 'log.db'}")
    service = await _service(db, paths)
    try:
        job = await service.jobs.start("trainer1")
        final = await service.jobs.wait(job.id)
        assert final.status is JobStatus.FAILED
        assert "找不到Rasa 引擎环境" in (final.error or "")
    finally:
        await service.close()
        await db.dispose()
