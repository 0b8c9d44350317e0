"""Routes of the simulated SMS provider (``/sms-provider``) and handsets (``/sms-handset``).

* ``POST /sms-provider/2010-04-01/Accounts/{sid}/Messages.json``: Twilio's
  create-message call (form ``To``, ``From``, ``Body``; HTTP Basic auth with
  the account id and token). The message lands in the ``To`` phone's list.
* ``POST /sms-handset/messages`` (JSON ``{"phone", "text"}``): a citizen's
  phone sends a message; it is pushed to ``SANDBOX_SMS_WEBHOOK_URL`` as a
  signed Twilio webhook. 202 when the gateway took it, 502 when it did not.
* ``GET /sms-handset/messages?phone=…&after=…``: the phone's messages.
* ``GET /sms-handset/``: a page to play a phone in the browser.

Errors follow Twilio's JSON shape (``code``, ``message``, ``status``) on the
provider side and ``{"error": {"code", "message"}}`` on the handset side.
"""

from __future__ import annotations

import asyncio
import binascii
import math
import re
from base64 import b64decode
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import structlog
from aiohttp import web

from sandbox import keys
from sandbox.sms.handsets import Handsets, new_sid
from sandbox.sms.signing import twilio_signature
from sandbox.wire import json_response

log = structlog.get_logger(__name__)

HANDSETS = web.AppKey("sandbox_sms_handsets", Handsets)
SESSION = web.AppKey("sandbox_sms_session", aiohttp.ClientSession)

MAX_BODY_CHARS = 1600  # Twilio's limit for one (multi-part) message
PUSH_TIMEOUT_S = 10.0
_PHONE = re.compile(r"\+?[0-9]{5,15}")
_CN_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_PAGE = Path(__file__).with_name("handset.html")

routes = web.RouteTableDef()


def phone_number(raw: object) -> str | None:
    """E.164 form of a phone number (``+86`` added to mainland mobiles), or None."""
    if not isinstance(raw, str):
        return None
    number = re.sub(r"[\s\-()]", "", raw)
    if _CN_MOBILE.fullmatch(number):
        return "+86" + number
    if not _PHONE.fullmatch(number):
        return None
    return number if number.startswith("+") else "+" + number


def _twilio_error(status: int, code: int, message: str) -> web.Response:
    return json_response(
        {"code": code, "message": message, "status": status}, status=status
    )


def _handset_error(status: int, code: str, message: str) -> web.Response:
    return json_response({"error": {"code": code, "message": message}}, status=status)


def _authorised(request: web.Request) -> bool:
    settings = request.app[keys.SETTINGS]
    header = request.headers.get("Authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        user, _, password = b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return (
        user == settings.sms_account_sid
        and password == settings.sms_auth_token
        and request.match_info["sid"] == settings.sms_account_sid
    )


@routes.post("/sms-provider/2010-04-01/Accounts/{sid}/Messages.json")
async def create_message(request: web.Request) -> web.Response:
    """Twilio's create-message call: the message reaches the simulated phone."""
    if not _authorised(request):
        return _twilio_error(401, 20003, "Authentication Error")
    form = await request.post()
    to = phone_number(form.get("To"))
    body = form.get("Body")
    if to is None:
        return _twilio_error(400, 21211, "The 'To' number is not a valid phone number.")
    if not isinstance(body, str) or not body.strip():
        return _twilio_error(400, 21602, "Message body is required.")
    if len(body) > MAX_BODY_CHARS:
        return _twilio_error(400, 21617, "The concatenated message body is too long.")
    message = request.app[HANDSETS].record(to, "to_phone", body)
    log.info("sandbox.sms.sent", chars=len(body))
    return json_response(
        {
            "sid": message.sid,
            "status": "queued",
            "to": to,
            "from": str(form.get("From") or ""),
            "body": body,
        },
        status=201,
    )


@routes.post("/sms-handset/messages")
async def phone_sends(request: web.Request) -> web.Response:
    """A simulated phone sends a message to the service number."""
    settings = request.app[keys.SETTINGS]
    if not settings.sms_webhook_url:
        return _handset_error(409, "handsets_off", "SANDBOX_SMS_WEBHOOK_URL is empty")
    try:
        data = await request.json()
    except ValueError:
        return _handset_error(400, "bad_json", "expected a JSON object")
    if not isinstance(data, dict):
        return _handset_error(400, "bad_json", "expected a JSON object")
    phone = phone_number(data.get("phone"))
    text = data.get("text")
    if phone is None:
        return _handset_error(400, "bad_phone", "phone must be a phone number")
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_BODY_CHARS:
        return _handset_error(400, "bad_text", "text must be 1–1600 characters")
    sid = new_sid()
    form = {
        "AccountSid": settings.sms_account_sid,
        "MessageSid": sid,
        "SmsSid": sid,
        "From": phone,
        "To": "+86106912345",
        "Body": text,
        "NumMedia": "0",
    }
    url = settings.sms_webhook_url
    headers = {
        "X-Twilio-Signature": twilio_signature(settings.sms_auth_token, url, form)
    }
    try:
        async with request.app[SESSION].post(url, data=form, headers=headers) as answer:
            status = answer.status
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        log.warning("sandbox.sms.push_failed", reason=type(exc).__name__)
        return _handset_error(502, "gateway_unreachable", "the gateway did not answer")
    if status != 200:
        log.warning("sandbox.sms.push_refused", status=status)
        return _handset_error(502, "gateway_refused", f"the gateway answered {status}")
    message = request.app[HANDSETS].record(phone, "from_phone", text)
    return json_response({"sid": message.sid, "status": "delivered"}, status=202)


@routes.get("/sms-handset/messages")
async def phone_reads(request: web.Request) -> web.Response:
    """The simulated phone's messages, oldest first."""
    phone = phone_number(request.query.get("phone"))
    if phone is None:
        return _handset_error(400, "bad_phone", "phone must be a phone number")
    try:
        after = float(request.query.get("after", "0"))
    except ValueError:
        after = math.nan
    if not math.isfinite(after):
        return _handset_error(400, "bad_after", "after must be a timestamp")
    messages = request.app[HANDSETS].messages(phone, after)
    return json_response({"phone": phone, "messages": [m.to_json() for m in messages]})


@routes.get("/sms-handset/")
async def handset_page(request: web.Request) -> web.Response:
    """A page that plays one phone: type messages, read the answers."""
    return web.Response(
        body=_PAGE.read_bytes(), content_type="text/html", charset="utf-8"
    )


async def _session_ctx(app: web.Application) -> AsyncIterator[None]:
    timeout = aiohttp.ClientTimeout(total=PUSH_TIMEOUT_S)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        app[SESSION] = session
        yield


def setup(app: web.Application) -> None:
    """Mount the provider and the handsets on the sandbox app."""
    app[HANDSETS] = Handsets()
    app.cleanup_ctx.append(_session_ctx)
    app.add_routes(routes)
