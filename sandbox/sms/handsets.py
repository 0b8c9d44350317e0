"""The simulated phones' message lists, in memory and bounded."""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict, deque
from dataclasses import asdict, dataclass
from typing import Literal

MAX_PHONES = 10_000
MAX_MESSAGES_PER_PHONE = 200

Direction = Literal["from_phone", "to_phone"]


@dataclass(frozen=True)
class SmsMessage:
    """One message to or from a simulated phone."""

    sid: str
    phone: str
    direction: Direction
    body: str
    at: float

    def to_json(self) -> dict[str, object]:
        """The wire form of the handset API."""
        return asdict(self)


def new_sid() -> str:
    """A Twilio-shaped message id (``SM`` + 32 hex)."""
    return "SM" + uuid.uuid4().hex


class Handsets:
    """Messages per phone number; the least recently used phones are forgotten."""

    def __init__(
        self,
        max_phones: int = MAX_PHONES,
        max_messages: int = MAX_MESSAGES_PER_PHONE,
    ) -> None:
        self._phones: OrderedDict[str, deque[SmsMessage]] = OrderedDict()
        self._max_phones = max_phones
        self._max_messages = max_messages

    def record(self, phone: str, direction: Direction, body: str) -> SmsMessage:
        """Keep one message and return it."""
        message = SmsMessage(new_sid(), phone, direction, body, time.time())
        messages = self._phones.pop(phone, None)
        if messages is None:
            messages = deque(maxlen=self._max_messages)
        messages.append(message)
        self._phones[phone] = messages
        while len(self._phones) > self._max_phones:
            self._phones.popitem(last=False)
        return message

    def messages(self, phone: str, after: float = 0.0) -> list[SmsMessage]:
        """The phone's messages newer than ``after`` (oldest first)."""
        return [m for m in self._phones.get(phone, ()) if m.at > after]
