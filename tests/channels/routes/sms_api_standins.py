"""Loopback stand-ins for the Twilio Messages API and Alibaba Cloud's SendSms API.

Both check credentials the way the real services do (Twilio: HTTP basic auth
with the account SID and auth token; Aliyun: the RPC ``Signature``, recomputed
here with an independent implementation of the documented algorithm, and a
fresh ``SignatureNonce``) and record every message they accepted.
"""

import base64
import hashlib
import hmac
import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote

from aiohttp import BasicAuth, web

TWILIO_SID = "AC0123456789abcdef0123456789abcdef"
TWILIO_TOKEN = "sandbox-twilio-auth-token"
TWILIO_FROM = "+12025550100"
ALIYUN_KEY_ID = "LTAI-sandbox-key"
ALIYUN_KEY_SECRET = "sandbox-aliyun-secret"
ALIYUN_SIGN_NAME = "深圳政务"
ALIYUN_TEMPLATE = "SMS_000000001"


@dataclass
class TwilioApiStandIn:
    """Twilio's ``Messages.json``; numbers in ``unsubscribed`` answer 21610."""

    url: str = ""
    sent: list[dict[str, str]] = field(default_factory=list)
    unsubscribed: set[str] = field(default_factory=set)
    rejected_auth: int = 0

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", self._create)
        return app

    def bodies_to(self, number: str) -> list[str]:
        return [m["Body"] for m in self.sent if m["To"] == number]

    async def _create(self, request: web.Request) -> web.Response:
        try:
            auth = BasicAuth.decode(request.headers.get("Authorization", ""))
        except ValueError:
            auth = None
        if (
            auth is None
            or request.match_info["sid"] != TWILIO_SID
            or (auth.login, auth.password) != (TWILIO_SID, TWILIO_TOKEN)
        ):
            self.rejected_auth += 1
            return web.json_response(
                {"code": 20003, "message": "Authenticate"}, status=401
            )
        form = {k: str(v) for k, v in (await request.post()).items()}
        if form.get("To") in self.unsubscribed:
            return web.json_response(
                {"code": 21610, "message": "Attempt to send to unsubscribed recipient"},
                status=400,
            )
        self.sent.append(form)
        return web.json_response(
            {"sid": f"SM{uuid.uuid4().hex}", "status": "queued", **form}, status=201
        )


def _encode(value: str) -> str:
    # Written apart from channels.sms.aliyun_sender on purpose: RFC 3986 with
    # only the unreserved characters left alone.
    return "".join(
        ch if re.fullmatch(r"[A-Za-z0-9\-_.~]", ch) else quote(ch, safe="")
        for ch in value
    )


def aliyun_signature(secret: str, method: str, params: dict[str, str]) -> str:
    """Alibaba Cloud RPC signature, HMAC-SHA1 (the stand-in's own version)."""
    query = "&".join(f"{_encode(k)}={_encode(params[k])}" for k in sorted(params))
    to_sign = f"{method}&{_encode('/')}&{_encode(query)}"
    mac = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode()


@dataclass
class AliyunApiStandIn:
    """Alibaba Cloud ``SendSms``: verifies the request signature and nonce."""

    url: str = ""
    sent: list[dict[str, str]] = field(default_factory=list)
    nonces: set[str] = field(default_factory=set)
    refusals: list[str] = field(default_factory=list)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/", self._rpc)
        return app

    def contents_to(self, phone: str) -> list[str]:
        return [
            json.loads(m["TemplateParam"])["content"]
            for m in self.sent
            if m["PhoneNumbers"] == phone
        ]

    def _refuse(self, code: str) -> web.Response:
        self.refusals.append(code)
        return web.json_response({"Code": code, "Message": code}, status=400)

    async def _rpc(self, request: web.Request) -> web.Response:
        params = dict(
            parse_qsl((await request.read()).decode("ascii"), keep_blank_values=True)
        )
        signature = params.pop("Signature", "")
        if params.get("AccessKeyId") != ALIYUN_KEY_ID:
            return self._refuse("InvalidAccessKeyId.NotFound")
        if signature != aliyun_signature(ALIYUN_KEY_SECRET, "POST", params):
            return self._refuse("SignatureDoesNotMatch")
        if params.get("SignatureNonce") in self.nonces:
            return self._refuse("SignatureNonceUsed")
        self.nonces.add(params.get("SignatureNonce", ""))
        if not re.fullmatch(
            r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", params.get("Timestamp", "")
        ):
            return self._refuse("InvalidTimeStamp.Format")
        expected: dict[str, Any] = {
            "Action": "SendSms",
            "Version": "2017-05-25",
            "SignName": ALIYUN_SIGN_NAME,
            "TemplateCode": ALIYUN_TEMPLATE,
        }
        if any(params.get(k) != v for k, v in expected.items()):
            return self._refuse("isv.INVALID_PARAMETERS")
        self.sent.append(params)
        return web.json_response(
            {"Code": "OK", "Message": "OK", "BizId": uuid.uuid4().hex, "RequestId": "r"}
        )
