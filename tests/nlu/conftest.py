"""Fixtures for the engine-side tests: the trained model, loaded once per run."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")


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
