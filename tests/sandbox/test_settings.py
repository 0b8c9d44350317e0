"""load_settings: defaults, parsing, refusals."""

from __future__ import annotations

import datetime as dt

import pytest

from sandbox.settings import DEFAULT_DB_URL, REPO_ROOT, load_settings, parse_app_keys


def test_defaults() -> None:
    s = load_settings({})
    assert (s.host, s.port) == ("127.0.0.1", 8600)
    assert (
        s.db_url
        == DEFAULT_DB_URL
        == f"sqlite+aiosqlite:///{REPO_ROOT / 'var' / 'sandbox.db'}"
    )
    assert s.secrets == {"govbot-sandbox": "sandbox-secret"}
    assert (s.latency_ms, s.error_rate, s.signature_window_s) == (0, 0.0, 300)
    assert s.today is None and s.public_url is None


def test_environment_values() -> None:
    s = load_settings(
        {
            "SANDBOX_HOST": "0.0.0.0",
            "SANDBOX_PORT": "9000",
            "SANDBOX_DB_URL": "postgresql+asyncpg://u:p@db/sandbox",
            "SANDBOX_APP_KEYS": "a:1, b:2",
            "SANDBOX_LATENCY_MS": "250",
            "SANDBOX_ERROR_RATE": "0.25",
            "SANDBOX_SIGNATURE_WINDOW_S": "60",
            "SANDBOX_TODAY": "2026-03-02",
            "SANDBOX_TICKET_PACE_S": "0",
            "SANDBOX_PUBLIC_URL": "https://sandbox.example/",
        }
    )
    assert (s.host, s.port, s.latency_ms, s.error_rate, s.signature_window_s) == (
        "0.0.0.0",
        9000,
        250,
        0.25,
        60,
    )
    assert s.secrets == {"a": "1", "b": "2"}
    assert s.today == dt.date(2026, 3, 2)
    assert s.public_url == "https://sandbox.example"
    with pytest.raises(AttributeError):
        s.port = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    "env",
    [
        {"SANDBOX_PORT": "eighty"},
        {"SANDBOX_PORT": "70000"},
        {"SANDBOX_ERROR_RATE": "1.5"},
        {"SANDBOX_TODAY": "2026-02-30"},
        {"SANDBOX_APP_KEYS": "no-secret"},
        {"SANDBOX_APP_KEYS": ","},
    ],
)
def test_refusals(env: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        load_settings(env)


def test_relative_sqlite_paths_are_anchored_at_the_repo() -> None:
    s = load_settings({"SANDBOX_DB_URL": "sqlite+aiosqlite:///var/other.db"})
    assert s.db_url == f"sqlite+aiosqlite:///{REPO_ROOT / 'var' / 'other.db'}"
    absolute = "sqlite+aiosqlite:////tmp/x.db"
    assert load_settings({"SANDBOX_DB_URL": absolute}).db_url == absolute
    with pytest.raises(ValueError):
        load_settings({"SANDBOX_DB_URL": "not a url"})


def test_parse_app_keys() -> None:
    assert parse_app_keys("k:s:with:colons") == (("k", "s:with:colons"),)
