"""Send SMS through Twilio's REST API (``POST …/Accounts/{sid}/Messages.json``).

One call per message, HTTP basic auth with the account SID and auth token,
form fields ``To``, ``From``, ``Body``; Twilio answers ``201`` with the
message resource. Sending is not idempotent, so nothing is retried: a failure
is logged with Twilio's error code (21610: the number replied STOP to Twilio
itself, which then blocks every message to it). Request URLs and exception
texts are not logged (they can quote numbers).
"""

import asyncio
from typing import Any

import aiohttp
import structlog

from bot.settings import SmsSettings

__all__ = ["TwilioSender"]

log = structlog.get_logger(__name__)

REQUEST_TIMEOUT_S = 10.0
API_VERSION = "2010-04-01"


class TwilioSender:
    """Sends text messages from ``TWILIO_FROM`` for one Twilio account."""

    def __init__(self, session: aiohttp.ClientSession, settings: SmsSettings) -> None:
        if not (
            settings.twilio_account_sid
            and settings.twilio_auth_token
            and settings.twilio_from
        ):
            raise ValueError(
                "TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM are required"
            )
        self._session = session
        self._url = (
            f"{settings.twilio_api_base.rstrip('/')}/{API_VERSION}/Accounts/"
            f"{settings.twilio_account_sid}/Messages.json"
        )
        self._auth = aiohttp.BasicAuth(
            settings.twilio_account_sid, settings.twilio_auth_token
        )
        self._from = settings.twilio_from
        self._timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)

    @property
    def reserved_units(self) -> int:
        """Units of each message the provider adds itself (none for Twilio)."""
        return 0

    async def send(self, to: str, body: str) -> bool:
        """Send one message; ``False`` (logged) if Twilio did not accept it."""
        form = {"To": to, "From": self._from, "Body": body}
        try:
            async with self._session.post(
                self._url, data=form, auth=self._auth, timeout=self._timeout
            ) as response:
                status = response.status
                data: Any = await response.json(content_type=None)
        except asyncio.TimeoutError:
            log.error("channel.sms.twilio.send_failed", reason="timeout")
            return False
        except aiohttp.ClientError as exc:
            log.error("channel.sms.twilio.send_failed", reason=type(exc).__name__)
            return False
        except ValueError:
            log.error("channel.sms.twilio.send_failed", reason="bad_json")
            return False
        if status in (200, 201):
            return True
        code = data.get("code") if isinstance(data, dict) else None
        log.error("channel.sms.twilio.send_refused", status=status, code=code)
        return False
