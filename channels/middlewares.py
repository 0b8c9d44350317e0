"""The relay's shared steps, applied once for every channel (aiogram-style).

Each middleware gets the next handler and the ``Turn`` and may answer itself
(short-circuit), change the turn, or wrap the answer. ``Relay`` chains them in
this order: ``Deduplicate`` → ``RateLimit`` → ``OptOutCheck`` →
``BindingCommands`` (``channels/binding``) → ``TextGuard`` → ``Fallback`` →
the Rasa turn.
"""

import asyncio
import json
import re
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import structlog

from channels import texts
from channels.choices import resolve_choice
from channels.messages import InboundMessage, Outcome, RelayResult, pseudonym
from channels.rasa_client import DISPLAY_TEXT, RasaError
from channels.replies import BotReply, Choice
from channels.stores import GatewayStore, StoreUnavailable

__all__ = [
    "ChoiceMemory",
    "Deduplicate",
    "Fallback",
    "Handler",
    "OptOutCheck",
    "OptOutHook",
    "RateLimit",
    "RelayMiddleware",
    "TextGuard",
    "Turn",
    "clean_text",
]

log = structlog.get_logger(__name__)

MAX_TEXT_CHARS = 1000
"""Longer citizen text is cut: bounded work for NLU, no 50 KB messages."""
GREET_INTENT = "/greet"
_PENDING, _DONE = "pending", "done"  # dedupe claim states
# Telegram's /start, also with a bot name or a deep-link parameter.
_START = re.compile(r"/start(?:@\w+)?(?:\s.*)?", re.DOTALL)
_SLASH_STAND_IN = "／"  # full width: NLU reads it, Rasa's "/intent" parser does not
# C0/C1 controls, lone surrogates and bidi overrides; tabs and newlines stay.
_UNSAFE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]"
)


def _reply(text: str) -> tuple[BotReply, ...]:
    return (BotReply(text=text),)


@dataclass(frozen=True)
class Turn:
    """One message on its way through the relay.

    Attributes:
        message: The message as the channel parsed it.
        sender: The Rasa conversation: ``channel_sender``, or ``citizen:hex``
            when the citizen bound this channel to a proven mobile number.
        channel_sender: The pseudonymous id of the citizen on this channel
            (``channel:hex``); per-channel state (opt-out, rate) is keyed by it.
        rasa_text: What will be sent to Rasa, once ``TextGuard`` decided.
        metadata: What Rasa stores with the user event.
        opted_out: The sender's opt-out flag, once ``OptOutCheck`` read it.
    """

    message: InboundMessage
    sender: str
    channel_sender: str
    rasa_text: str | None = None
    metadata: Mapping[str, object] = field(default_factory=dict)
    opted_out: bool = False


Handler = Callable[[Turn], Awaitable[RelayResult]]
OptOutHook = Callable[[InboundMessage, bool], Awaitable[RelayResult | None]]
"""A channel's opt-out policy: gets the message and the sender's current flag;
returns a result to answer without a Rasa turn, or ``None`` to go on."""


class RelayMiddleware(ABC):
    """One shared step of the relay pipeline."""

    @abstractmethod
    async def __call__(self, handler: Handler, turn: Turn) -> RelayResult:
        """Handle ``turn``, calling ``handler`` to continue the pipeline."""


class ChoiceMemory:
    """The choices last offered to each conversation (to check button presses)."""

    def __init__(self, store: GatewayStore, ttl_s: float = 3600.0) -> None:
        self._store = store
        self._ttl_s = ttl_s

    @staticmethod
    def _key(sender: str) -> str:
        return f"choices:{sender}"

    async def load(self, sender: str) -> tuple[Choice, ...]:
        """The last offer, in display order (empty if none or unreadable)."""
        try:
            raw = await self._store.get(self._key(sender))
        except StoreUnavailable:
            log.warning("relay.choices.unavailable", sender=sender)
            return ()
        if not raw:
            return ()
        try:
            items = json.loads(raw)
            return tuple(Choice(str(title), str(payload)) for title, payload in items)
        except (ValueError, TypeError):
            return ()

    async def save(self, sender: str, choices: Sequence[Choice]) -> None:
        """Replace the offer (an answer without choices withdraws the old ones)."""
        try:
            if choices:
                raw = json.dumps([[c.title, c.payload] for c in choices])
                await self._store.put(self._key(sender), raw, self._ttl_s)
            else:
                await self._store.delete(self._key(sender))
        except StoreUnavailable:
            log.warning("relay.choices.unsaved", sender=sender)


class Deduplicate(RelayMiddleware):
    """One turn per delivery: redeliveries get the first delivery's answer.

    A delivery is identified by (channel, user, message id), hashed with the
    gateway key. The claim is atomic (``SET NX`` in Redis), so concurrent
    redeliveries to several replicas make one Rasa turn. The answer is kept for
    ``result_ttl_s`` so that a client retrying after a lost response still gets
    it; a redelivery arriving while the first is in progress waits for it up to
    ``wait_s``. If the store is unreachable the message is not processed
    (``STORE_UNAVAILABLE``, retryable): processing it unguarded could book or
    pay twice. A failed turn keeps its claim too (a Rasa timeout may still
    have booked): its retries get the same fallback text. Channels that must
    answer before the turn ends (WeChat's 5 s) run ``Relay.handle`` as a task
    and ``asyncio.shield`` it rather than cancel it: a cancelled first delivery
    leaves its claim "pending", and its redeliveries wait ``wait_s`` for nothing.
    """

    def __init__(
        self,
        store: GatewayStore,
        key: str,
        *,
        claim_ttl_s: float = 86_400.0,
        result_ttl_s: float = 600.0,
        wait_s: float = 12.0,
        poll_s: float = 0.1,
    ) -> None:
        self._store = store
        self._secret = key
        self._claim_ttl_s = claim_ttl_s
        self._result_ttl_s = result_ttl_s
        self._wait_s = wait_s
        self._poll_s = poll_s

    async def __call__(self, handler: Handler, turn: Turn) -> RelayResult:
        """Claim the delivery, or answer a redelivery from the first one."""
        message = turn.message
        digest = pseudonym(
            self._secret, "dedupe", message.channel, message.user_id, message.message_id
        )
        claim_key, result_key = f"dedupe:{digest}", f"result:{digest}"
        try:
            first = await self._store.claim(claim_key, self._claim_ttl_s, _PENDING)
        except StoreUnavailable as exc:
            log.error("relay.dedupe.unavailable", sender=turn.sender, error=str(exc))
            return RelayResult(Outcome.STORE_UNAVAILABLE, _reply(texts.UNAVAILABLE))
        if not first:
            log.info("relay.message.duplicate", sender=turn.sender)
            return await self._earlier_answer(claim_key, result_key)
        result = await handler(turn)
        try:
            # The answer first, then "done": a waiting redelivery that sees
            # "done" is sure to find the answer (unless it has expired).
            await self._store.put(result_key, result.to_json(), self._result_ttl_s)
            await self._store.put(claim_key, _DONE, self._claim_ttl_s)
        except StoreUnavailable:
            log.warning("relay.dedupe.result_unsaved", sender=turn.sender)
        return result

    async def _earlier_answer(self, claim_key: str, result_key: str) -> RelayResult:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._wait_s
        while True:
            try:
                state = await self._store.get(claim_key)
                raw = await self._store.get(result_key)
            except StoreUnavailable:
                break
            if raw:
                try:
                    return replace(RelayResult.from_json(raw), duplicate=True)
                except ValueError:
                    break
            if state != _PENDING or loop.time() >= deadline:
                break  # answered long ago (answer expired) or still stuck
            await asyncio.sleep(self._poll_s)
        return RelayResult(Outcome.DUPLICATE, duplicate=True)


class RateLimit(RelayMiddleware):
    """At most ``per_minute`` messages per sender in a fixed one-minute window.

    The notice is sent once per window (the first message over the limit);
    later ones get no reply, so a flood cannot make us flood back (SMS costs).
    An unreachable store lets messages through: dedupe already guards them.
    """

    def __init__(self, store: GatewayStore, per_minute: int) -> None:
        self._store = store
        self._limit = per_minute

    async def __call__(self, handler: Handler, turn: Turn) -> RelayResult:
        """Count the message; refuse it when over the limit."""
        if self._limit <= 0:
            return await handler(turn)
        try:
            count = await self._store.hit(f"rate:{turn.channel_sender}", 60.0)
        except StoreUnavailable:
            log.warning("relay.rate.unavailable", sender=turn.sender)
            return await handler(turn)
        if count <= self._limit:
            return await handler(turn)
        if count == self._limit + 1:
            log.warning("relay.rate.limited", sender=turn.sender)
            return RelayResult(Outcome.RATE_LIMITED, _reply(texts.RATE_LIMITED))
        return RelayResult(Outcome.RATE_LIMITED)


class OptOutCheck(RelayMiddleware):
    """Reads the sender's opt-out flag and runs the channel's opt-out hook.

    Without a hook the message is processed normally (the citizen wrote to
    us) and the result carries ``opted_out`` for channels that send
    unsolicited messages. The SMS channel's hook, for instance, answers
    ``TD``/``退订`` itself and sets the flag with ``Relay.set_opted_out``.
    """

    def __init__(self, store: GatewayStore, hooks: Mapping[str, OptOutHook]) -> None:
        self._store = store
        self._hooks = hooks

    async def __call__(self, handler: Handler, turn: Turn) -> RelayResult:
        """Attach the flag; let the channel's hook answer first."""
        try:
            flag = await self._store.get(f"optout:{turn.channel_sender}") == "1"
        except StoreUnavailable:
            log.warning("relay.optout.unavailable", sender=turn.sender)
            flag = False
        hook = self._hooks.get(turn.message.channel)
        if hook is not None:
            early = await hook(turn.message, flag)
            if early is not None:
                return early
        result = await handler(replace(turn, opted_out=flag))
        return replace(result, opted_out=flag) if flag else result


def clean_text(text: str | None) -> str:
    """Citizen text without control characters, trimmed and length-bounded."""
    if not text:
        return ""
    return _UNSAFE.sub("", text).strip()[:MAX_TEXT_CHARS].strip()


class TextGuard(RelayMiddleware):
    """Decides what Rasa sees, so citizens cannot pick intents by typing ``/``.

    * A button payload is forwarded only if it is among the choices last
      offered to this conversation; otherwise the message's text (the
      button's title) is treated as typed text, or, with no text, refused.
    * Text naming an offered choice (``1``, ``第二个``, its exact title) sends
      that choice's payload: SMS, voice and WeChat show choices as numbers.
    * ``/start`` becomes the greet intent; any other leading ``/`` becomes a
      full-width ``／``, so Rasa's NLU reads the text instead of taking
      ``/intent{"entity": …}`` at face value (WeChat emoticons ``/::)`` too).
    * Empty or control-only text is refused without a Rasa turn.
    """

    def __init__(self, choices: ChoiceMemory) -> None:
        self._choices = choices

    async def __call__(self, handler: Handler, turn: Turn) -> RelayResult:
        """Set ``rasa_text`` (and what to show in history), or refuse."""
        message = turn.message
        offered = await self._choices.load(turn.sender)
        text = clean_text(message.text)
        if message.payload is not None:
            chosen = next((c for c in offered if c.payload == message.payload), None)
            if chosen is not None:
                return await handler(self._with(turn, chosen.payload, chosen.title))
            log.info("relay.payload.not_offered", sender=turn.sender)
            if not text:
                return RelayResult(Outcome.REFUSED, _reply(texts.CHOICE_EXPIRED))
        if not text:
            return RelayResult(Outcome.REFUSED, _reply(texts.EMPTY_MESSAGE))
        chosen = resolve_choice(text, offered)
        if chosen is not None:
            return await handler(self._with(turn, chosen.payload, text))
        if _START.fullmatch(text):
            return await handler(self._with(turn, GREET_INTENT, text))
        if text.startswith("/"):
            log.info("relay.text.slash_neutralised", sender=turn.sender)
            text = _SLASH_STAND_IN + text[1:]
        return await handler(self._with(turn, text, None))

    @staticmethod
    def _with(turn: Turn, rasa_text: str, shown: str | None) -> Turn:
        metadata = dict(turn.metadata)
        if shown is not None and shown != rasa_text:
            metadata[DISPLAY_TEXT] = shown
        return replace(turn, rasa_text=rasa_text, metadata=metadata)


class Fallback(RelayMiddleware):
    """Turns any failure of the Rasa turn into the Chinese fallback text.

    Expected failures (Rasa down, slow, empty) are logged as operator errors
    without a traceback; anything else is a bug and is logged with one. The
    citizen gets ``texts.UNAVAILABLE`` either way, never silence.
    """

    async def __call__(self, handler: Handler, turn: Turn) -> RelayResult:
        """Run the turn; on failure answer with the fallback text."""
        try:
            return await handler(turn)
        except RasaError as exc:
            log.error(
                "relay.rasa.failed",
                sender=turn.sender,
                error=type(exc).__name__,
                reason=exc.reason,
            )
        except Exception:
            log.exception("relay.turn.crashed", sender=turn.sender)
        return RelayResult(Outcome.FAILED, _reply(texts.UNAVAILABLE))
