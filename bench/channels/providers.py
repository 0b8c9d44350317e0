"""Provider API stand-ins that note when each reply arrives.

The Telegram Bot API, Twilio and WeChat customer-service stand-ins of the
channel tests (``tests/channels/routes``), extended to time-stamp every message
the gateway delivers, so a turn that is answered out of band (Telegram, SMS,
a late WeChat answer) is timed until its last part reached the provider.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.channels.routes.sms_api_standins import TwilioApiStandIn
from tests.channels.routes.telegram_api_standin import TelegramApiStandIn
from tests.channels.routes.wechat_api_standin import WeChatApiStandIn


@dataclass
class Arrivals:
    """Delivered messages per recipient, with the time each one arrived."""

    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    texts: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    def record(self, recipient: str, text: str) -> None:
        """One message reached the provider (called by a stand-in)."""
        self.times[recipient].append(time.perf_counter())
        self.texts[recipient].append(text)
        self._changed.set()

    async def wait(self, recipient: str, count: int, timeout_s: float) -> float:
        """When the ``count``-th message to ``recipient`` arrived (perf_counter)."""
        deadline = time.perf_counter() + timeout_s
        while len(self.times[recipient]) < count:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise TimeoutError(
                    f"{recipient}: {len(self.times[recipient])} of {count} messages"
                )
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), left)
            except asyncio.TimeoutError:
                continue
        return self.times[recipient][count - 1]


@dataclass
class TimedTelegram(TelegramApiStandIn):
    """The Bot API stand-in; ``arrivals`` is keyed by chat id."""

    arrivals: Arrivals = field(default_factory=Arrivals)

    async def _sendMessage(self, fields: dict[str, Any]) -> web.Response:
        response = await super()._sendMessage(fields)
        if response.status == 200:
            self.arrivals.record(str(fields["chat_id"]), str(fields["text"]))
        return response


@dataclass
class TimedTwilio(TwilioApiStandIn):
    """Twilio's Messages API stand-in; ``arrivals`` is keyed by the To number."""

    arrivals: Arrivals = field(default_factory=Arrivals)

    async def _create(self, request: web.Request) -> web.Response:
        before = len(self.sent)
        response = await super()._create(request)
        if len(self.sent) > before:
            message = self.sent[-1]
            self.arrivals.record(message["To"], message["Body"])
        return response


@dataclass
class TimedWeChat(WeChatApiStandIn):
    """WeChat's API stand-in; ``arrivals`` is keyed by openid (late answers)."""

    arrivals: Arrivals = field(default_factory=Arrivals)

    async def _send(self, request: web.Request) -> web.Response:
        before = len(self.sent)
        response = await super()._send(request)
        if len(self.sent) > before:
            message = self.sent[-1]
            self.arrivals.record(message["touser"], message["text"]["content"])
        return response
