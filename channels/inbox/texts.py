"""Chinese texts the inbox shows citizens (rule 20: beside the gateway's own)."""

__all__ = ["RELEASED", "STAFF_REPLY"]

STAFF_REPLY = "【人工客服】{text}"
"""How a staff message reaches the citizen: it says a person wrote it."""

RELEASED = (
    "人工服务已结束，感谢您的耐心等待。智能助手继续为您服务，请问还有什么可以帮您？"
)
"""Sent when staff give the conversation back to the assistant."""
