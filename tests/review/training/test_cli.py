"""``python -m review train …`` and ``model …`` on the session's training run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.e2e.stack import free_port
from tests.review.training.kit import Trained

ROOT = Path(__file__).resolve().parents[3]


def review(trained: Trained, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CONVERSATION_LOG_URL": trained.db_url,
        "MODEL_DIR": str(trained.paths.models),
        # No Rasa answers here: the live model is the newest served file.
        "RASA_URLS": f"http://127.0.0.1:{free_port()}",
        "VAR_DIR": str(trained.paths.models.parent / "var"),
    }
    return subprocess.run(
        [sys.executable, "-m", "review", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_train_status_shows_the_last_job(trained: Trained) -> None:
    done = review(trained, "train", "status", "--json")
    assert done.returncode == 0, done.stderr
    job = json.loads(done.stdout)
    assert job["id"] == trained.job.id and job["status"] == "done"
    assert job["candidate"] == trained.job.candidate
    text = review(trained, "train", "status")
    assert "已完成" in text.stdout and "训练语义理解（NLU）" in text.stdout


def test_model_list_shows_served_and_candidates(trained: Trained) -> None:
    done = review(trained, "model", "list")
    assert done.returncode == 0, done.stderr
    assert "★ 在用" in done.stdout
    assert str(trained.job.candidate) in done.stdout and "候选" in done.stdout


def test_model_compare_uses_the_cached_evaluations(trained: Trained) -> None:
    assert trained.job.candidate is not None
    done = review(trained, "model", "compare", trained.job.candidate, "--json")
    gate = json.loads(done.stdout)
    assert gate["candidate"] == trained.job.candidate
    assert done.returncode == (0 if gate["passed"] else 1)


def test_promoting_a_missing_or_corrupt_model_fails_clearly(trained: Trained) -> None:
    done = review(trained, "model", "promote", "nope.tar.gz", "--reason", "x")
    assert done.returncode == 1 and "找不到模型 nope.tar.gz" in done.stderr
    broken = trained.paths.candidates / "20991231-000002-cut.tar.gz"
    broken.write_bytes(b"\x1f\x8b\x08\x00" + b"\x00" * 50)
    try:
        done = review(trained, "model", "promote", broken.name)
        assert done.returncode == 1 and "已损坏" in done.stderr
    finally:
        broken.unlink()
