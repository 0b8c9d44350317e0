"""Starts the whole assistant (sandbox, action server, Rasa, gateway, console) and stops it."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass

from bot.settings import ROOT, Settings

ENGINE_BIN = ROOT / ".venv" / "bin"
APP_PYTHON = ROOT / ".venv-app" / "bin" / "python"
START_TIMEOUT_S = 180.0


@dataclass(frozen=True)
class Service:
    """One process of the assistant and how to know it is ready."""

    name: str
    command: list[str]
    health_url: str
    # Package that must exist for the service to be started (built by later work).
    requires: str | None = None


def rasa_env(settings: Settings, base: Mapping[str, str]) -> dict[str, str]:
    """Environment for Rasa: the ${VAR}s its YAML files use."""
    env = dict(base)
    env["ACTION_SERVER_URL"] = settings.action_server_url
    if settings.redis_url:
        env["REDIS_URL"] = settings.redis_url
    env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    return env


def services(settings: Settings) -> list[Service]:
    """The processes to start, in order."""
    p = settings.ports
    models = str(settings.model_dir)
    found: list[Service] = []
    if settings.sandbox_enabled:
        found.append(
            Service(
                "sandbox",
                [str(APP_PYTHON), "-m", "sandbox"],
                f"http://{p.host}:{p.sandbox}/health",
                requires="sandbox",
            )
        )
    found += [
        Service(
            "actions",
            [str(APP_PYTHON), "-m", "actions"],
            f"http://{p.host}:{p.actions}/health",
            requires="actions/__main__.py",
        ),
        Service(
            "rasa",
            [
                str(ENGINE_BIN / "rasa"),
                "run",
                "--enable-api",
                "--interface",
                p.host,
                "--port",
                str(p.rasa),
                "--model",
                models,
                "--credentials",
                str(ROOT / "bot" / "credentials.yml"),
                "--endpoints",
                str(ROOT / "bot" / "endpoints.yml"),
                "--auth-token",
                settings.rasa_api_token,
            ],
            f"http://{p.host}:{p.rasa}/version",
        ),
        Service(
            "gateway",
            [str(APP_PYTHON), "-m", "channels"],
            f"http://{p.host}:{p.gateway}/health",
            requires="channels/__main__.py",
        ),
        Service(
            "console",
            [str(APP_PYTHON), "-m", "review"],
            f"http://{p.host}:{p.console}/health",
            requires="review/__main__.py",
        ),
    ]
    return [s for s in found if s.requires is None or (ROOT / s.requires).exists()]


def wait_healthy(url: str, process: subprocess.Popen[bytes], timeout_s: float) -> bool:
    """Polls ``url`` until it answers 200, the process dies, or time runs out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    return False


def stop_all(processes: list[tuple[Service, subprocess.Popen[bytes]]]) -> None:
    """Terminates the processes in reverse order, killing those that linger."""
    for _, process in reversed(processes):
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    for _, process in reversed(processes):
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()


def run(settings: Settings, env: Mapping[str, str]) -> int:
    """Starts every service, waits until each is healthy, then until Ctrl-C."""
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    child_env = rasa_env(settings, env)
    started: list[tuple[Service, subprocess.Popen[bytes]]] = []
    stopping = False

    def _stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    try:
        for service in services(settings):
            print(f"starting {service.name} …", flush=True)
            process = subprocess.Popen(service.command, cwd=ROOT, env=child_env)
            started.append((service, process))
            if not wait_healthy(service.health_url, process, START_TIMEOUT_S):
                print(f"{service.name} did not become healthy", file=sys.stderr)
                return 1
            print(f"{service.name} ready: {service.health_url}", flush=True)
        print("govbot is running; press Ctrl-C to stop.", flush=True)
        while not stopping:
            for service, process in started:
                if process.poll() is not None:
                    print(
                        f"{service.name} exited ({process.returncode})", file=sys.stderr
                    )
                    return 1
            time.sleep(1)
        return 0
    except KeyboardInterrupt:
        return 0
    finally:
        stop_all(started)
