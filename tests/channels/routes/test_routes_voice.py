"""Voice relay ``POST /voice/turn`` against the Rasa stand-in."""

import hashlib
import hmac
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

from bot.settings import load_settings
from channels import texts
from channels.app import create_app
from channels.voice import routes
from tests.channels.gateway.rasa_standin import EXAM_CHOICES
from tests.channels.routes.conftest import base_env
from tests.channels.routes.rasa_script import RouteRasa

SECRET = "voice-relay-test-secret"


def sign(body: bytes, timestamp: str) -> str:
    """The documented relay signature, computed apart from channels.security."""
    message = timestamp.encode() + b"\n" + body
    return hmac.new(SECRET.encode(), message, hashlib.sha256).hexdigest()


@dataclass
class Voice:
    client: TestClient
    rasa: RouteRasa

    async def turn(
        self,
        payload: Any,
        *,
        timestamp: str | None = None,
        signature: str | None = None,
        raw: bytes | None = None,
    ) -> ClientResponse:
        body = (
            raw if raw is not None else json.dumps(payload, ensure_ascii=False).encode()
        )
        timestamp = timestamp or str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Timestamp": timestamp,
            "X-Signature": signature or sign(body, timestamp),
        }
        return await self.client.post(routes.PATH, data=body, headers=headers)


VoiceFactory = Callable[..., Awaitable[Voice]]


@pytest.fixture
def make_voice(aiohttp_client, rasa: RouteRasa, store_env) -> VoiceFactory:
    async def make(**env: str) -> Voice:
        settings = load_settings(
            {**base_env(rasa), **store_env, "VOICE_RELAY_SECRET": SECRET, **env}
        )
        return Voice(await aiohttp_client(create_app(settings)), rasa)

    return make


async def test_a_recognised_turn_is_answered_with_speakable_text(
    make_voice: VoiceFactory,
) -> None:
    voice = await make_voice()
    response = await voice.turn(
        {
            "call_id": "call-1",
            "turn_no": 1,
            "text": "查违章 粤B12345",
            "confidence": 0.93,
        }
    )
    assert response.status == 200
    answer = await response.json()
    assert answer["action"] == "continue" and answer["reprompt"] is False
    # The plate is spelled and masked for speech (channels.voice.speech).
    assert "您说的是" in answer["speak"] and "粤B12345" not in answer["speak"]
    assert answer["ssml"].startswith("<speak>") and answer["choices"] == []
    assert voice.rasa.texts_received() == ["查违章 粤B12345"]
    assert voice.rasa.turns[0]["sender"].startswith("voice:")


async def test_choices_are_read_as_keys_and_dtmf_maps_back(
    make_voice: VoiceFactory,
) -> None:
    voice = await make_voice()
    response = await voice.turn({"call_id": "call-2", "turn_no": 1, "text": "预约驾考"})
    answer = await response.json()
    assert answer["choices"] == [
        {"digit": "1", "title": "科目一"},
        {"digit": "2", "title": "科目二"},
    ]
    assert "按1，科目一；按2，科目二。" in answer["speak"]
    await voice.turn({"call_id": "call-2", "turn_no": 2, "dtmf": "2#"})
    assert voice.rasa.texts_received()[-1] == EXAM_CHOICES[1]["payload"]


@pytest.mark.parametrize(
    "payload",
    [
        {"call_id": "call-3", "text": "嗯 科三", "confidence": 0.31},
        {"call_id": "call-3", "text": "   "},
        {"call_id": "call-3"},
        {"call_id": "call-3", "dtmf": "*"},
    ],
)
async def test_unclear_input_is_asked_again_without_rasa(
    make_voice: VoiceFactory, payload: dict[str, Any]
) -> None:
    voice = await make_voice()
    answer = await (await voice.turn(payload)).json()
    assert answer["reprompt"] is True and answer["action"] == "continue"
    assert answer["speak"] == routes.REPROMPT_TEXT
    assert voice.rasa.turns == []


async def test_confidence_at_the_threshold_is_accepted(
    make_voice: VoiceFactory,
) -> None:
    voice = await make_voice()
    payload = {"call_id": "c", "text": "你好", "confidence": routes.MIN_CONFIDENCE}
    await voice.turn(payload)
    assert voice.rasa.texts_received() == ["你好"]


async def test_key_zero_transfers_to_a_person(make_voice: VoiceFactory) -> None:
    voice = await make_voice()
    answer = await (
        await voice.turn({"call_id": "call-4", "turn_no": 1, "dtmf": "0"})
    ).json()
    assert voice.rasa.texts_received() == ["转人工"]
    assert answer["action"] == "transfer"
    assert answer["speak"].startswith("好的，正在为您转接人工客服")


async def test_a_handed_off_conversation_transfers(make_voice: VoiceFactory) -> None:
    voice = await make_voice()
    first = await (
        await voice.turn({"call_id": "c5", "turn_no": 1, "text": "转人工"})
    ).json()
    # The spoken request transfers at once, with the assistant's own words.
    assert first["action"] == "transfer"
    assert first["speak"].startswith("好的，正在为您转接人工客服")
    second = await (
        await voice.turn({"call_id": "c5", "turn_no": 2, "text": "喂"})
    ).json()
    assert second["action"] == "transfer"
    assert second["speak"] and second["choices"] == []


async def test_rasa_down_is_spoken_and_transferred(make_voice: VoiceFactory) -> None:
    voice = await make_voice()
    voice.rasa.status = 500
    answer = await (await voice.turn({"call_id": "c6", "text": "查违章"})).json()
    assert answer["action"] == "transfer"
    assert answer["speak"].startswith(texts.UNAVAILABLE[:6])


async def test_a_retried_turn_gets_the_same_answer_once(
    make_voice: VoiceFactory,
) -> None:
    voice = await make_voice()
    payload = {"call_id": "c7", "turn_no": 3, "text": "办事大厅在哪"}
    first = await (await voice.turn(payload)).json()
    again = await (
        await voice.turn(payload, timestamp=str(int(time.time()) - 1))
    ).json()
    assert again["speak"] == first["speak"]
    assert len(voice.rasa.turns) == 1


async def test_the_caller_is_over_the_limit_and_hung_up(
    make_voice: VoiceFactory,
) -> None:
    voice = await make_voice(GATEWAY_RATE_LIMIT_PER_MINUTE="1")
    await voice.turn({"call_id": "c8", "turn_no": 1, "text": "你好"})
    answer = await (
        await voice.turn({"call_id": "c8", "turn_no": 2, "text": "你好"})
    ).json()
    assert answer["action"] == "hangup"


# --- authenticity and bad input ----------------------------------------------------


async def test_bad_signatures_are_401(make_voice: VoiceFactory) -> None:
    voice = await make_voice()
    payload = {"call_id": "c9", "text": "查违章"}
    body = json.dumps(payload).encode()
    now = str(int(time.time()))
    wrong = await voice.turn(payload, signature=sign(body + b" ", now))
    stale_ts = str(int(time.time()) - 600)
    stale = await voice.turn(
        payload, timestamp=stale_ts, signature=sign(body, stale_ts)
    )
    unsigned = await voice.client.post(routes.PATH, json=payload)
    assert [r.status for r in (wrong, stale, unsigned)] == [401, 401, 401]
    assert (await wrong.json())["error"] == "bad_signature"
    assert (await stale.json())["error"] == "stale_timestamp"
    assert (await unsigned.json())["error"] == "missing_signature"
    assert voice.rasa.turns == []


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"{oops", "not JSON"),
        (b"[]", "not a JSON object"),
        (b'{"text": "hi"}', "call_id"),
        (b'{"call_id": "a/b"}', "call_id"),
        (b'{"call_id": "c", "confidence": 1.5}', "confidence"),
        (b'{"call_id": "c", "confidence": true}', "confidence"),
        (b'{"call_id": "c", "dtmf": "12a"}', "dtmf"),
        (b'{"call_id": "c", "turn_no": -1}', "turn_no"),
    ],
)
async def test_malformed_turns_are_400_with_a_reason(
    make_voice: VoiceFactory, raw: bytes, reason: str
) -> None:
    voice = await make_voice()
    response = await voice.turn(None, raw=raw)
    assert response.status == 400
    assert reason in (await response.json())["error"]
    assert voice.rasa.turns == []


async def test_wrong_content_type_and_oversized_bodies(
    make_voice: VoiceFactory,
) -> None:
    voice = await make_voice()
    form = await voice.client.post(routes.PATH, data={"call_id": "c"})
    assert form.status == 415
    huge = await voice.turn({"call_id": "c", "text": "查" * 20_000})
    assert huge.status == 413
