"""Render bot replies as SMS text; detect opt-out and opt-in keywords.

SMS has no buttons: choices become a numbered menu (``回复1：科目一``, one per
line, numbered across all replies of the turn, resolved later with
``channels.choices.resolve_choice``) and links become ``标题：URL`` lines. The
text is then split into single-segment messages (``split_for_sms``). When it
needs more than ``max_parts`` messages the body is shortened, not the menu, so
that every number the citizen may answer stays visible.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from channels.replies import BotReply, Choice
from channels.sms.segments import split_for_sms
from nlu.normalize import normalize_for_match

__all__ = [
    "OVERFLOW_NOTE",
    "RenderedSms",
    "Subscription",
    "render_sms",
    "sms_text",
    "subscription_keyword",
]

# Citizen-facing text (move to the gateway's texts.py when it exists).
OVERFLOW_NOTE = "…详询12345"
IMAGE_TITLE = "图片"


@dataclass(frozen=True)
class RenderedSms:
    """Messages to send, in order, and the menu they show (for the next answer)."""

    parts: tuple[str, ...]
    choices: tuple[Choice, ...]


def _menu(choices: Sequence[Choice], first: int) -> list[str]:
    return [f"回复{first + i}：{choice.title}" for i, choice in enumerate(choices)]


def _render(replies: Sequence[BotReply]) -> tuple[list[str], list[str], list[Choice]]:
    """Body blocks, menu lines and the numbered choices."""
    body: list[str] = []
    menu: list[str] = []
    choices: list[Choice] = []
    for reply in replies:
        lines = [reply.text] if reply.text else []
        lines += [f"{link.title}：{link.url}" for link in reply.links]
        if reply.image_url:
            lines.append(f"{IMAGE_TITLE}：{reply.image_url}")
        if lines:
            body.append("\n".join(lines))
        menu += _menu(reply.choices, len(choices) + 1)
        choices += reply.choices
    return body, menu, choices


def sms_text(replies: Sequence[BotReply]) -> tuple[str, tuple[Choice, ...]]:
    """All replies as one SMS text (body, then menu) and its numbered choices."""
    body, menu, choices = _render(replies)
    return "\n".join([*body, *menu]), tuple(choices)


def _stripped(parts: Sequence[str]) -> tuple[str, ...]:
    # Line breaks and spaces at the edges of an SMS are wasted units.
    return tuple(part.strip() for part in parts if part.strip())


def render_sms(
    replies: Sequence[BotReply],
    *,
    max_parts: int = 3,
    reserved: int = 0,
    overflow: str = OVERFLOW_NOTE,
) -> RenderedSms:
    """Render a turn's replies as at most ``max_parts`` single-segment SMS.

    Args:
        replies: The bot's replies of one turn.
        max_parts: The most messages to send.
        reserved: Units per message the provider adds (Aliyun's ``【签名】``).
        overflow: Ends the body when it had to be shortened.
    """
    body, menu, choices = _render(replies)
    text = "\n".join([*body, *menu])
    whole = _stripped(split_for_sms(text, None, reserved=reserved))
    if len(whole) <= max_parts:
        return RenderedSms(whole, tuple(choices))
    menu_parts = _stripped(split_for_sms("\n".join(menu), None, reserved=reserved))
    room = max_parts - len(menu_parts)
    if menu and room >= 1:
        head = split_for_sms(
            "\n".join(body), room, reserved=reserved, overflow=overflow
        )
        return RenderedSms((*_stripped(head), *menu_parts), tuple(choices))
    # The menu alone fills every message: shorten all, offer no numbers.
    parts = split_for_sms(text, max_parts, reserved=reserved, overflow=overflow)
    return RenderedSms(_stripped(parts), ())


class Subscription(str, Enum):
    """What an opt-out / opt-in keyword asks for."""

    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"


# Twilio's default keywords (its Advanced Opt-Out acts on them whatever we do,
# so we must know), plus the Chinese carriers' 回T/回TD退订 convention.
_OPT_OUT_WORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
    | {"T", "TD"}
)
_OPT_IN_WORDS = frozenset({"START", "UNSTOP", "YES"})
# 取消 alone is not here: it cancels a booking or a form in this assistant.
_OPT_OUT_CHINESE = re.compile(
    r"(?:我要|我想|请|请帮我)?(?:退订|取消订阅|退出订阅|拒收)(?:短信|通知|消息)?(?:了|吧)?"
)
_OPT_IN_CHINESE = re.compile(
    r"(?:我要|我想|请|请帮我)?(?:订阅|恢复订阅|重新订阅|恢复接收)(?:短信|通知|消息)?(?:吧)?"
)
_NOISE = re.compile(r"[\s.,!?。，！？~、]+")


def subscription_keyword(text: str) -> Subscription | None:
    """Whether an inbound SMS, as a whole, is an opt-out or opt-in keyword.

    Matching ignores width, script, case, spaces and punctuation (``ｔｄ``,
    ``退訂``, ``Stop!``). Opt-in words such as ``YES`` also mean "yes" in a
    conversation: act on ``OPT_IN`` only for a number that had opted out, and
    otherwise pass the text on to Rasa.
    """
    key = _NOISE.sub("", normalize_for_match(text))
    if not key:
        return None
    if key in _OPT_OUT_WORDS or _OPT_OUT_CHINESE.fullmatch(key):
        return Subscription.OPT_OUT
    if key in _OPT_IN_WORDS or _OPT_IN_CHINESE.fullmatch(key):
        return Subscription.OPT_IN
    return None
