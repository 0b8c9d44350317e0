"""GatewayInbox: list, show, reply to and release handed-off conversations.

The internal API's handlers are thin; this is what they do. A staff reply is
masked (R9: what a citizen receives shows masked identifiers only), sent on
the citizen's channel, then appended to the tracker as a ``bot`` event marked
``metadata.source = "staff"`` (so the transcript, the web page and the
conversation log show it). For web chat the tracker *is* the delivery, so it
is appended first and its failure is the reply's failure. A release appends
``resume`` (Rasa answers again), the notice and ``action_listen``, tells the
citizen on their channel and closes the record.
"""

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import structlog
from aiohttp import web

from bot.privacy import scrub
from channels.inbox import texts
from channels.inbox.delivery import TRACKER_ONLY_CHANNELS, Undeliverable, deliver
from channels.inbox.rasa_tracker import RasaTracker
from channels.inbox.recorder import ADDRESSED_CHANNELS
from channels.inbox.records import HandoffRecord
from channels.inbox.sealing import AddressCipher
from channels.inbox.store import HandoffStore
from channels.inbox.transcript import STAFF_SOURCE, masked_slots, transcript
from channels.rasa_client import RasaError

__all__ = ["RELEASE_SOURCE", "GatewayInbox", "HandoffNotFound"]

log = structlog.get_logger(__name__)

RELEASE_SOURCE = "release"
"""``metadata.source`` of the bot event that tells the citizen the bot is back."""
MIN_TTL_S = 60.0


class HandoffNotFound(Exception):
    """No open handoff for this sender."""


class GatewayInbox:
    """The gateway side of the human-helper inbox."""

    def __init__(
        self,
        app: web.Application,
        store: HandoffStore,
        tracker: RasaTracker,
        cipher: AddressCipher,
        ttl_s: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._app = app
        self._store = store
        self._tracker = tracker
        self._cipher = cipher
        self._ttl_s = ttl_s
        self._clock = clock

    def summary(self, record: HandoffRecord) -> dict[str, Any]:
        """A record as the console sees it (never the address)."""
        waiting = record.waiting_s(self._clock())
        return {
            "sender": record.sender,
            "channel": record.channel,
            "reason": record.reason.value,
            "opened_at": record.opened_at,
            "last_message_at": record.last_message_at,
            "last_reply_at": record.last_reply_at,
            "waiting_s": None if waiting is None else round(waiting, 1),
            "can_reply": record.channel in TRACKER_ONLY_CHANNELS
            or (record.channel in ADDRESSED_CHANNELS and record.address is not None),
        }

    async def _record(self, sender: str) -> HandoffRecord:
        record = await self._store.get(sender)
        if record is None:
            raise HandoffNotFound(sender)
        return record

    async def open_handoffs(self) -> list[dict[str, Any]]:
        """Open handoffs, the longest-waiting first, then the oldest."""
        now = self._clock()
        records = await self._store.list_open()
        records.sort(key=lambda r: (-(r.waiting_s(now) or -1.0), r.opened_at))
        return [self.summary(record) for record in records]

    async def detail(self, sender: str) -> dict[str, Any]:
        """One handoff with its masked transcript and the slots collected.

        Raises:
            HandoffNotFound: No open handoff for ``sender``.
            RasaError: The tracker could not be read.
        """
        record = await self._record(sender)
        tracker = await self._tracker.read(sender)
        return {
            **self.summary(record),
            "paused": tracker.get("paused") is True,
            "transcript": transcript(tracker),
            "slots": masked_slots(tracker),
        }

    def _remaining_ttl(self, record: HandoffRecord, now: float) -> float:
        # The record lives ttl_s after the citizen's latest message, not after ours.
        return max(MIN_TTL_S, self._ttl_s - (now - record.last_message_at))

    async def reply(self, sender: str, text: str, staff: str) -> dict[str, Any]:
        """Send a staff message to the citizen and record it in the tracker.

        Raises:
            HandoffNotFound: No open handoff for ``sender``.
            Undeliverable: The citizen could not be reached (nothing recorded).
        """
        record = await self._record(sender)
        now = self._clock()
        shown = texts.STAFF_REPLY.format(text=scrub(text.strip()))
        event = {
            "event": "bot",
            "text": shown,
            "timestamp": now,
            "metadata": {"source": STAFF_SOURCE, "staff": staff},
        }
        if record.channel in TRACKER_ONLY_CHANNELS:
            try:
                await self._tracker.append(sender, [event])
            except RasaError as exc:
                raise Undeliverable(502, f"rasa_{exc.reason}") from None
            parts, recorded = 0, True
        else:
            delivered = await deliver(
                self._app, record, shown, self._cipher, self._ttl_s
            )
            parts, recorded = delivered.parts, await self._append(sender, [event])
        await self._store.put(
            replace(record, last_reply_at=now),
            self._remaining_ttl(record, now),
        )
        log.info(
            "inbox.reply.sent", sender=sender, channel=record.channel, recorded=recorded
        )
        return {
            "sender": sender,
            "channel": record.channel,
            "delivered": True,
            "parts": parts,
            "recorded": recorded,
            "text": shown,
            "masked": shown != texts.STAFF_REPLY.format(text=text.strip()),
        }

    async def _append(self, sender: str, events: list[dict[str, Any]]) -> bool:
        try:
            await self._tracker.append(sender, events)
        except RasaError as exc:
            log.error("inbox.tracker.append_failed", sender=sender, reason=exc.reason)
            return False
        return True

    async def release(self, sender: str, staff: str) -> dict[str, Any]:
        """Give the conversation back to the bot and tell the citizen.

        Raises:
            HandoffNotFound: No open handoff for ``sender``.
            RasaError: Rasa did not take the ``resume`` (the record stays open).
        """
        record = await self._record(sender)
        now = self._clock()
        await self._tracker.append(
            sender,
            [
                {"event": "resume", "timestamp": now},
                {
                    "event": "bot",
                    "text": texts.RELEASED,
                    "timestamp": now,
                    "metadata": {"source": RELEASE_SOURCE, "staff": staff},
                },
                {"event": "action", "name": "action_listen", "timestamp": now},
            ],
        )
        notified, notice_error = record.channel in TRACKER_ONLY_CHANNELS, None
        if not notified:
            try:
                await deliver(
                    self._app, record, texts.RELEASED, self._cipher, self._ttl_s
                )
                notified = True
            except Undeliverable as exc:
                notice_error = exc.reason
        await self._store.remove(sender)
        log.info(
            "inbox.handoff.released",
            sender=sender,
            channel=record.channel,
            notified=notified,
        )
        return {
            "sender": sender,
            "channel": record.channel,
            "released": True,
            "citizen_notified": notified,
            "notice_error": notice_error,
        }
