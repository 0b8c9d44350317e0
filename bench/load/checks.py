"""Did every conversation get every reply, in its own turn, exactly once?

A turn's answer is recognised by the markers its script expects. When they
are missing from the turn, the later turns and the late replies are searched:
found there, the answer was reordered (it came with the wrong turn); found
nowhere, it was lost (no reply at all) or the bot answered something else.
Any message delivered twice in one conversation is a duplicate: the scripts
are straight paths on which the assistant never repeats itself word for word.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum

from bench.load.replies import Reply, readable
from bench.load.transcript import Transcript


class FailureKind(str, Enum):
    """How a conversation went wrong."""

    ERROR = "error"  # the transport failed (status, timeout, connection)
    LOST = "lost"  # a turn got no reply and its answer never came
    REORDERED = (
        "reordered"  # a turn's answer arrived with a later turn or after the end
    )
    DUPLICATED = "duplicated"  # one message delivered more than once
    UNEXPECTED = "unexpected"  # a reply came, but not the one the script needs
    LATE = "late"  # replies after the conversation ended


@dataclass(frozen=True)
class Failure:
    """One fault found in one conversation."""

    kind: FailureKind
    turn: int | None
    detail: str


def check_transcript(transcript: Transcript) -> list[Failure]:
    """Every fault of one conversation; an empty list means it went as scripted."""
    failures: list[Failure] = []
    turns = transcript.script.turns
    records = transcript.turns
    for index, (turn, record) in enumerate(zip(turns, records, strict=False)):
        if record.error is not None:
            failures.append(Failure(FailureKind.ERROR, index, record.error))
            continue
        missing = turn.missing(list(record.replies))
        if not missing:
            continue
        where = _found_later(missing, transcript, index)
        if where is not None:
            detail = f"{'/'.join(missing)} arrived {where}"
            failures.append(Failure(FailureKind.REORDERED, index, detail))
        elif not record.replies:
            failures.append(
                Failure(FailureKind.LOST, index, f"no reply to {record.sent!r}")
            )
        else:
            said = readable(list(record.replies)).replace("\n", " ")[:80]
            detail = f"wanted {'/'.join(missing)}, got {said!r}"
            failures.append(Failure(FailureKind.UNEXPECTED, index, detail))
    for reply, count in _repeated(transcript).items():
        detail = f"{count}× {reply.readable()[:40]!r}"
        failures.append(Failure(FailureKind.DUPLICATED, None, detail))
    if transcript.late:
        detail = f"{len(transcript.late)} replies after the last turn"
        failures.append(Failure(FailureKind.LATE, None, detail))
    if not failures and len(records) < len(turns):
        reason = transcript.abandoned or "stopped early"
        failures.append(Failure(FailureKind.UNEXPECTED, len(records), reason))
    return failures


def _found_later(markers: list[str], transcript: Transcript, index: int) -> str | None:
    """Where all ``markers`` turn up after turn ``index``, if they do."""
    for later in range(index + 1, len(transcript.turns)):
        text = readable(list(transcript.turns[later].replies))
        if all(marker in text for marker in markers):
            return f"with turn {later}"
    if transcript.late and all(m in readable(transcript.late) for m in markers):
        return "after the conversation"
    return None


def _repeated(transcript: Transcript) -> dict[Reply, int]:
    every = [reply for record in transcript.turns for reply in record.replies]
    counts = Counter([*every, *transcript.late])
    return {reply: n for reply, n in counts.items() if n > 1}


@dataclass
class CheckSummary:
    """Checks over many conversations."""

    conversations: int = 0
    completed: int = 0
    failed: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)

    def clean(self) -> bool:
        """No conversation failed any check."""
        return self.failed == 0


def summarise_checks(
    transcripts: Iterable[Transcript], examples: int = 8
) -> CheckSummary:
    """Check every conversation; keep a few examples of what went wrong."""
    summary = CheckSummary()
    for transcript in transcripts:
        summary.conversations += 1
        failures = check_transcript(transcript)
        if not failures:
            summary.completed += 1
            continue
        summary.failed += 1
        for failure in failures:
            summary.by_kind[failure.kind.value] += 1
            if len(summary.examples) < examples:
                script = transcript.script
                summary.examples.append(
                    f"{script.errand.value}/{script.variant} {transcript.sender} "
                    f"turn {failure.turn}: {failure.kind.value}: {failure.detail}"
                )
    return summary
