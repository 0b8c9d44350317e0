"""Failed-login counting per user name and per client address (sliding 15 minutes)."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

WINDOW_S = 15 * 60


class LoginLimiter:
    """Refuses logins after ``limit`` failures in the window, per key.

    Kept in memory: one console process serves the staff, and a restart
    forgetting the counts is acceptable (every failure is in the audit log).
    """

    def __init__(
        self,
        limit: int,
        *,
        window_s: float = WINDOW_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``limit`` failures allowed per key within ``window_s``."""
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str) -> deque[float]:
        stamps = self._failures.get(key)
        if stamps is None:
            return deque()
        cutoff = self._clock() - self.window_s
        while stamps and stamps[0] <= cutoff:
            stamps.popleft()
        if not stamps:
            del self._failures[key]
        return stamps

    def blocked(self, *keys: str) -> bool:
        """True when any key has used up its failures."""
        return any(len(self._recent(key)) >= self.limit for key in keys)

    def failed(self, *keys: str) -> None:
        """Count one failure against each key."""
        now = self._clock()
        for key in keys:
            self._recent(key)
            self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, user_key: str) -> None:
        """A good login clears the user's count (not the address's)."""
        self._failures.pop(user_key, None)
