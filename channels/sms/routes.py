"""SMS routes: Twilio and Alibaba Cloud uplink webhooks; replies through each provider's API.

``POST /sms/twilio`` (form body, ``X-Twilio-Signature``) and ``POST
/sms/aliyun/{ALIYUN_SMS_PATH_SECRET}`` (JSON batch, no signature: path secret
compared in constant time + IP allow-list) are each mounted when configured.
Both answer at once, the turn runs in the background, and the reply is sent
through the provider that received the message:

* Twilio gets an empty TwiML ``<Response/>`` and the answer goes through the
  REST API, rather than as TwiML ``<Message>``: a turn can take longer than
  Twilio waits (15 s, then it retries and a second turn would start), the
  answer may need several messages in order, a failed turn still owes the
  citizen the fallback text, and opt-outs are checked just before sending.
* Aliyun gets ``{"code":0,"msg":"接收成功"}`` (a malformed body gets 400 with
  the reason, so Aliyun pushes it again and the operator sees why).

Both providers are one ``sms`` channel: a phone number is one conversation
(and one opt-out flag) whichever provider carried it. Deliveries are deduped
by the relay on ``twilio:<MessageSid>`` / ``aliyun:<sequence_id>``. Replies are
rendered by ``render.render_sms``: numbered menus, at most ``MAX_PARTS``
single-segment messages (Aliyun's ``【签名】`` counted).

Opt-out: a message that is only an opt-out keyword (TD, 退订, STOP…) sets the
sender's flag and gets one confirmation; from then on nothing is sent to that
number (no Rasa turn either) until an opt-in keyword (订阅, START…).
"""

import asyncio
import re
import weakref
from collections.abc import AsyncIterator, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import structlog
from aiohttp import web

from bot.settings import Settings, SmsSettings
from channels import keys, texts
from channels.messages import InboundMessage, Outcome, RelayResult
from channels.middlewares import OptOutHook
from channels.relay import Relay
from channels.replies import BotReply
from channels.security import IPNetwork, ip_allowed, parse_networks, secrets_equal
from channels.sms.aliyun import (
    ACK_BODY,
    MAX_BODY_BYTES,
    BadRequest,
    InboundSms,
    parse_uplink,
)
from channels.sms.aliyun_sender import AliyunSender
from channels.sms.render import Subscription, render_sms, subscription_keyword
from channels.sms.segments import count_segments
from channels.sms.twilio_sender import TwilioSender
from channels.sms.twilio_signature import validate_request
from channels.stores import StoreUnavailable

__all__ = [
    "ALIYUN_PATH",
    "OPTED_IN_TEXT",
    "OPTED_OUT_TEXT",
    "TWILIO_PATH",
    "opt_out_hook",
    "phone_key",
    "setup",
]

log = structlog.get_logger(__name__)

CHANNEL = "sms"
TWILIO_PATH = "/sms/twilio"
ALIYUN_PATH = "/sms/aliyun/{secret}"
SIGNATURE_HEADER = "X-Twilio-Signature"
MAX_PARTS = 3
MAX_FORM_BYTES = 64 * 1024
DRAIN_TIMEOUT_S = 10.0
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
# Citizen-facing text of this channel (rule 20: could join texts.py).
OPTED_OUT_TEXT = "您已退订本服务短信，我们不会再向您发送消息。如需恢复，请回复“订阅”。"
OPTED_IN_TEXT = "您已恢复接收本服务短信，请问有什么可以帮您？"
_PHONE_NOISE = re.compile(r"[\s()\-]")
_CN_MOBILE = re.compile(r"1[3-9][0-9]{9}")


class Sender(Protocol):
    """An SMS provider's outbound API."""

    @property
    def reserved_units(self) -> int:
        """Units of each message the provider adds (its signature)."""

    async def send(self, to: str, body: str) -> bool:
        """Send one message; ``False`` if the provider did not take it."""


@dataclass
class SmsState:
    """What the SMS routes hold for the app's lifetime."""

    settings: SmsSettings
    networks: tuple[IPNetwork, ...] = ()
    twilio: TwilioSender | None = None
    aliyun: AliyunSender | None = None
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)
    # One lock per number: each webhook runs as its own task, and a citizen's
    # messages (a STOP, then a question) must be handled in arrival order.
    numbers: weakref.WeakValueDictionary[str, asyncio.Lock] = field(
        default_factory=weakref.WeakValueDictionary
    )

    def lock_for(self, number: str) -> asyncio.Lock:
        """The lock of one number, alive while some task holds or awaits it."""
        lock = self.numbers.get(number)
        if lock is None:
            lock = asyncio.Lock()
            self.numbers[number] = lock
        return lock

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        """Run ``coro`` in the background, keeping a reference until it ends."""
        task = asyncio.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)


STATE = web.AppKey("sms_state", SmsState)


def phone_key(phone: str) -> str:
    """One form per number, whichever provider reported it (``+86…`` for China)."""
    number = _PHONE_NOISE.sub("", phone)
    if number.startswith("00"):
        number = "+" + number[2:]
    if _CN_MOBILE.fullmatch(number):
        return "+86" + number
    if number.startswith("86") and _CN_MOBILE.fullmatch(number[2:]):
        return "+" + number
    return number


def _plain(text: str, status: int) -> web.Response:
    return web.Response(text=text, status=status, content_type="text/plain")


def _bad(provider: str, reason: str) -> web.Response:
    log.warning("channel.sms.request.malformed", provider=provider, reason=reason)
    return _plain(reason, 400)


def _forbidden(provider: str, reason: str) -> web.Response:
    log.warning("channel.sms.request.rejected", provider=provider, reason=reason)
    return _plain("forbidden", 403)


def opt_out_hook(relay: Relay) -> OptOutHook:
    """The SMS opt-out policy, answered before any Rasa turn."""

    async def hook(message: InboundMessage, opted_out: bool) -> RelayResult | None:
        keyword = subscription_keyword(message.text or "")
        try:
            if keyword is Subscription.OPT_OUT and not opted_out:
                await relay.set_opted_out(CHANNEL, message.user_id, True)
                log.info("channel.sms.opted_out")
                return RelayResult(Outcome.CHANNEL, (BotReply(text=OPTED_OUT_TEXT),))
            if keyword is Subscription.OPT_IN and opted_out:
                await relay.set_opted_out(CHANNEL, message.user_id, False)
                log.info("channel.sms.opted_in")
                return RelayResult(Outcome.CHANNEL, (BotReply(text=OPTED_IN_TEXT),))
        except StoreUnavailable:
            log.error("channel.sms.opt_out.unsaved")
            return RelayResult(Outcome.FAILED, (BotReply(text=texts.UNAVAILABLE),))
        if opted_out:
            log.info("channel.sms.opted_out.silent")
            return RelayResult(Outcome.CHANNEL, opted_out=True)
        return None

    return hook


async def _may_send(relay: Relay, result: RelayResult, user_id: str) -> bool:
    if result.duplicate or result.opted_out or not result.replies:
        return False
    if result.outcome is Outcome.CHANNEL:
        return True  # the opt-out / opt-in confirmation itself
    try:
        # A rate-limit notice, say, is decided before the opt-out step.
        return not await relay.is_opted_out(CHANNEL, user_id)
    except StoreUnavailable:
        return True  # the citizen has just written to us


async def _converse(
    app: web.Application,
    inbound: InboundMessage,
    address: str,
    sender: Sender | None,
    provider: str,
) -> None:
    relay = app[keys.RELAY]
    async with app[STATE].lock_for(inbound.user_id):
        await _answer(relay, inbound, address, sender, provider)


async def _answer(
    relay: Relay,
    inbound: InboundMessage,
    address: str,
    sender: Sender | None,
    provider: str,
) -> None:
    result = await relay.handle(inbound)
    if not await _may_send(relay, result, inbound.user_id):
        return
    if sender is None:
        log.error("channel.sms.reply.no_sender", provider=provider)
        return
    rendered = render_sms(
        result.replies, max_parts=MAX_PARTS, reserved=sender.reserved_units
    )
    sent = 0
    for part in rendered.parts:
        if not await sender.send(address, part):
            break  # later parts would arrive out of order
        sent += 1
    log.info(
        "channel.sms.reply.sent",
        provider=provider,
        parts=sent,
        segments=sum(count_segments(part) for part in rendered.parts[:sent]),
    )


def _public_url(request: web.Request, settings: SmsSettings) -> str:
    # Behind a TLS-terminating proxy the app sees http://internal-host: Twilio
    # signed the public URL, so without PUBLIC_BASE_URL validation fails closed.
    if settings.public_base_url:
        return settings.public_base_url.rstrip("/") + request.raw_path
    return str(request.url)


async def twilio_inbound(request: web.Request) -> web.Response:
    """Twilio's incoming-message webhook."""
    state = request.app[STATE]
    if request.content_type != "application/x-www-form-urlencoded":
        return _bad("twilio", "expected an application/x-www-form-urlencoded body")
    if (request.content_length or 0) > MAX_FORM_BYTES:
        return _plain("body too large", 413)
    try:
        form = await request.post()
    except (ValueError, UnicodeDecodeError):
        return _bad("twilio", "unreadable form body")
    pairs = [(name, str(value)) for name, value in form.items()]
    signature = request.headers.get(SIGNATURE_HEADER)
    token = state.settings.twilio_auth_token or ""
    if not validate_request(
        token, _public_url(request, state.settings), pairs, signature
    ):
        return _forbidden(
            "twilio", "bad_signature" if signature else "missing_signature"
        )
    account = form.get("AccountSid")
    if (
        account
        and state.settings.twilio_account_sid
        and account != state.settings.twilio_account_sid
    ):
        return _forbidden("twilio", "other_account")
    message_sid = str(form.get("MessageSid") or form.get("SmsSid") or "")
    address = str(form.get("From") or "")
    if not message_sid or not address:
        return _bad("twilio", "MessageSid and From are required")
    inbound = InboundMessage(
        channel=CHANNEL,
        user_id=phone_key(address),
        text=str(form.get("Body") or ""),
        payload=None,
        message_id=f"twilio:{message_sid}",
        metadata={"provider": "twilio"},
    )
    state.spawn(_converse(request.app, inbound, address, state.twilio, "twilio"))
    return web.Response(text=EMPTY_TWIML, content_type="text/xml")


async def _converse_batch(app: web.Application, items: Sequence[InboundSms]) -> None:
    state = app[STATE]
    # One task per push, in order: a citizen's messages of one batch stay in order.
    for item in items:
        inbound = InboundMessage(
            channel=CHANNEL,
            user_id=phone_key(item.phone),
            text=item.text,
            payload=None,
            message_id=f"aliyun:{item.message_id}",
            metadata={"provider": "aliyun"},
        )
        await _converse(app, inbound, item.phone, state.aliyun, "aliyun")


async def aliyun_inbound(request: web.Request) -> web.Response:
    """Alibaba Cloud's uplink (SmsUp) batch push."""
    state = request.app[STATE]
    if not secrets_equal(
        request.match_info["secret"], state.settings.aliyun_path_secret or ""
    ):
        return _forbidden("aliyun", "bad_path_secret")
    if state.networks and not ip_allowed(request.remote, state.networks):
        return _forbidden("aliyun", "ip_not_allowed")
    if (request.content_length or 0) > MAX_BODY_BYTES:
        return _plain("body too large", 413)
    body = await request.read()
    try:
        items = parse_uplink(body)
    except BadRequest as exc:
        return _bad("aliyun", exc.reason)
    if items:
        state.spawn(_converse_batch(request.app, items))
    return web.Response(body=ACK_BODY, content_type="application/json")


async def _lifecycle(app: web.Application) -> AsyncIterator[None]:
    state = app[STATE]
    settings = state.settings
    session = app[keys.HTTP_SESSION]
    if settings.twilio_auth_token:
        if settings.twilio_account_sid and settings.twilio_from:
            state.twilio = TwilioSender(session, settings)
        else:
            log.warning("channel.sms.twilio.replies_disabled")
    if settings.aliyun_path_secret:
        try:
            state.aliyun = AliyunSender(session, settings)
        except ValueError:
            log.warning("channel.sms.aliyun.replies_disabled")
    relay = app[keys.RELAY]
    relay.register_opt_out_hook(CHANNEL, opt_out_hook(relay))
    # Binding codes (channels/binding) go out through the first provider set up.
    code_sender = state.twilio or state.aliyun
    relay.set_code_sender(code_sender.send if code_sender is not None else None)
    try:
        yield
    finally:
        relay.set_code_sender(None)
        if state.tasks:
            _done, pending = await asyncio.wait(
                set(state.tasks), timeout=DRAIN_TIMEOUT_S
            )
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)


def setup(app: web.Application, settings: Settings) -> None:
    """Mount the configured SMS providers (channel mount contract, see ``channels.app``).

    Raises:
        ValueError: If ``ALIYUN_SMS_ALLOWED_IPS`` holds something not an IP
            address or network.
    """
    sms = settings.channels.sms
    networks = parse_networks(sms.aliyun_allowed_ips)
    app[STATE] = SmsState(settings=sms, networks=networks)
    if sms.twilio_auth_token:
        if not sms.public_base_url:
            log.warning("channel.sms.twilio.no_public_url")
        app.router.add_post(TWILIO_PATH, twilio_inbound)
    if sms.aliyun_path_secret:
        if not networks:
            log.warning("channel.sms.aliyun.no_ip_allowlist")
        app.router.add_post(ALIYUN_PATH, aliyun_inbound)
    app.cleanup_ctx.append(_lifecycle)
