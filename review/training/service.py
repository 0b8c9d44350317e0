"""One object the console and the CLI use: jobs plus model management."""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp

from bot.settings import Settings
from review.logdb.database import LogDatabase
from review.training.evaluation import Evaluations
from review.training.jobs import TrainingJobs
from review.training.paths import TrainingPaths
from review.training.promotion import ModelManager
from review.training.rasa_api import RasaApi


@dataclass
class TrainingService:
    """Retraining jobs (``jobs``) and served models (``models``).

    Build it with ``create``, call ``recover()`` once at start (fails jobs of
    a dead process) and ``close()`` at shutdown (a console ``cleanup_ctx``).
    """

    jobs: TrainingJobs
    models: ModelManager
    session: aiohttp.ClientSession

    @classmethod
    def create(
        cls,
        settings: Settings,
        db: LogDatabase,
        paths: TrainingPaths | None = None,
        rasa_urls: tuple[str, ...] | None = None,
    ) -> TrainingService:
        """From settings (``rasa_urls``, token, gate margin); paths for tests."""
        paths = paths or TrainingPaths.from_settings(settings)
        session = aiohttp.ClientSession()
        rasa = RasaApi(session, settings.rasa_api_token)
        evaluations = Evaluations(db, paths)
        margin = settings.console.max_intent_f1_drop
        models = ModelManager(
            db,
            paths,
            rasa,
            rasa_urls or settings.console.rasa_urls,
            evaluations,
            margin,
        )
        jobs = TrainingJobs(db, paths, evaluations, models.live_model, margin)
        return cls(jobs, models, session)

    async def recover(self) -> list[int]:
        """Fail the jobs a dead process left running."""
        return await self.jobs.recover()

    async def close(self) -> None:
        """Cancel running jobs and close the HTTP session."""
        await self.jobs.close()
        await self.session.close()
