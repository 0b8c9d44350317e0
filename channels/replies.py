"""The channel-neutral bot reply, parsed from Rasa's REST channel output.

Rasa's REST channel answers a turn with a JSON list of messages, one object per
``utter_message`` / response part::

    [{"recipient_id": "u1", "text": "请问要预约哪个科目？",
      "buttons": [{"title": "科目一", "payload": "/inform{...}"}]},
     {"recipient_id": "u1", "image": "https://…/map.png"},
     {"recipient_id": "u1", "custom": {"links": [{"title": "办事指南",
                                                  "url": "https://…"}]}}]

``replies_from_rasa`` turns that into ``BotReply`` values and never raises: a
malformed item or field is skipped and the valid rest is kept, because the
gateway must still answer the citizen. Buttons whose target is a web address
(``{"title", "url"}`` without a payload) become links; only ``http(s)`` links
and images are kept, so nothing like ``javascript:`` reaches a channel.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

__all__ = ["BotReply", "Choice", "Link", "replies_from_rasa"]

# Bounds that keep a runaway or hostile payload from costing unbounded work.
MAX_MESSAGES = 50
MAX_BUTTONS = 30
MAX_URL_LENGTH = 2048


@dataclass(frozen=True)
class Choice:
    """A button: ``title`` is shown, ``payload`` is sent to Rasa when chosen."""

    title: str
    payload: str


@dataclass(frozen=True)
class Link:
    """A web link with the title to show for it."""

    title: str
    url: str


@dataclass(frozen=True)
class BotReply:
    """One bot message as every channel renders it."""

    text: str = ""
    choices: tuple[Choice, ...] = field(default_factory=tuple)
    links: tuple[Link, ...] = field(default_factory=tuple)
    image_url: str | None = None

    def is_empty(self) -> bool:
        """Whether there is nothing to show."""
        return not (self.text or self.choices or self.links or self.image_url)


def _clean_text(value: object) -> str:
    if not isinstance(value, str):
        return ""
    # NUL and lone surrogates break XML, JSON encoders and SMS gateways.
    return "".join(
        ch for ch in value if ch != "\x00" and not 0xD800 <= ord(ch) <= 0xDFFF
    ).strip()


def _web_url(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    url = value.strip()
    if not url or len(url) > MAX_URL_LENGTH or not url.isprintable() or " " in url:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def _choice(item: object) -> Choice | None:
    if not isinstance(item, dict):
        return None
    title = _clean_text(item.get("title"))
    payload = _clean_text(item.get("payload"))
    if not title or not payload:
        return None
    return Choice(title=title, payload=payload)


def _link(item: object) -> Link | None:
    if not isinstance(item, dict):
        return None
    url = _web_url(item.get("url"))
    if url is None:
        return None
    return Link(title=_clean_text(item.get("title")) or url, url=url)


def _buttons(message: dict[str, object]) -> tuple[list[Choice], list[Link]]:
    choices: list[Choice] = []
    links: list[Link] = []
    for key in ("buttons", "quick_replies"):
        raw = message.get(key)
        if not isinstance(raw, list):
            continue
        for item in raw[:MAX_BUTTONS]:
            if isinstance(item, dict) and "payload" not in item and "url" in item:
                link = _link(item)
                if link is not None:
                    links.append(link)
                continue
            choice = _choice(item)
            if choice is not None:
                choices.append(choice)
    return choices, links


def _custom_links(custom: object) -> list[Link]:
    if not isinstance(custom, dict):
        return []
    raw = custom.get("links")
    if not isinstance(raw, list):
        return []
    return [link for link in map(_link, raw[:MAX_BUTTONS]) if link is not None]


def _reply(message: object) -> BotReply | None:
    if not isinstance(message, dict):
        return None
    choices, links = _buttons(message)
    links.extend(_custom_links(message.get("custom")))
    reply = BotReply(
        text=_clean_text(message.get("text")),
        choices=tuple(choices),
        links=tuple(links),
        image_url=_web_url(message.get("image")),
    )
    return None if reply.is_empty() else reply


def _decode(data: object) -> object:
    if isinstance(data, bytes | bytearray):
        try:
            data = bytes(data).decode("utf-8")
        except UnicodeDecodeError:
            return None
    if isinstance(data, str):
        try:
            return json.loads(data)
        except ValueError:
            return None
    return data


def replies_from_rasa(data: object) -> list[BotReply]:
    """Parse Rasa REST channel output into replies, skipping what is invalid.

    Args:
        data: The decoded JSON list, or the raw body as ``str`` / ``bytes``.

    Returns:
        The valid, non-empty replies in order (at most ``MAX_MESSAGES``); an
        empty list for anything that is not a list of messages.
    """
    messages = _decode(data)
    if not isinstance(messages, list):
        return []
    replies: Iterable[BotReply | None] = map(_reply, messages[:MAX_MESSAGES])
    return [reply for reply in replies if reply is not None]
