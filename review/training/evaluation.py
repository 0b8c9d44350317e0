"""Held-out evaluations, cached per model file content, and the gate on top."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from review.logdb.database import LogDatabase
from review.training import archive, engine
from review.training.gate import GateResult, compare
from review.training.models import ModelEvaluation
from review.training.paths import TrainingPaths


def holdout_fingerprint(paths: TrainingPaths) -> str:
    """SHA-256 over the split's files, so a changed split is scored anew."""
    digest = hashlib.sha256()
    files = sorted(paths.holdout.glob("*.yml"))
    if paths.out_of_scope.is_file():
        files.append(paths.out_of_scope)
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


class Evaluations:
    """Scores models on the frozen split; each file is evaluated once."""

    def __init__(self, db: LogDatabase, paths: TrainingPaths) -> None:
        """Stores reports in ``model_evaluations`` of the log database."""
        self._db = db
        self._paths = paths
        # Two requests for the same new model wait for one evaluation.
        self._lock = asyncio.Lock()

    async def report(self, model: Path) -> dict[str, Any]:
        """The ``nlu.evaluate`` report of a model file.

        Raises:
            ModelNotFound, ModelCorrupt: The file is missing or damaged.
            EngineFailed: Rasa could not score it.
        """
        await asyncio.to_thread(archive.model_id, model)
        model_sha = await asyncio.to_thread(archive.sha256, model)
        split_sha = await asyncio.to_thread(holdout_fingerprint, self._paths)
        async with self._lock:
            cached = await self._cached(model_sha, split_sha)
            if cached is not None:
                return cached
            report = await engine.evaluate(self._paths, model)
            await self._store(model_sha, split_sha, model.name, report)
            return report

    async def gate(self, candidate: Path, live: Path, margin: float) -> GateResult:
        """Evaluates both models and applies the regression gate."""
        live_report = await self.report(live)
        candidate_report = await self.report(candidate)
        return compare(live_report, candidate_report, margin)

    async def _cached(self, model_sha: str, split_sha: str) -> dict[str, Any] | None:
        async with self._db.read() as session:
            row = await session.scalar(
                select(ModelEvaluation).where(
                    ModelEvaluation.model_sha256 == model_sha,
                    ModelEvaluation.holdout_sha256 == split_sha,
                )
            )
        if row is None:
            return None
        report: dict[str, Any] = json.loads(row.report)
        return report

    async def _store(
        self, model_sha: str, split_sha: str, name: str, report: dict[str, Any]
    ) -> None:
        try:
            async with self._db.write() as session:
                session.add(
                    ModelEvaluation(
                        model_sha256=model_sha,
                        holdout_sha256=split_sha,
                        model=name,
                        evaluated_at=dt.datetime.now(dt.timezone.utc),
                        report=json.dumps(report, ensure_ascii=False),
                    )
                )
        except IntegrityError:
            pass  # another process stored the same evaluation first
