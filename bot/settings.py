"""Settings: the single source of configuration, built from the environment once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class SettingsError(ValueError):
    """A configuration value is missing or malformed."""


@dataclass(frozen=True)
class Ports:
    """Where each process listens (all on ``host``)."""

    host: str = "127.0.0.1"
    gateway: int = 8080
    rasa: int = 5005
    actions: int = 5055
    sandbox: int = 8600
    console: int = 8700


@dataclass(frozen=True)
class BackendSettings:
    """How the action server reaches the government services."""

    url: str = "http://127.0.0.1:8600"
    app_key: str = "govbot-sandbox"
    app_secret: str = "sandbox-secret"
    timeout_s: float = 3.0
    # Reads are retried on timeouts, refused connections and 5xx, within a
    # total budget; writes never are (the citizen retries with the same key).
    read_retries: int = 2
    read_budget_s: float = 6.0
    # Consecutive outages that open a service's circuit, and how long it stays
    # open before one trial call.
    breaker_failures: int = 5
    breaker_reset_s: float = 30.0


@dataclass(frozen=True)
class Settings:
    """Everything configurable, with the embedded (sandbox) defaults."""

    ports: Ports = field(default_factory=Ports)
    backend: BackendSettings = field(default_factory=BackendSettings)
    rasa_url: str = "http://127.0.0.1:5005"
    action_server_url: str = "http://127.0.0.1:5055/webhook"
    rasa_api_token: str = "sandbox-rasa-token"
    redis_url: str | None = None
    redis_prefix: str = "govbot:"
    model_dir: Path = ROOT / "models"
    var_dir: Path = ROOT / "var"
    log_level: str = "INFO"
    sandbox_enabled: bool = True
    extra_env: Mapping[str, str] = field(default_factory=dict)


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from exc
    if not 0 < value < 65536 and name.endswith("PORT"):
        raise SettingsError(f"{name} must be a TCP port, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from exc


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false, got {raw!r}")


def load_settings(env: Mapping[str, str]) -> Settings:
    """Builds the settings from environment variables (documented in README)."""
    host = env.get("GOVBOT_HOST", "127.0.0.1")
    ports = Ports(
        host=host,
        gateway=_int(env, "GATEWAY_PORT", 8080),
        rasa=_int(env, "RASA_PORT", 5005),
        actions=_int(env, "ACTION_SERVER_PORT", 5055),
        sandbox=_int(env, "SANDBOX_PORT", 8600),
        console=_int(env, "CONSOLE_PORT", 8700),
    )
    backend = BackendSettings(
        url=env.get("BACKEND_URL", f"http://{host}:{ports.sandbox}"),
        app_key=env.get("BACKEND_APP_KEY", "govbot-sandbox"),
        app_secret=env.get("BACKEND_APP_SECRET", "sandbox-secret"),
        timeout_s=_float(env, "BACKEND_TIMEOUT_S", 3.0),
        read_retries=_int(env, "BACKEND_READ_RETRIES", 2),
        read_budget_s=_float(env, "BACKEND_READ_BUDGET_S", 6.0),
        breaker_failures=_int(env, "BACKEND_BREAKER_FAILURES", 5),
        breaker_reset_s=_float(env, "BACKEND_BREAKER_RESET_S", 30.0),
    )
    return Settings(
        ports=ports,
        backend=backend,
        rasa_url=env.get("RASA_URL", f"http://{host}:{ports.rasa}"),
        action_server_url=env.get(
            "ACTION_SERVER_URL", f"http://{host}:{ports.actions}/webhook"
        ),
        rasa_api_token=env.get("RASA_API_TOKEN", "sandbox-rasa-token"),
        redis_url=env.get("REDIS_URL") or None,
        redis_prefix=env.get("REDIS_PREFIX", "govbot:"),
        model_dir=Path(env.get("MODEL_DIR", str(ROOT / "models"))),
        var_dir=Path(env.get("VAR_DIR", str(ROOT / "var"))),
        log_level=env.get("LOG_LEVEL", "INFO").upper(),
        sandbox_enabled=_bool(env, "SANDBOX_ENABLED", True),
    )
