"""`rasa run` as `make run` starts it: HTTP API and REST channel answer in Chinese."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "test-token"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _request(url: str, body: dict[str, Any] | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def rasa_url(
    model_path: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    port = _free_port()
    env = {
        **os.environ,
        "ACTION_SERVER_URL": "http://127.0.0.1:1/webhook",
        "RASA_TELEMETRY_ENABLED": "false",
        # The NLU-only server logs nothing (an empty URL turns the log off).
        "CONVERSATION_LOG_URL": "",
        "CONVERSATION_LOG_PSEUDONYM_KEY": "unused",
    }
    log = (tmp_path_factory.mktemp("rasa") / "rasa.log").open("wb")
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "rasa"),
            "run",
            "--enable-api",
            "--interface",
            "127.0.0.1",
            "--port",
            str(port),
            "--model",
            model_path,
            "--auth-token",
            TOKEN,
            "--credentials",
            str(ROOT / "bot" / "credentials.yml"),
            "--endpoints",
            str(ROOT / "bot" / "endpoints.yml"),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    try:
        while True:
            assert process.poll() is None, "rasa run exited"
            try:
                if _request(f"{url}/status?token={TOKEN}").get("model_file"):
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "rasa did not load the model in time"
            time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def test_rest_channel_answers_in_chinese(rasa_url: str) -> None:
    replies = _request(
        f"{rasa_url}/webhooks/rest/webhook", {"sender": "t1", "message": "你好"}
    )
    assert replies and "您好" in replies[0]["text"]


def test_rest_channel_answers_a_faq_topic(rasa_url: str) -> None:
    replies = _request(
        f"{rasa_url}/webhooks/rest/webhook",
        {"sender": "t2", "message": "护照过期了怎么换"},
    )
    assert replies and "护照" in replies[0]["text"]


def test_http_api_parses_messages(rasa_url: str) -> None:
    result = _request(
        f"{rasa_url}/model/parse?token={TOKEN}", {"text": "查一下粤B12345的违章"}
    )
    assert result["intent"]["name"] == "query_violation"
    assert any(
        e["entity"] == "plate_number" and e["value"] == "粤B12345"
        for e in result["entities"]
    )
