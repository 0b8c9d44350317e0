"""Where the simulated citizens' messages go: Rasa's REST channel or the gateway.

A target turns "citizen ``sender`` says ``text``" into the bot's replies for
that message. Synchronous channels answer in the response; an asynchronous
one (the Telegram webhook through the gateway) collects what the bot sends
to the chat until the turn is over, and hands whatever arrives after the
conversation's last turn to ``drain``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Protocol

import aiohttp

from bench.load.replies import Reply


class TargetError(Exception):
    """The message was not answered (bad status, malformed body)."""


class Target(Protocol):
    """A channel the load generator talks to."""

    name: str

    async def send(
        self,
        sender: str,
        text: str,
        complete: Callable[[list[Reply]], bool] | None = None,
    ) -> list[Reply]:
        """Deliver one message and return the replies that belong to it.

        ``complete`` tells an asynchronous channel when the turn's answer is
        all there (the script's expected markers); a synchronous one ignores it.

        Raises:
            TargetError: The channel refused or garbled the message.
            asyncio.TimeoutError, aiohttp.ClientError: Transport failures.
        """
        ...

    def last_arrival(self, sender: str) -> float | None:
        """When the newest reply for ``sender`` arrived (perf_counter), if known.

        Asynchronous channels wait a little after a turn's last message to be
        sure it was the last; a turn's latency runs to that message, not to
        the end of the wait.
        """
        ...

    def take_tail(self, sender: str) -> list[Reply]:
        """Replies for ``sender`` that came since its last turn was closed.

        They follow that turn's answer in the citizen's chat (a slow last
        part), so the runner adds them to that turn before the next message.
        """
        ...

    async def drain(self, sender: str) -> list[Reply]:
        """After the conversation's tail was taken: anything that still came (late)."""
        ...

    asynchronous: bool
    """Whether replies come out of band (then the runner watches for late ones)."""

    async def close(self) -> None:
        """Release connections."""
        ...


class RestTarget:
    """Rasa's REST channel: ``POST /webhooks/rest/webhook {"sender", "message"}``."""

    name = "rest"
    asynchronous = False

    def __init__(self, rasa_url: str, timeout_s: float = 60.0) -> None:
        """Talk to the Rasa server at ``rasa_url`` (no trailing slash)."""
        self.url = f"{rasa_url}/webhooks/rest/webhook"
        # One pooled session for every citizen; no connection cap, so the
        # generator never becomes the queue it is supposed to measure.
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=timeout_s),
            connector=aiohttp.TCPConnector(limit=0),
        )

    async def send(
        self,
        sender: str,
        text: str,
        complete: Callable[[list[Reply]], bool] | None = None,
    ) -> list[Reply]:
        """POST the message; the replies are the response body."""
        async with self._session.post(
            self.url, json={"sender": sender, "message": text}
        ) as response:
            if response.status != 200:
                raise TargetError(f"HTTP {response.status}")
            body = await response.json(content_type=None)
        if not isinstance(body, list):
            raise TargetError(f"body is not a list: {str(body)[:80]}")
        return [Reply.from_rest(item) for item in body if isinstance(item, dict)]

    def last_arrival(self, sender: str) -> float | None:
        """Unknown: the response's own arrival is the turn's end."""
        return None

    def take_tail(self, sender: str) -> list[Reply]:
        """A REST reply always comes whole with its request."""
        return []

    async def drain(self, sender: str) -> list[Reply]:
        """A REST reply always comes with its request: nothing can be late."""
        return []

    async def close(self) -> None:
        """Close the pooled session."""
        await self._session.close()


@asynccontextmanager
async def rest_target(rasa_url: str) -> AsyncIterator[RestTarget]:
    """A ``RestTarget`` for the duration of the context (inside the running loop)."""
    target = RestTarget(rasa_url)
    try:
        yield target
    finally:
        await target.close()
