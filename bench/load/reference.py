"""The yardstick: bare stock Rasa 3.6 with a trivial bot, built and served by the benchmark.

Four intents answered by responses only, in-memory tracker and lock store,
REST channel, stock components only (Rasa's default configuration, or the
lightest linear one). What it reaches on this machine is what Rasa itself
costs; our figures are read as ratios of it.
"""

from __future__ import annotations

import os
import random
import subprocess
from pathlib import Path

from bench.load.script import Errand, Script, Turn
from tests.e2e.stack import RASA, Process, free_port, start

INTENTS = {
    "greet": (
        ("你好", "您好", "在吗", "你好，请问一下", "早上好", "哈喽"),
        "您好！请问有什么可以帮您？",
    ),
    "ask_hours": (
        (
            "你们几点上班",
            "办事大厅几点开门",
            "周末上班吗",
            "几点下班",
            "营业时间是什么",
        ),
        "办事大厅周一至周五 9:00–18:00 办公。",
    ),
    "thank": (("谢谢", "好的谢谢", "多谢了", "感谢", "谢谢你的帮助"), "不客气！"),
    "goodbye": (
        ("再见", "拜拜", "没事了 再见", "好的再见", "先这样吧 拜拜"),
        "再见，祝您愉快！",
    ),
}
# The four turns every reference conversation sends, with the reply each must get.
REFERENCE_TURNS = (
    ("你好", INTENTS["greet"][1]),
    ("请问你们几点上班", INTENTS["ask_hours"][1]),
    ("好的谢谢", INTENTS["thank"][1]),
    ("再见", INTENTS["goodbye"][1]),
)

_HEAD = """\
recipe: default.v1
language: zh
assistant_id: stock-reference
"""
# Rasa's own default configuration (what `rasa init` writes), with the Chinese
# tokenizer Rasa ships and fewer epochs: four intents need no more, and epochs
# change the training time, not the cost of a message. On this machine it
# reproduces the reference (about 75 msg/s, 13 ms per turn).
DEFAULT_CONFIG = (
    _HEAD
    + """\
pipeline:
  - name: JiebaTokenizer
  - name: RegexFeaturizer
  - name: LexicalSyntacticFeaturizer
  - name: CountVectorsFeaturizer
  - name: CountVectorsFeaturizer
    analyzer: char_wb
    min_ngram: 1
    max_ngram: 4
  - name: DIETClassifier
    epochs: 20
  - name: EntitySynonymMapper
  - name: FallbackClassifier
    threshold: 0.3
policies:
  - name: MemoizationPolicy
  - name: RulePolicy
  - name: TEDPolicy
    max_history: 5
    epochs: 20
"""
)
# The lightest stock bot: a linear classifier and rules only. Rasa's floor.
LOGREG_CONFIG = (
    _HEAD
    + """\
pipeline:
  - name: JiebaTokenizer
  - name: CountVectorsFeaturizer
    analyzer: char_wb
    min_ngram: 1
    max_ngram: 3
  - name: LogisticRegressionClassifier
policies:
  - name: RulePolicy
"""
)
PIPELINES = {"default": DEFAULT_CONFIG, "logreg": LOGREG_CONFIG}
DESCRIPTIONS = {
    "default": "Rasa's default configuration (JiebaTokenizer, Regex, LexicalSyntactic and "
    "two CountVectors featurizers, DIETClassifier, FallbackClassifier; Memoization, Rule "
    "and TED policies; 20 epochs)",
    "logreg": "JiebaTokenizer, CountVectorsFeaturizer, LogisticRegressionClassifier, "
    "RulePolicy",
}


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '\\"') + '"'


def bot_files(pipeline: str = "default") -> dict[str, str]:
    """The reference bot's project files, by relative path."""
    domain = ['version: "3.1"', "intents:"]
    domain += [f"  - {name}" for name in INTENTS]
    domain += ["responses:"]
    for name, (_, answer) in INTENTS.items():
        domain += [f"  utter_{name}:", f"    - text: {_quoted(answer)}"]
    nlu = ['version: "3.1"', "nlu:"]
    rules = ['version: "3.1"', "rules:"]
    for name, (examples, _) in INTENTS.items():
        nlu += [f"  - intent: {name}", "    examples: |"]
        nlu += [f"      - {example}" for example in examples]
        rules += [
            f"  - rule: answer {name}",
            "    steps:",
            f"      - intent: {name}",
            f"      - action: utter_{name}",
        ]
    return {
        "config.yml": PIPELINES[pipeline],
        "domain.yml": "\n".join(domain) + "\n",
        "data/nlu.yml": "\n".join(nlu) + "\n",
        "data/rules.yml": "\n".join(rules) + "\n",
        "credentials.yml": "rest:\n",
        "endpoints.yml": "# in-memory tracker and lock store: Rasa's defaults\n",
    }


def _env() -> dict[str, str]:
    return {
        **os.environ,
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }


def train(work: Path, pipeline: str = "default") -> Path:
    """Write the bot into ``work`` and train it with ``rasa train``; the model's path."""
    for name, text in bot_files(pipeline).items():
        path = work / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    log = work / "train.log"
    with log.open("wb") as out:
        done = subprocess.run(
            [
                str(RASA),
                "train",
                "--config",
                "config.yml",
                "--domain",
                "domain.yml",
                "--data",
                "data",
                "--out",
                "models",
                "--fixed-model-name",
                "reference",
            ],
            cwd=work,
            env=_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=900,
            check=False,
        )
    model = work / "models" / "reference.tar.gz"
    if done.returncode != 0 or not model.exists():
        raise RuntimeError(
            f"reference training failed: {log.read_text('utf-8')[-3000:]}"
        )
    return model


def serve(work: Path, model: Path) -> Process:
    """``rasa run`` the reference model on a free port; returns once it answers."""
    port = free_port()
    return start(
        "reference-rasa",
        [
            str(RASA),
            "run",
            "--interface",
            "127.0.0.1",
            "--port",
            str(port),
            "--model",
            str(model),
            "--credentials",
            str(work / "credentials.yml"),
            "--endpoints",
            str(work / "endpoints.yml"),
        ],
        {"RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"},
        f"http://127.0.0.1:{port}",
        "/",
        work,
    )


class ReferenceSource:
    """Every reference conversation is the same four turns."""

    def next_script(self, rng: random.Random) -> Script:
        """Greeting, opening hours, thanks, goodbye."""
        turns = tuple(Turn(text, (answer,)) for text, answer in REFERENCE_TURNS)
        return Script(Errand.REFERENCE, "stock", turns)

    def learn(self, script: Script, context: dict[str, str], completed: bool) -> None:
        """Nothing to remember."""
