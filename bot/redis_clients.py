"""redis.asyncio clients kept per event loop (runs inside Rasa and in tests).

A redis.asyncio connection belongs to the loop that opened it; Rasa serves on
one loop, while tests and tools may run stores on several. Each loop gets its
own client (and pool), dropped with the loop.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

import redis.asyncio as aioredis


class LoopClients:
    """One ``redis.asyncio.Redis`` per running event loop, same settings for all."""

    def __init__(self, **connection: Any) -> None:
        self._connection = connection
        self._clients: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, aioredis.Redis
        ] = weakref.WeakKeyDictionary()

    def get(self) -> aioredis.Redis:
        """The running loop's client, opened on first use."""
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            client = aioredis.Redis(**self._connection)
            self._clients[loop] = client
        return client

    async def aclose(self) -> None:
        """Closes the running loop's client and its connections, if it has one."""
        client = self._clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.close(close_connection_pool=True)
