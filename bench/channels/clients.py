"""One timed turn per channel, sent the way each provider sends it.

Every client builds a genuine request (signed where the provider signs),
starts the clock just before sending it and stops it when the answer reached
the provider: the HTTP response for the REST channel, the web chat, the voice
relay and a passive WeChat reply; the last ``sendMessage`` / ``Messages.json``
call at the Telegram / Twilio stand-in (or WeChat's customer-service API when
an answer is late). Each turn uses a new user, so a new conversation.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import aiohttp

from bench.channels.providers import Arrivals

OUT_OF_BAND_TIMEOUT_S = 30.0
_ids = itertools.count(1)


@dataclass(frozen=True)
class Timed:
    """One measured turn: milliseconds, messages delivered, the answer's text."""

    ms: float
    parts: int
    text: str


class Channel(Protocol):
    """A way into the assistant."""

    name: str

    async def turn(self, session: aiohttp.ClientSession, text: str) -> Timed:
        """Send ``text`` as a new citizen; time it until the answer is delivered."""
        ...


def _elapsed(started: float, ended: float | None = None) -> float:
    if ended is None:
        ended = time.perf_counter()
    return (ended - started) * 1000


def _fresh_id() -> int:
    return next(_ids)


@dataclass
class RestChannel:
    """Rasa's own REST channel, straight (the baseline)."""

    rasa_url: str
    name: str = "Rasa REST channel (baseline)"

    async def turn(self, session: aiohttp.ClientSession, text: str) -> Timed:
        body = {"sender": f"bench-{uuid.uuid4().hex[:12]}", "message": text}
        started = time.perf_counter()
        async with session.post(
            f"{self.rasa_url}/webhooks/rest/webhook", json=body
        ) as response:
            data = await response.json(content_type=None)
        took = _elapsed(started)
        if response.status != 200 or not data:
            raise RuntimeError(f"rest: {response.status} {data!r}")
        return Timed(took, len(data), "\n".join(str(m.get("text", "")) for m in data))


@dataclass
class WebChannel:
    """The web chat API (``POST /web/api/messages``)."""

    gateway_url: str
    name: str = "web chat API"

    async def turn(self, session: aiohttp.ClientSession, text: str) -> Timed:
        body = {
            "conversation_id": str(uuid.uuid4()),
            "message_id": str(uuid.uuid4()),
            "text": text,
        }
        started = time.perf_counter()
        async with session.post(
            f"{self.gateway_url}/web/api/messages", json=body
        ) as response:
            data = await response.json()
        took = _elapsed(started)
        if response.status != 200 or data.get("status") != "answered":
            raise RuntimeError(f"web: {response.status} {data!r}")
        replies = data["replies"]
        return Timed(took, len(replies), "\n".join(r["text"] or "" for r in replies))


@dataclass
class TelegramChannel:
    """A Telegram webhook update; the answer is ``sendMessage`` at the stand-in."""

    gateway_url: str
    secret: str
    arrivals: Arrivals
    parts: int = 1
    name: str = "Telegram webhook"

    async def turn(self, session: aiohttp.ClientSession, text: str) -> Timed:
        n = _fresh_id()
        chat_id = 7_000_000 + n
        user = {"id": chat_id, "is_bot": False, "first_name": "市民"}
        update = {
            "update_id": 500_000 + n,
            "message": {
                "message_id": n,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private", "first_name": "市民"},
                "from": user,
                "text": text,
            },
        }
        started = time.perf_counter()
        async with session.post(
            f"{self.gateway_url}/telegram/webhook",
            json=update,
            headers={"X-Telegram-Bot-Api-Secret-Token": self.secret},
        ) as response:
            await response.read()
        if response.status != 200:
            raise RuntimeError(f"telegram: {response.status}")
        key = str(chat_id)
        ended = await self.arrivals.wait(key, self.parts, OUT_OF_BAND_TIMEOUT_S)
        texts = self.arrivals.texts[key]
        return Timed(_elapsed(started, ended), len(texts), "\n".join(texts))


@dataclass
class TwilioChannel:
    """A signed Twilio SMS webhook; the answer is ``Messages.json`` at the stand-in."""

    gateway_url: str
    public_base_url: str
    auth_token: str
    account_sid: str
    to_number: str
    arrivals: Arrivals
    parts: int = 1
    name: str = "SMS, Twilio (signed)"

    def _signature(self, url: str, params: dict[str, str]) -> str:
        signed = url + "".join(k + params[k] for k in sorted(params))
        mac = hmac.new(self.auth_token.encode(), signed.encode(), hashlib.sha1)
        return base64.b64encode(mac.digest()).decode()

    async def turn(self, session: aiohttp.ClientSession, text: str) -> Timed:
        n = _fresh_id()
        number = f"+86139{n:08d}"
        sid = f"SM{uuid.uuid4().hex}"
        params = {
            "MessageSid": sid,
            "SmsSid": sid,
            "AccountSid": self.account_sid,
            "From": number,
            "To": self.to_number,
            "Body": text,
            "NumMedia": "0",
            "ApiVersion": "2010-04-01",
        }
        signature = self._signature(f"{self.public_base_url}/sms/twilio", params)
        started = time.perf_counter()
        async with session.post(
            f"{self.gateway_url}/sms/twilio",
            data=params,
            headers={"X-Twilio-Signature": signature},
        ) as response:
            await response.read()
        if response.status != 200:
            raise RuntimeError(f"twilio: {response.status}")
        ended = await self.arrivals.wait(number, self.parts, OUT_OF_BAND_TIMEOUT_S)
        texts = self.arrivals.texts[number]
        return Timed(_elapsed(started, ended), len(texts), "\n".join(texts))


def wechat_text_xml(account: str, openid: str, text: str, msg_id: int) -> str:
    """A text message as WeChat pushes it (plaintext mode)."""
    return (
        f"<xml><ToUserName><![CDATA[{account}]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{text}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    )


def _sha1_sorted(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


@dataclass
class WeChatChannel:
    """A WeChat push, plaintext or safe (AES) mode; the passive reply is timed.

    In safe mode ``encrypt`` turns the message XML into the ``Encrypt`` value
    and ``decrypt`` reads the reply's; both come from the caller (the same
    algorithm WeChat's official SDK uses).
    """

    gateway_url: str
    token: str
    account: str
    arrivals: Arrivals
    encrypt: Callable[[str], str] | None = None
    decrypt: Callable[[str], bytes] | None = None
    name: str = "WeChat, plaintext"

    async def turn(self, session: aiohttp.ClientSession, text: str) -> Timed:
        n = _fresh_id()
        openid = f"oBench{n:010d}"
        timestamp, nonce = str(int(time.time())), uuid.uuid4().hex[:10]
        query = {
            "signature": _sha1_sorted(self.token, timestamp, nonce),
            "timestamp": timestamp,
            "nonce": nonce,
            "openid": openid,
        }
        body = wechat_text_xml(self.account, openid, text, 9_000_000_000 + n)
        if self.encrypt is not None:
            encrypted = self.encrypt(body)
            query["encrypt_type"] = "aes"
            query["msg_signature"] = _sha1_sorted(
                self.token, timestamp, nonce, encrypted
            )
            body = (
                f"<xml><ToUserName><![CDATA[{self.account}]]></ToUserName>"
                f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
            )
        started = time.perf_counter()
        async with session.post(
            f"{self.gateway_url}/wechat",
            params=query,
            data=body.encode(),
            headers={"Content-Type": "text/xml"},
        ) as response:
            answer = await response.read()
        took = _elapsed(started)
        if response.status != 200:
            raise RuntimeError(f"wechat: {response.status} {answer[:200]!r}")
        if answer == b"success":  # answered late, through the customer-service API
            ended = await self.arrivals.wait(openid, 1, OUT_OF_BAND_TIMEOUT_S)
            texts = self.arrivals.texts[openid]
            return Timed(_elapsed(started, ended), len(texts), "\n".join(texts))
        return Timed(took, 1, self._content(answer))

    def _content(self, answer: bytes) -> str:
        fields = {child.tag: child.text or "" for child in ET.fromstring(answer)}
        if self.decrypt is not None:
            inner = self.decrypt(fields["Encrypt"])
            fields = {child.tag: child.text or "" for child in ET.fromstring(inner)}
        return fields.get("Content", "")


@dataclass
class VoiceChannel:
    """A signed voice-relay turn (``POST /voice/turn``)."""

    gateway_url: str
    secret: str
    name: str = "voice relay (signed)"

    async def turn(self, session: aiohttp.ClientSession, text: str) -> Timed:
        n = _fresh_id()
        body = json.dumps(
            {
                "call_id": f"bench-call-{n}",
                "turn_no": 1,
                "text": text,
                "confidence": 0.95,
            },
            ensure_ascii=False,
        ).encode()
        timestamp = str(int(time.time()))
        signature = hmac.new(
            self.secret.encode(), timestamp.encode() + b"\n" + body, hashlib.sha256
        ).hexdigest()
        started = time.perf_counter()
        async with session.post(
            f"{self.gateway_url}/voice/turn",
            data=body,
            headers={
                "Content-Type": "application/json",
                "X-Timestamp": timestamp,
                "X-Signature": signature,
            },
        ) as response:
            data = await response.json()
        took = _elapsed(started)
        if response.status != 200 or data.get("reprompt"):
            raise RuntimeError(f"voice: {response.status} {data!r}")
        return Timed(took, 1, str(data.get("speak", "")))
