"""Bindings and pending verification codes, kept in the gateway store.

Keys hold pseudonyms only (rule R5): ``bind:<channel sender>`` → the citizen's
conversation id, ``bindcode:<channel sender>`` → the pending code's digest
and the ids it will link. The phone number itself is never stored.
"""

import hmac
import json
import secrets
from dataclasses import dataclass

from channels.messages import pseudonym, sender_id
from channels.stores import GatewayStore

__all__ = [
    "BINDING_TTL_S",
    "CODE_TTL_S",
    "MAX_CODE_ATTEMPTS",
    "Bindings",
    "Pending",
    "citizen_id",
]

CODE_TTL_S = 300.0
MAX_CODE_ATTEMPTS = 5
BINDING_TTL_S = 365 * 86400.0
"""A binding lapses a year after it was made (the citizen can bind again)."""
SENDS_PER_SENDER_PER_MINUTE = 1
SENDS_PER_PHONE_PER_DAY = 5
CITIZEN_PREFIX = "citizen"


def citizen_id(key: str, phone: str) -> str:
    """The Rasa sender id of everyone bound to ``phone`` (``citizen:3f9a…``)."""
    return f"{CITIZEN_PREFIX}:{pseudonym(key, 'citizen', phone)}"


@dataclass(frozen=True)
class Pending:
    """A code sent and not yet confirmed."""

    digest: str
    citizen: str
    sms_sender: str
    phone_hint: str  # masked, for the confirmation text


class Bindings:
    """Reads and writes bindings and codes; every call may raise ``StoreUnavailable``."""

    def __init__(self, store: GatewayStore, key: str) -> None:
        self._store = store
        self._key = key

    def sms_sender(self, phone: str) -> str:
        """The SMS channel's sender id of ``phone`` (its opt-out flag is keyed by it)."""
        return sender_id(self._key, "sms", phone)

    async def conversation_of(self, channel_sender: str) -> str | None:
        """The citizen conversation ``channel_sender`` is bound to, if any."""
        return await self._store.get(f"bind:{channel_sender}")

    async def may_send(self, channel_sender: str, phone: str) -> bool:
        """Counts a code request; False when this sender or number asked too often."""
        per_sender = await self._store.hit(f"bindsend:{channel_sender}", 60.0)
        if per_sender > SENDS_PER_SENDER_PER_MINUTE:
            return False
        phone_key = pseudonym(self._key, "bindsend", phone)
        return await self._store.hit(f"bindsend:{phone_key}", 86400.0) <= (
            SENDS_PER_PHONE_PER_DAY
        )

    async def new_code(self, channel_sender: str, phone: str, hint: str) -> str:
        """A fresh six-digit code for ``phone``, replacing any pending one."""
        code = f"{secrets.randbelow(10**6):06d}"
        pending = {
            "digest": self._digest(channel_sender, code),
            "citizen": citizen_id(self._key, phone),
            "sms_sender": self.sms_sender(phone),
            "hint": hint,
        }
        await self._store.put(
            f"bindcode:{channel_sender}", json.dumps(pending), CODE_TTL_S
        )
        await self._store.delete(f"bindtries:{channel_sender}")
        return code

    async def pending(self, channel_sender: str) -> Pending | None:
        """The code waiting for confirmation on this channel, if any."""
        raw = await self._store.get(f"bindcode:{channel_sender}")
        if not raw:
            return None
        try:
            data = json.loads(raw)
            return Pending(
                data["digest"], data["citizen"], data["sms_sender"], data["hint"]
            )
        except (ValueError, KeyError, TypeError):
            return None

    async def attempt(self, channel_sender: str) -> int:
        """Counts one confirmation attempt; returns how many were made."""
        return await self._store.hit(f"bindtries:{channel_sender}", CODE_TTL_S)

    def matches(self, channel_sender: str, pending: Pending, code: str) -> bool:
        """Whether ``code`` is the one sent (constant-time comparison)."""
        return hmac.compare_digest(pending.digest, self._digest(channel_sender, code))

    async def bind(self, channel_sender: str, pending: Pending) -> None:
        """Links the channel, and SMS from the proven number, to the citizen."""
        await self._store.put(f"bind:{channel_sender}", pending.citizen, BINDING_TTL_S)
        await self._store.put(
            f"bind:{pending.sms_sender}", pending.citizen, BINDING_TTL_S
        )
        await self.forget_code(channel_sender)

    async def forget_code(self, channel_sender: str) -> None:
        """Drops the pending code (confirmed, expired or guessed too often)."""
        await self._store.delete(f"bindcode:{channel_sender}")
        await self._store.delete(f"bindtries:{channel_sender}")

    async def unbind(self, channel_sender: str) -> bool:
        """Unlinks this channel; False if it was not bound."""
        if await self.conversation_of(channel_sender) is None:
            return False
        await self._store.delete(f"bind:{channel_sender}")
        return True

    def _digest(self, channel_sender: str, code: str) -> str:
        return pseudonym(self._key, "bindcode", channel_sender, code)
