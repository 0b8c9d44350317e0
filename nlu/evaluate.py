"""`python -m nlu.evaluate`: scores a trained model on the held-out split (engine env).

Writes docs/evaluation.md (for people) and docs/evaluation.json (for tools and
the staff console's regression gate).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HOLDOUT = ROOT / "eval" / "holdout"
OUT_OF_SCOPE = ROOT / "eval" / "out_of_scope.yml"
FALLBACK = "nlu_fallback"


@dataclass
class Example:
    """One labelled message of an evaluation set."""

    text: str
    intent: str
    response_key: str | None = None
    entities: list[tuple[int, int, str]] = field(default_factory=list)


def load_examples(paths: list[Path]) -> list[Example]:
    """Reads Rasa NLU YAML files into examples."""
    from rasa.shared.nlu.training_data.loading import load_data

    examples: list[Example] = []
    for path in paths:
        data = load_data(str(path))
        for m in data.intent_examples:
            examples.append(
                Example(
                    text=m.get("text"),
                    intent=m.get("intent"),
                    response_key=m.get("intent_response_key"),
                    entities=[
                        (e["start"], e["end"], e["entity"])
                        for e in m.get("entities") or []
                    ],
                )
            )
    return examples


async def _parse_all(
    model: str, texts: list[str]
) -> tuple[list[dict[str, Any]], list[float]]:
    from rasa.core.agent import Agent

    agent = Agent.load(model)
    parses, latencies = [], []
    for text in texts:
        start = time.perf_counter()
        parses.append(await agent.parse_message(text))
        latencies.append(time.perf_counter() - start)
    return parses, latencies


def parse_texts(
    model: str, texts: list[str]
) -> tuple[list[dict[str, Any]], list[float]]:
    """Parses texts with a model; returns parse results and per-message latencies."""
    return asyncio.run(_parse_all(model, texts))


def intent_before_fallback(parse: dict[str, Any]) -> str:
    """The classifier's own top intent, as `rasa test nlu` scores it."""
    intent = (parse.get("intent") or {}).get("name")
    if intent == FALLBACK:
        ranking = [
            r for r in parse.get("intent_ranking", []) if r.get("name") != FALLBACK
        ]
        return ranking[0]["name"] if ranking else FALLBACK
    return intent or FALLBACK


def _f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def intent_metrics(gold: list[str], predicted: list[str]) -> dict[str, Any]:
    """Accuracy, macro-F1, per-intent F1 and the most confused pairs."""
    labels = sorted(set(gold))
    per: dict[str, dict[str, float]] = {}
    for label in labels:
        tp = sum(
            1 for g, p in zip(gold, predicted, strict=True) if g == label and p == label
        )
        fp = sum(
            1 for g, p in zip(gold, predicted, strict=True) if g != label and p == label
        )
        fn = sum(
            1 for g, p in zip(gold, predicted, strict=True) if g == label and p != label
        )
        precision, recall, f1 = _f1(tp, fp, fn)
        per[label] = {
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "support": tp + fn,
        }
    confused = Counter((g, p) for g, p in zip(gold, predicted, strict=True) if g != p)
    correct = sum(1 for g, p in zip(gold, predicted, strict=True) if g == p)
    return {
        "accuracy": correct / len(gold) if gold else 0.0,
        "macro_f1": sum(v["f1"] for v in per.values()) / len(per) if per else 0.0,
        "per_intent": per,
        "confused": [[g, p, n] for (g, p), n in confused.most_common(15)],
        "count": len(gold),
    }


def entity_metrics(
    examples: list[Example], parses: list[dict[str, Any]]
) -> dict[str, Any]:
    """Exact-span precision, recall and F1 per entity type."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for example, parse in zip(examples, parses, strict=True):
        gold = set(example.entities)
        predicted = {
            (e["start"], e["end"], e["entity"]) for e in parse.get("entities", [])
        }
        for _, _, label in gold & predicted:
            counts[label][0] += 1
        for _, _, label in predicted - gold:
            counts[label][1] += 1
        for _, _, label in gold - predicted:
            counts[label][2] += 1
    result = {}
    for label, (tp, fp, fn) in sorted(counts.items()):
        p, r, f = _f1(tp, fp, fn)
        result[label] = {"precision": p, "recall": r, "f1": f, "support": tp + fn}
    return result


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0–1) of values, nearest rank."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def evaluate(
    model: str, holdout: list[Path], out_of_scope: Path | None
) -> dict[str, Any]:
    """All held-out figures of one model."""
    examples = load_examples(holdout)
    parses, latencies = parse_texts(model, [e.text for e in examples])
    gold = [e.intent for e in examples]
    predicted = [intent_before_fallback(p) for p in parses]
    report: dict[str, Any] = {
        "model": Path(model).name,
        "intents": intent_metrics(gold, predicted),
        "entities": entity_metrics(examples, parses),
        "latency_ms": {
            "median": percentile(latencies, 0.5) * 1000,
            "p99": percentile(latencies, 0.99) * 1000,
        },
    }
    faq = [
        (
            e.response_key,
            ((p.get("response_selector") or {}).get(e.intent) or {})
            .get("response", {})
            .get("intent_response_key"),
        )
        for e, p in zip(examples, parses, strict=True)
        if e.response_key
    ]
    if faq:
        report["faq"] = intent_metrics([g for g, _ in faq], [p or "" for _, p in faq])
    in_scope = [
        p for e, p in zip(examples, parses, strict=True) if e.intent != "out_of_scope"
    ]
    report["in_scope_fallback_rate"] = (
        sum(1 for p in in_scope if p["intent"]["name"] == FALLBACK) / len(in_scope)
        if in_scope
        else 0.0
    )
    if out_of_scope and out_of_scope.exists():
        oos = load_examples([out_of_scope])
        oos_parses, _ = parse_texts(model, [e.text for e in oos])
        caught = sum(
            1 for p in oos_parses if p["intent"]["name"] in (FALLBACK, "out_of_scope")
        )
        report["out_of_scope_caught_rate"] = caught / len(oos) if oos else 0.0
        report["out_of_scope_count"] = len(oos)
    return report


def render_markdown(report: dict[str, Any], command: str) -> str:
    """A readable report."""
    i = report["intents"]
    lines = [
        "# NLU evaluation on the held-out split",
        "",
        f"Model `{report['model']}`; reproduce with `{command}`. The held-out files in",
        "`eval/holdout/` are never used for training.",
        "",
        "| metric | value |",
        "|---|---|",
        f"| intent accuracy | {i['accuracy']:.3f} ({i['count']} messages) |",
        f"| intent macro-F1 | {i['macro_f1']:.3f} |",
    ]
    if "faq" in report:
        lines.append(f"| faq topic accuracy | {report['faq']['accuracy']:.3f} |")
    lines.append(
        f"| in-scope messages that fall back | {report['in_scope_fallback_rate']:.1%} |"
    )
    if "out_of_scope_caught_rate" in report:
        lines.append(
            f"| unrelated messages ending in out_of_scope or fallback | "
            f"{report['out_of_scope_caught_rate']:.1%} ({report['out_of_scope_count']}) |"
        )
    lines.append(
        f"| parse latency median / p99 | {report['latency_ms']['median']:.2f} ms / {report['latency_ms']['p99']:.2f} ms |"
    )
    lines += [
        "",
        "## Per intent",
        "",
        "| intent | precision | recall | F1 | support |",
        "|---|---|---|---|---|",
    ]
    for name, m in sorted(i["per_intent"].items()):
        lines.append(
            f"| {name} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | {m['support']} |"
        )
    if "faq" in report:
        lines += ["", "## FAQ topics", "", "| topic | F1 | support |", "|---|---|---|"]
        for name, m in sorted(report["faq"]["per_intent"].items()):
            lines.append(f"| {name} | {m['f1']:.3f} | {m['support']} |")
    lines += [
        "",
        "## Entities (exact span and type)",
        "",
        "| entity | precision | recall | F1 | support |",
        "|---|---|---|---|---|",
    ]
    for name, m in report["entities"].items():
        lines.append(
            f"| {name} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | {m['support']} |"
        )
    lines += [
        "",
        "## Most confused intent pairs",
        "",
        "| gold | predicted | count |",
        "|---|---|---|",
    ]
    for gold, predicted, n in i["confused"]:
        lines.append(f"| {gold} | {predicted} | {n} |")
    return "\n".join(lines) + "\n"


def latest_model(directory: Path) -> str:
    """The newest model archive in a directory."""
    models = sorted(directory.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        raise SystemExit(f"no model in {directory}; run `make train`")
    return str(models[-1])


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default=None)
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    parser.add_argument(
        "--holdout", type=Path, default=HOLDOUT, help="folder of held-out NLU files"
    )
    parser.add_argument(
        "--out-of-scope", type=Path, default=OUT_OF_SCOPE, help="unrelated messages"
    )
    args = parser.parse_args(argv)
    model = args.model or latest_model(ROOT / "models")
    report = evaluate(model, sorted(args.holdout.glob("*.yml")), args.out_of_scope)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "evaluation.json").write_text(
        json.dumps(report, ensure_ascii=False, indent=1), "utf-8"
    )
    (args.out / "evaluation.md").write_text(
        render_markdown(report, "make evaluate"), "utf-8"
    )
    i = report["intents"]
    print(f"intent accuracy {i['accuracy']:.3f} macro-F1 {i['macro_f1']:.3f}")
    for name, m in report["entities"].items():
        print(f"  entity {name}: F1 {m['f1']:.3f} (n={m['support']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
