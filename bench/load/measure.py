"""One benchmark run: the stock reference, then govbot, at the same levels, then checks."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from bench.load import reference
from bench.load.assistant import start_full_assistant
from bench.load.checks import CheckSummary, check_transcript, summarise_checks
from bench.load.citizens import SEEDED_LICENCE_IDS, CitizenMix
from bench.load.config import LoadConfig
from bench.load.cpu import cpu_readings, cpu_used
from bench.load.identities import Vehicle
from bench.load.runner import Browser, Phase, PhaseResult, ScriptSource, run_phase
from bench.load.sandbox_state import (
    AdminClient,
    StateReport,
    check_final_state,
    take_snapshot,
)
from bench.load.sizing import CrowdSize, crowd_size
from bench.load.stats import PhaseStats, max_rate, phase_stats
from bench.load.targets import Target, rest_target
from bench.load.telegram import telegram_target
from bench.load.world import Counter as IdCounter
from bench.load.world import (
    SessionPool,
    TicketBoard,
    TicketRef,
    World,
    vehicles_to_register,
)
from bot import event_loop
from tests.e2e.conftest import Admin
from tests.e2e.stack import start_stack

VIOLATION_KINDS = ("speed", "marking", "phone", "lane", "red_light", "belt")
WARMUP_CONVERSATIONS = 8


@dataclass
class Figures:
    """Everything the report shows."""

    config: LoadConfig
    reference: dict[int, PhaseStats] = field(default_factory=dict)
    reference_checks: CheckSummary | None = None
    ours: dict[int, PhaseStats] = field(default_factory=dict)
    citizens: PhaseStats | None = None
    checks: CheckSummary = field(default_factory=CheckSummary)
    state: StateReport = field(default_factory=StateReport)
    errands: dict[str, tuple[int, int]] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    strays: int = 0  # asynchronous channels: messages that came between turns
    crowd: CrowdSize | None = None  # how ``--citizens auto`` sized the crowd

    def clean(self) -> bool:
        """Every conversation went as scripted and the sandbox state is exact."""
        reference_clean = self.reference_checks is None or self.reference_checks.clean()
        return reference_clean and self.checks.clean() and not self.state.problems


OpenTarget = Callable[[], AbstractAsyncContextManager[Target]]
# A phase that depends on what the phases before it measured.
LaterPhase = Callable[[list[PhaseResult]], Phase]


async def _phases(
    open_target: OpenTarget,
    source: ScriptSource,
    phases: list[Phase | LaterPhase],
    seed: int,
    pids: dict[str, int],
) -> list[PhaseResult]:
    # Sessions (and the Bot API stand-in) must be created inside the running loop.
    browser = Browser()
    results: list[PhaseResult] = []
    try:
        async with open_target() as target:
            for planned in phases:
                phase = planned if isinstance(planned, Phase) else planned(results)
                before = cpu_readings(pids)
                strays = getattr(target, "strays", 0)
                result = await run_phase(target, source, phase, seed, browser)
                result.cpu_s = cpu_used(before, cpu_readings(pids))
                result.strays = getattr(target, "strays", 0) - strays
                results.append(result)
        return results
    finally:
        await browser.close()


def _closed_loop(config: LoadConfig) -> list[Phase]:
    return [Phase(f"loop{n}", n, duration_s=config.level_s) for n in config.levels]


def measure_reference(config: LoadConfig, work: Path, figures: Figures) -> None:
    """Train, serve and load the stock bot at each closed-loop level."""
    work.mkdir(parents=True, exist_ok=True)
    model = reference.train(work, config.reference or "default")
    process = reference.serve(work, model)
    try:
        phases = [Phase("warmup", 1, conversations=WARMUP_CONVERSATIONS)]
        phases += _closed_loop(config)
        source = reference.ReferenceSource()
        results = event_loop.run(
            _phases(
                lambda: rest_target(process.url),
                source,
                phases,
                config.seed,
                {"rasa": process.popen.pid},
            )
        )
    finally:
        process.stop()
    for phase, result in zip(phases[1:], results[1:], strict=True):
        figures.reference[phase.concurrency] = phase_stats(result)
    figures.reference_checks = summarise_checks(
        t for r in results for t in r.transcripts
    )


def _register(admin: AdminClient, car: Vehicle, n: int) -> None:
    violations = [
        {
            "kind": VIOLATION_KINDS[(n + k) % len(VIOLATION_KINDS)],
            "decision_number": f"440305269{k}{n:06d}",
        }
        for k in range(1 + n % 2)
    ]
    body = {
        "plate": car.plate,
        "engine_number": car.engine_number,
        "violations": violations,
    }
    status, answer = admin.call("POST", "/sandbox/v1/vehicles", body)
    if status != 201:
        raise RuntimeError(f"registering {car.plate}: {status} {answer}")


def build_world(admin: AdminClient, vehicles: int) -> World:
    """Reset the sandbox, register the run's vehicles, collect sessions and tickets."""
    status, body = admin.call("POST", "/sandbox/v1/reset")
    if status != 200:
        raise RuntimeError(f"sandbox reset: {status} {body}")
    today = date.fromisoformat(body["today"])
    cars = vehicles_to_register(vehicles)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda n: _register(admin, cars[n], n), range(len(cars))))
    slots = admin.get("/traffic/v1/exam-slots")["slots"]
    tickets = admin.get("/sandbox/v1/tickets")["tickets"]
    seeded = [TicketRef(t["ticket_id"], t["phone"]) for t in tickets]
    return World(
        sessions=SessionPool(slots, after=today),
        tickets=TicketBoard(seeded),
        licence_ids=SEEDED_LICENCE_IDS,
        vehicles=cars,
        learners=IdCounter(),
        phones=IdCounter(),
    )


def _citizens_phase(
    config: LoadConfig, figures: Figures, done: list[PhaseResult]
) -> Phase:
    """The think-time phase; ``--citizens auto`` sizes it from the figures so far."""
    citizens = config.citizens
    if citizens is None:
        turns = {
            r.phase.concurrency: phase_stats(r).mean_ms
            for r in done
            if r.phase.name.startswith("loop")
        }
        figures.crowd = crowd_size(max_rate(figures.reference), config.think, turns)
        citizens = figures.crowd.citizens
    return Phase(
        "citizens",
        citizens,
        duration_s=config.duration_s,
        conversations=config.conversations,
        think=config.think,
    )


def measure_ours(config: LoadConfig, work: Path, figures: Figures) -> None:
    """Start the stack, run warm-up, closed-loop levels and citizens; check everything."""
    work.mkdir(parents=True, exist_ok=True)
    open_target: OpenTarget
    if config.target == "telegram":
        assistant = start_full_assistant(work, config.rasa_instances)
        stack, stop, pids = assistant.stack, assistant.stop, assistant.pids()
        gateway = assistant.gateway.url

        def open_target() -> AbstractAsyncContextManager[Target]:
            return telegram_target(
                gateway, assistant.webhook_secret, assistant.bot_api_port
            )

    else:
        stack = start_stack(work)
        stop = stack.stop
        pids = {p.name: p.popen.pid for p in (stack.rasa, stack.actions, stack.sandbox)}
        rasa = stack.rasa.url

        def open_target() -> AbstractAsyncContextManager[Target]:
            return rest_target(rasa)

    try:
        admin = Admin(stack.sandbox.url)
        world = build_world(admin, config.vehicles_needed())
        before = take_snapshot(admin)
        mix = CitizenMix(world)
        phases: list[Phase | LaterPhase] = [
            Phase("warmup", 1, conversations=WARMUP_CONVERSATIONS),
            *_closed_loop(config),
            lambda done: _citizens_phase(config, figures, done),
        ]
        results = event_loop.run(_phases(open_target, mix, phases, config.seed, pids))
        after = take_snapshot(admin)
    finally:
        stop()
    for result in results:
        if result.phase.name.startswith("loop"):
            figures.ours[result.phase.concurrency] = phase_stats(result)
    figures.citizens = phase_stats(results[-1])
    figures.strays = sum(r.strays for r in results)
    everything = [t for r in results for t in r.transcripts]
    figures.checks = summarise_checks(everything)
    figures.state = check_final_state(before, after, everything)
    figures.skipped = dict(mix.skipped)
    tally: Counter[tuple[str, bool]] = Counter(
        (t.script.errand.value, not check_transcript(t))
        for t in results[-1].transcripts
    )
    for errand in sorted({name for name, _ in tally}):
        done = tally[(errand, True)]
        figures.errands[errand] = (done + tally[(errand, False)], done)


def run(config: LoadConfig, work: Path) -> Figures:
    """The whole benchmark; the reference first, so neither warms the other's caches."""
    figures = Figures(config)
    if config.reference:
        measure_reference(config, work / "reference", figures)
    measure_ours(config, work / "govbot", figures)
    return figures
