"""Command line, figures and the rendered section; the reference bot's files."""

from __future__ import annotations

import math
import os
import re
from dataclasses import replace

import pytest
import yaml

from bench.load.checks import summarise_checks
from bench.load.config import parse_args
from bench.load.cpu import GENERATOR, cpu_readings, cpu_used, process_cpu_s
from bench.load.measure import Figures
from bench.load.reference import INTENTS, REFERENCE_TURNS, ReferenceSource, bot_files
from bench.load.render import render
from bench.load.runner import Phase, PhaseResult, ThinkTime
from bench.load.sandbox_state import StateReport
from bench.load.stats import PhaseStats, percentile, phase_stats
from bench.report import write_section
from tests.bench.helpers import ASK, BOOKED, BOOKING, transcript


def test_defaults_are_the_make_bench_run_and_quick_is_short() -> None:
    full = parse_args([])
    assert (full.duration_s, full.citizens, full.write) == (300, 40, True)
    assert full.reference == "default"
    assert (
        full.command()
        == ".venv-app/bin/python -m bench.load --duration 300 --citizens 40"
    )
    quick = parse_args(["--quick"])
    assert quick.duration_s == 30 and not quick.write and quick.level_s < full.level_s
    assert parse_args(["--quick", "--write"]).write
    counted = parse_args(["--conversations", "50", "--citizens", "5"])
    assert counted.duration_s is None and counted.conversations == 50
    assert parse_args(["--levels", "2,8"]).levels == (2, 8)
    light = parse_args(["--reference", "logreg"])
    assert light.reference == "logreg" and light.command().endswith(
        "--reference logreg"
    )
    assert parse_args(["--reference", "none"]).reference is None


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.50) == 50
    assert percentile(values, 0.99) == 99
    assert percentile([7.0], 0.99) == 7
    assert math.isnan(percentile([], 0.5))


def test_only_messages_answered_inside_the_window_count() -> None:
    # Turns end at 0.05 and 1.05 s; the window closes at 1.0 s.
    talk = transcript(BOOKING, [[ASK], [BOOKED]])
    result = PhaseResult(Phase("x", 1, duration_s=1.0), 0.0, 1.0, 1.2, [talk])
    stats = phase_stats(result)
    assert (stats.messages, stats.answered, stats.errors) == (2, 1, 0)
    assert stats.rate == 1.0 and round(stats.p99_ms) == 50
    result.cpu_s = {"rasa": 0.1}
    assert phase_stats(result).cpu_ms == {"rasa": 50.0}  # per answered message


def stats(concurrency: int, rate: float, p50: float) -> PhaseStats:
    return PhaseStats(
        name=f"loop{concurrency}",
        concurrency=concurrency,
        think="none",
        window_s=20,
        messages=int(rate * 20),
        answered=int(rate * 20),
        errors=0,
        rate=rate,
        p50_ms=p50,
        p95_ms=p50 * 2,
        p99_ms=p50 * 3,
        conversations=10,
    )


def test_the_section_puts_govbot_beside_stock_rasa() -> None:
    figures = Figures(parse_args(["--levels", "1,4"]))
    figures.reference = {1: stats(1, 70.0, 14.0), 4: stats(4, 75.0, 50.0)}
    figures.ours = {1: stats(1, 14.0, 70.0), 4: stats(4, 15.0, 260.0)}
    figures.citizens = PhaseStats(
        "citizens",
        40,
        ThinkTime(0.5, 1.5).describe(),
        300,
        9000,
        9000,
        0,
        30.0,
        150,
        400,
        480,
        2500,
    )
    figures.checks = summarise_checks([transcript(BOOKING, [[ASK], [BOOKED]])])
    figures.state = StateReport()
    body = render(figures)
    assert body.startswith("## Load")
    assert "| 1 | 70.0 | 14 / 42 | 14.0 | 70 / 210 | 0.20× |" in body
    assert "stock Rasa 75.0 msg/s, govbot 15.0 msg/s (0.20×)" in body
    assert (
        "| 40 | 0.5–1.5 s | 300 | 2500 | 9000 | 30.0 | 150 | 400 | 480 | 0 | 40% | no |"
        in body
    )
    assert "1 conversations checked, 1 as scripted" in body
    assert not re.search(r"\bnan\b", body)
    assert figures.clean()
    assert "CPU ms per message" not in body  # nothing measured, no table


def test_cpu_per_message_is_shown_by_process() -> None:
    figures = Figures(parse_args(["--levels", "1"]))
    figures.reference = {1: replace(stats(1, 70.0, 14.0), cpu_ms={"rasa": 11.0})}
    figures.ours = {
        1: replace(
            stats(1, 14.0, 70.0), cpu_ms={"rasa": 50.0, "actions": 9.5, "sandbox": 4.0}
        )
    }
    body = render(figures)
    # Only processes measured in the run get a column.
    assert "| CPU ms per message | rasa | actions | sandbox | total |" in body
    assert "| stock Rasa, concurrency 1 | 11.0 | – | – | 11.0 |" in body
    assert "| govbot, concurrency 1 | 50.0 | 9.5 | 4.0 | 63.5 |" in body


def test_the_telegram_run_has_its_own_section_and_gateway_column() -> None:
    config = parse_args(["--levels", "1", "--target", "telegram"])
    assert config.section() == "load-telegram"
    assert "--target telegram" in config.command()
    assert parse_args([]).section() == "load"
    figures = Figures(config)
    figures.ours = {
        1: replace(
            stats(1, 14.0, 70.0),
            cpu_ms={"rasa": 40.0, "actions": 5.0, "sandbox": 5.0, "gateway": 9.0},
        )
    }
    figures.strays = 2
    body = render(figures)
    assert body.startswith("## Load: simulated citizens beside stock Rasa (telegram)")
    assert "| govbot, concurrency 1 | 40.0 | 5.0 | 5.0 | 9.0 | 59.0 |" in body
    assert "counted with their turn): 2." in body


def test_the_section_replaces_its_own_block_only(tmp_path) -> None:
    path = tmp_path / "benchmarks.md"
    write_section("other", "## Other\nkept", path)
    write_section("load", "## Load\nfirst", path)
    write_section("load", "## Load\nsecond", path)
    text = path.read_text("utf-8")
    assert "kept" in text and "second" in text and "first" not in text


@pytest.mark.parametrize(
    ("pipeline", "classifier"),
    [("default", "DIETClassifier"), ("logreg", "LogisticRegressionClassifier")],
)
def test_the_reference_bot_has_four_intents_answered_by_rules(
    pipeline: str, classifier: str
) -> None:
    files = bot_files(pipeline)
    domain = yaml.safe_load(files["domain.yml"])
    nlu = yaml.safe_load(files["data/nlu.yml"])["nlu"]
    rules = yaml.safe_load(files["data/rules.yml"])["rules"]
    config = yaml.safe_load(files["config.yml"])
    assert domain["intents"] == list(INTENTS) and len(INTENTS) == 4
    assert {r["steps"][1]["action"] for r in rules} == set(domain["responses"])
    assert {n["intent"] for n in nlu} == set(INTENTS)
    assert classifier in [c["name"] for c in config["pipeline"]]
    assert "RulePolicy" in [p["name"] for p in config["policies"]]
    answers = {text for _, (_, text) in INTENTS.items()}
    assert {marker for _, marker in REFERENCE_TURNS} == answers
    script = ReferenceSource().next_script(None)  # type: ignore[arg-type]
    assert [t.say for t in script.turns] == [text for text, _ in REFERENCE_TURNS]


def test_without_the_reference_the_section_says_so_plainly() -> None:
    figures = Figures(parse_args(["--levels", "1", "--reference", "none"]))
    figures.ours = {1: stats(1, 14.0, 70.0)}
    body = render(figures)
    assert "Maximum rate: stock Rasa – msg/s, govbot 14.0 msg/s (–)" in body
    assert not re.search(r"\bnan\b", body)


def test_cpu_readings_come_from_proc_and_subtract() -> None:
    own = process_cpu_s(os.getpid())
    sum(i * i for i in range(200_000))  # spend a little CPU
    assert process_cpu_s(os.getpid()) >= own > 0
    assert math.isnan(process_cpu_s(2**22 + 12345))  # no such process
    used = cpu_used({"rasa": 1.0, GENERATOR: 2.0}, {"rasa": 1.5, GENERATOR: 2.25})
    assert used == {"rasa": 0.5, GENERATOR: 0.25}
    assert set(cpu_readings({"self": os.getpid()})) == {"self", GENERATOR}


def test_two_rasa_instances_have_their_own_section_and_columns() -> None:
    config = parse_args(
        ["--levels", "1", "--target", "telegram", "--rasa-instances", "2"]
    )
    assert config.rasa_instances == 2
    assert config.section() == "load-telegram-2rasa"
    assert config.command().endswith("--target telegram --rasa-instances 2")
    figures = Figures(config)
    figures.ours = {
        1: replace(
            stats(1, 14.0, 70.0),
            cpu_ms={"rasa": 10.0, "rasa2": 11.0, "nginx": 1.0, "gateway": 6.0},
        )
    }
    body = render(figures)
    assert body.startswith(
        "## Load: simulated citizens beside stock Rasa "
        "(telegram, 2 Rasa instances behind nginx)"
    )
    assert "2 Rasa instances (same model, same Redis" in body
    assert "| CPU ms per message | rasa | rasa2 | nginx | gateway | total |" in body
    assert "| govbot, concurrency 1 | 10.0 | 11.0 | 1.0 | 6.0 | 28.0 |" in body


def test_several_rasa_instances_need_the_telegram_target() -> None:
    with pytest.raises(SystemExit):
        parse_args(["--rasa-instances", "2"])


def test_a_process_tree_counts_its_live_children() -> None:
    import subprocess
    import sys
    import time

    from bench.load.cpu import descendants, tree_cpu_s

    # A parent that idles while its child burns CPU (as nginx's master and worker).
    burn = "import time\nend = time.process_time() + 0.6\nwhile time.process_time() < end: pass\ntime.sleep(30)"
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import subprocess, sys, time\np = subprocess.Popen([sys.executable, '-c', {burn!r}])\ntime.sleep(30)",
        ]
    )
    try:
        deadline = time.monotonic() + 20
        while (
            time.monotonic() < deadline
            and tree_cpu_s(parent.pid) - process_cpu_s(parent.pid) < 0.5
        ):
            time.sleep(0.1)
        assert len(descendants(parent.pid)) == 1
        assert tree_cpu_s(parent.pid) - process_cpu_s(parent.pid) >= 0.5
    finally:
        for child in descendants(parent.pid):
            os.kill(child, 9)
        parent.kill()
        parent.wait()
