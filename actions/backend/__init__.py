"""The one way the actions reach the government services: typed, signed, guarded.

``Backend(settings, session)`` bundles the three service facades over one
shared client. The caller owns the ``aiohttp.ClientSession`` (opened and closed
with the action server); nothing here connects at import.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import aiohttp

from actions.backend.client import BackendClient
from actions.backend.directory import DirectoryAPI
from actions.backend.hotline import HotlineAPI
from actions.backend.traffic import TrafficAPI
from bot.settings import BackendSettings

__all__ = ["Backend", "BackendClient", "DirectoryAPI", "HotlineAPI", "TrafficAPI"]


class Backend:
    """The traffic, hotline and directory services over one client.

    Attributes:
        client: The shared client (its ``breakers`` show each service's circuit).
        traffic: Violations, fines, licences, driving tests, inspections.
        hotline: 12345 tickets and satisfaction ratings.
        directory: Government offices.
    """

    def __init__(
        self,
        settings: BackendSettings,
        session: aiohttp.ClientSession,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Builds the client and the facades.

        Args:
            settings: Where the services are and how to call them.
            session: The process's shared HTTP session.
            clock: Monotonic seconds of the circuit breakers (tests inject one).
        """
        self.client = BackendClient(settings, session, clock=clock)
        self.traffic = TrafficAPI(self.client)
        self.hotline = HotlineAPI(self.client)
        self.directory = DirectoryAPI(self.client)
