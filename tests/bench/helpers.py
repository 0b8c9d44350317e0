"""Hand-built scripts and transcripts for the load generator's tests."""

from __future__ import annotations

from bench.load.replies import Button, Reply
from bench.load.script import Effect, Errand, Grab, Script, Turn
from bench.load.transcript import Transcript, TurnRecord

LEARNER = "440305200301010007"

BOOKING = Script(
    Errand.BOOKING,
    "one_message",
    (
        Turn(f"我要预约科目二 C1 12月3日下午 龙岗考场 身份证{LEARNER}", ("确认预约",)),
        Turn(
            "确认",
            ("预约成功！",),
            capture=(Grab("booking_code", r"预约号：(KS\d{8})"),),
            effect=Effect.BOOKING,
        ),
    ),
    {
        "id_number": LEARNER,
        "subject": "科目二",
        "site": "龙岗考场",
        "date": "2026-12-03",
        "period": "afternoon",
    },
)

ASK = Reply("请确认预约信息：…确认预约吗？", (Button("确认预约", "/affirm"),))
BOOKED = Reply("预约成功！预约号：KS12345678\n科目二（C1）…")
RATE = Reply("本次服务您满意吗？请为我们打分（1–5分，5分为非常满意）。")


def transcript(
    script: Script,
    answers: list[list[Reply]],
    *,
    late: list[Reply] | None = None,
    errors: dict[int, str] | None = None,
    context: dict[str, str] | None = None,
) -> Transcript:
    """A conversation in which turn ``i`` of ``script`` got ``answers[i]``."""
    records = [
        TurnRecord(
            turn.say,
            tuple(replies),
            sent_at=float(i),
            done_at=float(i) + 0.05,
            error=(errors or {}).get(i),
        )
        for i, (turn, replies) in enumerate(zip(script.turns, answers, strict=False))
    ]
    return Transcript(
        sender="load-test-0",
        script=script,
        turns=records,
        late=list(late or []),
        context=dict(context or {}),
    )
