"""A real sandbox back end in a subprocess on loopback, for integration tests.

``python -m sandbox`` runs on a free port with a throwaway SQLite database
and a pinned "today", so the seed fixtures of ``docs/sandbox-api.md`` hold.
The handle it yields arranges and inspects the world through the signed
``/sandbox/v1`` administration API.

Standard library only, and no import of ``sandbox`` or of our packages: the
engine venv (Python 3.10, Rasa) and the app venv can both use it, and its
request signing is an independent implementation of the documented contract.

Typical use (a session-scoped pytest fixture)::

    with running_sandbox(tmp_path_factory.mktemp("sandbox")) as sandbox:
        yield sandbox            # sandbox.base_url, sandbox.reset(), ...

The admin helpers block on short loopback calls; they are meant for test
set-up and assertions, also inside async tests.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "APP_KEY",
    "APP_SECRET",
    "NORMAL_FAULTS",
    "REPO",
    "TODAY",
    "SandboxAdminError",
    "SandboxProcess",
    "free_port",
    "running_sandbox",
]

REPO = Path(__file__).resolve().parents[2]
APP_PYTHON = REPO / ".venv-app" / "bin" / "python"
# A Monday: the first exam day is Tuesday 2026-03-03 and the seed's
# hotline tickets are GD202602280017, GD202602240003 and GD202603010042.
TODAY = dt.date(2026, 3, 2)
APP_KEY = "govbot-sandbox"
APP_SECRET = "sandbox-secret"
NORMAL_FAULTS: Mapping[str, Any] = {
    "latency_ms": 0,
    "error_rate": 0.0,
    "mode": "normal",
    "hang_s": 60.0,
}


class SandboxAdminError(RuntimeError):
    """An administration call did not answer 2xx."""

    def __init__(self, method: str, path: str, status: int, body: Any) -> None:
        """Records what was asked and what came back."""
        super().__init__(f"{method} {path} -> {status}: {body!r}")
        self.status = status
        self.body = body


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _signed_headers(method: str, target: str, body: bytes) -> dict[str, str]:
    """The contract's HMAC headers, written out independently of the client."""
    timestamp, nonce = str(int(time.time())), uuid.uuid4().hex
    text = "\n".join(
        [method, target, timestamp, nonce, hashlib.sha256(body).hexdigest()]
    )
    mac = hmac.new(APP_SECRET.encode(), text.encode(), hashlib.sha256).hexdigest()
    return {
        "X-App-Key": APP_KEY,
        "X-Timestamp": timestamp,
        "X-Nonce": nonce,
        "X-Signature": mac,
    }


@dataclass
class SandboxProcess:
    """A running sandbox and its administration helpers.

    Attributes:
        base_url: ``http://127.0.0.1:<port>``; point ``BACKEND_URL`` here.
        port: The port it listens on.
        today: The pinned seed day (``SANDBOX_TODAY``).
        db_path: Its SQLite file.
        log_path: Its stdout and stderr, for diagnosing failures.
        app_key: The app key it accepts.
        app_secret: That key's secret.
    """

    base_url: str
    port: int
    today: dt.date
    db_path: Path
    log_path: Path
    app_key: str = APP_KEY
    app_secret: str = APP_SECRET
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def request(
        self, method: str, path: str, body: Any = None, *, timeout: float = 10.0
    ) -> tuple[int, Any]:
        """One signed request; returns the status and the decoded JSON (or text).

        Args:
            method: HTTP method.
            path: Percent-encoded path with query, e.g. ``/sandbox/v1/payments``.
            body: A JSON-serialisable body, or None for none.
            timeout: Seconds to wait for the answer.
        """
        method = method.upper()
        data = b"" if body is None else json.dumps(body, ensure_ascii=False).encode()
        request = urllib.request.Request(
            self.base_url + path, data=data or None, method=method
        )
        for name, value in _signed_headers(method, path, data).items():
            request.add_header(name, value)
        if data:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, raw.decode("utf-8", "replace")

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        """A signed administration call that must succeed; returns its JSON.

        Raises:
            SandboxAdminError: The answer was not 2xx.
        """
        status, data = self.request(method, path, body)
        if not 200 <= status < 300:
            raise SandboxAdminError(method, path, status, data)
        return data

    def admin_get(self, path: str) -> Any:
        """``GET`` under ``/sandbox/v1`` (``"/exam-bookings?status=booked"``)."""
        return self.admin("GET", _admin_path(path))

    def admin_post(self, path: str, body: Any = None) -> Any:
        """``POST`` under ``/sandbox/v1``: arrange vehicles, licences, sessions."""
        return self.admin("POST", _admin_path(path), body)

    def reset(self) -> dict[str, Any]:
        """Put the seed world back (bookings, payments, ratings, idempotency keys)."""
        result: dict[str, Any] = self.admin("POST", "/sandbox/v1/reset")
        return result

    def set_faults(self, **faults: Any) -> dict[str, Any]:
        """Change injected faults: ``latency_ms``, ``error_rate``, ``mode``, ``hang_s``."""
        result: dict[str, Any] = self.admin("PUT", "/sandbox/v1/faults", faults)
        return result

    def fresh(self) -> None:
        """Seed world and no faults: the state every test starts from."""
        self.set_faults(**NORMAL_FAULTS)
        self.reset()

    def healthy(self) -> bool:
        """Whether ``GET /health`` answers 200 now."""
        try:
            with urllib.request.urlopen(self.base_url + "/health", timeout=1) as r:
                return bool(r.status == 200)
        except (OSError, urllib.error.URLError):
            return False

    def stop(self, timeout: float = 10.0) -> None:
        """Interrupt the process (graceful shutdown), kill it if it lingers."""
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)


def _admin_path(path: str) -> str:
    return (
        path if path.startswith("/sandbox/v1/") else "/sandbox/v1/" + path.lstrip("/")
    )


def _log_tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text("utf-8", "replace").splitlines()[-lines:])
    except OSError:
        return ""


@contextmanager
def running_sandbox(
    workdir: Path,
    *,
    today: dt.date = TODAY,
    env: Mapping[str, str] | None = None,
    python: Path | str | None = None,
    startup_timeout: float = 30.0,
) -> Iterator[SandboxProcess]:
    """Start ``python -m sandbox``, wait for ``/health``, stop it on exit.

    Args:
        workdir: Where the database and the log go (a fresh temporary folder).
        today: The pinned seed day.
        env: Extra ``SANDBOX_*`` variables (``SANDBOX_LATENCY_MS``…).
        python: Interpreter with the sandbox's dependencies; the app venv's
            when it exists, else the running one.
        startup_timeout: Seconds to wait for ``/health``.

    Yields:
        The running sandbox.

    Raises:
        RuntimeError: It exited or did not become healthy in time.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    db_path = workdir / "sb.db"
    log_path = workdir / "sandbox.log"
    # Our SANDBOX_* variables only: one from the developer's shell (an error
    # rate, another database) must not leak into the tests.
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("SANDBOX_")}
    child_env.update(
        {
            "SANDBOX_HOST": "127.0.0.1",
            "SANDBOX_PORT": str(port),
            "SANDBOX_DB_URL": f"sqlite+aiosqlite:///{db_path}",
            "SANDBOX_TODAY": today.isoformat(),
            "SANDBOX_TICKET_PACE_S": "0",
            "SANDBOX_APP_KEYS": f"{APP_KEY}:{APP_SECRET}",
            **(env or {}),
        }
    )
    interpreter = python or (APP_PYTHON if APP_PYTHON.exists() else sys.executable)
    sandbox = SandboxProcess(
        base_url=f"http://127.0.0.1:{port}",
        port=port,
        today=today,
        db_path=db_path,
        log_path=log_path,
    )
    with log_path.open("ab") as log:
        proc = sandbox.process = subprocess.Popen(
            [str(interpreter), "-m", "sandbox"],
            cwd=REPO,
            env=child_env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + startup_timeout
        while not sandbox.healthy():
            code = proc.poll()
            if code is not None:
                raise RuntimeError(
                    f"sandbox exited with {code}:\n{_log_tail(log_path)}"
                )
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"sandbox not healthy after {startup_timeout} s:\n"
                    f"{_log_tail(log_path)}"
                )
            time.sleep(0.1)
        yield sandbox
    finally:
        sandbox.stop()
