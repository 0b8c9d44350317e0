"""Voice relay route: ``POST /voice/turn``, one IVR turn in, text to speak out.

An IVR/ASR platform (or the small relay process in front of it) posts what the
caller said or keyed, signed with ``VOICE_RELAY_SECRET`` (``X-Timestamp`` and
``X-Signature``, see ``channels.security``), and speaks the answer. The
protocol is documented for operators in ``docs/channels.md``. In short::

    POST /voice/turn   {"call_id": "c-81", "turn_no": 3, "text": "预约科目一",
                        "confidence": 0.92}          or  {"call_id": …, "dtmf": "2"}
    200  {"speak": "…。按1，上午；按2，下午。", "ssml": "<speak>…</speak>",
          "choices": [{"digit": "1", "title": "上午"}, …],
          "action": "continue" | "transfer" | "hangup", "reprompt": false}

* Recognition below ``MIN_CONFIDENCE`` or no words at all: the caller is asked
  again (``reprompt: true``) and Rasa is not called.
* DTMF keys are sent as the digits, which the relay maps to the choices last
  offered (``1`` → the first); ``0`` asks for a person (转人工) and, once the
  assistant has recorded the handoff, answers ``transfer``.
* A conversation handed off to staff, or an assistant that cannot answer,
  ends in ``transfer`` so the caller reaches a person; a caller over the rate
  limit gets ``hangup`` after the notice.
* A turn is deduplicated on ``call_id`` + ``turn_no`` (the platform's retry of
  a timed-out turn gets the same answer, not a second turn).
"""

import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

import structlog
from aiohttp import web

from bot.settings import Settings
from channels import keys
from channels.messages import InboundMessage, Outcome, RelayResult
from channels.replies import Choice
from channels.security import Unauthorized, check_voice_request
from channels.voice.speech import escape_ssml, speech_sentences

__all__ = [
    "MIN_CONFIDENCE",
    "PATH",
    "Action",
    "BadTurn",
    "VoiceTurn",
    "answer_for",
    "setup",
]

log = structlog.get_logger(__name__)

PATH = "/voice/turn"
CHANNEL = "voice"
TIMESTAMP_HEADER = "X-Timestamp"
SIGNATURE_HEADER = "X-Signature"
MIN_CONFIDENCE = 0.5
"""ASR results less sure than this are asked again instead of guessed at."""
MAX_BODY_BYTES = 16 * 1024
MAX_TEXT_CHARS = 1000
OPERATOR_KEY = "0"
# Citizen-facing (spoken) text of this channel (rule 20: could join texts.py).
OPERATOR_TEXT = "转人工"
REPROMPT_TEXT = "抱歉，我没有听清楚。请您再说一遍，或者按键选择。"
TRANSFER_TEXT = "正在为您转接人工服务，请稍候。"
ANYTHING_ELSE_TEXT = "请问还有什么可以帮您？"
_CALL_ID = re.compile(r"[A-Za-z0-9_.:@-]{1,128}")
_DTMF = re.compile(r"[0-9*#]{1,16}")


def _dumps(data: object) -> str:
    return json.dumps(data, ensure_ascii=False)


class Action(str, Enum):
    """What the platform should do after speaking."""

    CONTINUE = "continue"
    TRANSFER = "transfer"
    HANGUP = "hangup"


class BadTurn(ValueError):
    """A request body that is not a voice turn; ``reason`` is for the operator."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class VoiceTurn:
    """One validated turn from the IVR platform."""

    call_id: str
    turn_no: int | None = None
    text: str | None = None
    confidence: float | None = None
    dtmf: str | None = None

    @classmethod
    def from_json(cls, data: object) -> "VoiceTurn":
        """Validate a decoded JSON body (raises ``BadTurn``)."""
        if not isinstance(data, dict):
            raise BadTurn("body is not a JSON object")
        call_id = data.get("call_id")
        if not isinstance(call_id, str) or _CALL_ID.fullmatch(call_id) is None:
            raise BadTurn("call_id must be 1-128 of A-Z a-z 0-9 _ . : @ -")
        turn_no = data.get("turn_no")
        if turn_no is not None and (
            not isinstance(turn_no, int) or isinstance(turn_no, bool) or turn_no < 0
        ):
            raise BadTurn("turn_no must be a non-negative integer")
        text = data.get("text")
        if text is not None and (
            not isinstance(text, str) or len(text) > MAX_TEXT_CHARS
        ):
            raise BadTurn(
                f"text must be a string of at most {MAX_TEXT_CHARS} characters"
            )
        confidence = data.get("confidence")
        if confidence is not None:
            if isinstance(confidence, bool) or not isinstance(confidence, int | float):
                raise BadTurn("confidence must be a number")
            if not (math.isfinite(confidence) and 0.0 <= confidence <= 1.0):
                raise BadTurn("confidence must be between 0 and 1")
        dtmf = data.get("dtmf")
        if dtmf is not None and (
            not isinstance(dtmf, str) or _DTMF.fullmatch(dtmf) is None
        ):
            raise BadTurn("dtmf must be 1-16 of 0-9 * #")
        return cls(
            call_id=call_id,
            turn_no=turn_no,
            text=text,
            confidence=None if confidence is None else float(confidence),
            dtmf=dtmf,
        )


def _response(
    sentences: list[str],
    choices: tuple[Choice, ...] = (),
    action: Action = Action.CONTINUE,
    reprompt: bool = False,
) -> web.Response:
    speak = "".join(sentences)
    body: Mapping[str, Any] = {
        "speak": speak,
        "ssml": f"<speak>{escape_ssml(speak)}</speak>",
        "choices": [
            {"digit": str(number), "title": choice.title}
            for number, choice in enumerate(choices, start=1)
        ],
        "action": action.value,
        "reprompt": reprompt,
    }
    return web.json_response(body, dumps=_dumps)


def _reprompt() -> web.Response:
    return _response([REPROMPT_TEXT], reprompt=True)


_ACTIONS = {
    Outcome.HANDED_OFF: Action.TRANSFER,
    Outcome.FAILED: Action.TRANSFER,
    Outcome.STORE_UNAVAILABLE: Action.TRANSFER,
    Outcome.RATE_LIMITED: Action.HANGUP,
}


def answer_for(result: RelayResult, *, operator: bool = False) -> web.Response:
    """The platform's instructions for a relay result.

    Args:
        result: What the relay answered.
        operator: The caller keyed ``0`` (a person, please): once the assistant
            has taken that turn, the platform transfers at once.
    """
    if result.outcome is Outcome.DUPLICATE or (
        result.outcome is Outcome.REFUSED and not result.replies
    ):
        return _reprompt()
    action = _ACTIONS.get(result.outcome, Action.CONTINUE)
    if operator and result.outcome is Outcome.ANSWERED:
        action = Action.TRANSFER
    sentences = speech_sentences(result.replies)
    if not sentences:
        sentences = [TRANSFER_TEXT if action is Action.TRANSFER else ANYTHING_ELSE_TEXT]
    choices = tuple(choice for reply in result.replies for choice in reply.choices)
    return _response(
        sentences,
        choices if action is Action.CONTINUE else (),
        action,
        reprompt=result.outcome is Outcome.REFUSED,
    )


def _json_error(status: int, reason: str) -> web.Response:
    return web.json_response({"error": reason}, status=status, dumps=_dumps)


def _spoken_text(turn: VoiceTurn) -> str | None:
    """What the caller said or keyed, or ``None`` to ask again."""
    if turn.dtmf:
        keys_pressed = turn.dtmf.rstrip("#")
        if keys_pressed == OPERATOR_KEY:
            return OPERATOR_TEXT
        return keys_pressed if keys_pressed.isdigit() else None
    text = (turn.text or "").strip()
    if not text or (turn.confidence is not None and turn.confidence < MIN_CONFIDENCE):
        return None
    return text


async def voice_turn(request: web.Request) -> web.Response:
    """One caller turn: verify, validate, relay, answer speakable text."""
    if request.content_type not in ("application/json", ""):
        return _json_error(415, "expected application/json")
    if (request.content_length or 0) > MAX_BODY_BYTES:
        return _json_error(413, "body too large")
    body = await request.read()
    if len(body) > MAX_BODY_BYTES:
        return _json_error(413, "body too large")
    timestamp = request.headers.get(TIMESTAMP_HEADER)
    settings = request.app[keys.SETTINGS]
    try:
        check_voice_request(
            settings.channels.voice_relay_secret,
            timestamp,
            request.headers.get(SIGNATURE_HEADER),
            body,
        )
    except Unauthorized as exc:
        log.warning("channel.voice.signature.rejected", reason=exc.reason)
        return _json_error(401, exc.reason)
    try:
        turn = VoiceTurn.from_json(_decode(body))
    except BadTurn as exc:
        log.warning("channel.voice.request.malformed", reason=exc.reason)
        return _json_error(400, exc.reason)
    text = _spoken_text(turn)
    if text is None:
        log.info("channel.voice.turn.reprompt", confidence=turn.confidence)
        return _reprompt()
    if turn.turn_no is not None:
        delivery = f"{turn.call_id}:{turn.turn_no}"
    else:
        # Without turn numbers only an identical re-send (same timestamp) is one.
        delivery = hashlib.sha256((timestamp or "").encode() + b"\n" + body).hexdigest()
    inbound = InboundMessage(
        channel=CHANNEL,
        user_id=turn.call_id,
        text=text,
        payload=None,
        message_id=delivery,
        metadata={"dtmf": bool(turn.dtmf)},
    )
    result = await request.app[keys.RELAY].handle(inbound)
    return answer_for(result, operator=text == OPERATOR_TEXT and bool(turn.dtmf))


def _decode(body: bytes) -> object:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise BadTurn("body is not JSON") from None


def setup(app: web.Application, settings: Settings) -> None:
    """Mount the voice relay (channel mount contract, see ``channels.app``)."""
    if not settings.channels.voice_relay_secret:
        raise ValueError("VOICE_RELAY_SECRET is not set")
    app.router.add_post(PATH, voice_turn)
