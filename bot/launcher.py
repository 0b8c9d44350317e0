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
from pathlib import Path
from urllib.parse import unquote, urlsplit

from bot.settings import ROOT, Settings, SettingsError

ENGINE_BIN = ROOT / ".venv" / "bin"
APP_PYTHON = ROOT / ".venv-app" / "bin" / "python"
START_TIMEOUT_S = 180.0
ENDPOINTS = ROOT / "bot" / "endpoints.yml"
REDIS_ENDPOINTS = ROOT / "bot" / "endpoints.redis.yml"


@dataclass(frozen=True)
class Service:
    """One process of the assistant and how to know it is ready."""

    name: str
    command: list[str]
    health_url: str
    # Package that must exist for the service to be started (built by later work).
    requires: str | None = None


def endpoints_file(settings: Settings) -> Path:
    """Rasa's endpoints: Redis stores when ``REDIS_URL`` is set, else in memory."""
    return REDIS_ENDPOINTS if settings.redis_url else ENDPOINTS


def redis_env(url: str, prefix: str, tracker_ttl_s: int) -> dict[str, str]:
    """The ``${REDIS_*}`` variables of ``endpoints.redis.yml``, from one URL.

    Rasa's Redis stores take host, port, db, … rather than a URL, and Rasa
    expands ``${VAR}`` to strings only. So every value here is a string that
    still means the right thing to Rasa and redis-py: port and db are cast by
    redis-py, an empty username or password means "no AUTH", and ``use_ssl``
    is tested for truth, so off must be ``""`` (``"false"`` would be true).

    Args:
        url: ``redis://[[user]:password@]host[:port][/db]``; ``rediss://``
            for TLS. User and password may be percent-encoded.
        prefix: ``REDIS_PREFIX``, e.g. ``govbot:``. Rasa accepts only an
            alphanumeric key prefix and adds the colon itself, so trackers
            land at ``govbot:tracker:<sender>`` and locks at
            ``govbot:lock:<sender>``.
        tracker_ttl_s: Expiry of an idle tracker (Rasa's ``record_exp``).

    Raises:
        SettingsError: The URL or the prefix cannot be expressed for Rasa.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss"):
        raise SettingsError("REDIS_URL must start with redis:// or rediss://")
    if parts.query or parts.fragment:
        # Rasa's stores take no URL options; silently dropping them would
        # leave Rasa and the gateway configured differently.
        raise SettingsError("REDIS_URL options (?…) are not supported")
    try:
        port = parts.port or 6379
    except ValueError as exc:
        raise SettingsError("REDIS_URL has an invalid port") from exc
    if not parts.hostname:
        raise SettingsError("REDIS_URL has no host")
    db = parts.path.strip("/") or "0"
    if not db.isdigit():
        raise SettingsError(f"REDIS_URL database must be a number, got {db!r}")
    key_prefix = prefix.removesuffix(":")
    if key_prefix and not (key_prefix.isascii() and key_prefix.isalnum()):
        raise SettingsError(
            "REDIS_PREFIX must be letters and digits, optionally ending in ':'"
        )
    if tracker_ttl_s <= 0:
        raise SettingsError("REDIS_TRACKER_TTL_S must be positive")
    return {
        "REDIS_HOST": parts.hostname,
        "REDIS_PORT": str(port),
        "REDIS_DB": str(int(db)),
        "REDIS_USERNAME": unquote(parts.username or ""),
        "REDIS_PASSWORD": unquote(parts.password or ""),
        "REDIS_USE_SSL": "true" if parts.scheme == "rediss" else "",
        "REDIS_KEY_PREFIX": key_prefix,
        "REDIS_TRACKER_TTL_S": str(tracker_ttl_s),
    }


def rasa_env(settings: Settings, base: Mapping[str, str]) -> dict[str, str]:
    """Environment for Rasa: the ${VAR}s its YAML files use.

    Raises:
        SettingsError: ``REDIS_URL`` or ``REDIS_PREFIX`` is unusable by Rasa.
    """
    env = dict(base)
    env["ACTION_SERVER_URL"] = settings.action_server_url
    env["CONVERSATION_LOG_URL"] = settings.conversation_log_url
    env["CONVERSATION_LOG_PSEUDONYM_KEY"] = settings.conversation_log_pseudonym_key
    env["CONVERSATION_LOG_RETENTION_DAYS"] = str(
        settings.conversation_log_retention_days
    )
    if settings.redis_url:
        env["REDIS_URL"] = settings.redis_url
        env.update(
            redis_env(
                settings.redis_url,
                settings.redis_prefix,
                settings.redis_tracker_ttl_s,
            )
        )
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
                str(endpoints_file(settings)),
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


def migrate_conversation_log(settings: Settings, env: Mapping[str, str]) -> bool:
    """Creates or upgrades the conversation log's tables before Rasa writes to them."""
    if not settings.conversation_log_url:
        return True
    done = subprocess.run(
        [str(APP_PYTHON), "-m", "review.logdb", "migrate"],
        cwd=ROOT,
        env=dict(env),
        check=False,
    )
    return done.returncode == 0


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
    try:
        child_env = rasa_env(settings, env)
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    if not migrate_conversation_log(settings, child_env):
        print("conversation log migration failed", file=sys.stderr)
        return 1
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
