"""`python -m bench.nlu_bench`: our NLU pipeline beside two stock Rasa pipelines.

Each (dataset, pipeline) pair is trained and scored in its own process, so the
peak memory is that pair's alone. Datasets: the project's own data (train on
data/nlu, test on eval/holdout) and the public SMP2017-ECDT task-1 benchmark
(train on its train split, test on its test split; evaluation use only).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from bench.report import write_section

ROOT = Path(__file__).resolve().parent.parent
SMP_DIR = ROOT.parent / "shared" / "datasets" / "smp2017_ecdt_task1"
STOCK_FEATURES = [
    {"name": "JiebaTokenizer"},
    {"name": "CountVectorsFeaturizer"},
    {
        "name": "CountVectorsFeaturizer",
        "analyzer": "char_wb",
        "min_ngram": 1,
        "max_ngram": 4,
    },
]
PIPELINES: dict[str, list[dict[str, Any]]] = {
    "stock-logreg": [
        *STOCK_FEATURES,
        {"name": "LogisticRegressionClassifier"},
        {"name": "FallbackClassifier", "threshold": 0.3},
    ],
    "stock-diet": [
        *STOCK_FEATURES,
        {"name": "DIETClassifier", "epochs": 100},
        {"name": "FallbackClassifier", "threshold": 0.3},
    ],
}
PUBLISHED = [
    (
        "jieba + Embedding + LSTM (Keras), 300 epochs on 80 % of train",
        "0.82",
        "0.77",
        "yuanxiaosc/SMP2018 notebook",
    ),
    (
        "same, Keras Tokenizer variant, 30 epochs",
        "0.84",
        "0.84",
        "yuanxiaosc/SMP2018 notebook",
    ),
    (
        "stock Rasa 3.6 DIET, 100 epochs (measured by the team)",
        "0.865",
        "0.867",
        "shared/datasets README",
    ),
    (
        "stock Rasa 3.6 LogisticRegression (measured by the team)",
        "0.914",
        "0.919",
        "shared/datasets README",
    ),
]


def our_pipeline() -> list[dict[str, Any]]:
    """The NLU pipeline of config.yml."""
    return yaml.safe_load((ROOT / "config.yml").read_text("utf-8"))["pipeline"]


def datasets(smp_dir: Path) -> dict[str, dict[str, Any]]:
    """Train and test files of each dataset that is available."""
    found = {
        "own": {
            "train": ROOT / "data" / "nlu",
            "test": sorted((ROOT / "eval" / "holdout").glob("*.yml")),
            "domain": ROOT / "bot" / "domain",
        }
    }
    if (smp_dir / "train.yml").exists():
        found["smp2017"] = {
            "train": smp_dir / "train.yml",
            "test": [smp_dir / "test.yml"],
            "domain": None,
        }
    return found


def run_one(
    dataset: dict[str, Any], pipeline: list[dict[str, Any]], workdir: Path
) -> dict[str, Any]:
    """Trains and scores one pipeline on one dataset (runs in a child process)."""
    from rasa.model_training import train_nlu

    from nlu.evaluate import evaluate

    config = workdir / "config.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "recipe": "default.v1",
                "language": "zh",
                "assistant_id": "bench",
                "pipeline": pipeline,
                "policies": [],
            },
            allow_unicode=True,
        ),
        "utf-8",
    )
    started = time.perf_counter()
    model = train_nlu(
        config=str(config),
        nlu_data=str(dataset["train"]),
        output=str(workdir / "models"),
        domain=str(dataset["domain"]) if dataset["domain"] else None,
        fixed_model_name="bench",
    )
    train_s = time.perf_counter() - started
    report = evaluate(str(model), dataset["test"], None)
    result = {
        "accuracy": report["intents"]["accuracy"],
        "macro_f1": report["intents"]["macro_f1"],
        "train_s": train_s,
        "parse_median_ms": report["latency_ms"]["median"],
        "parse_p99_ms": report["latency_ms"]["p99"],
        "model_mb": Path(model).stat().st_size / 1e6,
    }
    if "faq" in report:
        result["faq_accuracy"] = report["faq"]["accuracy"]
    return result


def measure(name: str, dataset: str, pipeline: str) -> dict[str, Any]:
    """Runs one pair in a child process and adds its peak memory."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        command = [
            sys.executable,
            "-m",
            "bench.nlu_bench",
            "--one",
            dataset,
            pipeline,
            "--json",
            str(out),
        ]
        process = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        _, status, usage = os.wait4(process.pid, 0)
        if status != 0 or not out.exists():
            return {"error": f"exit status {status}"}
        result = json.loads(out.read_text("utf-8"))
        result["peak_rss_mb"] = usage.ru_maxrss / 1024
        print(f"{dataset:8} {name:13} {json.dumps(result)}", flush=True)
        return result


def render(results: dict[str, dict[str, dict[str, Any]]], command: str) -> str:
    """The markdown section."""
    lines = [
        "## NLU: our pipeline beside stock Rasa Chinese pipelines",
        "",
        f"Reproduce: `{command}` (engine env; about 25 minutes, most of it DIET).",
        "Stock pipelines: JiebaTokenizer, CountVectorsFeaturizer on words and on",
        "char_wb 1–4, then LogisticRegressionClassifier or DIETClassifier (100 epochs),",
        "FallbackClassifier 0.3. Accuracy and macro-F1 score the classifier's own top",
        "intent (as `rasa test nlu` does). Parse latency is one message through",
        "`Agent.parse_message`, in process. On the own dataset `faq` counts as one intent",
        "(stock pipelines have no response selector); our faq topic accuracy is given apart.",
        "",
        "| dataset | pipeline | accuracy | macro-F1 | train s | parse median ms | parse p99 ms | peak RSS MB | model MB |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for dataset, by_pipeline in results.items():
        for name, r in by_pipeline.items():
            if "error" in r:
                lines.append(
                    f"| {dataset} | {name} | failed: {r['error']} | | | | | | |"
                )
                continue
            lines.append(
                f"| {dataset} | {name} | {r['accuracy']:.3f} | {r['macro_f1']:.3f} | {r['train_s']:.0f} | "
                f"{r['parse_median_ms']:.1f} | {r['parse_p99_ms']:.1f} | {r['peak_rss_mb']:.0f} | {r['model_mb']:.1f} |"
            )
    faq = results.get("own", {}).get("govbot", {}).get("faq_accuracy")
    if faq is not None:
        lines += ["", f"Our faq topic accuracy on the own held-out split: {faq:.3f}."]
    lines += [
        "",
        "Published results on the same SMP2017 split (train 2299 → develop 770), for orientation:",
        "",
        "| system | accuracy | macro-F1 | source |",
        "|---|---|---|---|",
        *(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in PUBLISHED),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--one", nargs=2, metavar=("DATASET", "PIPELINE"))
    parser.add_argument("--json", type=Path)
    parser.add_argument("--smp-dir", type=Path, default=SMP_DIR)
    parser.add_argument(
        "--skip-diet", action="store_true", help="leave out the slow DIET pipeline"
    )
    args = parser.parse_args(argv)
    pipelines = {"govbot": our_pipeline(), **PIPELINES}
    if args.one:
        dataset, pipeline = args.one
        with tempfile.TemporaryDirectory() as tmp:
            result = run_one(
                datasets(args.smp_dir)[dataset], pipelines[pipeline], Path(tmp)
            )
        args.json.write_text(json.dumps(result), "utf-8")
        return 0
    if args.skip_diet:
        pipelines.pop("stock-diet")
    results: dict[str, dict[str, dict[str, Any]]] = {}
    for dataset in datasets(args.smp_dir):
        results[dataset] = {name: measure(name, dataset, name) for name in pipelines}
    command = (
        "make bench" if not args.skip_diet else "python -m bench.nlu_bench --skip-diet"
    )
    write_section("nlu", render(results, command))
    return 0


if __name__ == "__main__":
    sys.exit(main())
