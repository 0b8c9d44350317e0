"""``BindingCommands``: the relay step that answers binding commands itself."""

from collections.abc import Awaitable, Callable

import structlog

from bot.privacy import mask_phone
from channels import texts
from channels.binding.bindings import MAX_CODE_ATTEMPTS, Bindings
from channels.binding.commands import Kind, mainland_mobile, parse_command
from channels.messages import Outcome, RelayResult
from channels.middlewares import Handler, RelayMiddleware, Turn, clean_text
from channels.replies import BotReply
from channels.stores import GatewayStore, StoreUnavailable

__all__ = ["BindingCommands", "CodeSender"]

log = structlog.get_logger(__name__)

CodeSender = Callable[[str, str], Awaitable[bool]]
"""Sends one SMS (number, text); False if the provider did not take it."""
SMS_CHANNEL = "sms"


def _answer(text: str) -> RelayResult:
    return RelayResult(Outcome.CHANNEL, (BotReply(text=text),))


class BindingCommands(RelayMiddleware):
    """Binds, confirms and unbinds; every other message goes on to Rasa.

    A six-digit message is a confirmation only while a code is pending for
    this channel, so booking codes and the like still reach Rasa. Codes go
    out through the SMS channel's provider (``set_code_sender``); without one
    the command is answered politely and nothing is bound.
    """

    def __init__(self, store: GatewayStore, key: str) -> None:
        self._store = store
        self._bindings = Bindings(store, key)
        self._send: CodeSender | None = None

    @property
    def bindings(self) -> Bindings:
        """The store of bindings the relay resolves conversations with."""
        return self._bindings

    def set_code_sender(self, send: CodeSender | None) -> None:
        """Where verification codes are sent (the SMS channel registers itself)."""
        self._send = send

    async def __call__(self, handler: Handler, turn: Turn) -> RelayResult:
        """Answer a binding command, or pass the turn on."""
        if turn.message.payload is not None:
            return await handler(turn)
        command = parse_command(clean_text(turn.message.text))
        if command is None:
            return await handler(turn)
        try:
            if command.kind is Kind.CODE:
                return await self._confirm(handler, turn, command.argument)
            if turn.message.channel == SMS_CHANNEL:
                return _answer(texts.BIND_ON_SMS)
            if command.kind is Kind.UNBIND:
                return await self._unbind(turn)
            return await self._start(turn, command.argument)
        except StoreUnavailable:
            log.error("binding.store.unavailable", sender=turn.channel_sender)
            return RelayResult(Outcome.FAILED, (BotReply(text=texts.UNAVAILABLE),))

    async def _start(self, turn: Turn, number: str) -> RelayResult:
        if not number:
            return _answer(texts.BIND_HOW)
        phone = mainland_mobile(number)
        if phone is None:
            return _answer(texts.BIND_BAD_NUMBER)
        if self._send is None:
            log.warning("binding.no_sms_sender")
            return _answer(texts.BIND_UNSUPPORTED)
        hint = mask_phone(phone)
        bindings = self._bindings
        if await self._store.get(f"optout:{bindings.sms_sender(phone)}") == "1":
            return _answer(texts.BIND_OPTED_OUT)
        if not await bindings.may_send(turn.channel_sender, phone):
            log.info("binding.code.throttled", sender=turn.channel_sender)
            return _answer(texts.BIND_TOO_OFTEN)
        code = await bindings.new_code(turn.channel_sender, phone, hint)
        if not await self._send(phone, texts.BIND_SMS.format(code=code)):
            await bindings.forget_code(turn.channel_sender)
            log.error("binding.code.unsent", sender=turn.channel_sender)
            return _answer(texts.BIND_SEND_FAILED)
        log.info("binding.code.sent", sender=turn.channel_sender, phone=hint)
        return _answer(texts.BIND_CODE_SENT.format(phone=hint))

    async def _confirm(self, handler: Handler, turn: Turn, code: str) -> RelayResult:
        pending = await self._bindings.pending(turn.channel_sender)
        if pending is None:
            return await handler(turn)  # six digits meant something else
        tries = await self._bindings.attempt(turn.channel_sender)
        if tries > MAX_CODE_ATTEMPTS:
            await self._bindings.forget_code(turn.channel_sender)
            return _answer(texts.BIND_CODE_INVALID)
        if not self._bindings.matches(turn.channel_sender, pending, code):
            left = MAX_CODE_ATTEMPTS - tries
            if left <= 0:
                await self._bindings.forget_code(turn.channel_sender)
                return _answer(texts.BIND_CODE_INVALID)
            return _answer(texts.BIND_WRONG_CODE.format(left=left))
        await self._bindings.bind(turn.channel_sender, pending)
        log.info(
            "binding.bound", sender=turn.channel_sender, conversation=pending.citizen
        )
        return _answer(texts.BIND_DONE.format(phone=pending.phone_hint))

    async def _unbind(self, turn: Turn) -> RelayResult:
        if await self._bindings.unbind(turn.channel_sender):
            log.info("binding.unbound", sender=turn.channel_sender)
            return _answer(texts.UNBIND_DONE)
        return _answer(texts.UNBIND_NONE)
