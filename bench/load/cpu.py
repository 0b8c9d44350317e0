"""CPU time spent by each process of the stack, to see where a message's cost goes."""

from __future__ import annotations

import os
from pathlib import Path

GENERATOR = "load generator"


def process_cpu_s(pid: int) -> float:
    """User plus system CPU seconds of a live process (Linux ``/proc``); NaN if unreadable."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return float("nan")
    # The command name (field 2) may contain spaces: count fields after its ")".
    fields = stat.rsplit(")", 1)[1].split()
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


def descendants(pid: int) -> list[int]:
    """Live child processes of ``pid``, theirs, and so on (nginx's workers)."""
    found: list[int] = []
    pending = [pid]
    while pending:
        parent = pending.pop()
        for task in Path(f"/proc/{parent}/task").glob("*/children"):
            try:
                children = [int(c) for c in task.read_text().split()]
            except (OSError, ValueError):
                continue
            found += children
            pending += children
    return found


def tree_cpu_s(pid: int) -> float:
    """CPU seconds of ``pid`` and its live descendants."""
    return process_cpu_s(pid) + sum(process_cpu_s(c) for c in descendants(pid))


def cpu_readings(pids: dict[str, int]) -> dict[str, float]:
    """CPU seconds so far of each named process tree, and of this (generator) process."""
    readings = {name: tree_cpu_s(pid) for name, pid in pids.items()}
    own = os.times()
    readings[GENERATOR] = own.user + own.system
    return readings


def cpu_used(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """CPU seconds each process spent between two readings."""
    return {name: after[name] - before[name] for name in before if name in after}
