"""One bot message as a citizen receives it, whatever channel carried it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Button:
    """A button: what it shows and what pressing it sends."""

    title: str
    payload: str


@dataclass(frozen=True)
class Reply:
    """A bot message. Frozen and hashable, so repeated messages can be counted.

    ``custom`` is the channel-neutral custom payload (links, …) as canonical
    JSON text, so that two deliveries of one message compare equal.
    """

    text: str = ""
    buttons: tuple[Button, ...] = ()
    custom: str = ""

    @classmethod
    def from_rest(cls, raw: dict[str, Any]) -> Reply:
        """A message of Rasa's REST channel (``{"text", "buttons", "custom"}``)."""
        buttons = tuple(
            Button(str(b.get("title", "")), str(b.get("payload", "")))
            for b in raw.get("buttons") or []
        )
        custom = raw.get("custom")
        return cls(
            text=str(raw.get("text") or ""),
            buttons=buttons,
            custom=json.dumps(custom, ensure_ascii=False, sort_keys=True)
            if custom
            else "",
        )

    def readable(self) -> str:
        """Text and button titles: everything a citizen reads in this message."""
        return "\n".join([self.text, *(b.title for b in self.buttons)])

    def links(self) -> list[str]:
        """URLs of the custom payload's ``links`` (e.g. a payment page)."""
        if not self.custom:
            return []
        data = json.loads(self.custom)
        links = data.get("links", []) if isinstance(data, dict) else []
        return [str(link["url"]) for link in links if isinstance(link, dict)]


def readable(replies: list[Reply]) -> str:
    """All that a turn's replies say, joined."""
    return "\n".join(reply.readable() for reply in replies)
