"""End-to-end fixtures: one real stack per run, a fresh sandbox world per test."""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from yarl import URL

from sandbox.auth import sign_request
from tests.e2e.stack import TOKEN, Stack, http, start_stack

APP_KEY, APP_SECRET = "govbot-sandbox", "sandbox-secret"


class Admin:
    """Signed calls to the sandbox's administration and service routes."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        target = URL(path).raw_path_qs if "%" not in path else path
        raw = b"" if body is None else json.dumps(body, ensure_ascii=False).encode()
        headers = sign_request(
            method, target, raw, APP_KEY, APP_SECRET, int(time.time()), uuid.uuid4().hex
        )
        return http(method, self.base_url + target, body, headers)

    def get(self, path: str) -> Any:
        status, body = self.call("GET", path)
        assert status == 200, (path, status, body)
        return body

    def reset(self) -> None:
        status, body = self.call("POST", "/sandbox/v1/reset")
        assert status == 200, body
        status, body = self.call(
            "PUT",
            "/sandbox/v1/faults",
            {"mode": "normal", "latency_ms": 0, "error_rate": 0},
        )
        assert status == 200, body


class Citizen:
    """One conversation through Rasa's REST channel."""

    # Every conversation of the test run, for exporting them as stories.
    started: ClassVar[list[Citizen]] = []

    def __init__(self, rasa_url: str) -> None:
        self.rasa_url = rasa_url
        self.url = f"{rasa_url}/webhooks/rest/webhook"
        self.sender = f"e2e-{uuid.uuid4().hex[:12]}"
        self.turns = 0
        Citizen.started.append(self)

    def story(self) -> str:
        """The conversation as Rasa writes it (``GET /conversations/…/story``)."""
        status, body = http(
            "GET", f"{self.rasa_url}/conversations/{self.sender}/story?token={TOKEN}"
        )
        assert status == 200, body
        return str(body)

    def say(self, text: str) -> list[dict[str, Any]]:
        """Send one message; the bot's messages come back."""
        self.turns += 1
        status, body = http("POST", self.url, {"sender": self.sender, "message": text})
        assert status == 200, body
        assert isinstance(body, list), body
        return body

    @staticmethod
    def text(replies: list[dict[str, Any]]) -> str:
        """All reply texts joined."""
        return "\n".join(str(r.get("text", "")) for r in replies)

    @staticmethod
    def buttons(replies: list[dict[str, Any]]) -> list[dict[str, str]]:
        """Every button of the replies."""
        return [b for r in replies for b in r.get("buttons") or []]


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = start_stack(Path(tmp_path_factory.mktemp("stack")))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def admin(stack: Stack) -> Admin:
    client = Admin(stack.sandbox.url)
    client.reset()
    return client


@pytest.fixture
def citizen(
    stack: Stack, admin: Admin, request: pytest.FixtureRequest
) -> Iterator[Citizen]:
    Citizen.started.clear()
    yield Citizen(stack.rasa.url)
    # GOVBOT_EXPORT_STORIES=dir writes each conversation as a Rasa story, the
    # raw material of tests/stories (reviewed by hand before it is committed).
    target = os.environ.get("GOVBOT_EXPORT_STORIES")
    if target:
        for n, talker in enumerate(Citizen.started):
            if talker.turns:
                name = f"{request.node.name}_{n}.yml".replace("/", "_")
                (Path(target) / name).write_text(talker.story(), encoding="utf-8")
