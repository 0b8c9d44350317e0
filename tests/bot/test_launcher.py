"""The launcher's choice of Rasa endpoints and the REDIS_URL → ${REDIS_*} mapping."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.launcher import (
    ENDPOINTS,
    REDIS_ENDPOINTS,
    endpoints_file,
    migrate_conversation_log,
    rasa_env,
    redis_env,
    run,
    services,
)
from bot.settings import ROOT, SettingsError, load_settings

ENGINE_PYTHON = ROOT / ".venv" / "bin" / "python"
STORES = ("tracker_store", "lock_store")
LOG_AND_ACTIONS = {
    "ACTION_SERVER_URL",
    "CONVERSATION_LOG_URL",
    "CONVERSATION_LOG_PSEUDONYM_KEY",
}


def rasa_command(env: dict[str, str]) -> list[str]:
    rasa = [s for s in services(load_settings(env)) if s.name == "rasa"]
    assert len(rasa) == 1
    return rasa[0].command


def endpoints_arg(command: list[str]) -> str:
    return command[command.index("--endpoints") + 1]


def test_without_redis_url_rasa_keeps_the_in_memory_endpoints() -> None:
    settings = load_settings({})
    assert endpoints_file(settings) == ENDPOINTS
    assert endpoints_arg(rasa_command({})) == str(ENDPOINTS)
    env = rasa_env(settings, {})
    assert not [name for name in env if name.startswith("REDIS")]


def test_with_redis_url_rasa_gets_the_redis_endpoints_and_variables() -> None:
    raw = {"REDIS_URL": "redis://:s3cret@10.0.0.7:6380/2"}
    settings = load_settings(raw)
    assert endpoints_arg(rasa_command(raw)) == str(REDIS_ENDPOINTS)
    env = rasa_env(settings, {"PATH": "/usr/bin"})
    assert env["PATH"] == "/usr/bin"
    assert env["REDIS_URL"] == raw["REDIS_URL"]  # the gateway reads it too
    assert {name: env[name] for name in env if name.startswith("REDIS_")} == {
        "REDIS_URL": raw["REDIS_URL"],
        "REDIS_HOST": "10.0.0.7",
        "REDIS_PORT": "6380",
        "REDIS_DB": "2",
        "REDIS_USERNAME": "",
        "REDIS_PASSWORD": "s3cret",
        "REDIS_USE_SSL": "",
        "REDIS_KEY_PREFIX": "govbot",
        "REDIS_TRACKER_TTL_S": "86400",
    }


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "redis://localhost",
            {"REDIS_HOST": "localhost", "REDIS_PORT": "6379", "REDIS_DB": "0"},
        ),
        ("redis://127.0.0.1:7000/", {"REDIS_PORT": "7000", "REDIS_DB": "0"}),
        ("redis://h/15", {"REDIS_DB": "15"}),
        ("redis://h/007", {"REDIS_DB": "7"}),
        ("redis://[::1]:6390/1", {"REDIS_HOST": "::1", "REDIS_PORT": "6390"}),
        (
            "rediss://app:pa%40ss%3Aw%2Frd@redis.internal:6380/0",
            {
                "REDIS_USE_SSL": "true",
                "REDIS_USERNAME": "app",
                "REDIS_PASSWORD": "pa@ss:w/rd",
            },
        ),
        ("redis://:@h", {"REDIS_USERNAME": "", "REDIS_PASSWORD": ""}),
        ("REDIS://H", {"REDIS_HOST": "h", "REDIS_USE_SSL": ""}),
    ],
)
def test_url_maps_to_variables(url: str, expected: dict[str, str]) -> None:
    env = redis_env(url, "govbot:", 3600)
    assert {name: env[name] for name in expected} == expected
    assert all(isinstance(value, str) for value in env.values())


@pytest.mark.parametrize(
    ("prefix", "key_prefix"),
    [("govbot:", "govbot"), ("govbot", "govbot"), ("city2", "city2"), ("", "")],
)
def test_prefix_becomes_rasas_alphanumeric_key_prefix(
    prefix: str, key_prefix: str
) -> None:
    assert redis_env("redis://h", prefix, 60)["REDIS_KEY_PREFIX"] == key_prefix


@pytest.mark.parametrize(
    "url",
    [
        "http://h:6379",
        "unix:///run/redis.sock",
        "redis://",
        "redis://:pw@/0",
        "redis://h:notaport",
        "redis://h:70000",
        "redis://h/cache",
        "redis://h/-1",
        "redis://h/0?socket_timeout=5",
        "redis://h/0#x",
    ],
)
def test_urls_rasa_cannot_use_are_refused(url: str) -> None:
    with pytest.raises(SettingsError, match="REDIS_URL"):
        redis_env(url, "govbot:", 60)


@pytest.mark.parametrize("prefix", ["gov-bot:", "gov:bot", "govbot::", "政务", "a b"])
def test_prefixes_rasa_would_silently_drop_are_refused(prefix: str) -> None:
    # Rasa logs a warning and falls back to bare "tracker:" keys otherwise.
    with pytest.raises(SettingsError, match="REDIS_PREFIX"):
        redis_env("redis://h", prefix, 60)


def test_tracker_ttl_comes_from_settings_and_must_be_positive() -> None:
    raw = {"REDIS_URL": "redis://h", "REDIS_TRACKER_TTL_S": "1800"}
    assert rasa_env(load_settings(raw), {})["REDIS_TRACKER_TTL_S"] == "1800"
    with pytest.raises(SettingsError, match="REDIS_TRACKER_TTL_S"):
        load_settings({**raw, "REDIS_TRACKER_TTL_S": "a day"})
    with pytest.raises(SettingsError, match="REDIS_TRACKER_TTL_S"):
        rasa_env(load_settings({**raw, "REDIS_TRACKER_TTL_S": "0"}), {})


def test_run_refuses_a_bad_redis_url_before_starting_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = load_settings(
        {"REDIS_URL": "redis://h/0?ssl=true", "VAR_DIR": str(tmp_path / "var")}
    )
    assert run(settings, {}) == 2
    assert "configuration error" in capsys.readouterr().err
    assert not (tmp_path / "var").exists()


def load_yaml(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text("utf-8"))
    assert isinstance(data, dict)
    return data


def test_redis_endpoints_use_exactly_the_exported_variables_unquoted() -> None:
    text = REDIS_ENDPOINTS.read_text("utf-8")
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    used = set(re.findall(r"\$\{(\w+)\}", "\n".join(lines)))
    exported = set(redis_env("redis://h", "govbot:", 60)) | LOG_AND_ACTIONS
    assert used == exported
    # Rasa expands ${VAR} only in plain scalars: a quoted one stays literal.
    assert not re.search(r"""['"]\$\{""", text)
    # Non-ASCII makes Rasa's YAML reader skip its escape handling: keep it ASCII.
    assert text.isascii()
    data = load_yaml(REDIS_ENDPOINTS)
    assert (
        data["tracker_store"]["type"] == "bot.redis_tracker_store.LeanRedisTrackerStore"
    )
    assert data["lock_store"]["type"] == "bot.lock_store.AtomicRedisLockStore"
    for store in STORES:
        assert data[store]["key_prefix"] == "${REDIS_KEY_PREFIX}"
    assert data["tracker_store"]["record_exp"] == "${REDIS_TRACKER_TTL_S}"


def test_redis_endpoints_differ_from_the_default_only_in_the_stores() -> None:
    # An event broker or action endpoint added to one file only would be
    # silently missing whenever REDIS_URL is set (or unset).
    default, redis = load_yaml(ENDPOINTS), load_yaml(REDIS_ENDPOINTS)
    for name in STORES:
        default.pop(name, None)
        redis.pop(name)
    assert redis == default


# What Rasa 3.6 itself builds from endpoints.redis.yml and our strings: run in
# the engine environment, no connection made (redis-py connects lazily).
PROBE = """
import json
from rasa.core.lock_store import LockStore
from rasa.core.tracker_store import TrackerStore
from rasa.utils.endpoints import read_endpoint_config

def describe(store):
    pool = store.red.connection_pool
    kwargs = pool.connection_kwargs
    connection = pool.make_connection()
    return {
        "class": type(store).__name__,
        "key_prefix": store.key_prefix,
        "connection": type(connection).__name__,
        "host": connection.host,
        "port": connection.port,
        "db": int(kwargs.get("db") or 0),
        "auth": bool(kwargs.get("username") or kwargs.get("password")),
        "password": kwargs.get("password"),
    }

path = "bot/endpoints.redis.yml"
tracker = TrackerStore.create(read_endpoint_config(path, "tracker_store"))
lock = LockStore.create(read_endpoint_config(path, "lock_store"))
print(json.dumps({
    "tracker": describe(tracker),
    "lock": describe(lock),
    "record_exp": tracker.record_exp,
}))
"""


def rasa_builds(url: str) -> dict[str, Any]:
    if not ENGINE_PYTHON.exists():
        pytest.skip("engine environment (.venv) not installed")
    env = rasa_env(load_settings({"REDIS_URL": url, "REDIS_TRACKER_TTL_S": "900"}), {})
    env["RASA_TELEMETRY_ENABLED"] = "false"
    done = subprocess.run(
        [str(ENGINE_PYTHON), "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.engine
def test_rasa_reads_plain_url_as_plain_tcp_without_auth() -> None:
    built = rasa_builds("redis://127.0.0.1:6390/4")
    for role, prefix in (("tracker", "govbot:tracker:"), ("lock", "govbot:lock:")):
        store = built[role]
        assert store["key_prefix"] == prefix
        assert store["connection"] == "Connection"  # use_ssl "" is false
        assert (store["host"], store["port"], store["db"]) == ("127.0.0.1", 6390, 4)
        assert store["auth"] is False  # empty password: no AUTH command
    assert built["tracker"]["class"] == "LeanRedisTrackerStore"
    assert built["lock"]["class"] == "AtomicRedisLockStore"
    assert int(built["record_exp"]) == 900


@pytest.mark.engine
def test_rasa_reads_rediss_with_password_as_tls_with_auth() -> None:
    built = rasa_builds("rediss://:p%40ss%20w%24rd@redis.internal:6380/1")
    for role in ("tracker", "lock"):
        store = built[role]
        assert store["connection"] == "SSLConnection"
        assert store["password"] == "p@ss w$rd"
        assert (store["host"], store["port"], store["db"]) == (
            "redis.internal",
            6380,
            1,
        )


def test_default_endpoints_use_only_variables_the_launcher_exports() -> None:
    text = ENDPOINTS.read_text("utf-8")
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    used = set(re.findall(r"\$\{(\w+)\}", "\n".join(lines)))
    assert used == LOG_AND_ACTIONS
    assert used <= set(rasa_env(load_settings({}), {}))


def test_conversation_log_defaults_to_sqlite_in_var_dir(tmp_path: Path) -> None:
    settings = load_settings({"VAR_DIR": str(tmp_path)})
    env = rasa_env(settings, {})
    assert env["CONVERSATION_LOG_URL"] == f"sqlite:///{tmp_path / 'conversations.db'}"
    assert env["CONVERSATION_LOG_PSEUDONYM_KEY"]
    assert env["CONVERSATION_LOG_RETENTION_DAYS"] == "180"


def test_an_empty_conversation_log_url_turns_the_log_off() -> None:
    env = rasa_env(load_settings({"CONVERSATION_LOG_URL": ""}), {})
    assert env["CONVERSATION_LOG_URL"] == ""


@pytest.mark.parametrize(
    "raw",
    [
        {"CONVERSATION_LOG_RETENTION_DAYS": "0"},
        {"CONVERSATION_LOG_RETENTION_DAYS": "half a year"},
    ],
)
def test_unusable_conversation_log_settings_are_refused(raw: dict[str, str]) -> None:
    with pytest.raises(SettingsError, match="CONVERSATION_LOG"):
        load_settings(raw)


def test_launcher_migrates_the_conversation_log_before_rasa(tmp_path: Path) -> None:
    settings = load_settings({"VAR_DIR": str(tmp_path)})
    assert migrate_conversation_log(settings, rasa_env(settings, {}))
    with sqlite3.connect(tmp_path / "conversations.db") as db:
        names = {r[0] for r in db.execute("select name from sqlite_master")}
    assert "conversation_events" in names
