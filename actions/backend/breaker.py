"""A circuit breaker per back-end service, so a dead service fails fast.

closed → open after ``failure_threshold`` consecutive failures → half-open
once ``reset_s`` has passed, when exactly one trial call may go through: its
success closes the circuit, its failure opens it for another ``reset_s``.

Only outages count as failures (timeouts, refused connections, 5xx, garbage);
a 4xx rejection proves the service is alive and counts as a success. The
caller reports each outcome, which keeps the breaker free of I/O and lets
tests drive it with a fake clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import Enum

import structlog

__all__ = ["BreakerState", "CircuitBreaker"]

log = structlog.get_logger(__name__)


class BreakerState(str, Enum):
    """Where a circuit stands."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """Counts consecutive failures of one service and gates its calls.

    Not thread-safe: meant for one asyncio event loop, where ``allow`` and the
    outcome reports run without interleaving.
    """

    def __init__(
        self,
        name: str,
        *,
        failure_threshold: int,
        reset_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Starts closed.

        Args:
            name: The service, for logs.
            failure_threshold: Consecutive failures that open the circuit (≥ 1).
            reset_s: Seconds the circuit stays open before a trial call.
            clock: Monotonic seconds; injectable for tests.
        """
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        if reset_s < 0:
            raise ValueError("reset_s must not be negative")
        self.name = name
        self._threshold = failure_threshold
        self._reset_s = reset_s
        self._clock = clock
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._trial_running = False

    @property
    def state(self) -> BreakerState:
        """The current state (an open circuit past its reset time is half-open)."""
        if self._state is BreakerState.OPEN and self._reset_due():
            return BreakerState.HALF_OPEN
        return self._state

    def allow(self) -> bool:
        """Whether a call may go ahead now; a True in half-open is the trial."""
        if self._state is BreakerState.OPEN:
            if not self._reset_due():
                return False
            self._state = BreakerState.HALF_OPEN
            log.info("backend.circuit.half_open", service=self.name)
        if self._state is BreakerState.HALF_OPEN:
            if self._trial_running:
                return False
            self._trial_running = True
        return True

    def success(self) -> None:
        """Report a call the service answered (2xx or a 4xx rejection)."""
        if self._state is BreakerState.OPEN:
            # A call started before the circuit opened; newer failures win.
            return
        if self._state is BreakerState.HALF_OPEN:
            log.info("backend.circuit.closed", service=self.name)
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._trial_running = False

    def failure(self) -> None:
        """Report a call that found the service unavailable."""
        if self._state is BreakerState.HALF_OPEN:
            self._open()
        elif self._state is BreakerState.CLOSED:
            self._failures += 1
            if self._failures >= self._threshold:
                self._open()

    def abandon(self) -> None:
        """Report a call that ended without a verdict (e.g. cancelled)."""
        if self._state is BreakerState.HALF_OPEN:
            self._trial_running = False

    def _reset_due(self) -> bool:
        return self._clock() - self._opened_at >= self._reset_s

    def _open(self) -> None:
        self._state = BreakerState.OPEN
        self._opened_at = self._clock()
        self._trial_running = False
        log.warning(
            "backend.circuit.opened",
            service=self.name,
            failures=self._failures,
            reset_s=self._reset_s,
        )
