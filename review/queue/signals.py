"""Why a logged message deserves a reviewer's time: signals read from its turn and what followed.

Pure functions over one conversation's turns (``review.logdb.turns``). Each
signal carries a weight; a message's score is the sum of its signals'
weights. The weights order the reasons by how surely they show a mistake of
the model: a fallback or a citizen choosing another meaning in the
"您是想…吗？" buttons is near-certain, a low confidence or a complaint
afterwards is circumstantial.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from nlu.normalize import normalize
from review.logdb.turns import NLU_FALLBACK, Turn
from review.queue.grouping import group_key, similarity

DEFAULT_LOW_CONFIDENCE = 0.7
# Above this a next message's own prediction is trusted as the meaning.
TRUSTED_CONFIDENCE = 0.8
# Looser than grouping: a rephrase shares some words, not most.
REPHRASE_SIMILARITY = 0.3
_CONFIRM_ACTIONS = frozenset({"action_ask_confirmed"})
_DEFAULT_FALLBACK = "action_default_fallback"
_DENY, _STOP, _AFFIRM = "deny", "stop", "affirm"
_HANDOFF_INTENT = "human_handoff"
_OUT_OF_SCOPE = "out_of_scope"
_RATE = "rate_service"
# Not a meaning to suggest: they say how the citizen reacted, not what they wanted.
_REACTIONS = frozenset(
    {_DENY, _STOP, _AFFIRM, "inform", "greet", "goodbye", "thank", NLU_FALLBACK}
)
_CORRECTION_CUES = (
    "不是",
    "不对",
    "错了",
    "我是说",
    "我说的是",
    "我要的是",
    "我是要",
    "我想问的是",
)
_BEFORE_RATING = (2.5, 1.5, 1.0)
_BEFORE_HANDOFF = (2.0, 1.0)


class Reason(str, Enum):
    """The kinds of signal."""

    NLU_FALLBACK = "nlu_fallback"
    DIALOGUE_FALLBACK = "dialogue_fallback"
    LOW_CONFIDENCE = "low_confidence"
    CHOSE_OTHER = "chose_other"  # picked another meaning in "您是想…吗？"
    CONFIRMED_GUESS = "confirmed_guess"  # picked the model's own top guess there
    REJECTED_GUESSES = "rejected_guesses"  # "都不是"
    REPHRASED = "rephrased"
    CORRECTED = "corrected"
    DENIED = "denied"
    STOPPED = "stopped"
    BAD_RATING = "bad_rating"
    HANDOFF = "handoff"


REASON_LABELS = {
    Reason.NLU_FALLBACK: "未能理解",
    Reason.DIALOGUE_FALLBACK: "对话兜底",
    Reason.LOW_CONFIDENCE: "置信度低",
    Reason.CHOSE_OTHER: "群众选择了其他意图",
    Reason.CONFIRMED_GUESS: "群众确认了模型的猜测",
    Reason.REJECTED_GUESSES: "群众表示候选都不是",
    Reason.REPHRASED: "群众换了说法",
    Reason.CORRECTED: "群众随后纠正",
    Reason.DENIED: "群众随后否认",
    Reason.STOPPED: "群众随后放弃",
    Reason.BAD_RATING: "之后收到差评",
    Reason.HANDOFF: "之后转了人工",
}


@dataclass(frozen=True)
class Signal:
    """One reason, its weight, and the meaning it suggests (if any)."""

    reason: Reason
    weight: float
    detail: str
    suggested_intent: str | None = None

    @property
    def label(self) -> str:
        """The reason as staff read it."""
        return REASON_LABELS[self.reason]


def is_payload(turn: Turn) -> bool:
    """A pressed button (``/intent{…}``): the bot's words, not the citizen's."""
    return (turn.text or "").lstrip().startswith("/")


def _intent(turn: Turn) -> str | None:
    return turn.prediction.intent if turn.prediction else None


def _confidence(turn: Turn) -> float:
    if turn.prediction is None or turn.prediction.confidence is None:
        return 0.0
    return turn.prediction.confidence


def _top(turn: Turn) -> tuple[str | None, float | None]:
    if turn.prediction is None:
        return None, None
    return turn.prediction.top_intent, turn.prediction.top_confidence


def _meaning(turn: Turn) -> str | None:
    """The next message's intent when it is trusted and says what was wanted."""
    intent = _intent(turn)
    if intent is None or intent in _REACTIONS or _confidence(turn) < TRUSTED_CONFIDENCE:
        return None
    return intent


def _meaning_or_reaction(turn: Turn) -> bool:
    """False for a confident reaction (thanks, yes, a bare slot value)."""
    return _intent(turn) not in _REACTIONS or _confidence(turn) < TRUSTED_CONFIDENCE


def _own_signals(turn: Turn, low_confidence: float) -> list[Signal]:
    signals: list[Signal] = []
    top_intent, top_confidence = _top(turn)
    shown = f"{top_intent or '-'} {top_confidence or 0:.2f}"
    if _intent(turn) == NLU_FALLBACK:
        signals.append(Signal(Reason.NLU_FALLBACK, 3.0, f"最可能：{shown}"))
    elif _DEFAULT_FALLBACK in turn.actions:
        # Only the core fallback: the two-stage action also runs once more
        # to close its loop after a message it understood.
        signals.append(Signal(Reason.DIALOGUE_FALLBACK, 2.0, f"识别为：{shown}"))
    elif top_confidence is not None and top_confidence < low_confidence:
        weight = 1.0 + 2.0 * (low_confidence - top_confidence) / low_confidence
        signals.append(Signal(Reason.LOW_CONFIDENCE, round(weight, 3), shown))
    return signals


def _choice_signals(turn: Turn, choice: Turn) -> list[Signal]:
    """The citizen pressed one of the "您是想…吗？" buttons after ``turn``."""
    chosen = _intent(choice)
    top_intent, _ = _top(turn)
    if chosen is None or chosen == _HANDOFF_INTENT:
        return []
    if chosen == _OUT_OF_SCOPE:
        return [Signal(Reason.REJECTED_GUESSES, 1.5, "候选意图都不对")]
    if chosen == top_intent:
        return [Signal(Reason.CONFIRMED_GUESS, 1.0, f"确认：{chosen}", chosen)]
    return [
        Signal(Reason.CHOSE_OTHER, 3.0, f"模型：{top_intent}，群众选：{chosen}", chosen)
    ]


def _reply_signals(turn: Turn, reply: Turn) -> list[Signal]:
    """What the citizen's next own message says about ``turn``'s prediction."""
    intent, replied = _intent(turn), _intent(reply)
    reply_text = normalize(reply.text or "").strip()
    meaning = _meaning(reply)
    corrects = reply_text.startswith(_CORRECTION_CUES) and replied != intent
    if corrects and (meaning is not None or replied not in (_DENY, _STOP)):
        return [Signal(Reason.CORRECTED, 2.5, f"“{reply.text}”", meaning)]
    asked_to_confirm = bool(_CONFIRM_ACTIONS & set(turn.actions))
    if (
        replied in (_DENY, _STOP)
        and _confidence(reply) >= TRUSTED_CONFIDENCE - 0.2
        and not asked_to_confirm
        and intent not in (_DENY, _STOP, _AFFIRM)
    ):
        reason = Reason.DENIED if replied == _DENY else Reason.STOPPED
        return [Signal(reason, 2.0, f"“{reply.text}”")]
    key, reply_key = group_key(turn.text or ""), group_key(reply.text or "")
    if key != reply_key and similarity(key, reply_key) >= REPHRASE_SIMILARITY:
        suggested = meaning if meaning != intent else None
        return [Signal(Reason.REPHRASED, 1.5, f"“{reply.text}”", suggested)]
    return []


def _signals_after(
    turns: Sequence[Turn], index: int, low_confidence: float
) -> list[Signal]:
    turn = turns[index]
    signals = _own_signals(turn, low_confidence)
    following = turns[index + 1 :]
    if following and is_payload(following[0]) and turn.fallback:
        signals += _choice_signals(turn, following[0])
    if following and not is_payload(following[0]):
        signals += _reply_signals(turn, following[0])
    elif following and _intent(following[0]) == _OUT_OF_SCOPE:
        # "都不是" makes the bot ask for other words: the next own message
        # is the same request rephrased, however different it looks.
        reply = next((t for t in following if not is_payload(t)), None)
        if reply is not None:
            meaning = _meaning(reply)
            signals.append(Signal(Reason.REPHRASED, 1.5, f"“{reply.text}”", meaning))
    return signals


def _outcome_signals(turns: Sequence[Turn]) -> dict[int, list[Signal]]:
    """Bad ratings and handoffs, attributed to the messages before them."""
    found: dict[int, list[Signal]] = {}
    own = [i for i, t in enumerate(turns) if not is_payload(t)]
    # A confident "谢谢" or a bare phone number did not cause the bad outcome.
    blamable = [
        i for i in own if _intent(turns[i]) != _RATE and _meaning_or_reaction(turns[i])
    ]
    for position, index in enumerate(own):
        turn = turns[index]
        if turn.rating is not None and turn.rating <= 2:
            before = [i for i in own[:position] if i in blamable]
            for weight, i in zip(_BEFORE_RATING, reversed(before), strict=False):
                found.setdefault(i, []).append(
                    Signal(Reason.BAD_RATING, weight, f"{turn.rating} 星")
                )
        # Buttons pressed after a message (转人工服务) belong to its exchange.
        end = own[position + 1] if position + 1 < len(own) else len(turns)
        handed_off = any(t.handoff for t in turns[index:end])
        if not handed_off:
            continue
        requested = _intent(turn) == _HANDOFF_INTENT
        before = [
            i for i in own[: position if requested else position + 1] if i in blamable
        ]
        for weight, i in zip(_BEFORE_HANDOFF, reversed(before), strict=False):
            detail = "群众要求转人工" if requested else "多次未理解后转人工"
            found.setdefault(i, []).append(Signal(Reason.HANDOFF, weight, detail))
    return found


def conversation_signals(
    turns: Sequence[Turn], low_confidence: float = DEFAULT_LOW_CONFIDENCE
) -> dict[int, list[Signal]]:
    """Signals per citizen message of one conversation, keyed by its event id.

    Pressed buttons, the opening turn and messages without signals are left out.
    """
    texts = [t for t in turns if t.text is not None]
    outcomes = _outcome_signals(texts)
    result: dict[int, list[Signal]] = {}
    for index, turn in enumerate(texts):
        if is_payload(turn) or not (turn.text or "").strip():
            continue
        signals = _signals_after(texts, index, low_confidence) + outcomes.get(index, [])
        if signals:
            result[turn.event_id] = signals
    return result
