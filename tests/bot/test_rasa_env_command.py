"""`python -m bot rasa-env`: the environment file systemd and compose give Rasa."""

from __future__ import annotations

import pytest

from bot.__main__ import main


def test_prints_the_redis_parts_rasa_expands(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://:s3cret@10.0.0.5:6380/2")
    monkeypatch.setenv("REDIS_PREFIX", "govbot:")
    assert main(["rasa-env"]) == 0
    lines = dict(line.split("=", 1) for line in capsys.readouterr().out.splitlines())
    assert (lines["REDIS_HOST"], lines["REDIS_PORT"], lines["REDIS_DB"]) == (
        "10.0.0.5",
        "6380",
        "2",
    )
    assert lines["REDIS_PASSWORD"] == "s3cret" and lines["REDIS_KEY_PREFIX"] == "govbot"


def test_a_bad_redis_url_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("REDIS_URL", "http://not-redis")
    assert main(["rasa-env"]) == 2
    assert "REDIS_URL" in capsys.readouterr().err
