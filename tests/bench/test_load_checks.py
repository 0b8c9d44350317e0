"""The conversation checker finds lost, reordered, duplicated, wrong and late replies."""

from __future__ import annotations

from bench.load.checks import FailureKind, check_transcript, summarise_checks
from bench.load.replies import Reply
from bench.load.script import Effect
from bench.load.transcript import Outcome
from tests.bench.helpers import ASK, BOOKED, BOOKING, RATE, transcript


def kinds(failures: list) -> list[FailureKind]:
    return [failure.kind for failure in failures]


def test_a_conversation_as_scripted_passes() -> None:
    talk = transcript(BOOKING, [[ASK], [BOOKED, RATE]])
    assert check_transcript(talk) == []
    assert talk.effect_outcome(Effect.BOOKING) is Outcome.CONFIRMED


def test_a_reply_that_came_with_the_next_turn_is_reordered() -> None:
    # The confirmation question shows up only after the citizen's second message.
    talk = transcript(BOOKING, [[], [ASK, BOOKED]])
    failures = check_transcript(talk)
    assert kinds(failures) == [FailureKind.REORDERED]
    assert failures[0].turn == 0 and "with turn 1" in failures[0].detail


def test_a_reply_delivered_after_the_end_is_reordered_and_late() -> None:
    talk = transcript(BOOKING, [[ASK], []], late=[BOOKED])
    assert kinds(check_transcript(talk)) == [FailureKind.REORDERED, FailureKind.LATE]


def test_a_turn_without_any_reply_is_lost() -> None:
    talk = transcript(BOOKING, [[ASK], []])
    failures = check_transcript(talk)
    assert kinds(failures) == [FailureKind.LOST]
    assert failures[0].turn == 1
    assert talk.effect_outcome(Effect.BOOKING) is Outcome.UNKNOWN


def test_the_same_message_twice_is_a_duplicate() -> None:
    talk = transcript(BOOKING, [[ASK], [BOOKED, BOOKED, RATE]])
    failures = check_transcript(talk)
    assert kinds(failures) == [FailureKind.DUPLICATED]
    assert failures[0].detail.startswith("2×")


def test_a_message_repeated_in_a_later_turn_is_a_duplicate() -> None:
    talk = transcript(BOOKING, [[ASK], [ASK, BOOKED]])
    assert kinds(check_transcript(talk)) == [FailureKind.DUPLICATED]


def test_someone_elses_answer_is_unexpected() -> None:
    other = Reply("身份证4403**********0036名下的考试预约：…")
    talk = transcript(BOOKING, [[other]])
    failures = check_transcript(talk)
    assert kinds(failures) == [FailureKind.UNEXPECTED]
    assert "确认预约" in failures[0].detail
    assert talk.effect_outcome(Effect.BOOKING) is Outcome.NOT_ASKED


def test_a_transport_error_is_reported_as_such() -> None:
    talk = transcript(BOOKING, [[ASK], []], errors={1: "TimeoutError: "})
    assert kinds(check_transcript(talk)) == [FailureKind.ERROR]
    assert talk.effect_outcome(Effect.BOOKING) is Outcome.UNKNOWN


def test_a_conversation_cut_short_is_not_complete() -> None:
    talk = transcript(BOOKING, [[ASK]])
    talk.abandoned = "nothing captured for 'pay_payload'"
    failures = check_transcript(talk)
    assert kinds(failures) == [FailureKind.UNEXPECTED]
    assert "pay_payload" in failures[0].detail


def test_summary_counts_conversations_and_kinds() -> None:
    good = transcript(BOOKING, [[ASK], [BOOKED]])
    lost = transcript(BOOKING, [[ASK], []])
    doubled = transcript(BOOKING, [[ASK, ASK], [BOOKED]])
    summary = summarise_checks([good, lost, doubled])
    assert (summary.conversations, summary.completed, summary.failed) == (3, 1, 2)
    assert summary.by_kind == {"lost": 1, "duplicated": 1}
    assert not summary.clean()
    assert len(summary.examples) == 2
