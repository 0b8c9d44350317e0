"""A realistic conversation log for the queue tests, written the way the broker writes it.

Raw Rasa events (real ID numbers, phones and plates in the text, entities with
offsets, intent rankings) go through ``bot.event_masking.to_row`` — the
broker's own masking — before they are stored, so the queue only ever sees
what it would see in production.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.event_masking import to_row
from review.logdb.database import LogDatabase
from review.logdb.models import ConversationEvent

KEY = b"queue-test-key"
T0 = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=2)


def parse(
    text: str,
    intent: str,
    confidence: float,
    ranking: Sequence[tuple[str, float]] = (),
    entities: Sequence[tuple[str, str]] = (),
    topic: str | None = None,
) -> dict[str, Any]:
    """Rasa's parse data; entities are located in ``text`` by their value."""
    found = []
    for entity, value in entities:
        start = text.index(value)
        found.append(
            {
                "entity": entity,
                "value": value,
                "start": start,
                "end": start + len(value),
                "extractor": "GovEntityExtractor",
            }
        )
    top = [{"name": intent, "confidence": confidence}]
    parsed: dict[str, Any] = {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "entities": found,
        "intent_ranking": top + [{"name": n, "confidence": c} for n, c in ranking],
    }
    if topic is not None:
        parsed["response_selector"] = {
            "faq": {
                "response": {
                    "intent_response_key": f"faq/{topic}",
                    "confidence": confidence,
                    "responses": [{"text": "（答案正文）"}],
                }
            }
        }
    return parsed


@dataclass
class Talk:
    """One conversation's raw events, one second apart."""

    sender: str
    start: dt.datetime = T0
    events: list[dict[str, Any]] = field(default_factory=list)

    def _add(self, event: dict[str, Any]) -> Talk:
        stamp = self.start + dt.timedelta(seconds=len(self.events))
        self.events.append(
            {**event, "sender_id": self.sender, "timestamp": stamp.timestamp()}
        )
        return self

    def user(
        self,
        text: str,
        intent: str,
        confidence: float,
        ranking: Sequence[tuple[str, float]] = (),
        entities: Sequence[tuple[str, str]] = (),
        topic: str | None = None,
    ) -> Talk:
        """The citizen says something (unmasked: the broker masks it)."""
        self._add(
            {
                "event": "user",
                "text": text,
                "parse_data": parse(text, intent, confidence, ranking, entities, topic),
                "input_channel": "rest",
            }
        )
        return self

    def fallback(self, text: str, guess: str, guess_confidence: float) -> Talk:
        """An NLU fallback and the two-stage "您是想…吗？" with buttons."""
        self.user(
            text,
            "nlu_fallback",
            0.5,
            ranking=[(guess, guess_confidence), ("out_of_scope", 0.1)],
        )
        self.action("action_two_stage_fallback")
        self._add({"event": "active_loop", "name": "action_two_stage_fallback"})
        return self.bot(
            "抱歉，我不太确定您的意思。您是想办理下面哪一项？", "utter_ask_affirmation"
        )

    def press(self, intent: str) -> Talk:
        """A button press: Rasa parses ``/intent`` with confidence 1."""
        return self.user(f"/{intent}", intent, 1.0)

    def action(self, name: str) -> Talk:
        """An action ran."""
        return self._add(
            {"event": "action", "name": name, "policy": "RulePolicy", "confidence": 1.0}
        )

    def bot(self, text: str, utter: str) -> Talk:
        """The assistant said something."""
        return self._add(
            {
                "event": "bot",
                "text": text,
                "data": {},
                "metadata": {"utter_action": utter},
            }
        )

    def slot(self, name: str, value: Any) -> Talk:
        """A slot was set."""
        return self._add({"event": "slot", "name": name, "value": value})

    def pause(self) -> Talk:
        """The bot paused (handed over to staff)."""
        return self._add({"event": "pause"})

    def rows(self) -> Iterator[ConversationEvent]:
        """The masked rows the broker writes."""
        for event in self.events:
            yield ConversationEvent(**to_row(event, KEY))


async def store(db: LogDatabase, talks: Sequence[Talk]) -> None:
    """Write every conversation to the log."""
    async with db.write() as session:
        for talk in talks:
            session.add_all(list(talk.rows()))


def pseudonym(sender: str) -> str:
    """The conversation id the log uses for ``sender``."""
    from bot.event_masking import pseudonym as keyed

    return keyed(KEY, sender)


def city(start: dt.datetime = T0) -> list[Talk]:
    """A morning of conversations with every kind of signal."""
    minute = dt.timedelta(minutes=1)
    talks: list[Talk] = []

    # 1-3: the same question about licence points, with three different IDs: one group.
    for n, id_number in enumerate(
        ("44030519900101123X", "440305199001011213", "11010519491231002X")
    ):
        talk = Talk(f"web:points-{n}", start + n * minute)
        talk.fallback(f"查{id_number}的分", "query_license_points", 0.41)
        talk.press("query_license_points")
        talk.action("action_two_stage_fallback").user(
            "/query_license_points", "query_license_points", 1.0
        )
        talk.action("license_form").bot("请提供身份证号", "utter_ask_id_number")
        talks.append(talk)

    # 4: the model thought inspection, the citizen chose violations in the buttons.
    talk = Talk("wechat:choice", start + 5 * minute)
    talk.fallback("粤B12345那个罚单咋弄", "query_inspection", 0.45)
    talk.press("pay_fine")
    talks.append(talk)

    # 5: confident enough, but the citizen corrected it right after.
    talk = Talk("web:correct", start + 6 * minute)
    talk.user("我想约个年审", "book_exam", 0.74, entities=())
    talk.action("exam_booking_form").bot("请问预约科目几？", "utter_ask_exam_subject")
    talk.user("不对，我是要预约机动车年检", "book_inspection", 0.93)
    talks.append(talk)

    # 6: low confidence, then a bad rating.
    talk = Talk("sms:rating", start + 7 * minute)
    talk.user(
        "投诉窗口办事太慢了", "give_suggestion", 0.55, ranking=[("file_complaint", 0.4)]
    )
    talk.action("ticket_form").bot("请问您的手机号？", "utter_ask_phone_number")
    talk.user("13912340000", "inform", 0.97, entities=[("phone_number", "13912340000")])
    talk.slot("phone_number", "13912340000")
    talk.user("一星", "rate_service", 0.99, entities=[("rating", "一星")])
    talk.slot("rating", "1").action("action_rate_service")
    talks.append(talk)

    # 7: handoff requested after a misunderstanding.
    talk = Talk("web:handoff", start + 8 * minute)
    talk.user("车辆过户需要本人到场吗", "faq", 0.66, topic="residence_permit")
    talk.action("action_faq").bot("居住证申领与签注……", "utter_faq/residence_permit")
    talk.user("转人工", "human_handoff", 0.99)
    talk.action("action_human_handoff").bot(
        "正在为您转接人工客服", "utter_human_handoff"
    )
    talk.pause()
    talks.append(talk)

    # 8: a rephrase after "都不是".
    talk = Talk("web:rephrase", start + 9 * minute)
    talk.fallback("那个本本到期了咋整", "query_license_points", 0.38)
    talk.press("out_of_scope")
    talk.user("驾驶证到期了怎么换证", "faq", 0.91, topic="driving_license_renewal")
    talks.append(talk)

    # 9: a confident, uneventful conversation: nothing to review.
    talk = Talk("web:fine", start + 10 * minute)
    talk.user("车管所几点下班", "query_office", 0.97)
    talk.action("action_query_office").bot("车管所工作时间……", "utter_office_hours")
    talk.user("谢谢", "thank", 0.99)
    talks.append(talk)

    # 10: a traditional-character, full-width variant of the points question.
    talk = Talk("telegram:trad", start + 11 * minute)
    talk.fallback(
        "查４４０３０５１９９００１０１１２１３的分？", "query_license_points", 0.43
    )
    talks.append(talk)
    return talks
