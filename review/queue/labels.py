"""What a reviewer decides about a message, and the checks a decision must pass."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from review.queue.errors import InvalidLabel, Problem
from review.queue.masked import PERSONAL_ENTITIES, cuts_through, masked_runs
from review.queue.models import Decision
from review.queue.vocabulary import OUT_OF_SCOPE, RETRIEVAL_INTENT, Vocabulary

_MAX_INTENT = 128


@dataclass(frozen=True)
class Span:
    """One entity annotation over the masked text: ``text[start:end]``.

    ``value`` is the normalised value (a synonym target such as 南山区 for
    南山) when it differs from the text; personal values never carry one.
    """

    start: int
    end: int
    entity: str
    value: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The stored form."""
        data: dict[str, Any] = {
            "start": self.start,
            "end": self.end,
            "entity": self.entity,
        }
        if self.value is not None:
            data["value"] = self.value
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Span:
        """Read the stored form (or a request body); raises on a bad shape."""
        try:
            start, end, entity = data["start"], data["end"], data["entity"]
        except KeyError as exc:
            raise InvalidLabel(
                [Problem("span_shape", f"实体标注缺少字段 {exc.args[0]}")]
            ) from exc
        value = data.get("value")
        if not (
            isinstance(start, int)
            and isinstance(end, int)
            and isinstance(entity, str)
            and (value is None or isinstance(value, str))
        ):
            raise InvalidLabel(
                [
                    Problem(
                        "span_shape",
                        "实体标注的 start/end 须为整数，entity/value 须为文本",
                    )
                ]
            )
        return cls(start, end, entity, value)


def spans_to_json(spans: Iterable[Span]) -> str:
    """Spans as the JSON stored in ``annotations.entities``."""
    return json.dumps([s.to_json() for s in spans], ensure_ascii=False)


def spans_from_json(raw: str) -> tuple[Span, ...]:
    """The stored spans (an unreadable column counts as none)."""
    try:
        data = json.loads(raw)
    except ValueError:
        return ()
    return tuple(Span.from_json(d) for d in data if isinstance(d, dict))


@dataclass(frozen=True)
class Label:
    """A decision: label with an intent and spans, out of scope, or skip."""

    decision: Decision
    intent: str | None = None
    entities: tuple[Span, ...] = ()

    @classmethod
    def intent_label(cls, intent: str, entities: Iterable[Span] = ()) -> Label:
        """Label with an intent (``out_of_scope`` becomes that decision)."""
        decision = Decision.OUT_OF_SCOPE if intent == OUT_OF_SCOPE else Decision.LABEL
        return cls(decision, intent, tuple(entities))

    @classmethod
    def out_of_scope(cls, entities: Iterable[Span] = ()) -> Label:
        """The contract's ``out_of_scope``: unrelated to government services."""
        return cls(Decision.OUT_OF_SCOPE, OUT_OF_SCOPE, tuple(entities))

    @classmethod
    def skip(cls) -> Label:
        """Not worth training on; leaves the queue, never exported."""
        return cls(Decision.SKIP)

    def summary(self) -> str:
        """How staff read the decision (``query_violation + plate_number``)."""
        if self.decision is Decision.SKIP:
            return "跳过"
        names = "、".join(s.entity for s in self.entities)
        return f"{self.intent}" + (f"（实体：{names}）" if names else "")


def _intent_problems(label: Label, vocabulary: Vocabulary) -> list[Problem]:
    intent = label.intent
    if label.decision is Decision.SKIP:
        if intent is not None or label.entities:
            return [Problem("skip_with_label", "跳过的消息不能同时指定意图或实体")]
        return []
    if not intent:
        return [Problem("intent_missing", "请选择一个意图")]
    if label.decision is Decision.OUT_OF_SCOPE and intent != OUT_OF_SCOPE:
        return [
            Problem("out_of_scope_intent", f"标为超出范围时意图只能是 {OUT_OF_SCOPE}")
        ]
    if intent in vocabulary.intents:
        return []
    if intent == RETRIEVAL_INTENT or intent.startswith(f"{RETRIEVAL_INTENT}/"):
        topics = "、".join(sorted(vocabulary.faq_topics))
        return [
            Problem(
                "unknown_faq_topic",
                f"办事指南主题“{intent[:_MAX_INTENT]}”不存在，请写成 faq/主题，可选主题：{topics}",
            )
        ]
    return [
        Problem(
            "unknown_intent",
            f"意图“{intent[:_MAX_INTENT]}”不存在（意图以 bot/domain 中的定义为准）",
        )
    ]


def _span_problems(text: str, span: Span, vocabulary: Vocabulary) -> list[Problem]:
    where = f"实体 {span.entity}［{span.start}, {span.end}）"
    if span.entity not in vocabulary.entities:
        return [Problem("unknown_entity", f"实体类型“{span.entity}”不存在")]
    if not 0 <= span.start < span.end <= len(text):
        return [
            Problem(
                "span_outside", f"{where} 超出了消息范围（消息长 {len(text)} 个字符）"
            )
        ]
    if not text[span.start : span.end].strip():
        return [Problem("span_blank", f"{where} 只包含空白")]
    problems: list[Problem] = []
    personal = span.entity in PERSONAL_ENTITIES
    cut = cuts_through(text, span.start, span.end)
    if cut is not None:
        problems.append(
            Problem(
                "span_cuts_mask",
                f"{where} 只覆盖了脱敏值“{cut.text}”的一部分，请选中整个值",
            )
        )
    inside = [
        r for r in masked_runs(text) if span.start <= r.start and r.end <= span.end
    ]
    if inside and not personal:
        problems.append(
            Problem(
                "mask_not_personal",
                f"{where} 包含脱敏值“{inside[0].text}”，只有个人信息类实体"
                f"（{'、'.join(sorted(PERSONAL_ENTITIES))}）可以标注脱敏值",
            )
        )
    for run in inside:
        if (
            personal
            and run.kind.value in PERSONAL_ENTITIES
            and run.kind.value != span.entity
        ):
            problems.append(
                Problem(
                    "mask_kind_mismatch",
                    f"{where} 标注的脱敏值“{run.text}”看起来是 {run.kind.value}",
                )
            )
    if personal and span.value is not None:
        problems.append(
            Problem("personal_value", f"{where} 是个人信息，不能附带规范值")
        )
    return problems


def check(label: Label, text: str, vocabulary: Vocabulary) -> None:
    """Raise ``InvalidLabel`` with every problem of ``label`` for ``text``."""
    problems = _intent_problems(label, vocabulary)
    ordered = sorted(label.entities, key=lambda s: (s.start, s.end))
    for span in ordered:
        problems += _span_problems(text, span, vocabulary)
    for left, right in itertools.pairwise(ordered):
        if right.start < left.end:
            problems.append(
                Problem(
                    "spans_overlap",
                    f"实体 {left.entity}［{left.start}, {left.end}）与 "
                    f"{right.entity}［{right.start}, {right.end}）重叠",
                )
            )
    if problems:
        raise InvalidLabel(problems)
