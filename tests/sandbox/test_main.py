"""``python -m sandbox`` serves on the configured port and stops cleanly."""

from __future__ import annotations

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
from pathlib import Path

from sandbox_testkit import sqlite_url

from sandbox.auth import sign_request

REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=2) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_serves_and_stops(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "SANDBOX_PORT": str(port),
        "SANDBOX_DB_URL": sqlite_url(tmp_path / "run" / "sandbox.db"),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "sandbox"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                if _get(base + "/health")[0] == 200:
                    break
            except OSError:
                pass
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else b""
            assert time.monotonic() < deadline, "sandbox did not become healthy"
            time.sleep(0.1)
        path = "/directory/v1/offices?kind=dmv"
        headers = sign_request(
            "GET",
            path,
            b"",
            "govbot-sandbox",
            "sandbox-secret",
            int(time.time()),
            uuid.uuid4().hex,
        )
        status, body = _get(base + path, headers)
        assert status == 200
        assert len(json.loads(body)["offices"]) == 4
        assert _get(base + path)[0] == 401
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert code == 0
    assert (tmp_path / "run" / "sandbox.db").exists()


def test_bad_configuration_exits_with_a_message() -> None:
    env = {**os.environ, "SANDBOX_PORT": "not-a-port"}
    done = subprocess.run(
        [sys.executable, "-m", "sandbox"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert done.returncode == 2
    assert "SANDBOX_PORT" in done.stderr
