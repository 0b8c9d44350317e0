"""With Redis stores, a conversation in the middle of a form survives promotion.

Rasa's ``PUT /model`` builds a new agent with new stores from the endpoints:
the embedded in-memory tracker store starts empty (every open conversation
starts over), while Redis keeps the trackers. So a deployment that promotes
models while citizens talk runs Rasa on Redis; this test checks that case on
two real instances.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from bot.launcher import endpoints_file, rasa_env
from bot.settings import load_settings
from review.logdb.database import LogDatabase
from review.training import archive
from review.training.promotion import ChangeResult
from review.training.service import TrainingService
from tests.e2e.stack import TOKEN, Stack, free_port, http, start_stack
from tests.review.training.kit import NEW_INTENT, NEW_TEXT, Trained

pytestmark = [pytest.mark.e2e, pytest.mark.redis]


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A throwaway redis-server (no persistence)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    log = tmp_path_factory.mktemp("redis") / "redis.log"
    argv = [binary, "--port", str(port), "--bind", "127.0.0.1"]
    server = subprocess.Popen(
        [*argv, "--save", "", "--appendonly", "no"],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    client = redis.Redis(host="127.0.0.1", port=port)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/3"
    finally:
        client.close()
        server.terminate()
        server.wait(10)


@pytest.fixture(scope="module")
def stack(
    trained: Trained, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """Two Rasa instances on one Redis, as the launcher configures them."""
    settings = load_settings({"REDIS_URL": redis_url, "REDIS_PREFIX": "promo:"})
    env = {k: v for k, v in rasa_env(settings, {}).items() if k.startswith("REDIS_")}
    running = start_stack(
        Path(tmp_path_factory.mktemp("redis-stack")), env, endpoints_file(settings)
    )
    try:
        running.start_rasa("rasa2")
        yield running
    finally:
        running.stop()


def urls(stack: Stack) -> tuple[str, ...]:
    return tuple(p.url for p in stack.processes if p.name.startswith("rasa"))


@pytest.fixture
async def service(trained: Trained, stack: Stack) -> AsyncIterator[TrainingService]:
    db = LogDatabase(trained.db_url)
    settings = load_settings({"RASA_API_TOKEN": TOKEN})
    built = TrainingService.create(settings, db, trained.paths, rasa_urls=urls(stack))
    yield built
    await built.close()
    await db.dispose()


def tracker(url: str, sender: str) -> dict[str, Any]:
    code, body = http("GET", f"{url}/conversations/{sender}/tracker?token={TOKEN}")
    assert code == 200, body
    return dict(body)


async def _serve_candidate(trained: Trained, service: TrainingService) -> ChangeResult:
    """Promote the session's candidate, or (promoted earlier) switch back to it."""
    name = trained.job.candidate
    assert name is not None
    if (trained.paths.candidates / name).exists():
        return await service.models.promote(name, "trainer1", "redis test")
    return await service.models.rollback(name, "trainer1", "redis test")


async def test_an_open_form_continues_after_promotion(
    trained: Trained, stack: Stack, service: TrainingService
) -> None:
    first, second = urls(stack)
    sender = "promo-redis-citizen"
    code, body = http(
        "POST",
        f"{first}/webhooks/rest/webhook",
        {"sender": sender, "message": "我要预约科目二"},
    )
    assert code == 200 and body, body
    assert tracker(first, sender)["active_loop"]["name"] == "exam_booking_form"
    result = await _serve_candidate(trained, service)
    assert result.ok, result.message
    expected = archive.model_id(trained.paths.models / str(trained.job.candidate))
    for url in (first, second):
        code, status = http("GET", f"{url}/status?token={TOKEN}")
        assert status["model_id"] == expected
        state = tracker(url, sender)
        assert state["active_loop"]["name"] == "exam_booking_form"
        texts = [e.get("text") for e in state["events"] if e["event"] == "user"]
        assert texts == ["我要预约科目二"]
        code, parsed = http(
            "POST", f"{url}/model/parse?token={TOKEN}", {"text": NEW_TEXT}
        )
        assert parsed["intent"]["name"] == NEW_INTENT
