"""Relay: the channel-neutral pipeline every channel calls with a message.

``Relay.handle(InboundMessage) -> RelayResult``: dedupe → rate limit →
opt-out hook → binding commands → text guard → Rasa turn (with fallback) →
remember the offered choices. A channel bound to a mobile number talks in the
citizen's shared conversation (``channels/binding``). Channels only parse, verify and render (style rule 7).

Human handoff: once Rasa has paused a conversation, each message is stored by
Rasa for staff and answers ``[]``. The citizen gets ``texts.HANDED_OFF`` on the
first such message, then nothing more for ``HANDOFF_NOTICE_S`` (so a citizen
writing several lines is not answered by the same sentence each time); if they
are still writing after that, it is repeated once. Any normal answer from Rasa
(staff released the conversation) resets it. A ``HandoffListener`` (the
staff inbox, ``channels/inbox``) is told of every paused turn and every
normal answer, so it can keep its record of the handoff.
"""

import functools
import time
from collections.abc import Sequence
from typing import Protocol

import structlog

from bot.settings import Settings
from channels import texts
from channels.binding.middleware import BindingCommands, CodeSender
from channels.messages import InboundMessage, Outcome, RelayResult, sender_id
from channels.middlewares import (
    ChoiceMemory,
    Deduplicate,
    Fallback,
    Handler,
    OptOutCheck,
    OptOutHook,
    RateLimit,
    RelayMiddleware,
    TextGuard,
    Turn,
)
from channels.rasa_client import HistoryEntry, RasaClient
from channels.replies import BotReply
from channels.stores import GatewayStore, StoreUnavailable

__all__ = ["HANDOFF_NOTICE_S", "HandoffListener", "Relay", "pseudonym_key"]

log = structlog.get_logger(__name__)

HANDOFF_NOTICE_S = 1800.0


class HandoffListener(Protocol):
    """Told of paused turns and normal answers; must not raise."""

    async def paused(self, message: InboundMessage, sender: str, first: bool) -> None:
        """A turn of a paused conversation; ``first``: the turn that handed off."""

    async def resumed(self, sender: str) -> None:
        """Rasa answered normally: the conversation is with the bot."""


def pseudonym_key(settings: Settings) -> str:
    """The secret that keys sender and dedupe pseudonyms (``GATEWAY_PSEUDONYM_KEY``)."""
    return settings.channels.pseudonym_key


class Relay:
    """Runs one citizen message through the shared steps and Rasa."""

    def __init__(
        self, rasa: RasaClient, store: GatewayStore, settings: Settings
    ) -> None:
        self._rasa = rasa
        self._store = store
        self._key = pseudonym_key(settings)
        self._choices = ChoiceMemory(store)
        self._hooks: dict[str, OptOutHook] = {}
        self._handoffs: HandoffListener | None = None
        self._binding = BindingCommands(store, self._key)
        # A turn is at most one webhook call and one tracker read.
        turn_bound_s = 2 * settings.channels.rasa_timeout_s + 2.0
        middlewares: Sequence[RelayMiddleware] = (
            Deduplicate(store, self._key, wait_s=turn_bound_s),
            RateLimit(store, settings.channels.rate_limit_per_minute),
            OptOutCheck(store, self._hooks),
            self._binding,
            TextGuard(self._choices),
            Fallback(),
        )
        handler: Handler = self._turn
        for middleware in reversed(middlewares):
            handler = functools.partial(middleware, handler)
        self._handler = handler

    def sender(self, channel: str, user_id: str) -> str:
        """The pseudonymous id of ``user_id`` on ``channel`` (``web:3f9a…``)."""
        return sender_id(self._key, channel, user_id)

    async def conversation(self, channel: str, user_id: str) -> str:
        """The Rasa sender id of ``user_id``'s conversation on ``channel``.

        The channel's own sender id, unless the citizen bound the channel to a
        mobile number (``channels/binding``); then the shared ``citizen:…``.
        """
        return await self._conversation_of(self.sender(channel, user_id))

    async def _conversation_of(self, channel_sender: str) -> str:
        try:
            bound = await self._binding.bindings.conversation_of(channel_sender)
        except StoreUnavailable:
            log.warning("relay.binding.unavailable", sender=channel_sender)
            return channel_sender
        return bound or channel_sender

    def set_code_sender(self, send: CodeSender | None) -> None:
        """Where binding verification codes go (the SMS channel sets it)."""
        self._binding.set_code_sender(send)

    def register_opt_out_hook(self, channel: str, hook: OptOutHook) -> None:
        """Let ``channel`` answer opt-out / opt-in messages before Rasa does."""
        self._hooks[channel] = hook

    def set_handoff_listener(self, listener: HandoffListener | None) -> None:
        """Tell ``listener`` of every handoff (the staff inbox)."""
        self._handoffs = listener

    async def set_opted_out(self, channel: str, user_id: str, value: bool) -> None:
        """Record (or clear) a sender's opt-out; raises ``StoreUnavailable``."""
        key = f"optout:{self.sender(channel, user_id)}"
        if value:
            await self._store.put(key, "1", None)
        else:
            await self._store.delete(key)

    async def is_opted_out(self, channel: str, user_id: str) -> bool:
        """Whether the sender opted out; raises ``StoreUnavailable``."""
        return await self._store.get(f"optout:{self.sender(channel, user_id)}") == "1"

    async def history(self, channel: str, user_id: str) -> list[HistoryEntry]:
        """The conversation so far (raises ``RasaError`` if Rasa cannot say)."""
        return await self._rasa.history(await self.conversation(channel, user_id))

    async def handle(self, message: InboundMessage) -> RelayResult:
        """Answer one message; never raises for Rasa or store failures."""
        channel_sender = self.sender(message.channel, message.user_id)
        turn = Turn(
            message=message,
            sender=await self._conversation_of(channel_sender),
            channel_sender=channel_sender,
            metadata={**message.metadata, "channel": message.channel},
        )
        started = time.perf_counter()
        result = await self._handler(turn)
        log.info(
            "relay.message.handled",
            channel=message.channel,
            sender=turn.sender,
            outcome=result.outcome.value,
            duplicate=result.duplicate,
            replies=len(result.replies),
            ms=round((time.perf_counter() - started) * 1000),
        )
        return result

    async def _turn(self, turn: Turn) -> RelayResult:
        if turn.rasa_text is None:  # TextGuard always sets it; kept for safety
            return RelayResult(Outcome.REFUSED, (BotReply(text=texts.EMPTY_MESSAGE),))
        answer = await self._rasa.send(turn.sender, turn.rasa_text, turn.metadata)
        notice_key = f"handoff:{turn.sender}"
        if answer.paused and answer.replies:
            # The turn that hands off: the assistant's own words say so.
            await self._choices.save(turn.sender, ())
            if self._handoffs is not None:
                await self._handoffs.paused(turn.message, turn.sender, first=True)
            return RelayResult(Outcome.HANDED_OFF, answer.replies)
        if answer.paused:
            return await self._handed_off(turn, notice_key)
        offered = [choice for reply in answer.replies for choice in reply.choices]
        await self._choices.save(turn.sender, offered)
        try:
            await self._store.delete(notice_key)
        except StoreUnavailable:
            log.warning("relay.handoff.unreset", sender=turn.sender)
        if self._handoffs is not None:
            await self._handoffs.resumed(turn.sender)
        return RelayResult(Outcome.ANSWERED, answer.replies)

    async def _handed_off(self, turn: Turn, notice_key: str) -> RelayResult:
        await self._choices.save(turn.sender, ())
        try:
            first = await self._store.claim(notice_key, HANDOFF_NOTICE_S)
        except StoreUnavailable:
            first = True  # better a repeated notice than silence
        log.info("relay.conversation.paused", sender=turn.sender, notice=first)
        if self._handoffs is not None:
            await self._handoffs.paused(turn.message, turn.sender, first=False)
        replies = (BotReply(text=texts.HANDED_OFF),) if first else ()
        return RelayResult(Outcome.HANDED_OFF, replies)
