"""The production-shaped stack the fault tests break: Redis, sandbox, actions, Rasa, gateway.

Rasa keeps trackers and its lock in a real ``redis-server`` (started here, no
persistence, on a fixed port so it can be restarted), the gateway keeps its
dedupe and state there too, and citizens talk through the gateway's web chat
API — the channel a citizen actually sees.
"""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis

from bot.launcher import endpoints_file, rasa_env
from bot.settings import load_settings
from tests.e2e.conftest import Admin
from tests.e2e.stack import APP_PYTHON, Process, Stack, free_port, http, start

LEASE_S = 10
"""How long a conversation lock outlives a killed Rasa instance (TICKET_LOCK_LIFETIME)."""


@dataclass
class RedisServer:
    """A redis-server on a fixed port that can be restarted (losing everything)."""

    port: int
    log: Path
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed"
        self.popen = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        client = redis.Redis(port=self.port)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.1)

    def stop(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait(10)

    def restart(self) -> None:
        self.stop()
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


@dataclass
class Chat:
    """One web chat conversation through the gateway."""

    gateway: str
    conversation: str = field(default_factory=lambda: str(uuid.uuid4()))

    def say(self, text: str, message_id: str | None = None) -> tuple[str, str]:
        """(outcome, all reply texts) of one message."""
        body = {
            "conversation_id": self.conversation,
            "message_id": message_id or str(uuid.uuid4()),
            "text": text,
        }
        status, answer = http("POST", f"{self.gateway}/web/api/messages", body)
        assert status in (200, 503), (status, answer)
        assert isinstance(answer, dict), answer
        texts = "\n".join(str(r.get("text") or "") for r in answer["replies"])
        return str(answer["status"]), texts


@dataclass
class World:
    """Everything running, and how to break it."""

    stack: Stack
    gateway: Process
    redis: RedisServer
    admin: Admin
    work: Path

    def chat(self) -> Chat:
        return Chat(self.gateway.url)

    def restart_actions(self, down_s: float = 0.0) -> None:
        """Kill the action server; start it again after ``down_s``."""
        self.stack.actions.stop()
        time.sleep(down_s)
        port = self.stack.env["ACTION_SERVER_PORT"]
        self.stack.actions = start(
            "actions-restarted",
            [str(APP_PYTHON), "-m", "actions"],
            self.stack.env,
            f"http://127.0.0.1:{port}",
            "/health",
            self.work,
        )
        self.stack.processes.append(self.stack.actions)

    def faults(self, **config: Any) -> None:
        status, body = self.admin.call("PUT", "/sandbox/v1/faults", config)
        assert status == 200, body


def redis_vars(url: str) -> tuple[dict[str, str], Path]:
    """What the launcher gives Rasa for ``REDIS_URL`` (variables, endpoints file)."""
    settings = load_settings({"REDIS_URL": url, "REDIS_PREFIX": "govbotfaults:"})
    env = {k: v for k, v in rasa_env(settings, {}).items() if k.startswith("REDIS_")}
    return env, endpoints_file(settings)


def free_redis_port() -> int:
    return free_port()
