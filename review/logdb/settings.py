"""Settings of the conversation log, read once from the environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_URL = "sqlite:///var/conversations.db"
DEFAULT_RETENTION_DAYS = 180


@dataclass(frozen=True)
class LogDbSettings:
    """Where the log lives and how long events are kept.

    Attributes:
        url: SQLAlchemy URL shared with the Rasa broker (``sqlite:///…`` or
            ``postgresql://…``); the async driver is chosen from it.
        retention_days: Conversation events older than this are deleted by
            ``python -m review.logdb retention`` (rule R7: at most 180 days).
    """

    url: str = DEFAULT_URL
    retention_days: int = DEFAULT_RETENTION_DAYS


def load_log_settings(env: Mapping[str, str]) -> LogDbSettings:
    """``CONVERSATION_LOG_URL`` and ``CONVERSATION_LOG_RETENTION_DAYS``."""
    raw_days = env.get("CONVERSATION_LOG_RETENTION_DAYS") or str(DEFAULT_RETENTION_DAYS)
    try:
        days = int(raw_days)
    except ValueError as exc:
        raise ValueError(
            f"CONVERSATION_LOG_RETENTION_DAYS must be an integer, got {raw_days!r}"
        ) from exc
    if days < 1:
        raise ValueError("CONVERSATION_LOG_RETENTION_DAYS must be at least 1")
    return LogDbSettings(
        url=env.get("CONVERSATION_LOG_URL") or DEFAULT_URL, retention_days=days
    )
