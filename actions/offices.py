"""Offices: address, phone and opening hours from the city's directory."""

from __future__ import annotations

from rasa_sdk.events import EventType, SlotSet

from actions import slots
from actions.backend.payloads import Office
from actions.base import ServiceAction, Turn

MAX_OFFICES = 4

# Words in the question → directory kind (checked in order: 车管所 before 大厅).
KINDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("车管", "驾管", "交警"), "dmv"),
    (("出入境", "护照", "港澳", "签注"), "exit_entry"),
    (("公积金",), "housing_fund"),
    (("社保", "医保", "社会保险"), "social_insurance"),
    (("政务", "大厅", "市民中心", "行政服务", "办事"), "service_centre"),
)


def office_kind(text: str) -> str | None:
    """The kind of office a question is about (``None``: any)."""
    for words, kind in KINDS:
        if any(word in text for word in words):
            return kind
    return None


def office_text(office: Office) -> str:
    """Name, address, phone and hours on four lines."""
    return (
        f"【{office.name}】\n地址：{office.address}\n电话：{office.phone}\n"
        f"办公时间：{office.hours}"
    )


class ActionQueryOffice(ServiceAction):
    """Finds offices by kind and district; widens to the whole city if none."""

    service_label = "办事指南"

    def name(self) -> str:
        """Action name in the domain."""
        return "action_query_office"

    async def handle(self, turn: Turn) -> list[EventType]:
        """Answer from the directory; the district slot is used once."""
        text = str((turn.tracker.latest_message or {}).get("text") or "")
        kind = office_kind(text)
        district = turn.slot(slots.DISTRICT)
        offices: list[Office] = await self.backend.directory.offices(
            district=district, kind=kind
        )
        if not offices and district:
            offices = await self.backend.directory.offices(kind=kind)
        if not offices:
            turn.say("utter_no_office")
        else:
            turn.say(
                "utter_offices",
                items="\n\n".join(office_text(o) for o in offices[:MAX_OFFICES]),
            )
        if turn.tracker.active_loop_name:
            return []  # a question in the middle of a form: keep its district
        return [SlotSet(slots.DISTRICT, None)]
