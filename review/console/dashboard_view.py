"""``/``: the dashboard page (reviewer and up), with a date range filter."""

from __future__ import annotations

import datetime as dt

from aiohttp import web

from review.console import keys
from review.console.auth import require_role
from review.console.charts import bar_chart, column_chart, rate_meter
from review.console.dashboard import DateRange, dashboard
from review.console.render import render

DEFAULT_DAYS = 30
MAX_DAYS = 366
# Shares above these are shown in the alert colour.
FALLBACK_ALERT = 0.2
HANDOFF_ALERT = 0.1


def parse_range(
    start: str | None, end: str | None, today: dt.date | None = None
) -> tuple[DateRange, str | None]:
    """The requested range, or the last 30 days and a reason when it is unusable."""
    default = DateRange.last_days(DEFAULT_DAYS, today)
    if not start and not end:
        return default, None
    try:
        first = dt.date.fromisoformat(start) if start else default.start
        last = dt.date.fromisoformat(end) if end else default.end
    except ValueError:
        return default, "日期格式应为 年-月-日，已显示最近30天。"
    if first > last:
        return default, "开始日期不能晚于结束日期，已显示最近30天。"
    if (last - first).days >= MAX_DAYS:
        return default, "一次最多查看366天，已显示最近30天。"
    return DateRange(first, last), None


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


@require_role("reviewer")
async def dashboard_page(request: web.Request) -> web.StreamResponse:
    """Volume, outcomes and satisfaction for the chosen days."""
    period, warning = parse_range(request.query.get("from"), request.query.get("to"))
    async with request.app[keys.DB].read() as session:
        board = await dashboard(session, period)
    by_day = [(day.strftime("%m-%d"), n) for day, n in board.messages_by_day]
    charts = {
        "channel": bar_chart(
            "channel", "各渠道会话量", board.conversations_by_channel, unit="个会话"
        ),
        "intent": bar_chart(
            "intent", "各意图消息量（前15位）", board.messages_by_intent[:15], unit="条"
        ),
        "day": column_chart("day", "每日消息量", by_day, unit="条"),
        "service": bar_chart(
            "service",
            "各服务事项平均评分",
            [(f.label, round(f.average or 0, 2)) for f in board.ratings_by_service],
            unit="分",
            maximum=5,
        ),
        "department": bar_chart(
            "department",
            "各部门平均评分",
            [(f.label, round(f.average or 0, 2)) for f in board.ratings_by_department],
            unit="分",
            maximum=5,
        ),
        "fallback": rate_meter(
            "fallback",
            "未识别率",
            board.fallback_rate,
            alert=(board.fallback_rate or 0) > FALLBACK_ALERT,
        ),
        "handoff": rate_meter(
            "handoff",
            "转人工率",
            board.handoff_rate,
            alert=(board.handoff_rate or 0) > HANDOFF_ALERT,
        ),
        "completion": rate_meter(
            "completion", "办结率", board.completion_rate, alert=False
        ),
    }
    return render(
        request,
        "dashboard.html",
        {
            "board": board,
            "charts": charts,
            "warning": warning,
            "percent": _percent,
        },
    )
