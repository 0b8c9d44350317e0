"""The background retraining job: one at a time, progress stored durably."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from review.logdb.database import LogDatabase
from review.training import engine
from review.training.errors import AlreadyRunning, EngineFailed, TrainingError
from review.training.evaluation import Evaluations
from review.training.gate import GateResult
from review.training.models import JobStatus, Stage, TrainingJob
from review.training.paths import TrainingPaths

log = structlog.get_logger(__name__)
LiveModel = Callable[[], Awaitable[Path | None]]


@dataclass(frozen=True)
class JobView:
    """A training job as the console and CLI show it."""

    id: int
    status: JobStatus
    stage: Stage
    requested_by: str
    reason: str | None
    started_at: dt.datetime
    finished_at: dt.datetime | None
    stage_seconds: dict[str, float]
    candidate: str | None
    gate: GateResult | None
    error: str | None
    log_tail: str

    @classmethod
    def of(cls, row: TrainingJob) -> JobView:
        """From a table row."""
        return cls(
            id=row.id,
            status=JobStatus(row.status),
            stage=Stage(row.stage),
            requested_by=row.requested_by,
            reason=row.reason,
            started_at=row.started_at,
            finished_at=row.finished_at,
            stage_seconds=json.loads(row.stage_seconds or "{}"),
            candidate=row.candidate,
            gate=GateResult.from_json(json.loads(row.comparison))
            if row.comparison
            else None,
            error=row.error,
            log_tail=row.log_tail,
        )

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "id": self.id,
            "status": self.status.value,
            "stage": self.stage.value,
            "requested_by": self.requested_by,
            "reason": self.reason,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "stage_seconds": self.stage_seconds,
            "candidate": self.candidate,
            "gate": self.gate.to_json() if self.gate else None,
            "error": self.error,
            "log_tail": self.log_tail,
        }


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _owner_is_dead(owner: str) -> bool:
    """Whether the process that owns a job is gone (only knowable on this host)."""
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return True  # this process has just started: it runs no job yet
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class TrainingJobs:
    """Starts, runs and reports retraining jobs."""

    def __init__(
        self,
        db: LogDatabase,
        paths: TrainingPaths,
        evaluations: Evaluations,
        live_model: LiveModel,
        max_intent_f1_drop: float,
        train_timeout_s: float = 1800,
    ) -> None:
        """``live_model`` names what candidates are compared with."""
        self._db = db
        self._paths = paths
        self._evaluations = evaluations
        self._live_model = live_model
        self._margin = max_intent_f1_drop
        self._train_timeout = train_timeout_s
        self._tasks: dict[int, asyncio.Task[None]] = {}

    async def recover(self) -> list[int]:
        """Fail the jobs left ``running`` by a process that died; their ids."""
        async with self._db.write() as session:
            rows = await session.scalars(
                select(TrainingJob).where(TrainingJob.status == JobStatus.RUNNING.value)
            )
            failed = []
            for row in rows:
                if row.id in self._tasks or not _owner_is_dead(row.owner):
                    continue
                row.status = JobStatus.FAILED.value
                row.stage = Stage.FAILED.value
                row.finished_at = _now()
                row.error = "训练进程已终止（控制台重启或崩溃），任务未完成。"
                failed.append(row.id)
        for job_id in failed:
            log.warning("training.job.abandoned", job=job_id)
        return failed

    async def start(self, requested_by: str, reason: str | None = None) -> JobView:
        """Start a job in the background.

        Raises:
            AlreadyRunning: Another job (of any process) is running.
        """
        row = TrainingJob(
            status=JobStatus.RUNNING.value,
            stage=Stage.PREPARING.value,
            requested_by=requested_by,
            reason=reason,
            owner=_owner(),
            started_at=_now(),
            stage_seconds="{}",
            log_tail="",
        )
        try:
            async with self._db.write() as session:
                running = await session.scalar(
                    select(TrainingJob.id).where(
                        TrainingJob.status == JobStatus.RUNNING.value
                    )
                )
                if running is not None:
                    raise AlreadyRunning(running)
                session.add(row)
        except IntegrityError as exc:
            # The unique index caught a start racing ours in another process.
            running = await self._running_id()
            raise AlreadyRunning(running or 0) from exc
        view = JobView.of(row)
        task = asyncio.create_task(self._run(row.id), name=f"training-job-{row.id}")
        self._tasks[row.id] = task
        task.add_done_callback(lambda _t: self._tasks.pop(row.id, None))
        log.info("training.job.started", job=row.id, by=requested_by)
        return view

    async def wait(self, job_id: int) -> JobView:
        """Wait until a job of this process ends; its final state."""
        task = self._tasks.get(job_id)
        if task is not None:
            await asyncio.shield(task)
        view = await self.get(job_id)
        assert view is not None
        return view

    async def get(self, job_id: int) -> JobView | None:
        """One job."""
        async with self._db.read() as session:
            row = await session.get(TrainingJob, job_id)
            return JobView.of(row) if row else None

    async def recent(self, limit: int = 20) -> list[JobView]:
        """The latest jobs, newest first."""
        async with self._db.read() as session:
            rows = await session.scalars(
                select(TrainingJob).order_by(TrainingJob.id.desc()).limit(limit)
            )
            return [JobView.of(r) for r in rows]

    async def close(self) -> None:
        """Cancel running jobs (marked failed) and wait for them."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _running_id(self) -> int | None:
        async with self._db.read() as session:
            return await session.scalar(
                select(TrainingJob.id).where(
                    TrainingJob.status == JobStatus.RUNNING.value
                )
            )

    async def _run(self, job_id: int) -> None:
        tail = engine.LogTail()
        timings: dict[str, float] = {}
        stage_now, since = Stage.PREPARING, time.monotonic()

        async def on_stage(stage: Stage) -> None:
            nonlocal stage_now, since
            spent = timings.get(stage_now.value, 0.0) + time.monotonic() - since
            timings[stage_now.value] = round(spent, 2)
            stage_now, since = stage, time.monotonic()
            await self._update(
                job_id,
                stage=stage.value,
                stage_seconds=json.dumps(timings),
                log_tail=tail.text(),
            )

        try:
            self._check_paths()
            candidate = await engine.train(
                self._paths, on_stage, tail, self._train_timeout
            )
            await self._update(job_id, candidate=candidate.name)
            await on_stage(Stage.EVALUATING)
            live = await self._live_model()
            gate = (
                None
                if live is None
                else await self._evaluations.gate(candidate, live, self._margin)
            )
            await on_stage(Stage.DONE)
            await self._update(
                job_id,
                status=JobStatus.DONE.value,
                finished_at=_now(),
                gate_passed=True if gate is None else gate.passed,
                comparison=json.dumps(gate.to_json(), ensure_ascii=False)
                if gate
                else None,
            )
            log.info("training.job.done", job=job_id, candidate=candidate.name)
        except asyncio.CancelledError:
            await self._fail(job_id, "训练已取消（控制台停止）。", tail, on_stage)
            raise
        except TrainingError as exc:
            if isinstance(exc, EngineFailed) and exc.log_tail != tail.text():
                for line in exc.log_tail.splitlines():
                    tail.add(line)
            await self._fail(job_id, str(exc), tail, on_stage)
        except Exception as exc:  # the job's edge: staff must see it failed
            log.exception("training.job.crashed", job=job_id)
            await self._fail(job_id, f"内部错误：{type(exc).__name__}", tail, on_stage)

    def _check_paths(self) -> None:
        p = self._paths
        for path, what in (
            (p.engine_python, "Rasa 引擎环境（.venv）"),
            (p.config, "配置文件 config.yml"),
            (p.domain, "domain 目录"),
        ):
            if not path.exists():
                raise TrainingError(f"找不到{what}：{path}")

    async def _fail(
        self,
        job_id: int,
        message: str,
        tail: engine.LogTail,
        on_stage: Callable[[Stage], Awaitable[None]],
    ) -> None:
        await asyncio.shield(on_stage(Stage.FAILED))
        await asyncio.shield(
            self._update(
                job_id,
                status=JobStatus.FAILED.value,
                finished_at=_now(),
                error=message,
                log_tail=tail.text(),
            )
        )
        log.warning("training.job.failed", job=job_id, error=message)

    async def _update(self, job_id: int, **values: Any) -> None:
        async with self._db.write() as session:
            await session.execute(
                update(TrainingJob).where(TrainingJob.id == job_id).values(**values)
            )
