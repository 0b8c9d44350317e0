"""``python -m bench.load.scale``: one Rasa instance against two behind nginx, same run.

Both phases run on the same production-shaped deployment: one real
redis-server holding trackers and the conversation lock (``REDIS_URL``,
``bot/endpoints.redis.yml``), two action servers behind nginx, the sandbox
once. The *single* phase sends every message to Rasa instance 1 directly;
the *two* phase sends them to nginx, which round-robins between instances 1
and 2 (Rasa's lock store serialises a conversation, so any instance may take
any message). The same citizens' errand mix, closed loop at one concurrency;
afterwards every conversation is checked (every reply, in order, none
lost or duplicated) and the sandbox's final state must be exactly what the
scripts imply (no double booking). Writes the ``scale`` section of
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from bench.load.checks import CheckSummary, summarise_checks
from bench.load.citizens import CitizenMix
from bench.load.measure import _phases, build_world
from bench.load.nginx import start_nginx
from bench.load.runner import Phase
from bench.load.sandbox_state import StateReport, check_final_state, take_snapshot
from bench.load.stats import PhaseStats, phase_stats
from bench.load.targets import rest_target
from bench.report import write_section
from bot import event_loop
from tests.e2e.conftest import Admin
from tests.e2e.stack import APP_PYTHON, Process, free_port, start, start_stack
from tests.faults.world import RedisServer, redis_vars


@dataclass
class ScaleFigures:
    """The two phases and the checks over both."""

    concurrency: int
    seconds: float
    single: PhaseStats | None = None
    two: PhaseStats | None = None
    checks: CheckSummary = field(default_factory=CheckSummary)
    state: StateReport = field(default_factory=StateReport)
    load_before: float = 0.0


def _hostport(process: Process) -> str:
    return process.url.removeprefix("http://")


def measure(concurrency: int, seconds: float, seed: int, work: Path) -> ScaleFigures:
    """Start everything, run single then two, check, stop everything."""
    figures = ScaleFigures(concurrency, seconds, load_before=os.getloadavg()[0])
    redis = RedisServer(free_port(), work / "redis.log")
    redis.start()
    balancer = None
    try:
        env, endpoints = redis_vars(redis.url)
        rasa_port, actions_port = free_port(), free_port()
        env["ACTION_SERVER_URL"] = f"http://127.0.0.1:{actions_port}/webhook"
        stack = start_stack(work, env, endpoints)
        try:
            second_port = free_port()
            actions2 = start(
                "actions2",
                [str(APP_PYTHON), "-m", "actions"],
                {**stack.env, "ACTION_SERVER_PORT": str(second_port)},
                f"http://127.0.0.1:{second_port}",
                "/health",
                work,
            )
            stack.processes.append(actions2)
            rasa2 = stack.start_rasa("rasa2")
            balancer = start_nginx(
                work / "nginx",
                {
                    "rasa": (rasa_port, [_hostport(stack.rasa), _hostport(rasa2)]),
                    "actions": (
                        actions_port,
                        [_hostport(stack.actions), _hostport(actions2)],
                    ),
                },
                ready=f"http://127.0.0.1:{rasa_port}/version",
            )
            admin = Admin(stack.sandbox.url)
            world = build_world(admin, int(concurrency * seconds * 2) // 3 + 20)
            before = take_snapshot(admin)
            mix = CitizenMix(world)
            pids = {
                "rasa1": stack.rasa.popen.pid,
                "rasa2": rasa2.popen.pid,
                "actions1": stack.actions.popen.pid,
                "actions2": actions2.popen.pid,
                "sandbox": stack.sandbox.popen.pid,
                "nginx": balancer.popen.pid,
            }
            warm = [Phase("warmup", 2, conversations=8)]
            single = event_loop.run(
                _phases(
                    lambda: rest_target(stack.rasa.url),
                    mix,
                    [*warm, Phase("single", concurrency, duration_s=seconds)],
                    seed,
                    pids,
                )
            )
            two = event_loop.run(
                _phases(
                    lambda: rest_target(f"http://127.0.0.1:{rasa_port}"),
                    mix,
                    [*warm, Phase("two", concurrency, duration_s=seconds)],
                    seed + 1,
                    pids,
                )
            )
            after = take_snapshot(admin)
        finally:
            if balancer is not None:
                balancer.stop()
            stack.stop()
    finally:
        redis.stop()
    figures.single, figures.two = phase_stats(single[-1]), phase_stats(two[-1])
    everything = [t for r in (*single, *two) for t in r.transcripts]
    figures.checks = summarise_checks(everything)
    figures.state = check_final_state(before, after, everything)
    return figures


def _row(stats: PhaseStats, label: str) -> str:
    cpu = ", ".join(f"{k} {v:.0f}" for k, v in sorted(stats.cpu_ms.items()) if v >= 0.5)
    return (
        f"| {label} | {stats.concurrency} | {stats.rate:.1f} | {stats.p50_ms:.0f} | "
        f"{stats.p95_ms:.0f} | {stats.p99_ms:.0f} | {stats.errors} | {cpu} |"
    )


def render(figures: ScaleFigures, command: str) -> str:
    """The markdown section."""
    single, two = figures.single, figures.two
    assert single is not None and two is not None
    ratio = two.rate / single.rate if single.rate else float("nan")
    kinds = ", ".join(f"{k} {n}" for k, n in sorted(figures.checks.by_kind.items()))
    return "\n".join(
        [
            "## Scale-out: two Rasa instances behind nginx",
            "",
            f"Command: `{command}` (part of `make bench`). One deployment for both "
            "phases: a real redis-server (trackers and our atomic conversation lock), "
            "two action servers behind nginx, the sandbox on SQLite. *one* = every "
            "message to Rasa instance 1; *two* = nginx round-robin over instances 1 "
            f"and 2. Closed loop at concurrency {figures.concurrency}, "
            f"{figures.seconds:g} s per phase, the load benchmark's errand mix; "
            f"machine load average before the run {figures.load_before:.2f}.",
            "",
            "| instances | concurrency | msg/s | p50 ms | p95 ms | p99 ms | errors | CPU ms per message |",
            "|---|---|---|---|---|---|---|---|",
            _row(single, "one"),
            _row(two, "two"),
            "",
            f"Two instances deliver **{ratio:.2f}×** one (target ≥ 1.4×). Conversations "
            f"checked: {figures.checks.conversations}, failed checks: "
            f"{figures.checks.failed}{f' ({kinds})' if kinds else ''}; sandbox state "
            f"problems (double bookings, lost tickets): {len(figures.state.problems)}.",
            "",
            "On this 2-core machine the second Rasa instance competes for the same two "
            "cores as the first, the action servers, the sandbox and the load "
            "generator, so the ratio measures contention more than Rasa; see the "
            "capacity guide in docs/deployment.md for sizing with a core per instance.",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    """Measure, print, write the section; non-zero when a check failed."""
    parser = argparse.ArgumentParser(prog="python -m bench.load.scale")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=12345)
    parser.add_argument("--write", action=argparse.BooleanOptionalAction, default=True)
    args = parser.parse_args(argv)
    command = (
        ".venv-app/bin/python -m bench.load.scale "
        f"--concurrency {args.concurrency} --seconds {args.seconds:g}"
    )
    with tempfile.TemporaryDirectory(prefix="govbot-scale-") as work:
        figures = measure(args.concurrency, args.seconds, args.seed, Path(work))
    body = render(figures, command)
    print(body)
    for example in figures.checks.examples:
        print("  failed:", example, file=sys.stderr)
    for problem in figures.state.problems:
        print("  state:", problem, file=sys.stderr)
    if args.write:
        write_section("scale", body)
    return 0 if figures.checks.clean() and not figures.state.problems else 1


if __name__ == "__main__":
    raise SystemExit(main())
