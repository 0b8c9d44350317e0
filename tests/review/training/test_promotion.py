"""Promotion and rollback on two real Rasa servers, under continuous traffic.

One stack (sandbox, action server, Rasa) plus a second Rasa instance; the
candidate is the session's one training run. The served folder is the
project copy's, never the real ``models/``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gzip
import json
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.settings import load_settings
from review.logdb.database import LogDatabase
from review.training import archive
from review.training.errors import GateRefused, ModelCorrupt
from review.training.evaluation import holdout_fingerprint
from review.training.models import ModelEvaluation
from review.training.service import TrainingService
from tests.e2e.stack import TOKEN, Stack, free_port, http, start_stack
from tests.review.training.kit import NEW_INTENT, NEW_TEXT, Trained

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack(
    trained: Trained, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """Two Rasa instances running the project copy's served model."""
    work = tmp_path_factory.mktemp("promotion-stack")
    running = start_stack(work)
    try:
        running.start_rasa("rasa2")
        live = archive.newest(trained.paths.models)
        assert live is not None
        for url in urls(running):
            status, body = http(
                "PUT", f"{url}/model?token={TOKEN}", {"model_file": str(live)}
            )
            assert status == 204, body
        yield running
    finally:
        running.stop()


def urls(stack: Stack) -> tuple[str, ...]:
    """Both Rasa instances."""
    return tuple(p.url for p in stack.processes if p.name.startswith("rasa"))


@pytest.fixture
async def service(trained: Trained, stack: Stack) -> AsyncIterator[TrainingService]:
    """The service on the training run's database (its evaluations cached)."""
    db = LogDatabase(trained.db_url)
    settings = load_settings({"RASA_API_TOKEN": TOKEN})
    built = TrainingService.create(settings, db, trained.paths, rasa_urls=urls(stack))
    yield built
    await built.close()
    await db.dispose()


def status(url: str) -> dict[str, Any]:
    code, body = http("GET", f"{url}/status?token={TOKEN}")
    assert code == 200, body
    return dict(body)


def intent_of(url: str, text: str) -> str:
    code, body = http("POST", f"{url}/model/parse?token={TOKEN}", {"text": text})
    assert code == 200, body
    return str(body["intent"]["name"])


def served(trained: Trained) -> list[str]:
    return sorted(p.name for p in trained.paths.models.glob("*.tar.gz"))


async def test_a_corrupt_candidate_is_refused(
    trained: Trained, stack: Stack, service: TrainingService
) -> None:
    assert trained.job.candidate is not None
    good = trained.paths.candidates / trained.job.candidate
    broken = trained.paths.candidates / "20991231-000000-truncated.tar.gz"
    broken.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    before = [status(u)["model_id"] for u in urls(stack)]
    served_before = served(trained)
    try:
        with pytest.raises(ModelCorrupt, match="已损坏"):
            await service.models.promote(broken.name, "trainer1", "test")
        with pytest.raises(ModelCorrupt, match="已损坏"):
            await service.models.compare(broken.name)
    finally:
        broken.unlink()
    assert [status(u)["model_id"] for u in urls(stack)] == before
    assert served(trained) == served_before


async def test_a_worse_candidate_is_refused_with_its_reasons(
    trained: Trained, stack: Stack, service: TrainingService
) -> None:
    live = archive.newest(trained.paths.models)
    assert live is not None
    # A valid model with other bytes (recompressed), scored worse on one intent.
    worse = trained.paths.candidates / "20991231-000001-worse.tar.gz"
    worse.write_bytes(gzip.compress(gzip.decompress(live.read_bytes()), mtime=1))
    report = await service.models._evaluations.report(live)
    bad = json.loads(json.dumps(report))
    bad["model"] = worse.name
    bad["intents"]["per_intent"]["greet"]["f1"] -= 0.2
    db = LogDatabase(trained.db_url)
    async with db.write() as session:
        session.add(
            ModelEvaluation(
                model_sha256=archive.sha256(worse),
                holdout_sha256=holdout_fingerprint(trained.paths),
                model=worse.name,
                evaluated_at=dt.datetime.now(dt.timezone.utc),
                report=json.dumps(bad),
            )
        )
    await db.dispose()
    before = [status(u)["model_id"] for u in urls(stack)]
    try:
        with pytest.raises(GateRefused) as refused:
            await service.models.promote(worse.name, "trainer1", "should fail")
        assert any("意图 greet 的 F1 下降 0.200" in r for r in refused.value.reasons)
        assert worse.exists() and not (trained.paths.models / worse.name).exists()
    finally:
        worse.unlink()
    assert [status(u)["model_id"] for u in urls(stack)] == before
    history = await service.models.history()
    assert history[0].model == worse.name and not history[0].ok
    assert history[0].actor == "trainer1" and history[0].reason == "should fail"


@pytest.fixture
async def refusing_rasa(stack: Stack) -> AsyncIterator[str]:
    """A Rasa stand-in that reports a model but refuses to load another."""
    first = urls(stack)[0]

    async def get_status(_request: web.Request) -> web.Response:
        return web.json_response(status(first))

    async def put_model(_request: web.Request) -> web.Response:
        return web.json_response(
            {"message": "An unexpected error occurred. Error: disk full"}, status=500
        )

    app = web.Application()
    app.router.add_get("/status", get_status)
    app.router.add_put("/model", put_model)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_when_one_instance_fails_the_others_get_their_model_back(
    trained: Trained, stack: Stack, refusing_rasa: str
) -> None:
    assert trained.job.candidate is not None
    first = urls(stack)[0]
    before = status(first)
    db = LogDatabase(trained.db_url)
    settings = load_settings({"RASA_API_TOKEN": TOKEN})
    service = TrainingService.create(
        settings, db, trained.paths, rasa_urls=(first, refusing_rasa)
    )
    try:
        result = await service.models.promote(trained.job.candidate, "trainer1", "t")
    finally:
        await service.close()
        await db.dispose()
    assert not result.ok
    assert "disk full" in result.message and "已恢复" in result.message
    assert result.instances[0].switched and result.instances[0].reverted
    assert result.instances[1].error
    assert status(first)["model_id"] == before["model_id"]
    # The folder is as before: the candidate is back among the candidates.
    assert (trained.paths.candidates / trained.job.candidate).is_file()
    assert not (trained.paths.models / trained.job.candidate).exists()


class Traffic:
    """Citizens talking to every instance while the model changes."""

    def __init__(self, targets: tuple[str, ...]) -> None:
        self.targets = targets
        self.sent = 0
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._talk, args=(url,), daemon=True)
            for url in targets
            for _ in range(2)
        ]

    def _talk(self, url: str) -> None:
        sender = f"traffic-{uuid.uuid4().hex[:10]}"
        while not self._stop.is_set():
            self.sent += 1
            code, body = http(
                "POST",
                f"{url}/webhooks/rest/webhook",
                {"sender": sender, "message": "你好"},
            )
            if code != 200 or not isinstance(body, list) or not body:
                self.failures.append(f"{url}: {code} {body!r}")

    def __enter__(self) -> Traffic:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(60)


async def test_promotion_reaches_every_instance_and_drops_no_message(
    trained: Trained, stack: Stack, service: TrainingService
) -> None:
    candidate = trained.job.candidate
    assert candidate is not None
    targets = urls(stack)
    assert all(intent_of(u, NEW_TEXT) != NEW_INTENT for u in targets)
    expected = archive.model_id(trained.paths.candidates / candidate)
    with Traffic(targets) as traffic:
        await asyncio.sleep(1)
        result = await service.models.promote(candidate, "trainer1", "reviewed")
        await asyncio.sleep(1)
    assert result.ok, result.message
    assert traffic.sent > 20 and traffic.failures == []
    for url in targets:
        assert status(url)["model_id"] == expected
        assert intent_of(url, NEW_TEXT) == NEW_INTENT
    # Restarts serve it too: it is the newest archive of the served folder.
    newest = archive.newest(trained.paths.models)
    assert newest is not None and newest.name == candidate
    assert not (trained.paths.candidates / candidate).exists()
    change = (await service.models.history())[0]
    assert (change.action, change.model, change.ok) == ("promote", candidate, True)
    assert change.actor == "trainer1" and change.previous


async def test_rollback_serves_the_earlier_model_everywhere(
    trained: Trained, stack: Stack, service: TrainingService
) -> None:
    entries = await service.models.list_models()
    live = [e for e in entries if e.live]
    assert len(live) == 1 and live[0].name == trained.job.candidate
    earlier = next(e.name for e in entries if e.kind == "served" and not e.live)
    expected = archive.model_id(trained.paths.models / earlier)
    with Traffic(urls(stack)) as traffic:
        result = await service.models.rollback(earlier, "admin", "regression seen")
    assert result.ok, result.message
    assert traffic.failures == []
    for url in urls(stack):
        assert status(url)["model_id"] == expected
        assert intent_of(url, NEW_TEXT) != NEW_INTENT
    newest = archive.newest(trained.paths.models)
    assert newest is not None and newest.name == earlier
    change = (await service.models.history())[0]
    assert (change.action, change.model, change.actor) == ("rollback", earlier, "admin")


def test_nothing_was_written_to_the_real_models(trained: Trained) -> None:
    real = Path(__file__).resolve().parents[3] / "models"
    assert trained.paths.models != real
    assert trained.job.candidate is not None
    assert not list(real.glob(f"**/{trained.job.candidate}"))
