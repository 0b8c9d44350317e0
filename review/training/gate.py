"""The regression gate: is a candidate at least as good as the live model?"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

# Scores are ratios of small counts; equal models must compare equal.
_EPSILON = 1e-9


@dataclass(frozen=True)
class IntentDelta:
    """One intent's F1 in both models."""

    intent: str
    live_f1: float
    candidate_f1: float
    support: int

    @property
    def delta(self) -> float:
        """Candidate minus live."""
        return self.candidate_f1 - self.live_f1


@dataclass(frozen=True)
class GateResult:
    """The comparison of a candidate with the live model on the held-out split."""

    candidate: str
    live: str
    margin: float
    live_accuracy: float
    candidate_accuracy: float
    live_macro_f1: float
    candidate_macro_f1: float
    intents: list[IntentDelta] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when nothing refuses the candidate."""
        return not self.reasons

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (with ``passed`` and each intent's ``delta``)."""
        data = asdict(self)
        data["passed"] = self.passed
        data["intents"] = [{**asdict(d), "delta": d.delta} for d in self.intents]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GateResult:
        """Rebuilds a result stored with ``to_json``."""
        return cls(
            candidate=data["candidate"],
            live=data["live"],
            margin=data["margin"],
            live_accuracy=data["live_accuracy"],
            candidate_accuracy=data["candidate_accuracy"],
            live_macro_f1=data["live_macro_f1"],
            candidate_macro_f1=data["candidate_macro_f1"],
            intents=[
                IntentDelta(d["intent"], d["live_f1"], d["candidate_f1"], d["support"])
                for d in data["intents"]
            ],
            reasons=list(data["reasons"]),
        )


def compare(
    live: dict[str, Any], candidate: dict[str, Any], margin: float
) -> GateResult:
    """Applies the gate to two ``nlu.evaluate`` reports.

    Overall accuracy and macro-F1 must not fall; no intent's F1 may fall by
    more than ``margin``. An intent of the split missing from the candidate's
    report counts as F1 0.
    """
    live_i, cand_i = live["intents"], candidate["intents"]
    intents = []
    for name in sorted(set(live_i["per_intent"]) | set(cand_i["per_intent"])):
        old = live_i["per_intent"].get(name, {})
        new = cand_i["per_intent"].get(name, {})
        intents.append(
            IntentDelta(
                intent=name,
                live_f1=float(old.get("f1", 0.0)),
                candidate_f1=float(new.get("f1", 0.0)),
                support=int(new.get("support", old.get("support", 0))),
            )
        )
    reasons = []
    if cand_i["accuracy"] < live_i["accuracy"] - _EPSILON:
        reasons.append(
            f"总体意图准确率下降：{live_i['accuracy']:.3f} → {cand_i['accuracy']:.3f}"
        )
    if cand_i["macro_f1"] < live_i["macro_f1"] - _EPSILON:
        reasons.append(
            f"总体宏平均 F1 下降：{live_i['macro_f1']:.3f} → {cand_i['macro_f1']:.3f}"
        )
    for d in intents:
        if -d.delta > margin + _EPSILON:
            reasons.append(
                f"意图 {d.intent} 的 F1 下降 {-d.delta:.3f}"
                f"（{d.live_f1:.3f} → {d.candidate_f1:.3f}），超过允许的 {margin:.3f}"
            )
    return GateResult(
        candidate=str(candidate.get("model", "")),
        live=str(live.get("model", "")),
        margin=margin,
        live_accuracy=float(live_i["accuracy"]),
        candidate_accuracy=float(cand_i["accuracy"]),
        live_macro_f1=float(live_i["macro_f1"]),
        candidate_macro_f1=float(cand_i["macro_f1"]),
        intents=intents,
        reasons=reasons,
    )
