"""The whole assistant as real processes on loopback: sandbox, actions, Rasa."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
APP_PYTHON = ROOT / ".venv-app" / "bin" / "python"
RASA = ROOT / ".venv" / "bin" / "rasa"
TOKEN = "e2e-token"
ENDPOINTS = ROOT / "bot" / "endpoints.yml"
SANDBOX_KEYS = {"X-App-Key": "govbot-sandbox"}


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http(
    method: str, url: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    """A blocking JSON request; returns (status, decoded body or text)."""
    data = None if body is None else json.dumps(body, ensure_ascii=False).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    for key, value in (headers or {}).items():
        request.add_header(key, value)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            raw, status = response.read(), response.status
    except urllib.error.HTTPError as exc:
        raw, status = exc.read(), exc.code
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode("utf-8", "replace")


@dataclass
class Process:
    """One started service and where its log goes."""

    name: str
    popen: subprocess.Popen[bytes]
    url: str
    log: Path

    def stop(self) -> None:
        """Terminate, then kill if it does not stop in time."""
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)


def start(
    name: str,
    argv: list[str],
    env: dict[str, str],
    url: str,
    ready_path: str,
    log_dir: Path,
    timeout_s: float = 180,
) -> Process:
    """Start a process and wait until ``GET url+ready_path`` answers 200."""
    log = log_dir / f"{name}.log"
    popen = subprocess.Popen(
        argv,
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    process = Process(name, popen, url, log)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if popen.poll() is not None:
            raise RuntimeError(f"{name} exited: {log.read_text('utf-8')[-3000:]}")
        try:
            status, _ = http("GET", url + ready_path)
            if status == 200:
                return process
        except OSError:
            pass
        time.sleep(0.3)
    process.stop()
    raise RuntimeError(
        f"{name} not ready in {timeout_s}s: {log.read_text('utf-8')[-3000:]}"
    )


def newest_model() -> str:
    """The model `make train` produced last."""
    models = sorted((ROOT / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        raise RuntimeError("no trained model: run `make train` first")
    return str(models[-1])


def start_rasa(
    name: str, env: dict[str, str], work: Path, endpoints: Path = ENDPOINTS
) -> Process:
    """Start one Rasa server on a free port with the newest model."""
    port = free_port()
    return start(
        name,
        [
            str(RASA),
            "run",
            "--enable-api",
            "--interface",
            "127.0.0.1",
            "--port",
            str(port),
            "--model",
            newest_model(),
            "--auth-token",
            TOKEN,
            "--credentials",
            str(ROOT / "bot" / "credentials.yml"),
            "--endpoints",
            str(endpoints),
        ],
        env,
        f"http://127.0.0.1:{port}",
        f"/status?token={TOKEN}",
        work,
    )


def migrate_log(env: dict[str, str]) -> None:
    """Create the conversation log's table, as the launcher does before Rasa."""
    if env.get("CONVERSATION_LOG_URL"):
        subprocess.run(
            [str(APP_PYTHON), "-m", "review.logdb", "migrate"],
            cwd=ROOT,
            env={**os.environ, **env},
            check=True,
            capture_output=True,
        )


@dataclass
class Stack:
    """Sandbox, action server and Rasa, started together."""

    sandbox: Process
    actions: Process
    rasa: Process
    processes: list[Process] = field(default_factory=list)
    # What started Rasa, to start more Rasa instances on the same stores.
    env: dict[str, str] = field(default_factory=dict)
    work: Path = ROOT / "var"
    endpoints: Path = ENDPOINTS

    def start_rasa(self, name: str) -> Process:
        """One more Rasa server like the first (stopped with the stack)."""
        process = start_rasa(name, self.env, self.work, self.endpoints)
        self.processes.append(process)
        return process

    def stop(self) -> None:
        """Stop in reverse order of start."""
        for process in reversed(self.processes):
            process.stop()


def start_stack(
    work: Path,
    env: dict[str, str] | None = None,
    endpoints: Path = ENDPOINTS,
    *,
    migrate: bool = True,
) -> Stack:
    """Start the three services on free ports with a fresh sandbox database.

    Args:
        work: Folder for the sandbox database and the process logs.
        env: Extra environment for every process (overrides the defaults).
        endpoints: Rasa's endpoints file (default: the in-memory stores).
        migrate: Create the conversation log's table first, as ``make run``
            does (off to see how Rasa copes with a log that is not ready).
    """
    extra = env or {}
    sandbox_port, actions_port = free_port(), free_port()
    common = {
        "RASA_TELEMETRY_ENABLED": "false",
        "SANDBOX_PORT": str(sandbox_port),
        "SANDBOX_DB_URL": f"sqlite+aiosqlite:///{work / 'sandbox.db'}",
        "SANDBOX_TICKET_PACE_S": "0",
        "BACKEND_URL": f"http://127.0.0.1:{sandbox_port}",
        "ACTION_SERVER_PORT": str(actions_port),
        "ACTION_SERVER_URL": f"http://127.0.0.1:{actions_port}/webhook",
        "CONVERSATION_LOG_URL": f"sqlite:///{work / 'conversations.db'}",
        "CONVERSATION_LOG_PSEUDONYM_KEY": "e2e-log-key",
        **extra,
    }
    started: list[Process] = []
    try:
        sandbox = start(
            "sandbox",
            [str(APP_PYTHON), "-m", "sandbox"],
            common,
            f"http://127.0.0.1:{sandbox_port}",
            "/health",
            work,
        )
        started.append(sandbox)
        actions = start(
            "actions",
            [str(APP_PYTHON), "-m", "actions"],
            common,
            f"http://127.0.0.1:{actions_port}",
            "/health",
            work,
        )
        started.append(actions)
        if migrate:
            migrate_log(common)
        rasa = start_rasa("rasa", common, work, endpoints)
        started.append(rasa)
    except BaseException:
        for process in reversed(started):
            process.stop()
        raise
    return Stack(sandbox, actions, rasa, started, common, work, endpoints)


def start_gateway(
    rasa_url: str,
    work: Path,
    env: dict[str, str] | None = None,
    *,
    name: str = "gateway",
    token: str = TOKEN,
    timeout_s: float = 60,
) -> Process:
    """Start the channel gateway (``python -m channels``) in front of one Rasa.

    Args:
        rasa_url: The Rasa server the gateway relays to (``stack.rasa.url``).
        work: Folder for the process log.
        env: Extra environment (channel credentials, provider API bases…);
            overrides the defaults, e.g. ``GATEWAY_PORT``.
        name: Log file name, to run several gateways side by side.
        token: Rasa's API token (the stack's), for tracker reads.
        timeout_s: How long to wait for ``GET /health``.

    The gateway listens on ``http://127.0.0.1:<GATEWAY_PORT>`` (a free port
    unless ``env`` names one); the returned ``Process.url`` is that base URL.
    """
    extra = env or {}
    port = int(extra.get("GATEWAY_PORT") or free_port())
    gateway_env = {
        "GOVBOT_HOST": "127.0.0.1",
        "GATEWAY_PORT": str(port),
        "RASA_URL": rasa_url,
        "RASA_API_TOKEN": token,
        **extra,
    }
    return start(
        name,
        [str(APP_PYTHON), "-m", "channels"],
        gateway_env,
        f"http://127.0.0.1:{port}",
        "/health",
        work,
        timeout_s,
    )
