"""Recognising the binding commands in what a citizen typed."""

import re
from dataclasses import dataclass
from enum import Enum

__all__ = ["Command", "Kind", "mainland_mobile", "parse_command"]

# The whole message must be the command: "我想绑定驾驶证" is a question for Rasa.
_BIND = re.compile(
    r"(?:绑定|綁定)(?:手机|手機)?(?:号码|號碼|号|號)?[:：\s]*(?P<number>[+\d\s\-]*)"
)
_UNBIND = re.compile(
    r"(?:解除|取消)(?:绑定|綁定)(?:手机|手機)?(?:号码|號碼|号|號)?|解绑|解綁"
)
_CODE = re.compile(r"\d{6}")
_MOBILE = re.compile(r"(?:\+?86)?(1[3-9]\d{9})")


class Kind(Enum):
    """What the citizen asked for."""

    BIND = "bind"
    UNBIND = "unbind"
    CODE = "code"


@dataclass(frozen=True)
class Command:
    """A binding command; ``argument`` is the number or code typed, if any."""

    kind: Kind
    argument: str = ""


def mainland_mobile(text: str) -> str | None:
    """``+86`` + the 11-digit mobile number in ``text`` (spaces, dashes allowed)."""
    match = _MOBILE.fullmatch(re.sub(r"[\s\-]", "", text))
    return "+86" + match.group(1) if match else None


def parse_command(text: str) -> Command | None:
    """The binding command ``text`` is, or None for anything else."""
    text = text.strip()
    if bind := _BIND.fullmatch(text):
        return Command(Kind.BIND, bind.group("number").strip())
    if _UNBIND.fullmatch(text):
        return Command(Kind.UNBIND)
    if _CODE.fullmatch(text):
        return Command(Kind.CODE, text)
    return None
