"""Exam sessions: finding seats and offering the nearest free sessions as choices."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from actions.backend import Backend
from actions.backend.payloads import ExamSlot
from actions.render import day, period

MAX_CHOICES = 4


def choice(title: str, intent: str = "inform", **entities: str) -> dict[str, str]:
    """A button whose payload fills slots directly (``/inform{"date": …}``)."""
    payload = f"/{intent}"
    if entities:
        payload += json.dumps(entities, ensure_ascii=False)
    return {"title": title, "payload": payload}


def slot_title(slot: ExamSlot, *, with_site: bool = True) -> str:
    """``12月2日（周三）上午 南山考场（余12）``."""
    text = f"{day(slot.date)}{period(str(slot.period.value))}"
    if with_site:
        text += f" {slot.site}"
    return f"{text}（余{slot.remaining}）"


def slot_choice(slot: ExamSlot) -> dict[str, str]:
    """A button booking this exact session."""
    return choice(
        slot_title(slot),
        date=slot.date.isoformat(),
        time_period=str(slot.period.value),
        exam_site=slot.site,
    )


def nearest(
    slots: list[ExamSlot], wanted: date, wanted_period: str | None
) -> list[ExamSlot]:
    """Sessions with seats closest to the wanted day, same period first."""
    free = [s for s in slots if s.remaining > 0]
    free.sort(
        key=lambda s: (
            abs((s.date - wanted).days),
            str(s.period.value) != wanted_period,
            s.date,
            s.site,
        )
    )
    return free[:MAX_CHOICES]


async def alternatives(
    backend: Backend,
    subject: str,
    wanted: date,
    wanted_period: str | None,
    site: str | None = None,
) -> list[ExamSlot]:
    """The nearest free sessions for a subject, at the same site if it has any."""
    if site:
        same_site = await backend.traffic.exam_slots(subject=subject, site=site)
        picked = nearest(same_site, wanted, wanted_period)
        if picked:
            return picked
    return nearest(
        await backend.traffic.exam_slots(subject=subject), wanted, wanted_period
    )


async def session_state(
    backend: Backend, subject: str, day_iso: str, period_value: str, site: str
) -> tuple[str, ExamSlot | None]:
    """``("free"|"full"|"none", slot)`` for one exact session."""
    found = await backend.traffic.exam_slots(
        subject=subject, date=day_iso, period=period_value, site=site, include_full=True
    )
    for slot in found:
        return ("free" if slot.remaining > 0 else "full"), slot
    return "none", None


def buttons_payload(slots: list[ExamSlot]) -> list[dict[str, Any]]:
    """Buttons for a list of sessions."""
    return [slot_choice(s) for s in slots]
