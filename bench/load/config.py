"""The load benchmark's settings, from the command line."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from bench.load.runner import ThinkTime

TARGETS = ("rest", "telegram")
# Vehicles are registered before the crowd is sized: enough for this many.
AUTO_CITIZENS_AT_MOST = 100


@dataclass(frozen=True)
class LoadConfig:
    """What one run measures.

    Attributes:
        citizens: Concurrent conversations of the think-time phase (None:
            sized from the run's own figures, ``bench/load/sizing.py``).
        duration_s: Length of the think-time phase (None: ``conversations`` bounds it).
        conversations: Number of conversations of the think-time phase instead.
        think: Pause before each message of the think-time phase.
        levels: Concurrencies of the closed-loop phases (no think time).
        level_s: Length of each closed-loop phase.
        seed: Seed of every random choice (errands, wording, pauses).
        target: Channel the citizens use.
        reference: Stock configuration of the reference bot (None: no reference).
        write: Whether to rewrite the ``load`` section of docs/benchmarks.md.
        rasa_instances: Rasa servers behind nginx (telegram target; 1: no nginx).
    """

    citizens: int | None
    duration_s: float | None
    conversations: int | None
    think: ThinkTime
    levels: tuple[int, ...]
    level_s: float
    seed: int
    target: str
    reference: str | None
    write: bool
    quick: bool
    rasa_instances: int = 1

    def command(self) -> str:
        """The command line that reproduces this run."""
        parts = [".venv-app/bin/python -m bench.load"]
        citizens = "auto" if self.citizens is None else self.citizens
        if self.quick:
            parts.append("--quick")
        elif self.conversations is not None:
            parts.append(f"--conversations {self.conversations} --citizens {citizens}")
        else:
            parts.append(f"--duration {self.duration_s:g} --citizens {citizens}")
        if self.reference != "default":
            parts.append(f"--reference {self.reference or 'none'}")
        if self.target != "rest":
            parts.append(f"--target {self.target}")
        if self.rasa_instances != 1:
            parts.append(f"--rasa-instances {self.rasa_instances}")
        return " ".join(parts)

    def section(self) -> str:
        """The docs/benchmarks.md section this run rewrites (one per target)."""
        name = "load" if self.target == "rest" else f"load-{self.target}"
        return name if self.rasa_instances == 1 else f"{name}-{self.rasa_instances}rasa"

    def vehicles_needed(self) -> int:
        """Vehicles to register: a generous estimate of the violations conversations.

        Assumes at most 40 messages/s in closed loop and three messages per
        conversation; a run that needs more falls back to other errands
        (counted and reported).
        """
        closed = len(self.levels) * self.level_s * 40
        pace = max(self.think.low_s + self.think.high_s, 0.2) / 2
        crowd = AUTO_CITIZENS_AT_MOST if self.citizens is None else self.citizens
        if self.duration_s is not None:
            paced = crowd * self.duration_s / pace
        else:
            paced = (self.conversations or 0) * 6
        conversations = (closed + paced) / 3
        return int(conversations * 0.15 * 1.3) + 20


def _citizens(text: str) -> int | None:
    if text == "auto":
        return None
    try:
        count = int(text)
    except ValueError:
        count = 0
    if count < 1:
        raise argparse.ArgumentTypeError("a positive number of citizens, or auto")
    return count


def _levels(text: str) -> tuple[int, ...]:
    levels = tuple(int(part) for part in text.split(",") if part.strip())
    if not levels or min(levels) < 1:
        raise argparse.ArgumentTypeError("levels are positive integers, e.g. 1,4,16")
    return levels


def parse_args(argv: list[str] | None = None) -> LoadConfig:
    """Read the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.load",
        description="Simulated citizens against govbot, beside stock Rasa.",
    )
    parser.add_argument("--duration", type=float, default=300.0, help="seconds")
    parser.add_argument("--conversations", type=int, help="instead of --duration")
    parser.add_argument(
        "--citizens",
        type=_citizens,
        default=40,
        help="a number, or auto: enough to offer 65%% of stock Rasa's measured maximum",
    )
    parser.add_argument("--think-min", type=float, default=0.5, help="seconds")
    parser.add_argument("--think-max", type=float, default=1.5, help="seconds")
    parser.add_argument("--levels", type=_levels, default=(1, 4, 16))
    parser.add_argument("--level-seconds", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=12345)
    parser.add_argument(
        "--target",
        choices=TARGETS,
        default="rest",
        help="rest: Rasa's REST channel (in-memory trackers); telegram: the full "
        "assistant, gateway webhook to Rasa on Redis",
    )
    parser.add_argument(
        "--rasa-instances",
        type=int,
        choices=(1, 2),
        default=1,
        help="telegram target: Rasa servers sharing Redis behind nginx",
    )
    parser.add_argument(
        "--reference",
        choices=("default", "logreg", "none"),
        default="default",
        help="stock Rasa configuration of the reference bot",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="about 30 s of citizens, short levels, no docs update unless --write",
    )
    parser.add_argument("--write", action=argparse.BooleanOptionalAction, default=None)
    args = parser.parse_args(argv)
    if args.think_min < 0 or args.think_max < args.think_min:
        parser.error("need 0 <= --think-min <= --think-max")
    if args.citizens is None and args.reference == "none" and not args.quick:
        parser.error("--citizens auto is sized from stock Rasa: drop --reference none")
    if args.rasa_instances != 1 and args.target != "telegram":
        parser.error("--rasa-instances applies to --target telegram")
    if args.quick:
        args.duration, args.citizens, args.level_seconds = 30.0, 10, 6.0
        args.levels = (1, 4)
        args.conversations = None
    return LoadConfig(
        citizens=args.citizens,
        duration_s=None if args.conversations else args.duration,
        conversations=args.conversations,
        think=ThinkTime(args.think_min, args.think_max),
        levels=args.levels,
        level_s=args.level_seconds,
        seed=args.seed,
        target=args.target,
        reference=None if args.reference == "none" else args.reference,
        write=(not args.quick) if args.write is None else args.write,
        quick=args.quick,
        rasa_instances=args.rasa_instances,
    )
