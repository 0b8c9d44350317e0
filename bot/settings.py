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
class TelegramSettings:
    """Telegram bot (off while ``token`` is unset)."""

    token: str | None = None
    webhook_secret: str | None = None
    api_base: str = "https://api.telegram.org"
    mode: str = "webhook"  # or "polling" (development)


@dataclass(frozen=True)
class WeChatSettings:
    """WeChat official account (off while ``token`` is unset)."""

    token: str | None = None
    app_id: str | None = None
    app_secret: str | None = None
    encoding_aes_key: str | None = None  # unset = plaintext mode
    api_base: str = "https://api.weixin.qq.com"


@dataclass(frozen=True)
class SmsSettings:
    """SMS providers: Twilio and the Alibaba Cloud uplink (each off until configured)."""

    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_from: str | None = None
    twilio_api_base: str = "https://api.twilio.com"
    public_base_url: str | None = None  # the URL Twilio signs
    aliyun_path_secret: str | None = None
    aliyun_allowed_ips: tuple[str, ...] = ()
    aliyun_access_key_id: str | None = None
    aliyun_access_key_secret: str | None = None
    aliyun_sign_name: str | None = None
    aliyun_template_code: str | None = None
    aliyun_api_base: str = "https://dysmsapi.aliyuncs.com"


@dataclass(frozen=True)
class ChannelSettings:
    """The gateway's channels; web chat, voice relay and REST need no account."""

    telegram: TelegramSettings = field(default_factory=TelegramSettings)
    wechat: WeChatSettings = field(default_factory=WeChatSettings)
    sms: SmsSettings = field(default_factory=SmsSettings)
    voice_relay_secret: str = "sandbox-voice-secret"
    rasa_timeout_s: float = 10.0
    # WeChat waits 5 s for a passive reply; answer "success" before that.
    wechat_passive_s: float = 4.0
    rate_limit_per_minute: int = 30
    # Keys the HMAC that turns channel user ids into Rasa sender ids; changing
    # it starts every citizen a new conversation.
    pseudonym_key: str = "sandbox-gateway-pseudonym-key"
    # Seals the channel addresses kept for handed-off conversations
    # (comma-separated, newest first, for rotation), and how long they live
    # after the citizen's latest message (WeChat's 48 h service window).
    address_key: str = "sandbox-gateway-address-key"
    handoff_ttl_s: float = 48 * 3600.0
    # PUBLIC_BASE_URL as configured: where providers reach the gateway (the
    # Telegram webhook is set to it). The SMS sandbox signs a local URL instead.
    public_base_url: str | None = None


@dataclass(frozen=True)
class ConsoleSettings:
    """The staff console (port 8700) and what it drives.

    Staff tables (users, annotations, training runs) live in the conversation
    log's database (``Settings.conversation_log_url``).
    """

    # First admin, created at start when no user exists. Without a password a
    # random one is generated and written to var/console-admin-password.
    admin_user: str = "admin"
    admin_password: str | None = None
    # Signs session cookies; without one a random key is kept in var/.
    secret_key: str | None = None
    session_ttl_s: int = 8 * 3600
    login_attempts_per_15_min: int = 5
    # Every Rasa instance a promoted model must reach (PUT /model changes one).
    rasa_urls: tuple[str, ...] = ("http://127.0.0.1:5005",)
    # The gateway's internal API (handoff inbox, staff replies, release).
    gateway_url: str = "http://127.0.0.1:8080"
    internal_token: str = "sandbox-internal-token"
    # Regression gate: no intent's F1 may fall by more than this on promotion.
    max_intent_f1_drop: float = 0.05


@dataclass(frozen=True)
class Settings:
    """Everything configurable, with the embedded (sandbox) defaults."""

    ports: Ports = field(default_factory=Ports)
    backend: BackendSettings = field(default_factory=BackendSettings)
    channels: ChannelSettings = field(default_factory=ChannelSettings)
    console: ConsoleSettings = field(default_factory=ConsoleSettings)
    rasa_url: str = "http://127.0.0.1:5005"
    action_server_url: str = "http://127.0.0.1:5055/webhook"
    rasa_api_token: str = "sandbox-rasa-token"
    redis_url: str | None = None
    redis_prefix: str = "govbot:"
    # Idle trackers expire from Redis after this (sliding; the embedded store
    # forgets idle conversations after a day too).
    redis_tracker_ttl_s: int = 86400
    # Conversation log for staff review (bot/event_log.py); "" turns it off.
    # Defaults to a SQLite file in var_dir.
    conversation_log_url: str = ""
    conversation_log_pseudonym_key: str = "sandbox-conversation-log-key"
    conversation_log_retention_days: int = 180
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
    var_dir = Path(env.get("VAR_DIR", str(ROOT / "var"))).resolve()
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
    rasa_url = env.get("RASA_URL", f"http://{host}:{ports.rasa}")
    settings = Settings(
        ports=ports,
        backend=backend,
        channels=_channels(env, ports),
        console=_console(env, host, ports, rasa_url),
        rasa_url=rasa_url,
        action_server_url=env.get(
            "ACTION_SERVER_URL", f"http://{host}:{ports.actions}/webhook"
        ),
        rasa_api_token=env.get("RASA_API_TOKEN", "sandbox-rasa-token"),
        redis_url=env.get("REDIS_URL") or None,
        redis_prefix=env.get("REDIS_PREFIX", "govbot:"),
        redis_tracker_ttl_s=_int(env, "REDIS_TRACKER_TTL_S", 86400),
        conversation_log_url=env.get(
            "CONVERSATION_LOG_URL", f"sqlite:///{var_dir / 'conversations.db'}"
        ),
        conversation_log_pseudonym_key=env.get("CONVERSATION_LOG_PSEUDONYM_KEY")
        or "sandbox-conversation-log-key",
        conversation_log_retention_days=_int(
            env, "CONVERSATION_LOG_RETENTION_DAYS", 180
        ),
        model_dir=Path(env.get("MODEL_DIR", str(ROOT / "models"))),
        var_dir=var_dir,
        log_level=env.get("LOG_LEVEL", "INFO").upper(),
        sandbox_enabled=_bool(env, "SANDBOX_ENABLED", True),
    )
    _check_conversation_log(settings)
    return settings


def _check_conversation_log(settings: Settings) -> None:
    if settings.conversation_log_retention_days < 1:
        raise SettingsError("CONVERSATION_LOG_RETENTION_DAYS must be at least 1")


def _console(
    env: Mapping[str, str], host: str, ports: Ports, rasa_url: str
) -> ConsoleSettings:
    urls = tuple(u.strip() for u in env.get("RASA_URLS", "").split(",") if u.strip())
    drop = _float(env, "CONSOLE_MAX_INTENT_F1_DROP", 0.05)
    if not 0 <= drop < 1:
        raise SettingsError("CONSOLE_MAX_INTENT_F1_DROP must be between 0 and 1")
    return ConsoleSettings(
        admin_user=env.get("CONSOLE_ADMIN_USER") or "admin",
        admin_password=_opt(env, "CONSOLE_ADMIN_PASSWORD"),
        secret_key=_opt(env, "CONSOLE_SECRET_KEY"),
        session_ttl_s=_int(env, "CONSOLE_SESSION_TTL_S", 8 * 3600),
        login_attempts_per_15_min=_int(env, "CONSOLE_LOGIN_ATTEMPTS", 5),
        rasa_urls=urls or (rasa_url,),
        gateway_url=env.get("GATEWAY_URL") or f"http://{host}:{ports.gateway}",
        internal_token=env.get("INTERNAL_API_TOKEN") or "sandbox-internal-token",
        max_intent_f1_drop=drop,
    )


SANDBOX_SMS_ACCOUNT_SID = "ACsandbox"
SANDBOX_SMS_AUTH_TOKEN = "sandbox-sms-token"


def sandbox_sms(ports: Ports, public_base_url: str | None = None) -> SmsSettings:
    """The SMS channel wired to the sandbox's simulated provider (``/sms-provider``).

    Its defaults match the sandbox's own (``SANDBOX_SMS_*``), so ``make run``
    serves SMS with nothing configured; the handset page is
    ``http://<host>:<sandbox port>/sms-handset/``.
    """
    return SmsSettings(
        twilio_account_sid=SANDBOX_SMS_ACCOUNT_SID,
        twilio_auth_token=SANDBOX_SMS_AUTH_TOKEN,
        twilio_from="+86106912345",
        twilio_api_base=f"http://{ports.host}:{ports.sandbox}/sms-provider",
        public_base_url=public_base_url or f"http://{ports.host}:{ports.gateway}",
    )


def _sms_sandbox(env: Mapping[str, str], sms: SmsSettings) -> bool:
    """``SMS_SANDBOX``; by default on when the sandbox runs and no provider is set."""
    configured = bool(sms.twilio_auth_token or sms.aliyun_path_secret)
    default = _bool(env, "SANDBOX_ENABLED", True) and not configured
    on = _bool(env, "SMS_SANDBOX", default)
    if on and configured:
        raise SettingsError("SMS_SANDBOX cannot be on while an SMS provider is set")
    return on


def _opt(env: Mapping[str, str], name: str) -> str | None:
    return env.get(name) or None


def _channels(env: Mapping[str, str], ports: Ports) -> ChannelSettings:
    telegram = TelegramSettings(
        token=_opt(env, "TELEGRAM_BOT_TOKEN"),
        webhook_secret=_opt(env, "TELEGRAM_WEBHOOK_SECRET"),
        api_base=env.get("TELEGRAM_API_BASE") or "https://api.telegram.org",
        mode=(env.get("TELEGRAM_MODE") or "webhook").lower(),
    )
    if telegram.mode not in ("webhook", "polling"):
        raise SettingsError("TELEGRAM_MODE must be webhook or polling")
    if telegram.token and telegram.mode == "webhook" and not telegram.webhook_secret:
        raise SettingsError("TELEGRAM_WEBHOOK_SECRET is required in webhook mode")
    wechat = WeChatSettings(
        token=_opt(env, "WECHAT_TOKEN"),
        app_id=_opt(env, "WECHAT_APP_ID"),
        app_secret=_opt(env, "WECHAT_APP_SECRET"),
        encoding_aes_key=_opt(env, "WECHAT_ENCODING_AES_KEY"),
        api_base=env.get("WECHAT_API_BASE") or "https://api.weixin.qq.com",
    )
    if wechat.encoding_aes_key and len(wechat.encoding_aes_key) != 43:
        raise SettingsError("WECHAT_ENCODING_AES_KEY must be 43 characters")
    ips = tuple(
        ip.strip()
        for ip in env.get("ALIYUN_SMS_ALLOWED_IPS", "").split(",")
        if ip.strip()
    )
    sms = SmsSettings(
        twilio_account_sid=_opt(env, "TWILIO_ACCOUNT_SID"),
        twilio_auth_token=_opt(env, "TWILIO_AUTH_TOKEN"),
        twilio_from=_opt(env, "TWILIO_FROM"),
        twilio_api_base=env.get("TWILIO_API_BASE") or "https://api.twilio.com",
        public_base_url=_opt(env, "PUBLIC_BASE_URL"),
        aliyun_path_secret=_opt(env, "ALIYUN_SMS_PATH_SECRET"),
        aliyun_allowed_ips=ips,
        aliyun_access_key_id=_opt(env, "ALIYUN_SMS_ACCESS_KEY_ID"),
        aliyun_access_key_secret=_opt(env, "ALIYUN_SMS_ACCESS_KEY_SECRET"),
        aliyun_sign_name=_opt(env, "ALIYUN_SMS_SIGN_NAME"),
        aliyun_template_code=_opt(env, "ALIYUN_SMS_TEMPLATE_CODE"),
        aliyun_api_base=env.get("ALIYUN_SMS_API_BASE")
        or "https://dysmsapi.aliyuncs.com",
    )
    if _sms_sandbox(env, sms):
        sms = sandbox_sms(ports, sms.public_base_url)
    return ChannelSettings(
        telegram=telegram,
        wechat=wechat,
        sms=sms,
        voice_relay_secret=env.get("VOICE_RELAY_SECRET") or "sandbox-voice-secret",
        rasa_timeout_s=_float(env, "GATEWAY_RASA_TIMEOUT_S", 10.0),
        wechat_passive_s=_float(env, "WECHAT_PASSIVE_S", 4.0),
        rate_limit_per_minute=_int(env, "GATEWAY_RATE_LIMIT_PER_MINUTE", 30),
        pseudonym_key=env.get("GATEWAY_PSEUDONYM_KEY")
        or "sandbox-gateway-pseudonym-key",
        address_key=env.get("GATEWAY_ADDRESS_KEY") or "sandbox-gateway-address-key",
        handoff_ttl_s=_float(env, "GATEWAY_HANDOFF_TTL_S", 48 * 3600.0),
        public_base_url=_opt(env, "PUBLIC_BASE_URL"),
    )
