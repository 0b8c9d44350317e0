"""``--citizens auto``: the crowd offers a share of stock Rasa's measured maximum."""

from __future__ import annotations

import math

import pytest

from bench.load.config import parse_args
from bench.load.measure import Figures, _citizens_phase
from bench.load.render import render
from bench.load.runner import Phase, PhaseResult, ThinkTime
from bench.load.sizing import AUTO_SHARE, crowd_size
from tests.bench.helpers import ASK, BOOKED, BOOKING, transcript
from tests.bench.test_load_report import stats


def test_the_crowd_offers_the_share_at_think_time_plus_a_moderate_turn() -> None:
    crowd = crowd_size(84.8, ThinkTime(0.5, 1.5), {1: 28.0, 4: 55.0, 16: 230.0})
    assert crowd.level == 4 and crowd.turn_mean_ms == 55.0
    assert crowd.citizens == math.ceil(AUTO_SHARE * 84.8 * 1.055) == 59
    offered = crowd.citizens / (crowd.think_mean_s + crowd.turn_mean_ms / 1000)
    assert AUTO_SHARE * 84.8 <= offered < (AUTO_SHARE + 0.02) * 84.8
    assert "65% of stock Rasa's maximum (84.8 msg/s)" in crowd.describe()
    assert crowd.describe().endswith("→ 59 citizens.")


def test_a_faster_reference_or_slower_turns_need_more_citizens() -> None:
    think = ThinkTime(0.5, 1.5)
    base = crowd_size(70.0, think, {4: 50.0}).citizens
    assert crowd_size(90.0, think, {4: 50.0}).citizens > base
    assert crowd_size(70.0, think, {4: 400.0}).citizens > base
    # The level nearest 4 is used; between two as near, the lower.
    assert crowd_size(70.0, think, {2: 10.0, 6: 900.0}).level == 2
    assert crowd_size(70.0, think, {1: 10.0, 16: 900.0}).level == 1


def test_auto_needs_both_figures() -> None:
    with pytest.raises(ValueError, match="stock"):
        crowd_size(0.0, ThinkTime(0.5, 1.5), {4: 50.0})
    with pytest.raises(ValueError, match="stock"):
        crowd_size(math.nan, ThinkTime(0.5, 1.5), {4: 50.0})
    with pytest.raises(ValueError, match="closed-loop"):
        crowd_size(70.0, ThinkTime(0.5, 1.5), {})
    with pytest.raises(ValueError, match="closed-loop"):
        crowd_size(70.0, ThinkTime(0.5, 1.5), {4: math.nan})


def test_the_command_line_takes_auto_and_says_it() -> None:
    config = parse_args(["--citizens", "auto", "--target", "telegram"])
    assert config.citizens is None
    assert "--citizens auto --target telegram" in config.command()
    assert config.vehicles_needed() > parse_args(["--citizens", "40"]).vehicles_needed()
    for wrong in (["--citizens", "0"], ["--citizens", "many"]):
        with pytest.raises(SystemExit):
            parse_args(wrong)
    with pytest.raises(SystemExit):
        parse_args(["--citizens", "auto", "--reference", "none"])


def test_the_phase_is_sized_from_the_levels_measured_before_it() -> None:
    config = parse_args(["--citizens", "auto", "--levels", "1,4"])
    figures = Figures(config)
    figures.reference = {1: stats(1, 60.0, 14.0), 4: stats(4, 80.0, 50.0)}
    # Govbot's level 4: turns of 50 ms (one booking turn each, inside the window).
    talk = transcript(BOOKING, [[ASK], [BOOKED]])
    level = PhaseResult(Phase("loop4", 4, duration_s=2.0), 0.0, 2.0, 2.0, [talk])
    phase = _citizens_phase(config, figures, [level])
    assert figures.crowd is not None and figures.crowd.level == 4
    assert phase.concurrency == figures.crowd.citizens == math.ceil(0.65 * 80 * 1.05)
    assert phase.think == config.think and phase.duration_s == config.duration_s
    fixed = parse_args(["--citizens", "12"])
    assert _citizens_phase(fixed, Figures(fixed), [level]).concurrency == 12
    figures.citizens = None
    assert figures.crowd.describe() in render(figures)
