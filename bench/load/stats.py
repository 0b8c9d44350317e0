"""Rate and latency figures of a phase."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from bench.load.runner import PhaseResult


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..1); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class PhaseStats:
    """What one phase measured.

    Only messages answered inside the phase's window count towards
    ``rate`` and the latencies; ``errors`` counts every failed send.
    ``cpu_ms`` is each process's CPU time over the whole phase divided by
    every answered message: what one message costs, and where.
    """

    name: str
    concurrency: int
    think: str
    window_s: float
    messages: int
    answered: int
    errors: int
    rate: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    conversations: int
    cpu_ms: dict[str, float] = field(default_factory=dict)
    mean_ms: float = math.nan


def phase_stats(result: PhaseResult) -> PhaseStats:
    """Summarise a phase."""
    window = max(result.window_end - result.started, 1e-9)
    records = [record for t in result.transcripts for record in t.turns]
    inside = [r for r in records if r.done_at <= result.window_end]
    latencies = [r.latency_ms for r in inside if r.error is None]
    answered_all = sum(1 for r in records if r.error is None)
    cpu_ms = {
        name: seconds * 1000 / answered_all
        for name, seconds in result.cpu_s.items()
        if answered_all
    }
    return PhaseStats(
        name=result.phase.name,
        concurrency=result.phase.concurrency,
        think=result.phase.think.describe(),
        window_s=window,
        messages=len(records),
        answered=len(latencies),
        errors=sum(1 for r in records if r.error is not None),
        rate=len(latencies) / window,
        p50_ms=percentile(latencies, 0.50),
        p95_ms=percentile(latencies, 0.95),
        p99_ms=percentile(latencies, 0.99),
        conversations=len(result.transcripts),
        cpu_ms=cpu_ms,
        mean_ms=sum(latencies) / len(latencies) if latencies else math.nan,
    )


def max_rate(stats: dict[int, PhaseStats]) -> float:
    """The highest rate of the phases (NaN when none ran)."""
    return max((s.rate for s in stats.values()), default=math.nan)
