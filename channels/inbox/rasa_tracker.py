"""Rasa's tracker API as the inbox needs it: read a whole tracker, append events.

``RasaClient`` serves citizen turns and keeps only what a channel shows; staff
need more of the tracker (slots, timestamps, which action handed off) and must
write to it: a staff reply is a ``bot`` event, a release a ``resume`` event
(``POST /conversations/{sender}/tracker/events``, token auth). Nothing here is
retried: appending twice would show a reply twice.
"""

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

import aiohttp

from bot.settings import Settings
from channels.rasa_client import RasaRejected, RasaUnavailable

__all__ = ["RasaTracker"]


class RasaTracker:
    """Tracker reads and event appends over the gateway's ``ClientSession``."""

    def __init__(self, session: aiohttp.ClientSession, settings: Settings) -> None:
        self._session = session
        self._base = settings.rasa_url.rstrip("/")
        self._token = settings.rasa_api_token
        self._timeout = aiohttp.ClientTimeout(total=settings.channels.rasa_timeout_s)

    def _url(self, sender: str, suffix: str) -> str:
        return f"{self._base}/conversations/{quote(sender, safe=':')}/{suffix}"

    async def read(self, sender: str) -> dict[str, Any]:
        """The tracker since the last restart (``paused``, ``slots``, ``events``).

        Raises:
            RasaUnavailable: Rasa unreachable, slow, 5xx or not a tracker.
            RasaRejected: Rasa answered 4xx (wrong token).
        """
        params = {"token": self._token, "include_events": "AFTER_RESTART"}
        data = await self._request("GET", self._url(sender, "tracker"), params=params)
        if not isinstance(data, dict):
            raise RasaUnavailable("bad_tracker")
        return data

    async def append(self, sender: str, events: Sequence[Mapping[str, Any]]) -> None:
        """Append ``events`` in order, running no action.

        Raises:
            RasaUnavailable: Rasa unreachable, slow or 5xx.
            RasaRejected: Rasa answered 4xx.
        """
        await self._request(
            "POST",
            self._url(sender, "tracker/events"),
            params={"token": self._token, "execute_side_effects": "false"},
            json=[dict(event) for event in events],
        )

    async def _request(self, method: str, url: str, **kwargs: Any) -> Any:
        try:
            async with self._session.request(
                method, url, timeout=self._timeout, **kwargs
            ) as response:
                if response.status >= 500:
                    raise RasaUnavailable(f"http_{response.status}")
                if response.status >= 400:
                    raise RasaRejected(f"http_{response.status}", response.status)
                try:
                    return await response.json(content_type=None)
                except ValueError as exc:
                    raise RasaUnavailable("bad_json") from exc
        except asyncio.TimeoutError as exc:
            raise RasaUnavailable("timeout") from exc
        except aiohttp.ClientError as exc:
            raise RasaUnavailable(type(exc).__name__) from exc
