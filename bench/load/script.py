"""What a simulated citizen says, what must come back, and what it changes in the back end."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

from bench.load.replies import Reply, readable


class Errand(str, Enum):
    """What the citizen came for (one conversation, one errand)."""

    BOOKING = "booking"
    VIOLATIONS = "violations"
    LICENCE = "licence"
    FAQ = "faq"
    COMPLAINT = "complaint"
    TICKET_STATUS = "ticket_status"
    REFERENCE = "reference"


class Effect(str, Enum):
    """A change in the back end that a turn's expected answer confirms."""

    BOOKING = "booking"
    PAYMENT = "payment"
    TICKET = "ticket"
    RATING = "rating"


@dataclass(frozen=True)
class Grab:
    """Keep the first match of ``pattern`` in the turn's replies as ``name``."""

    name: str
    pattern: str

    def apply(self, replies: list[Reply]) -> str | None:
        """The matched text (group 1 if the pattern has one), or None."""
        found = re.search(self.pattern, readable(replies))
        if not found:
            return None
        return found.group(1) if found.groups() else found.group(0)


@dataclass(frozen=True)
class GrabButton:
    """Keep the payload of the first button whose payload contains ``contains``."""

    name: str
    contains: str

    def apply(self, replies: list[Reply]) -> str | None:
        """The payload, or None."""
        for reply in replies:
            for button in reply.buttons:
                if self.contains in button.payload:
                    return button.payload
        return None


@dataclass(frozen=True)
class GrabLink:
    """Keep the first link of the replies' custom payloads."""

    name: str

    def apply(self, replies: list[Reply]) -> str | None:
        """The URL, or None."""
        for reply in replies:
            links = reply.links()
            if links:
                return links[0]
        return None


Capture = Grab | GrabButton | GrabLink


@dataclass(frozen=True)
class Turn:
    """One message of the citizen and what its answer must contain.

    Attributes:
        say: The message; ``{name}`` is replaced by a value captured earlier
            (a button's payload, …).
        expect: Every marker must occur in the replies of this very turn.
        capture: Values to keep from the replies once they matched.
        effect: The back-end change that a matching answer confirms.
        opens: A captured URL the citizen then opens with a POST (pays).
    """

    say: str
    expect: tuple[str, ...]
    capture: tuple[Capture, ...] = ()
    effect: Effect | None = None
    opens: str | None = None

    def render(self, context: Mapping[str, str]) -> str:
        """The message with captured values filled in (KeyError if one is missing)."""
        return self.say.format_map(context) if "{" in self.say else self.say

    def matches(self, replies: list[Reply]) -> bool:
        """Every marker is in these replies."""
        text = readable(replies)
        return all(marker in text for marker in self.expect)

    def answered(self, replies: list[Reply]) -> bool:
        """The markers are there and so is every value to capture (a button,
        a link): an out-of-band channel may deliver them in separate messages."""
        return self.matches(replies) and all(
            capture.apply(replies) is not None for capture in self.capture
        )

    def missing(self, replies: list[Reply]) -> list[str]:
        """The markers these replies lack."""
        text = readable(replies)
        return [marker for marker in self.expect if marker not in text]


@dataclass(frozen=True)
class Script:
    """One conversation: the turns in order, and the facts the final check needs.

    ``facts`` name what the conversation is about (``id_number``, ``phone``,
    ``subject``, ``site``, ``date``, ``period``, ``decision``, ``score``, …).
    """

    errand: Errand
    variant: str
    turns: tuple[Turn, ...]
    facts: Mapping[str, str] = field(default_factory=dict)

    def effect_turn(self, effect: Effect) -> int | None:
        """Index of the turn whose answer confirms ``effect``, if any."""
        for index, turn in enumerate(self.turns):
            if turn.effect is effect:
                return index
        return None
