"""Typed errors of the review queue; their messages are for staff (Chinese)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One reason a label was refused: a stable code and a message for staff."""

    code: str
    message: str


class QueueError(Exception):
    """Base of the review queue's errors."""


class ItemNotFound(QueueError):
    """The message is not in the log (or is not a citizen message)."""

    def __init__(self, event_id: int) -> None:
        """``event_id``: the id asked for."""
        self.event_id = event_id
        super().__init__(
            f"找不到消息 {event_id}（可能已按保留期限删除，或不是群众发送的消息）"
        )


class InvalidLabel(QueueError):
    """The label names an unknown intent or entity, or its spans are wrong."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        """``problems``: every problem found, not only the first."""
        self.problems = tuple(problems)
        super().__init__("；".join(p.message for p in self.problems))


class Conflict(QueueError):
    """Someone decided about the message since the reviewer loaded it."""

    def __init__(
        self,
        event_id: int,
        expected_version: int,
        current_version: int,
        decided_by: str | None,
        summary: str | None,
    ) -> None:
        """The versions compared and who made the decision that won."""
        self.event_id = event_id
        self.expected_version = expected_version
        self.current_version = current_version
        self.decided_by = decided_by
        self.summary = summary
        who = decided_by or "其他人"
        what = f"（{summary}）" if summary else ""
        super().__init__(
            f"消息 {event_id} 已被 {who} 处理{what}，当前版本 {current_version}，"
            f"您看到的是版本 {expected_version}。您的标注未保存，请刷新后重新确认。"
        )
