"""JSON on the wire: responses, money strings and Asia/Shanghai timestamps."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from aiohttp import web

from sandbox.clock import SHANGHAI


def dumps(data: Any) -> str:
    """Serialise to compact UTF-8 JSON (Chinese kept readable)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def json_response(data: Any, status: int = 200) -> web.Response:
    """Return ``data`` as an ``application/json; charset=utf-8`` response."""
    return web.Response(
        text=dumps(data),
        status=status,
        content_type="application/json",
        charset="utf-8",
    )


def money(fen: int) -> str:
    """Format an amount in fen as yuan with two decimals ("200.00")."""
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def iso_time(value: dt.datetime) -> str:
    """Format a naive Asia/Shanghai datetime as ISO 8601 with its +08:00 offset."""
    return value.replace(tzinfo=SHANGHAI, microsecond=0).isoformat()


def iso_time_or_none(value: dt.datetime | None) -> str | None:
    """Like :func:`iso_time`, passing None through."""
    return None if value is None else iso_time(value)


def session_time(day: dt.date, hhmm: str) -> str:
    """ISO 8601 start or end of a session on ``day`` at ``hhmm``."""
    hour, minute = (int(part) for part in hhmm.split(":"))
    return iso_time(dt.datetime.combine(day, dt.time(hour, minute)))
