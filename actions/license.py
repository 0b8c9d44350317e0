"""Driving licence: points, status and validity, after the ID number."""

from __future__ import annotations

from datetime import timedelta

from rasa_sdk.events import EventType

from actions import slots
from actions.backend.errors import NotFound
from actions.backend.payloads import License
from actions.base import ServiceAction, Turn, clear_task_slots, finish_task
from actions.render import LICENSE_STATUSES, day, masked_id, masked_name
from actions.validation import SlotValidator, today

RENEWAL_WINDOW = timedelta(days=90)


def advice(licence: License) -> str:
    """What the citizen should do next, if anything."""
    status = str(licence.status.value)
    if status == "suspended":
        return (
            "\n提示：驾驶证已被暂扣（一个记分周期内记满12分），需要参加满分学习和考试。"
            "办理指南可以问我“驾驶证审验”。"
        )
    if status == "expired":
        return "\n提示：驾驶证已超过有效期，请尽快办理期满换证，可以问我“驾照到期怎么换证”。"
    if licence.valid_until - today() <= RENEWAL_WINDOW:
        return "\n提示：驾驶证即将到期，可在有效期满前90天内申请换证。"
    if licence.points_remaining <= 3:
        return "\n提示：本周期剩余分值不多，请注意安全驾驶。"
    return ""


class ValidateLicenseForm(SlotValidator):
    """Only the ID number is needed."""

    def name(self) -> str:
        """Action name in the domain."""
        return "validate_license_form"


class ActionQueryLicense(ServiceAction):
    """Tells points used and left, status and validity (masked identity)."""

    service_label = "驾驶证"

    def name(self) -> str:
        """Action name in the domain."""
        return "action_query_license"

    async def handle(self, turn: Turn) -> list[EventType]:
        """Look the licence up; no licence is said plainly."""
        id_number = turn.slot(slots.ID_NUMBER)
        try:
            licence = await self.backend.traffic.license(id_number)
        except NotFound:
            turn.say("utter_unknown_license", masked=masked_id(id_number))
            return clear_task_slots()
        turn.say(
            "utter_license_status",
            masked=masked_id(id_number),
            name_masked=masked_name(licence.name),
            license_class=licence.license_class,
            status=LICENSE_STATUSES.get(
                str(licence.status.value), str(licence.status.value)
            ),
            cycle_start=day(licence.cycle_start),
            cycle_end=day(licence.cycle_end),
            points_used=licence.points_used,
            points_remaining=licence.points_remaining,
            valid_until=day(licence.valid_until),
            advice=advice(licence),
        )
        return finish_task(turn, "license", masked_id(id_number))
