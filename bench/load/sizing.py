"""How many thinking citizens offer a chosen share of stock Rasa's maximum rate.

Citizens who think between turns send at most one message per (think time +
turn time), whatever the machine: a fixed number of them offers a fixed rate,
so on a faster machine, where stock Rasa's maximum rises, the same crowd is a
smaller share of it. ``--citizens auto`` sizes the crowd from the run's own
figures instead: enough citizens that, at their mean pause plus govbot's mean
turn time under moderate load (the closed-loop level nearest 4 concurrent
conversations, about what the crowd keeps in flight), they offer
``AUTO_SHARE`` of the maximum stock Rasa reached in the same run. Whether
govbot then sustains that rate, and at what p99, is what the phase measures.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from bench.load.runner import ThinkTime

AUTO_SHARE = 0.65
MODERATE_LEVEL = 4


@dataclass(frozen=True)
class CrowdSize:
    """The number of citizens and the figures it came from."""

    citizens: int
    stock_max_rate: float
    think_mean_s: float
    turn_mean_ms: float
    level: int
    share: float = AUTO_SHARE

    def describe(self) -> str:
        """One sentence for the report."""
        return (
            f"Citizens chosen by `--citizens auto`: {self.share:.0%} of stock Rasa's "
            f"maximum ({self.stock_max_rate:.1f} msg/s) at one message per "
            f"{self.think_mean_s:g} s of thinking plus govbot's mean turn at "
            f"concurrency {self.level} ({self.turn_mean_ms:.0f} ms) → "
            f"{self.citizens} citizens."
        )


def crowd_size(
    stock_max_rate: float,
    think: ThinkTime,
    turn_mean_ms_by_level: Mapping[int, float],
    share: float = AUTO_SHARE,
) -> CrowdSize:
    """Citizens offering ``share`` of ``stock_max_rate`` at the measured pace.

    Levels where no turn was answered (a NaN mean) are left out.

    Raises:
        ValueError: No stock rate or no govbot level was measured.
    """
    if not stock_max_rate > 0:  # also NaN: nothing measured
        raise ValueError("--citizens auto needs stock Rasa's maximum rate")
    turn_mean_ms_by_level = {
        level: ms for level, ms in turn_mean_ms_by_level.items() if not math.isnan(ms)
    }
    if not turn_mean_ms_by_level:
        raise ValueError("--citizens auto needs a closed-loop level of govbot")
    level = min(turn_mean_ms_by_level, key=lambda n: (abs(n - MODERATE_LEVEL), n))
    turn_ms = turn_mean_ms_by_level[level]
    think_s = (think.low_s + think.high_s) / 2
    citizens = max(1, math.ceil(share * stock_max_rate * (think_s + turn_ms / 1000)))
    return CrowdSize(citizens, stock_max_rate, think_s, turn_ms, level, share)
