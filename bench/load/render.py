"""The ``load`` section of docs/benchmarks.md."""

from __future__ import annotations

import math

from bench.load.checks import CheckSummary, FailureKind
from bench.load.citizens import MIX
from bench.load.config import LoadConfig
from bench.load.cpu import GENERATOR
from bench.load.measure import Figures
from bench.load.reference import DESCRIPTIONS
from bench.load.stats import PhaseStats, max_rate

# Issue 6 targets for the full assistant with citizens thinking between turns.
TARGET_SHARE = 0.60
TARGET_P99_MS = 500.0


def _ms(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:.0f}"


def _rate(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:.1f}"


def _ratio(ours: float, theirs: float) -> str:
    return (
        "–"
        if not theirs or math.isnan(theirs) or math.isnan(ours)
        else f"{ours / theirs:.2f}×"
    )


def _checks_line(checks: CheckSummary) -> str:
    kinds = ", ".join(
        f"{checks.by_kind.get(k.value, 0)} {k.value}" for k in FailureKind
    )
    return (
        f"{checks.conversations} conversations checked, {checks.completed} as scripted; "
        f"{kinds}."
    )


def _closed_loop_table(figures: Figures) -> list[str]:
    lines = [
        "| concurrency | stock Rasa msg/s | stock p50 / p99 ms | govbot msg/s "
        "| govbot p50 / p99 ms | govbot / stock rate |",
        "|---|---|---|---|---|---|",
    ]
    for level in figures.config.levels:
        ours = figures.ours.get(level)
        ref = figures.reference.get(level)
        if ours is None:
            continue
        ref_rate = f"{ref.rate:.1f}" if ref else "–"
        ref_lat = f"{_ms(ref.p50_ms)} / {_ms(ref.p99_ms)}" if ref else "–"
        lines.append(
            f"| {level} | {ref_rate} | {ref_lat} | {ours.rate:.1f} "
            f"| {_ms(ours.p50_ms)} / {_ms(ours.p99_ms)} "
            f"| {_ratio(ours.rate, ref.rate) if ref else '–'} |"
        )
    return lines


def _citizens_table(figures: Figures) -> list[str]:
    run = figures.citizens
    if run is None:
        return []
    ref_max = max_rate(figures.reference)
    share = run.rate / ref_max if figures.reference and ref_max else math.nan
    met = (
        "–"
        if math.isnan(share)
        else ("yes" if share >= TARGET_SHARE and run.p99_ms <= TARGET_P99_MS else "no")
    )
    return [
        "| citizens | think time | window s | conversations | messages | msg/s "
        "| p50 ms | p95 ms | p99 ms | errors | share of stock max | ≥60 % and p99 ≤ 500 ms |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
        f"| {run.concurrency} | {run.think} | {run.window_s:.0f} | {run.conversations} "
        f"| {run.messages} | {run.rate:.1f} | {_ms(run.p50_ms)} | {_ms(run.p95_ms)} "
        f"| {_ms(run.p99_ms)} | {run.errors} "
        f"| {'–' if math.isnan(share) else f'{share:.0%}'} | {met} |",
    ]


CPU_COLUMNS = (
    "rasa",
    "rasa2",
    "nginx",
    "actions",
    "sandbox",
    "gateway",
    "redis",
    GENERATOR,
)


def _cpu_table(figures: Figures) -> list[str]:
    """CPU milliseconds per answered message, by process, where it was measured."""
    rows: list[tuple[str, PhaseStats]] = []
    if figures.reference:
        top = max(figures.reference.values(), key=lambda s: s.rate)
        rows.append((f"stock Rasa, concurrency {top.concurrency}", top))
    if figures.ours:
        top = max(figures.ours.values(), key=lambda s: s.rate)
        rows.append((f"govbot, concurrency {top.concurrency}", top))
    if figures.citizens is not None:
        rows.append(
            (f"govbot, {figures.citizens.concurrency} citizens", figures.citizens)
        )
    rows = [(label, stats) for label, stats in rows if stats.cpu_ms]
    if not rows:
        return []
    columns = [c for c in CPU_COLUMNS if any(c in s.cpu_ms for _, s in rows)]
    lines = [
        "| CPU ms per message | " + " | ".join(columns) + " | total |",
        "|---" * (len(columns) + 2) + "|",
    ]
    for label, stats in rows:
        cells = [stats.cpu_ms.get(name, math.nan) for name in columns]
        total = sum(c for c in cells if not math.isnan(c))
        shown = " | ".join(_ms1(c) for c in cells)
        lines.append(f"| {label} | {shown} | {total:.1f} |")
    return lines


def _ms1(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:.1f}"


def _state_lines(figures: Figures) -> list[str]:
    f = figures.state.figures
    lines = [
        f"- exam bookings: {f['booking_confirmed']} confirmed to citizens, "
        f"{f['booking_found']} in the sandbox ({f['booking_unknown']} unanswered), "
        f"{f['double_bookings']} double bookings;",
        f"- payment orders: {f['payment_confirmed']} confirmed, {f['payment_found']} "
        f"in the sandbox, {f['payment_paid']} paid through the pay page;",
        f"- 12345 tickets: {f['ticket_confirmed']} confirmed, {f['ticket_found']} in the sandbox;",
        f"- ratings: {f['rating_confirmed']} confirmed, {f['rating_found']} stored.",
    ]
    problems = figures.state.problems
    if problems:
        lines.append(f"- **{len(problems)} problems**: " + "; ".join(problems[:10]))
    else:
        lines.append("- state exact: nothing missing, nothing extra, nothing twice.")
    return lines


def _reference_description(config: LoadConfig) -> str:
    if config.reference is None:
        return "not measured in this run"
    return DESCRIPTIONS[config.reference]


TARGET_DESCRIPTIONS = {
    "rest": (
        "Rasa's REST channel. govbot = Rasa with our newest model and "
        "`bot/endpoints.yml` (in-memory trackers), action server and sandbox on "
        "SQLite, conversation log on, started as `tests/e2e/stack.py` starts them."
    ),
    "telegram": (
        "the Telegram webhook through the gateway: the full assistant, as "
        "`bench/load/assistant.py` starts it — gateway (`python -m channels`, store "
        "on Redis) → Rasa (trackers and the conversation lock on Redis, "
        "conversation log on) → action server → sandbox on SQLite, one "
        "redis-server. Citizens post Bot API updates with the webhook secret and "
        "press buttons as callback queries; the answers are the `sendMessage` "
        "calls at a loopback Bot API stand-in. A turn is timed to its last "
        "message: it is closed once the expected answer is there and nothing "
        "more came for 20 ms, and a part that comes later, before the citizen's "
        "next message, is added to it (as the citizen's chat shows it); after "
        "each conversation its chat is watched 2 s for late replies."
    ),
}


def _instances_description(config: LoadConfig) -> str:
    if config.rasa_instances == 1:
        return ""
    return (
        f" Here {config.rasa_instances} Rasa instances (same model, same Redis "
        "trackers and lock) take the gateway's turns round-robin through nginx; "
        "one action server. Stock Rasa stays one process, so the share of its "
        "maximum compares a scaled-out govbot with a single stock process."
    )


def render(figures: Figures) -> str:
    """The markdown section."""
    config = figures.config
    mix = ", ".join(f"{builder.__name__} {weight:.0%}" for builder, weight in MIX)
    bounded = (
        f"{config.duration_s:g} s"
        if config.duration_s is not None
        else f"{config.conversations} conversations"
    )
    ref_max = max_rate(figures.reference)
    ours_max = max_rate(figures.ours)
    title = "" if config.target == "rest" else f" ({config.target})"
    if config.rasa_instances > 1:
        title = (
            f" ({config.target}, {config.rasa_instances} Rasa instances behind nginx)"
        )
    lines = [
        f"## Load: simulated citizens beside stock Rasa{title}",
        "",
        f"Command: `{config.command()}` (part of `make bench`). Target: "
        f"`{config.target}`, {TARGET_DESCRIPTIONS[config.target]}"
        f"{_instances_description(config)} Stock Rasa = "
        "a four-intent bot answered by responses only, in-memory tracker, REST channel, "
        f"{_reference_description(config)}, trained and served by the benchmark in "
        "the same run.",
        "",
        f"Closed loop (no think time), {config.level_s:g} s per level; each govbot "
        f"conversation is one errand of the mix ({mix}), stock Rasa conversations are "
        "greeting, opening hours, thanks, goodbye.",
        "",
        *_closed_loop_table(figures),
        "",
        f"Maximum rate: stock Rasa {_rate(ref_max)} msg/s, govbot {_rate(ours_max)} msg/s "
        f"({_ratio(ours_max, ref_max)}). At concurrency 1: stock "
        f"{_ms(figures.reference[1].p50_ms) if 1 in figures.reference else '–'} ms, govbot "
        f"{_ms(figures.ours[1].p50_ms) if 1 in figures.ours else '–'} ms median per turn.",
        "",
        f"Citizens with think time, {bounded}, seed {config.seed}:",
        "",
        *([figures.crowd.describe(), ""] if figures.crowd else []),
        *_citizens_table(figures),
        "",
    ]
    cpu = _cpu_table(figures)
    if cpu:
        lines += [
            "Where a message's cost goes (CPU time of each process over the phase, "
            "per answered message; the machine has 2 cores):",
            "",
            *cpu,
            "",
        ]
    lines += [
        "Checks over every govbot conversation of the run (warm-up, levels, citizens): "
        + _checks_line(figures.checks),
    ]
    if config.target != "rest":
        lines.append(
            "Reply parts that came after their turn was closed (slow last parts, "
            f"counted with their turn): {figures.strays}."
        )
    if figures.reference_checks is not None:
        lines.append("Stock Rasa: " + _checks_line(figures.reference_checks))
    if figures.errands:
        done = ", ".join(
            f"{name} {ok}/{total}" for name, (total, ok) in figures.errands.items()
        )
        lines += ["", f"Citizens' errands completed as scripted: {done}."]
    if figures.skipped:
        gave = ", ".join(f"{k} {v}" for k, v in sorted(figures.skipped.items()))
        lines.append(
            f"Errands replaced by a faq question for lack of seats or vehicles: {gave}."
        )
    lines += ["", "Sandbox final state against what the citizens were told:", ""]
    lines += _state_lines(figures)
    return "\n".join(lines)
