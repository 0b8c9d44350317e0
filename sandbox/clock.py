"""The sandbox's notion of "now" in Asia/Shanghai, optionally pinned to a date."""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Clock:
    """Wall clock in Asia/Shanghai.

    With a fixed ``today`` (tests, demos) the clock starts at 10:00 on that
    date and then runs at real speed, so time-based behaviour (ticket
    progress) still moves while the date stays predictable for a whole run.
    """

    def __init__(self, today: dt.date | None = None) -> None:
        self._fixed_start: dt.datetime | None = None
        self._mono_start = time.monotonic()
        if today is not None:
            self._fixed_start = dt.datetime.combine(today, dt.time(10, 0))

    def now(self) -> dt.datetime:
        """Return the current naive local (Asia/Shanghai) time."""
        if self._fixed_start is None:
            current = dt.datetime.now(SHANGHAI).replace(tzinfo=None)
        else:
            elapsed = time.monotonic() - self._mono_start
            current = self._fixed_start + dt.timedelta(seconds=elapsed)
        return current

    def today(self) -> dt.date:
        """Return today's date in Asia/Shanghai."""
        return self.now().date()
