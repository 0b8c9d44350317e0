"""Requests signed the way each provider signs them (helpers for the security tests)."""

from __future__ import annotations

import json
import time
import uuid
from urllib.parse import urlencode

from channels.security import sign_voice_request
from channels.sms.twilio_signature import compute_signature
from channels.wechat.crypto import WeChatCrypto, msg_signature, sha1_signature
from tests.security.live_gateway import (
    TELEGRAM_SECRET,
    TWILIO_SID,
    TWILIO_TOKEN,
    VOICE_SECRET,
    WECHAT_AES_KEY,
    WECHAT_APP_ID,
    WECHAT_TOKEN,
    LiveGateway,
)

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JSON = {"Content-Type": "application/json"}
XML = {"Content-Type": "text/xml"}


def telegram_update(update_id: int, text: str = "你好") -> bytes:
    """A text message update as Telegram sends it."""
    return json.dumps(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": int(time.time()),
                "chat": {"id": 4242, "type": "private"},
                "from": {"id": 4242, "is_bot": False, "first_name": "市民"},
                "text": text,
            },
        },
        ensure_ascii=False,
    ).encode()


def telegram_headers(secret: str | None = TELEGRAM_SECRET) -> dict[str, str]:
    """JSON headers with (or without) the webhook's secret token."""
    headers = dict(JSON)
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    return headers


def wechat_query(
    timestamp: str | None = None, nonce: str | None = None
) -> dict[str, str]:
    """``signature``, ``timestamp`` and ``nonce`` for a WeChat request."""
    stamp = timestamp or str(int(time.time()))
    once = nonce or uuid.uuid4().hex[:10]
    return {
        "signature": sha1_signature(WECHAT_TOKEN, stamp, once),
        "timestamp": stamp,
        "nonce": once,
    }


def wechat_safe_body(
    msg_id: int, text: str, query: dict[str, str]
) -> tuple[bytes, str]:
    """A safe-mode (AES) text message and the query with its ``msg_signature``."""
    plain = (
        f"<xml><ToUserName><![CDATA[gh_1]]></ToUserName>"
        f"<FromUserName><![CDATA[openid-sec]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{text}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    )
    encrypt = WeChatCrypto(WECHAT_TOKEN, WECHAT_AES_KEY, WECHAT_APP_ID).encrypt(plain)
    signed = {
        **query,
        "encrypt_type": "aes",
        "msg_signature": msg_signature(
            WECHAT_TOKEN, query["timestamp"], query["nonce"], encrypt
        ),
    }
    body = f"<xml><ToUserName><![CDATA[gh_1]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    return body.encode(), urlencode(signed)


def twilio_form(sid: str, text: str = "你好") -> dict[str, str]:
    """An inbound SMS as Twilio posts it."""
    return {
        "AccountSid": TWILIO_SID,
        "MessageSid": sid,
        "From": "+8613800138000",
        "To": "+8610690000",
        "Body": text,
    }


def twilio_headers(
    gateway: LiveGateway, form: dict[str, str], good: bool = True
) -> dict[str, str]:
    """Form headers with Twilio's signature over the public URL (or a wrong one)."""
    signature = compute_signature(
        TWILIO_TOKEN if good else "wrong-token", gateway.url + "/sms/twilio", form
    )
    return {**FORM, "X-Twilio-Signature": signature}


def voice_headers(
    body: bytes, timestamp: str | None = None, secret: str = VOICE_SECRET
) -> dict[str, str]:
    """The relay's ``X-Timestamp`` and ``X-Signature``."""
    stamp = timestamp or str(int(time.time()))
    return {
        **JSON,
        "X-Timestamp": stamp,
        "X-Signature": sign_voice_request(secret, stamp, body),
    }
