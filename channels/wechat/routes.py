"""WeChat official account (公众号) routes: ``GET /wechat`` URL check, ``POST /wechat`` messages.

Every request carries ``signature`` = sha1(sorted token, timestamp, nonce). We
also require the timestamp within ±300 s and each (timestamp, nonce) to be
new (WeChat bounds neither; plain-mode bodies are not signed at all). With
``WECHAT_ENCODING_AES_KEY`` set the account runs in safe mode: bodies must be
encrypted (``encrypt_type=aes``), their ``msg_signature`` is checked before
anything is decrypted, and passive replies are encrypted too.

The 5-second rule: WeChat drops a request after 5 s and sends it again (three
tries in all), and a reply it cannot read shows the citizen an error. So the
relay turn runs as a task; if it ends within ``WECHAT_PASSIVE_S`` (4 s) the
answer is the passive XML reply, otherwise WeChat gets ``success`` at once
and the answer follows through the customer-service API (``sender.py``). An
answer longer than one message (2048 UTF-8 bytes) goes through that API
whole, in order. A redelivery (same ``MsgId``, or FromUserName+CreateTime
for events) joins the first turn in the relay's dedupe and is answered
``success``: the first delivery sends the answer.

Choices become a numbered menu (``回复1：…``); the relay maps "1" back to the
choice offered. Events: subscribe greets, a menu CLICK sends its key as text
(name each CLICK key after the phrase it stands for, e.g. ``查违章``),
unsubscribe and the rest are acknowledged only.
"""

import asyncio
import html
import re
import secrets
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from aiohttp import web

from bot.settings import Settings, WeChatSettings
from channels import keys
from channels.messages import InboundMessage, RelayResult
from channels.replies import BotReply
from channels.security import SeenCache, timestamp_within
from channels.text_split import Unit, split_text
from channels.wechat.crypto import (
    SignatureError,
    WeChatCrypto,
    WeChatCryptoError,
    check_signature,
)
from channels.wechat.sender import WeChatSender
from channels.wechat.xml_codec import (
    MAX_TEXT_REPLY_BYTES,
    MAX_XML_BYTES,
    Event,
    EventMessage,
    LocationMessage,
    TextMessage,
    VoiceMessage,
    WeChatMessage,
    WeChatXmlError,
    encrypt_reply,
    parse_envelope,
    parse_message,
    render_text_reply,
)

__all__ = ["PATH", "SUCCESS", "inbound_for", "setup", "wechat_text"]

log = structlog.get_logger(__name__)

PATH = "/wechat"
CHANNEL = "wechat"
SUCCESS = "success"
"""The body that tells WeChat "received, nothing to show" (no retry)."""
REPLAY_WINDOW_S = 300
DRAIN_TIMEOUT_S = 10.0
# Citizen-facing text of this channel's rendering (rule 20: could join texts.py).
MENU_LINE = "回复{number}：{title}"
IMAGE_LINK_TITLE = "查看图片"
NEARBY_OFFICE = "附近的办事大厅"
START = "/start"  # the relay turns it into the greeting
_DISTRICT_IN_LABEL = re.compile(
    r"(?:深圳市?)(?P<district>[\u4e00-\u9fff]{1,4}?(?:新区|区))"
)


@dataclass
class WeChatState:
    """What the WeChat routes hold for the app's lifetime."""

    settings: WeChatSettings
    passive_s: float
    crypto: WeChatCrypto | None
    seen: SeenCache = field(
        default_factory=lambda: SeenCache(2 * REPLAY_WINDOW_S, 100_000)
    )
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)
    sender: WeChatSender | None = None
    clock: Callable[[], float] = time.time
    """Unix time for the timestamp window (tests replay official samples)."""

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run ``coro`` in the background, keeping a reference until it ends."""
        task = asyncio.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task


STATE = web.AppKey("wechat_state", WeChatState)


def _plain(text: str, status: int = 200) -> web.Response:
    return web.Response(text=text, status=status, content_type="text/plain")


def _bad(reason: str) -> web.Response:
    log.warning("channel.wechat.request.malformed", reason=reason)
    return _plain(reason, 400)


def _forbidden(reason: str) -> web.Response:
    log.warning("channel.wechat.request.rejected", reason=reason)
    return _plain("forbidden", 403)


def _check_query(
    request: web.Request, state: "WeChatState"
) -> web.Response | tuple[str, str]:
    """The verified (timestamp, nonce), or the error response to send."""
    query = request.query
    signature, timestamp, nonce = (
        query.get("signature"),
        query.get("timestamp"),
        query.get("nonce"),
    )
    if not signature or not timestamp or not nonce:
        return _bad("missing signature, timestamp or nonce")
    if not check_signature(state.settings.token or "", timestamp, nonce, signature):
        return _forbidden("bad_signature")
    if not timestamp_within(timestamp, now=state.clock(), window=REPLAY_WINDOW_S):
        return _forbidden("stale_timestamp")
    return timestamp, nonce


async def verify_url(request: web.Request) -> web.Response:
    """Server-URL verification: echo ``echostr`` verbatim if the signature holds."""
    state = request.app[STATE]
    checked = _check_query(request, state)
    if isinstance(checked, web.Response):
        return checked
    echostr = request.query.get("echostr")
    if not echostr:
        return _bad("missing echostr")
    log.info("channel.wechat.url.verified")
    return _plain(echostr)


def _district(label: str) -> str | None:
    match = _DISTRICT_IN_LABEL.search(label)
    return match.group("district") if match else None


def inbound_for(message: WeChatMessage) -> InboundMessage | None:
    """The relay message for a WeChat message, or ``None`` to just acknowledge."""
    text: str | None
    metadata: dict[str, object] = {}
    if isinstance(message, TextMessage):
        text = message.content
    elif isinstance(message, VoiceMessage):
        text = message.recognition  # WeChat's own ASR, when the account has it
        metadata["voice"] = True
    elif isinstance(message, LocationMessage):
        district = _district(message.label)
        text = f"{district}{NEARBY_OFFICE}" if district else NEARBY_OFFICE
        metadata["shared"] = "location"
    elif isinstance(message, EventMessage):
        if message.event == Event.SUBSCRIBE:
            text = START
        elif message.event == Event.CLICK and message.event_key:
            text = message.event_key
        else:
            log.info("channel.wechat.event.acknowledged", wechat_event=message.event)
            return None
        metadata["wechat_event"] = message.event
    else:
        text = None  # pictures, links, video: the relay asks for text politely
    return InboundMessage(
        channel=CHANNEL,
        user_id=message.from_user,
        text=text,
        payload=None,
        message_id=message.dedupe_key,
        metadata=metadata,
    )


def wechat_text(replies: Sequence[BotReply]) -> str:
    """A turn's replies as one WeChat text: links as ``<a>``, choices numbered."""
    blocks: list[str] = []
    number = 0
    for reply in replies:
        lines = [reply.text] if reply.text else []
        for link in reply.links:
            href, title = html.escape(link.url), html.escape(link.title, quote=False)
            lines.append(f'<a href="{href}">{title}</a>')
        if reply.image_url:
            lines.append(
                f'<a href="{html.escape(reply.image_url)}">{IMAGE_LINK_TITLE}</a>'
            )
        for choice in reply.choices:
            number += 1
            lines.append(MENU_LINE.format(number=number, title=choice.title))
        if lines:
            blocks.append("\n".join(lines))
    return "\n".join(blocks)


def _parts(result: RelayResult) -> list[str]:
    if result.duplicate:
        return []  # the first delivery answers
    text = wechat_text(result.replies).strip()
    return [p for p in split_text(text, MAX_TEXT_REPLY_BYTES, Unit.UTF8) if p.strip()]


def _passive_reply(
    state: WeChatState, message: WeChatMessage, content: str
) -> web.Response:
    now = int(time.time())
    xml = render_text_reply(message.from_user, message.to_user, content, now)
    if state.crypto is not None:
        xml = encrypt_reply(state.crypto, xml, str(now), secrets.token_hex(8))
    return web.Response(text=xml, content_type="application/xml")


async def _send_parts(state: WeChatState, openid: str, parts: Sequence[str]) -> None:
    if state.sender is None:
        log.error("channel.wechat.custom.unconfigured", parts=len(parts))
        return
    for part in parts:
        if not await state.sender.send_text(openid, part):
            return  # later parts would arrive out of order


async def _deliver_late(
    state: WeChatState, turn: "asyncio.Task[RelayResult]", openid: str
) -> None:
    try:
        result = await turn
    except Exception:
        log.exception("channel.wechat.turn.crashed")
        return
    parts = _parts(result)
    if parts:
        log.info("channel.wechat.reply.late", parts=len(parts))
        await _send_parts(state, openid, parts)


def _decode(
    state: WeChatState, request: web.Request, body: bytes, timestamp: str, nonce: str
) -> WeChatMessage | web.Response:
    encrypted = request.query.get("encrypt_type", "raw").lower() == "aes"
    try:
        if not encrypted:
            if state.crypto is not None:
                log.error("channel.wechat.plaintext.refused")
                return _bad("plaintext message, but the account is in safe mode")
            return parse_message(body)
        if state.crypto is None:
            log.error("channel.wechat.safe_mode.unconfigured")
            return _bad("encrypted message, but WECHAT_ENCODING_AES_KEY is unset")
        envelope = parse_envelope(body)
        plain = state.crypto.decrypt_message(
            request.query.get("msg_signature"), timestamp, nonce, envelope.encrypt
        )
        return parse_message(plain)
    except SignatureError:
        return _forbidden("bad_msg_signature")
    except WeChatCryptoError as exc:
        return _bad(f"cannot decrypt ({exc.code})")
    except WeChatXmlError as exc:
        return _bad(exc.reason)


async def receive(request: web.Request) -> web.Response:
    """A citizen message or event: answer passively in time, else ``success``."""
    state = request.app[STATE]
    checked = _check_query(request, state)
    if isinstance(checked, web.Response):
        return checked
    timestamp, nonce = checked
    if not state.seen.add((timestamp, nonce)):
        log.info("channel.wechat.request.replayed")
        return _plain(SUCCESS)
    if (request.content_length or 0) > MAX_XML_BYTES:
        return _plain("body too large", 413)
    body = await request.read()
    message = _decode(state, request, body, timestamp, nonce)
    if isinstance(message, web.Response):
        return message
    inbound = inbound_for(message)
    if inbound is None:
        return _plain(SUCCESS)
    turn = state.spawn(request.app[keys.RELAY].handle(inbound))
    # wait() never cancels the turn: a cancelled turn would leave its dedupe
    # claim pending and make WeChat's retries wait for nothing.
    done, _pending = await asyncio.wait({turn}, timeout=state.passive_s)
    if turn not in done:
        log.info("channel.wechat.reply.deferred")
        state.spawn(_deliver_late(state, turn, message.from_user))
        return _plain(SUCCESS)
    try:
        result = turn.result()
    except Exception:  # the relay answers every failure itself; a bug is not
        log.exception("channel.wechat.turn.crashed")
        return _plain(SUCCESS)
    parts = _parts(result)
    if not parts:
        return _plain(SUCCESS)
    if len(parts) > 1 and state.sender is not None:
        state.spawn(_send_parts(state, message.from_user, parts))
        return _plain(SUCCESS)
    if len(parts) > 1:
        log.warning("channel.wechat.reply.truncated", parts=len(parts))
    return _passive_reply(state, message, parts[0])


async def _lifecycle(app: web.Application) -> AsyncIterator[None]:
    state = app[STATE]
    if state.settings.app_id and state.settings.app_secret:
        state.sender = WeChatSender(app[keys.HTTP_SESSION], state.settings)
    else:
        log.warning("channel.wechat.custom.disabled")
    try:
        yield
    finally:
        if state.tasks:
            _done, pending = await asyncio.wait(
                set(state.tasks), timeout=DRAIN_TIMEOUT_S
            )
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)


def setup(app: web.Application, settings: Settings) -> None:
    """Mount the WeChat routes (channel mount contract, see ``channels.app``).

    Raises:
        IllegalAesKey: If ``WECHAT_ENCODING_AES_KEY`` is not a valid key.
        ValueError: In safe mode without ``WECHAT_APP_ID``.
    """
    wechat = settings.channels.wechat
    if not wechat.token:
        raise ValueError("WECHAT_TOKEN is not set")
    crypto = (
        WeChatCrypto(wechat.token, wechat.encoding_aes_key, wechat.app_id or "")
        if wechat.encoding_aes_key
        else None
    )
    app[STATE] = WeChatState(
        settings=wechat, passive_s=settings.channels.wechat_passive_s, crypto=crypto
    )
    app.router.add_get(PATH, verify_url)
    app.router.add_post(PATH, receive)
    app.cleanup_ctx.append(_lifecycle)
