"""Shared by the training tests: the project copy and the one training run.

The copy holds the training data plus one reviewed example (what staff
annotate), a ``models/`` folder with the served model and an empty
``candidates/``; the real ``data/`` and ``models/`` are never written.
"""

from __future__ import annotations

import asyncio
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from bot.settings import ROOT, load_settings
from review.logdb.database import LogDatabase
from review.training.errors import AlreadyRunning
from review.training.jobs import JobView
from review.training.models import Stage
from review.training.paths import TrainingPaths
from review.training.service import TrainingService
from tests.e2e.stack import newest_model

CONFIG = ROOT / "config.yml"
# Said by a citizen, understood as out_of_scope by the served model; a
# reviewer labels it (one example) and the candidate learns it.
NEW_TEXT = "老司机的本还能开不"
NEW_INTENT = "query_license_points"
# Provenance unique to the session, so Rasa retrains the NLU pipeline rather
# than restoring it from its cache (what a real new annotation does).
REVIEWED = f"""version: "3.1"
nlu:
- intent: {NEW_INTENT}
  examples:
  - text: {NEW_TEXT}
    metadata:
      annotation: test-{uuid.uuid4().hex}
"""


@dataclass
class Trained:
    """What the session's one training run left behind."""

    paths: TrainingPaths
    db_url: str
    job: JobView
    refused_second: AlreadyRunning | None
    stages_seen: list[Stage] = field(default_factory=list)


def project_copy(base: Path) -> TrainingPaths:
    """Data and the served model copied under ``base``; config and split shared."""
    data = base / "data"
    kinds = [k for k in ("nlu", "rules", "stories") if (ROOT / "data" / k).is_dir()]
    for kind in kinds:
        shutil.copytree(ROOT / "data" / kind, data / kind)
    reviewed = data / "nlu" / "reviewed"
    reviewed.mkdir(exist_ok=True)
    (reviewed / "test_example.yml").write_text(REVIEWED, "utf-8")
    models = base / "models"
    models.mkdir()
    shutil.copy2(newest_model(), models)
    return TrainingPaths(
        config=CONFIG,
        models=models,
        candidates=models / "candidates",
        data=tuple(data / kind for kind in kinds),
    )


async def train(paths: TrainingPaths, db_url: str) -> Trained:
    db = LogDatabase(db_url)
    await db.migrate()
    service = TrainingService.create(load_settings({}), db, paths, rasa_urls=())
    try:
        job = await service.jobs.start("trainer1", "one reviewed example")
        refused = None
        try:
            await service.jobs.start("trainer2")
        except AlreadyRunning as exc:
            refused = exc
        seen: list[Stage] = []
        while (view := await service.jobs.get(job.id)) and view.status == "running":
            if not seen or seen[-1] != view.stage:
                seen.append(view.stage)
            await asyncio.sleep(0.2)
        final = await service.jobs.wait(job.id)
        return Trained(paths, db_url, final, refused, seen)
    finally:
        await service.close()
        await db.dispose()
