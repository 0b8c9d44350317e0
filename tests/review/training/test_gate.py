"""The regression gate on synthetic evaluation reports (pure logic)."""

from __future__ import annotations

import copy
from typing import Any

from review.training.gate import GateResult, compare


def report(name: str, accuracy: float, f1s: dict[str, float]) -> dict[str, Any]:
    return {
        "model": name,
        "intents": {
            "accuracy": accuracy,
            "macro_f1": sum(f1s.values()) / len(f1s),
            "per_intent": {k: {"f1": v, "support": 10} for k, v in f1s.items()},
        },
    }


LIVE = report("live.tar.gz", 0.90, {"greet": 0.9, "pay_fine": 0.8, "faq": 0.95})


def test_an_equal_candidate_passes() -> None:
    result = compare(LIVE, copy.deepcopy(LIVE), 0.05)
    assert result.passed and result.reasons == []
    assert all(d.delta == 0 for d in result.intents)


def test_a_better_candidate_passes_with_its_deltas() -> None:
    better = report("cand.tar.gz", 0.92, {"greet": 0.95, "pay_fine": 0.8, "faq": 0.95})
    result = compare(LIVE, better, 0.05)
    assert result.passed
    greet = next(d for d in result.intents if d.intent == "greet")
    assert round(greet.delta, 3) == 0.05
    assert result.candidate == "cand.tar.gz" and result.live == "live.tar.gz"


def test_an_intent_falling_more_than_the_margin_refuses() -> None:
    # Overall up, one intent down by 0.06 > 0.05.
    cand = report("c", 0.95, {"greet": 0.84, "pay_fine": 0.99, "faq": 0.99})
    result = compare(LIVE, cand, 0.05)
    assert not result.passed
    assert len(result.reasons) == 1
    assert "意图 greet 的 F1 下降 0.060" in result.reasons[0]


def test_an_intent_falling_within_the_margin_passes() -> None:
    cand = report("c", 0.91, {"greet": 0.86, "pay_fine": 0.85, "faq": 0.95})
    assert compare(LIVE, cand, 0.05).passed


def test_overall_accuracy_or_macro_f1_must_not_fall() -> None:
    cand = report("c", 0.89, {"greet": 0.89, "pay_fine": 0.8, "faq": 0.95})
    result = compare(LIVE, cand, 0.05)
    assert not result.passed
    assert any("总体意图准确率下降" in r for r in result.reasons)
    assert any("总体宏平均 F1 下降" in r for r in result.reasons)


def test_an_intent_missing_from_the_candidate_counts_as_zero() -> None:
    cand = report("c", 0.95, {"greet": 1.0, "pay_fine": 1.0})
    cand["intents"]["macro_f1"] = 0.99
    result = compare(LIVE, cand, 0.05)
    assert any("意图 faq" in r for r in result.reasons)


def test_the_result_round_trips_through_json() -> None:
    cand = report("c", 0.85, {"greet": 0.5, "pay_fine": 0.8, "faq": 0.95})
    result = compare(LIVE, cand, 0.05)
    data = result.to_json()
    assert data["passed"] is False
    assert GateResult.from_json(data) == result
