"""Chinese texts the gateway itself shows when Rasa cannot answer (rule 20)."""

__all__ = [
    "CHOICE_EXPIRED",
    "EMPTY_MESSAGE",
    "HANDED_OFF",
    "RATE_LIMITED",
    "UNAVAILABLE",
]

UNAVAILABLE = "系统繁忙，暂时无法回复您，请稍后再试或拨打12345政务服务热线。"
"""Rasa is down, slow or answered nothing: the citizen still gets an answer."""

HANDED_OFF = (
    "您的消息已转给人工客服，工作人员会尽快回复您，请耐心等待。"
    "如有急事，请拨打12345政务服务热线。"
)
"""The conversation is with staff (Rasa paused it); shown once per pause."""

RATE_LIMITED = "您发送消息太频繁了，请稍等一分钟再试。"
"""Too many messages from one sender within a minute; shown once per minute."""

EMPTY_MESSAGE = "请用文字告诉我您要办理的事项，例如“查违章”或“预约驾考”。"
"""A message with no usable text (sticker, photo, blank, control characters)."""

CHOICE_EXPIRED = "这个选项已失效，请点选最新的选项，或直接输入您的问题。"
"""A button pressed that is not among the choices last offered."""
