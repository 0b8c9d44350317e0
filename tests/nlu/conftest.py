"""Fixtures for the engine-side tests: the trained model, loaded once per run."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
REDIS_PASSWORD = "engine-test-secret"


def free_port() -> int:
    """A port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, str]]:
    """A throwaway password-protected redis-server: (port, password)."""
    import redis

    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    log = tmp_path_factory.mktemp("redis") / "redis.log"
    process = subprocess.Popen(
        [
            *(binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""),
            *("--appendonly", "no", "--requirepass", REDIS_PASSWORD),
        ],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    probe = redis.Redis(port=port, password=REDIS_PASSWORD)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                probe.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.05)
        yield port, REDIS_PASSWORD
    finally:
        probe.close()
        process.terminate()
        process.wait(10)


@pytest.fixture(scope="session")
def model_path() -> str:
    """The model `make train` produced (trained here only if there is none)."""
    from nlu.train import train

    models = sorted((ROOT / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if models:
        return str(models[-1])
    path = train(ROOT / "models")
    assert path, "training failed"
    return path


@pytest.fixture(scope="session")
def agent(model_path: str) -> Any:
    """A Rasa agent with the trained model."""
    from rasa.core.agent import Agent

    return Agent.load(model_path)


@pytest.fixture(scope="session")
def parse(agent: Any) -> Callable[[str], dict[str, Any]]:
    """Parses one text with the trained model."""
    loop = asyncio.new_event_loop()

    def _parse(text: str) -> dict[str, Any]:
        return loop.run_until_complete(agent.parse_message(text))

    return _parse
