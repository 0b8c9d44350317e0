"""Back-end values → the Chinese a citizen reads (dates, periods, money, statuses)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from bot.privacy import mask_id_number, mask_name, mask_phone, mask_plate

WEEKDAYS = ("一", "二", "三", "四", "五", "六", "日")
PERIODS = {"morning": "上午", "afternoon": "下午"}
LICENSE_STATUSES = {"normal": "正常", "expired": "已过有效期", "suspended": "暂扣"}
BOOKING_STATUSES = {"booked": "已预约", "cancelled": "已取消"}
INSPECTION_STATUSES = {
    "valid": "在有效期内",
    "due_soon": "即将到期（到期前3个月内即可上线检验）",
    "overdue": "已逾期，请尽快检验，逾期未检的车辆不得上路行驶",
}
TICKET_STATUSES = {
    "received": "已受理",
    "assigned": "已派单",
    "in_progress": "办理中",
    "resolved": "已办结",
}
TICKET_KINDS = {"complaint": "投诉", "suggestion": "建议"}


def day(value: date) -> str:
    """``2026-12-02`` → ``12月2日（周三）``; another year is spelled out."""
    text = f"{value.month}月{value.day}日（周{WEEKDAYS[value.weekday()]}）"
    if value.year != date.today().year:
        text = f"{value.year}年{text}"
    return text


def iso_day(value: str) -> str:
    """An ISO date string for display; anything else is returned unchanged."""
    try:
        return day(date.fromisoformat(value))
    except (TypeError, ValueError):
        return str(value)


def period(value: str | None) -> str:
    """``morning`` → ``上午``."""
    return PERIODS.get(value or "", value or "")


def clock(value: datetime) -> str:
    """An aware datetime → ``9:00`` in its own offset (the back end sends +08:00)."""
    return f"{value.hour}:{value.minute:02d}"


def moment(value: datetime) -> str:
    """``12月2日 9:30``."""
    return f"{value.month}月{value.day}日 {clock(value)}"


def money(value: Decimal) -> str:
    """``Decimal('200.00')`` → ``200``; ``50.50`` stays ``50.50``."""
    return f"{value:.0f}" if value == value.to_integral() else f"{value:.2f}"


def masked_id(value: str | None) -> str:
    """An ID number masked for echoing back (4403**********123X)."""
    return mask_id_number(value or "")


def masked_phone(value: str | None) -> str:
    """A mobile number masked for echoing back (138****8000)."""
    return mask_phone(value or "")


def masked_plate(value: str | None) -> str:
    """A plate masked for logs (粤B***45); replies show the citizen's own plate."""
    return mask_plate(value or "")


def masked_name(value: str) -> str:
    """Keep the surname only: 李婉清 → 李**."""
    return mask_name(value)
