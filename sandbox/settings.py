"""Sandbox configuration: one frozen settings object built from the environment."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB_URL = f"sqlite+aiosqlite:///{REPO_ROOT / 'var' / 'sandbox.db'}"
DEFAULT_APP_KEYS = "govbot-sandbox:sandbox-secret"

_KEY_RE = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")


@dataclass(frozen=True)
class SandboxSettings:
    """Everything the sandbox needs to know at start-up.

    Attributes:
        host: Address to bind.
        port: Port to bind.
        db_url: SQLAlchemy async URL (``sqlite+aiosqlite`` or ``postgresql+asyncpg``).
        app_keys: Accepted ``(app key, secret)`` pairs for request signatures.
        latency_ms: Injected latency on every service request at start-up.
        error_rate: Share of service requests answered 503 at start-up (0..1).
        signature_window_s: Allowed distance of ``X-Timestamp`` from now.
        today: Fixed "today" (Asia/Shanghai) for tests; None means the real date.
        ticket_pace_s: Seconds per automatic hotline ticket status step; 0 = off.
        seed: Seed of the random generator behind the seed data.
        public_url: Base URL written into pay links; None = the request's origin.
        sms_account_sid: Account id the simulated SMS provider accepts.
        sms_auth_token: Its auth token (HTTP Basic password, webhook signing key).
        sms_webhook_url: Where simulated handsets' messages are pushed (the
            gateway's Twilio webhook); None switches the handsets off.
    """

    host: str = "127.0.0.1"
    port: int = 8600
    db_url: str = DEFAULT_DB_URL
    app_keys: tuple[tuple[str, str], ...] = (("govbot-sandbox", "sandbox-secret"),)
    latency_ms: int = 0
    error_rate: float = 0.0
    signature_window_s: int = 300
    today: dt.date | None = None
    ticket_pace_s: float = 300.0
    seed: int = 12345
    public_url: str | None = None
    sms_account_sid: str = "ACsandbox"
    sms_auth_token: str = "sandbox-sms-token"
    sms_webhook_url: str | None = "http://127.0.0.1:8080/sms/twilio"
    secrets: Mapping[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "secrets", dict(self.app_keys))


def _int(env: Mapping[str, str], name: str, default: int, lo: int, hi: int) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from None
    if not lo <= value <= hi:
        raise ValueError(f"{name} must be between {lo} and {hi}, got {value}")
    return value


def _float(
    env: Mapping[str, str], name: str, default: float, lo: float, hi: float
) -> float:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {raw!r}") from None
    if not lo <= value <= hi:
        raise ValueError(f"{name} must be between {lo} and {hi}, got {value}")
    return value


def parse_app_keys(raw: str) -> tuple[tuple[str, str], ...]:
    """Parse ``key:secret,key2:secret2`` into pairs.

    Raises:
        ValueError: On an empty list or a malformed pair.
    """
    pairs: list[tuple[str, str]] = []
    for item in raw.split(","):
        item = item.strip()
        if not item:
            continue
        key, sep, secret = item.partition(":")
        if not sep or not _KEY_RE.match(key) or not secret:
            raise ValueError(f"SANDBOX_APP_KEYS entry {key!r} is not key:secret")
        pairs.append((key, secret))
    if not pairs:
        raise ValueError("SANDBOX_APP_KEYS holds no key:secret pair")
    return tuple(pairs)


def resolve_db_url(url: str) -> str:
    """Anchor a relative SQLite file path at the repository root.

    So ``sqlite+aiosqlite:///var/sandbox.db`` means the same file whatever
    directory the sandbox is started from.
    """
    try:
        parsed = make_url(url)
    except Exception:
        raise ValueError(f"SANDBOX_DB_URL is not a database URL: {url!r}") from None
    database = parsed.database or ""
    if not parsed.drivername.startswith("sqlite") or database in ("", ":memory:"):
        return url
    if database.startswith("file:") or Path(database).is_absolute():
        return url
    return parsed.set(database=str(REPO_ROOT / database)).render_as_string(
        hide_password=False
    )


def load_settings(env: Mapping[str, str]) -> SandboxSettings:
    """Build settings from environment variables, with sandbox defaults.

    Raises:
        ValueError: When a variable is present but malformed.
    """
    today_raw = env.get("SANDBOX_TODAY", "").strip()
    today = None
    if today_raw:
        try:
            today = dt.date.fromisoformat(today_raw)
        except ValueError:
            raise ValueError(
                f"SANDBOX_TODAY must be YYYY-MM-DD, got {today_raw!r}"
            ) from None
    public_url = env.get("SANDBOX_PUBLIC_URL", "").strip().rstrip("/") or None
    return SandboxSettings(
        host=env.get("SANDBOX_HOST", "").strip() or "127.0.0.1",
        port=_int(env, "SANDBOX_PORT", 8600, 1, 65535),
        db_url=resolve_db_url(env.get("SANDBOX_DB_URL", "").strip() or DEFAULT_DB_URL),
        app_keys=parse_app_keys(env.get("SANDBOX_APP_KEYS", "") or DEFAULT_APP_KEYS),
        latency_ms=_int(env, "SANDBOX_LATENCY_MS", 0, 0, 60_000),
        error_rate=_float(env, "SANDBOX_ERROR_RATE", 0.0, 0.0, 1.0),
        signature_window_s=_int(env, "SANDBOX_SIGNATURE_WINDOW_S", 300, 1, 86_400),
        today=today,
        ticket_pace_s=_float(env, "SANDBOX_TICKET_PACE_S", 300.0, 0.0, 7 * 86_400.0),
        seed=_int(env, "SANDBOX_SEED", 12345, 0, 2**31 - 1),
        public_url=public_url,
        sms_account_sid=env.get("SANDBOX_SMS_ACCOUNT_SID", "").strip() or "ACsandbox",
        sms_auth_token=env.get("SANDBOX_SMS_AUTH_TOKEN", "").strip()
        or "sandbox-sms-token",
        sms_webhook_url=_webhook_url(env),
    )


def _webhook_url(env: Mapping[str, str]) -> str | None:
    raw = env.get("SANDBOX_SMS_WEBHOOK_URL")
    public = env.get("PUBLIC_BASE_URL", "").strip().rstrip("/")
    if raw is None and public:
        return f"{public}/sms/twilio"
    if raw is None:
        host = env.get("GOVBOT_HOST", "").strip() or "127.0.0.1"
        port = env.get("GATEWAY_PORT", "").strip() or "8080"
        return f"http://{host}:{port}/sms/twilio"
    return raw.strip() or None
