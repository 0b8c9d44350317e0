"""HandoffRecorder: the relay's listener that keeps the inbox's records current.

Called by the relay on every turn of a paused conversation (the handoff turn
and each message the citizen writes while waiting) and on every normal answer
(the conversation is back with the bot: the record goes). Each message also
refreshes the record's lifetime and its sealed address: WeChat's 48-hour
customer-service window, for instance, restarts with each citizen message.
Failures are logged, never raised: recording must not cost the citizen the
answer.
"""

import time
from collections.abc import Callable

import structlog

from channels.inbox.rasa_tracker import RasaTracker
from channels.inbox.records import HandoffReason, HandoffRecord
from channels.inbox.sealing import AddressCipher
from channels.inbox.store import HandoffStore
from channels.inbox.transcript import handoff_reason
from channels.messages import InboundMessage
from channels.rasa_client import RasaError
from channels.stores import StoreUnavailable

__all__ = ["ADDRESSED_CHANNELS", "HandoffRecorder"]

log = structlog.get_logger(__name__)

ADDRESSED_CHANNELS = frozenset({"telegram", "wechat", "sms"})
"""Channels that need the citizen's address to deliver a staff reply. Web chat
needs only the sender id (the page reads the tracker); a voice call is over."""


class HandoffRecorder:
    """Records handoffs from the relay's turns."""

    def __init__(
        self,
        store: HandoffStore,
        tracker: RasaTracker,
        cipher: AddressCipher,
        ttl_s: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._tracker = tracker
        self._cipher = cipher
        self._ttl_s = ttl_s
        self._clock = clock

    def _address(self, message: InboundMessage) -> str | None:
        if message.channel not in ADDRESSED_CHANNELS:
            return None
        return self._cipher.seal(message.user_id)

    async def _reason(self, sender: str) -> HandoffReason:
        try:
            return handoff_reason(await self._tracker.read(sender))
        except RasaError as exc:
            log.warning(
                "inbox.handoff.reason_unknown", sender=sender, reason=exc.reason
            )
            return HandoffReason.UNKNOWN

    async def paused(self, message: InboundMessage, sender: str, first: bool) -> None:
        """A turn of a paused conversation; ``first``: the turn that handed off."""
        now = self._clock()
        try:
            existing = None if first else await self._store.get(sender)
            if existing is None:
                provider = message.metadata.get("provider")
                record = HandoffRecord(
                    sender=sender,
                    channel=message.channel,
                    reason=await self._reason(sender),
                    opened_at=now,
                    last_message_at=now,
                    address=self._address(message),
                    provider=provider if isinstance(provider, str) else None,
                )
                log.info(
                    "inbox.handoff.recorded",
                    sender=sender,
                    channel=record.channel,
                    reason=record.reason.value,
                )
            else:
                record = existing.touched(now, self._address(message))
            await self._store.put(record, self._ttl_s)
        except StoreUnavailable as exc:
            log.error("inbox.handoff.unrecorded", sender=sender, error=str(exc))

    async def resumed(self, sender: str) -> None:
        """The bot answered: any record of ``sender`` is out of date."""
        try:
            if await self._store.remove(sender):
                log.info("inbox.handoff.resumed_elsewhere", sender=sender)
        except StoreUnavailable as exc:
            log.warning("inbox.handoff.unclosed", sender=sender, error=str(exc))
