"""Logging setup: structlog with dotted event names and personal data masked."""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog

from bot.privacy import scrub


def _scrub_value(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {k: _scrub_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_scrub_value(v) for v in value)
    return value


def mask_personal_data(
    logger: Any, method: str, event_dict: MutableMapping[str, Any]
) -> Mapping[str, Any]:
    """structlog processor: every string in the record goes through ``scrub``."""
    return {k: _scrub_value(v) for k, v in event_dict.items()}


class ScrubFilter(logging.Filter):
    """Masks the formatted message of stdlib records (aiohttp, rasa-sdk…)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Replace the message by its masked rendering."""
        record.msg = scrub(record.getMessage())
        record.args = None
        return True


def configure(level: str = "INFO", *, json: bool = False) -> None:
    """Configure structlog and the stdlib root logger for one process."""
    logging.basicConfig(stream=sys.stderr, level=level, format="%(name)s %(message)s")
    for handler in logging.getLogger().handlers:
        handler.addFilter(ScrubFilter())
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso"),
            structlog.processors.format_exc_info,
            mask_personal_data,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelName(level.upper())
        ),
        cache_logger_on_first_use=True,
    )
