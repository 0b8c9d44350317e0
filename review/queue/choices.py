"""What the console offers a reviewer to choose from, described in Chinese.

The names come from the vocabulary (the domain, the NLU contract's source of
truth); the Chinese descriptions of task intents and faq topics are the ones
the assistant itself shows citizens in "您是想…吗？" (``actions.labels``).
"""

from __future__ import annotations

from dataclasses import dataclass

from actions.labels import FAQ_QUESTIONS, INTENT_LABELS
from review.queue.masked import PERSONAL_ENTITIES
from review.queue.vocabulary import RETRIEVAL_INTENT, Vocabulary

CONVERSATION_LABELS = {
    "greet": "问候",
    "goodbye": "告别",
    "thank": "致谢",
    "affirm": "肯定、确认",
    "deny": "否定",
    "stop": "放弃、取消当前办理",
    "help": "看看能办什么",
    "human_handoff": "转人工服务",
    "bot_challenge": "问是不是机器人",
    "inform": "只提供信息（如号码、日期）",
    "out_of_scope": "与政务服务无关",
}
ENTITY_LABELS = {
    "plate_number": "车牌号",
    "engine_suffix": "发动机号后几位",
    "id_number": "身份证号",
    "phone_number": "手机号",
    "date": "日期",
    "time_period": "时段",
    "exam_subject": "考试科目",
    "license_class": "准驾车型",
    "exam_site": "考场",
    "booking_code": "预约号",
    "ticket_id": "工单号",
    "decision_number": "处罚决定书编号",
    "district": "区",
    "rating": "评价星级",
}
SKIP_REASONS = {
    "duplicate": "重复",
    "held_out": "与评测集重复",
    "conflict": "与已有训练数据冲突",
    "invalid": "标注已失效",
}


@dataclass(frozen=True)
class Choice:
    """One option: the name stored, and how staff read it."""

    name: str
    description: str | None

    @property
    def text(self) -> str:
        """``pay_fine — 缴纳交通违法罚款`` (the name alone without a description)."""
        return f"{self.name} — {self.description}" if self.description else self.name


@dataclass(frozen=True)
class ChoiceGroup:
    """Options shown together (an ``<optgroup>``)."""

    label: str
    choices: tuple[Choice, ...]


def describe_intent(intent: str) -> str | None:
    """The Chinese description of an intent or ``faq/<topic>``, if there is one."""
    prefix = f"{RETRIEVAL_INTENT}/"
    if intent.startswith(prefix):
        topic = FAQ_QUESTIONS.get(intent[len(prefix) :])
        return f"办事指南：{topic[0]}" if topic else None
    return INTENT_LABELS.get(intent) or CONVERSATION_LABELS.get(intent)


def intent_choices(vocabulary: Vocabulary) -> tuple[ChoiceGroup, ...]:
    """Every intent of the vocabulary: tasks, service-guide topics, conversation."""
    prefix = f"{RETRIEVAL_INTENT}/"
    faq = sorted(i for i in vocabulary.intents if i.startswith(prefix))
    talk = sorted(i for i in vocabulary.intents if i in CONVERSATION_LABELS)
    tasks = sorted(
        i
        for i in vocabulary.intents
        if not i.startswith(prefix) and i not in CONVERSATION_LABELS
    )
    groups = (("办理事项", tasks), ("办事指南", faq), ("对话", talk))
    return tuple(
        ChoiceGroup(label, tuple(Choice(i, describe_intent(i)) for i in names))
        for label, names in groups
        if names
    )


def entity_choices(vocabulary: Vocabulary) -> tuple[Choice, ...]:
    """Every entity type, personal ones marked (only they may cover masked values)."""
    choices = []
    for name in sorted(vocabulary.entities):
        description = ENTITY_LABELS.get(name)
        if description and name in PERSONAL_ENTITIES:
            description += "（个人信息，可标注脱敏值）"
        choices.append(Choice(name, description))
    return tuple(choices)
