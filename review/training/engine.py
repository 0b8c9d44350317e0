"""Rasa training and evaluation, run as subprocesses of the engine environment.

Rasa 3.6 lives in its own Python 3.10 venv (``.venv``); this side only
starts ``python -m nlu.train`` and ``python -m nlu.evaluate`` there and reads
what they print.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import tempfile
from collections import deque
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bot.privacy import scrub
from review.training.errors import EngineFailed
from review.training.models import Stage
from review.training.paths import TrainingPaths

StageCallback = Callable[[Stage], Awaitable[None]]

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# nlu.train --progress prints Rasa's training hook lines with this prefix
# (components restored from Rasa's cache print "Restored …" and train nothing).
_COMPONENT = re.compile(r"^progress: Starting to train component '(\w+)'")
_ORDER = list(Stage)
# Python and Rasa warnings drown the useful lines of a short tail.
_NOISE = re.compile(
    r"Warning|More info at|raise_warning|warnings\.warn|_parser\.|setParseAction"
    r"|^\s*$|cpu_feature_guard|rebuild TensorFlow|declarative_base"
)
_ENGINE_ENV = {
    "RASA_TELEMETRY_ENABLED": "false",
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    "PYTHONUNBUFFERED": "1",
}


class LogTail:
    """The last lines of a subprocess's output, masked, for staff to read."""

    def __init__(self, lines: int = 30, width: int = 300) -> None:
        """Keeps at most ``lines`` lines of at most ``width`` characters."""
        self._lines: deque[str] = deque(maxlen=lines)
        self._width = width

    def add(self, raw: str) -> None:
        """Adds one output line unless it is noise."""
        line = _ANSI.sub("", raw).rstrip()
        if not _NOISE.search(line):
            self._lines.append(scrub(line)[: self._width])

    def text(self) -> str:
        """The tail as one string."""
        return "\n".join(self._lines)


def stage_of_component(component: str) -> Stage:
    """Dialogue policies train after the NLU pipeline; everything else is NLU."""
    return (
        Stage.TRAINING_DIALOGUE if component.endswith("Policy") else Stage.TRAINING_NLU
    )


def _env() -> dict[str, str]:
    # The child inherits this process's environment (as any subprocess would)
    # plus the switches that keep Rasa and TensorFlow quiet and offline.
    return {**os.environ, **_ENGINE_ENV}


async def _run(
    argv: list[str],
    cwd: Path,
    on_line: Callable[[str], Awaitable[None]],
    timeout_s: float,
) -> int:
    process = await asyncio.create_subprocess_exec(
        *argv,
        cwd=cwd,
        env=_env(),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert process.stdout is not None

    async def pump() -> None:
        assert process.stdout is not None
        async for raw in process.stdout:
            await on_line(raw.decode("utf-8", "replace"))

    try:
        await asyncio.wait_for(pump(), timeout_s)
        return await process.wait()
    finally:
        # Timeout or cancellation (console stopping): never leave Rasa behind.
        if process.returncode is None:
            process.kill()
            await process.wait()


async def train(
    paths: TrainingPaths,
    on_stage: StageCallback,
    tail: LogTail,
    timeout_s: float = 1800,
) -> Path:
    """Trains a candidate into ``paths.candidates``; returns its archive.

    Rasa reuses its cache for components whose inputs did not change, and
    returns the newest candidate untouched when nothing changed at all.

    Raises:
        EngineFailed: Rasa failed, timed out or printed no model.
    """
    paths.candidates.mkdir(parents=True, exist_ok=True)
    argv = [
        str(paths.engine_python),
        "-m",
        "nlu.train",
        "--progress",
        "--out",
        str(paths.candidates),
        "--config",
        str(paths.config),
        "--domain",
        str(paths.domain),
    ]
    for folder in paths.data:
        argv += ["--data", str(folder)]
    stage = Stage.PREPARING
    last_line = ""

    async def on_line(raw: str) -> None:
        nonlocal stage, last_line
        line = _ANSI.sub("", raw).strip()
        tail.add(line)
        if line:
            last_line = line
        match = _COMPONENT.match(line)
        if match:
            new = stage_of_component(match.group(1))
            # Forward only: the graph may run a policy before the last NLU node.
            if _ORDER.index(new) > _ORDER.index(stage):
                stage = new
                await on_stage(new)

    try:
        code = await _run(argv, paths.root, on_line, timeout_s)
    except asyncio.TimeoutError as exc:
        raise EngineFailed(
            f"训练超过 {timeout_s:.0f} 秒仍未完成，已中止。", tail.text()
        ) from exc
    model = Path(last_line)
    if code != 0 or not last_line.endswith(".tar.gz") or not model.is_file():
        raise EngineFailed(f"训练失败（退出码 {code}），详见日志末尾。", tail.text())
    return model


async def evaluate(
    paths: TrainingPaths, model: Path, timeout_s: float = 900
) -> dict[str, Any]:
    """Scores ``model`` on the held-out split (``nlu.evaluate`` into a temp dir).

    Raises:
        EngineFailed: The model could not be loaded or scored.
    """
    tail = LogTail(lines=15)

    async def on_line(raw: str) -> None:
        tail.add(raw)

    with tempfile.TemporaryDirectory(prefix="govbot-eval-") as out:
        argv = [
            str(paths.engine_python),
            "-m",
            "nlu.evaluate",
            "--model",
            str(model),
            "--out",
            out,
            "--holdout",
            str(paths.holdout),
            "--out-of-scope",
            str(paths.out_of_scope),
        ]
        try:
            code = await _run(argv, paths.root, on_line, timeout_s)
        except asyncio.TimeoutError as exc:
            raise EngineFailed(
                f"评估模型 {model.name} 超时，已中止。", tail.text()
            ) from exc
        report_file = Path(out) / "evaluation.json"
        if code != 0 or not report_file.is_file():
            raise EngineFailed(
                f"评估模型 {model.name} 失败（退出码 {code}）。", tail.text()
            )
        report: dict[str, Any] = json.loads(report_file.read_text("utf-8"))
        return report
