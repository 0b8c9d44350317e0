"""Send SMS through Alibaba Cloud's ``SendSms`` API (RPC style, signature version 1.0).

Alibaba Cloud only sends approved templates: ``ALIYUN_SMS_TEMPLATE_CODE`` must
name a template whose whole text is one variable, ``${content}``, and
``ALIYUN_SMS_SIGN_NAME`` an approved signature (Aliyun prepends it as
``【签名】``, which counts towards the message length: ``reserved_units``).

RPC signature (Alibaba Cloud "HTTP 协议及签名" for SMS, method ``HMAC-SHA1``):

1. Every parameter but ``Signature``, sorted by name; names and values
   percent-encoded as UTF-8 per RFC 3986 (unreserved ``A-Z a-z 0-9 - _ . ~``
   kept, space → ``%20``, ``*`` → ``%2A``), joined ``name=value`` with ``&``.
2. ``StringToSign = METHOD + "&" + enc("/") + "&" + enc(canonical query)``.
3. ``Signature = Base64(HMAC-SHA1(AccessKeySecret + "&", StringToSign))``.

The documented example (AccessKeyId ``testId``, secret ``testSecret``, nonce
``45e25e9b-…``, 2017-07-12T02:42:19Z) gives ``zJDF+Lrzhj/ThnlvIToysFRq6t4=``;
the tests check it. Sending is not idempotent: nothing is retried.
"""

import asyncio
import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

import aiohttp
import structlog

from bot.settings import SmsSettings

__all__ = [
    "AliyunSender",
    "canonical_query",
    "percent_encode",
    "rpc_signature",
    "send_sms_params",
    "string_to_sign",
]

log = structlog.get_logger(__name__)

REQUEST_TIMEOUT_S = 10.0
API_VERSION = "2017-05-25"
REGION = "cn-hangzhou"


def percent_encode(value: str) -> str:
    """RFC 3986 percent-encoding of UTF-8, as Alibaba Cloud's signature wants."""
    return quote(value, safe="-_.~", encoding="utf-8")


def canonical_query(params: Mapping[str, str]) -> str:
    """Parameters sorted by name, encoded, joined with ``&`` (no ``Signature``)."""
    return "&".join(
        f"{percent_encode(name)}={percent_encode(value)}"
        for name, value in sorted(params.items())
        if name != "Signature"
    )


def string_to_sign(method: str, params: Mapping[str, str]) -> str:
    """``METHOD&%2F&<encoded canonical query>``."""
    return f"{method.upper()}&{percent_encode('/')}&{percent_encode(canonical_query(params))}"


def rpc_signature(
    access_key_secret: str, method: str, params: Mapping[str, str]
) -> str:
    """The base64 HMAC-SHA1 ``Signature`` of a request."""
    key = (access_key_secret + "&").encode("utf-8")
    digest = hmac.new(key, string_to_sign(method, params).encode("utf-8"), hashlib.sha1)
    return base64.b64encode(digest.digest()).decode("ascii")


def _utc_timestamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def send_sms_params(
    *,
    access_key_id: str,
    phone: str,
    sign_name: str,
    template_code: str,
    content: str,
    nonce: str,
    timestamp: str,
) -> dict[str, str]:
    """The unsigned ``SendSms`` parameters for one text in the ``${content}`` template."""
    return {
        "AccessKeyId": access_key_id,
        "Action": "SendSms",
        "Format": "JSON",
        "PhoneNumbers": phone,
        "RegionId": REGION,
        "SignName": sign_name,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": nonce,
        "SignatureVersion": "1.0",
        "TemplateCode": template_code,
        "TemplateParam": json.dumps(
            {"content": content}, ensure_ascii=False, separators=(",", ":")
        ),
        "Timestamp": timestamp,
        "Version": API_VERSION,
    }


class AliyunSender:
    """Sends template SMS through one Alibaba Cloud account."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        settings: SmsSettings,
        *,
        nonce: Callable[[], str] = lambda: str(uuid.uuid4()),
        timestamp: Callable[[], str] = _utc_timestamp,
    ) -> None:
        if not (
            settings.aliyun_access_key_id
            and settings.aliyun_access_key_secret
            and settings.aliyun_sign_name
            and settings.aliyun_template_code
        ):
            raise ValueError(
                "ALIYUN_SMS_ACCESS_KEY_ID, ALIYUN_SMS_ACCESS_KEY_SECRET, "
                "ALIYUN_SMS_SIGN_NAME and ALIYUN_SMS_TEMPLATE_CODE are required"
            )
        self._session = session
        self._url = settings.aliyun_api_base.rstrip("/") + "/"
        self._key_id = settings.aliyun_access_key_id
        self._secret = settings.aliyun_access_key_secret
        self._sign_name = settings.aliyun_sign_name
        self._template = settings.aliyun_template_code
        self._nonce = nonce
        self._timestamp = timestamp
        self._timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)

    @property
    def reserved_units(self) -> int:
        """The ``【签名】`` Aliyun adds to every message."""
        return len(self._sign_name) + 2

    def signed_body(self, phone: str, content: str) -> str:
        """The form body of one ``SendSms`` POST, signature included."""
        params = send_sms_params(
            access_key_id=self._key_id,
            phone=phone,
            sign_name=self._sign_name,
            template_code=self._template,
            content=content,
            nonce=self._nonce(),
            timestamp=self._timestamp(),
        )
        signature = rpc_signature(self._secret, "POST", params)
        return f"Signature={percent_encode(signature)}&{canonical_query(params)}"

    async def send(self, to: str, body: str) -> bool:
        """Send one message; ``False`` (logged) if Aliyun did not accept it."""
        try:
            async with self._session.post(
                self._url,
                data=self.signed_body(to, body).encode("ascii"),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                timeout=self._timeout,
            ) as response:
                status = response.status
                data: Any = await response.json(content_type=None)
        except asyncio.TimeoutError:
            log.error("channel.sms.aliyun.send_failed", reason="timeout")
            return False
        except aiohttp.ClientError as exc:
            log.error("channel.sms.aliyun.send_failed", reason=type(exc).__name__)
            return False
        except ValueError:
            log.error("channel.sms.aliyun.send_failed", reason="bad_json")
            return False
        code = data.get("Code") if isinstance(data, dict) else None
        if status == 200 and code == "OK":
            return True
        log.error("channel.sms.aliyun.send_refused", status=status, code=code)
        return False
