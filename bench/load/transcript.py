"""What happened in one simulated conversation, turn by turn."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from bench.load.replies import Reply
from bench.load.script import Effect, Script


class Outcome(str, Enum):
    """What the citizen knows about a back-end change of the conversation."""

    NOT_ASKED = "not_asked"  # the deciding message was never sent: nothing may exist
    CONFIRMED = "confirmed"  # the bot said it was done: it must exist exactly once
    UNKNOWN = "unknown"  # sent, but no clear answer: at most once


@dataclass(frozen=True)
class TurnRecord:
    """One message sent and what came back for it.

    ``sent_at`` and ``done_at`` are ``time.perf_counter()`` values; ``error``
    is set when the transport failed (HTTP status, timeout, refused).
    """

    sent: str
    replies: tuple[Reply, ...]
    sent_at: float
    done_at: float
    error: str | None = None

    @property
    def latency_ms(self) -> float:
        """Time from sending to having every reply of the turn."""
        return (self.done_at - self.sent_at) * 1000


@dataclass
class Transcript:
    """A conversation as the citizen lived it.

    ``late`` holds replies that arrived after the conversation's last turn
    was closed (only asynchronous channels can produce them). ``context``
    holds the values captured from replies (booking code, ticket id, …).
    """

    sender: str
    script: Script
    turns: list[TurnRecord] = field(default_factory=list)
    late: list[Reply] = field(default_factory=list)
    context: dict[str, str] = field(default_factory=dict)
    abandoned: str | None = None

    def effect_outcome(self, effect: Effect) -> Outcome:
        """Whether the turn that makes ``effect`` was sent, and whether it was confirmed."""
        index = self.script.effect_turn(effect)
        if index is None or index >= len(self.turns):
            return Outcome.NOT_ASKED
        record = self.turns[index]
        turn = self.script.turns[index]
        if record.error is None and turn.matches(list(record.replies)):
            return Outcome.CONFIRMED
        return Outcome.UNKNOWN
