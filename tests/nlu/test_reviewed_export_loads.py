"""Rasa 3.6 loads what the review queue exports: intents, entities, metadata, no warnings.

The export is produced by the app environment (``tests/review/queue/sample_export.py``
run with ``.venv-app``), then read here with Rasa's own loader and validator,
together with the real domain and training data.
"""

from __future__ import annotations

import subprocess
import warnings
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP_PYTHON = ROOT / ".venv-app" / "bin" / "python"


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not APP_PYTHON.exists():
        pytest.skip("the app environment (.venv-app) is not installed")
    out = tmp_path_factory.mktemp("reviewed")
    done = subprocess.run(
        [str(APP_PYTHON), "-m", "tests.review.queue.sample_export", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return out


def _examples(exported: Path) -> list[Any]:
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(exported))
    return list(data.intent_examples)


def test_rasa_reads_intents_entities_and_provenance(exported: Path) -> None:
    # Rasa splits a retrieval intent: intent "faq", intent_response_key "faq/…".
    examples = {
        m.get("intent_response_key") or m.get("intent"): m for m in _examples(exported)
    }
    assert set(examples) == {
        "query_license_points",
        "pay_fine",
        "faq/driving_license_renewal",
        "out_of_scope",
        "book_inspection",
    }
    points = examples["query_license_points"]
    (entity,) = points.get("entities")
    assert entity["entity"] == "id_number"
    assert points.get("text")[entity["start"] : entity["end"]] == entity["value"]
    assert len(entity["value"]) == 18 and "*" not in points.get("text")
    review = points.get("metadata")["example"]["review"]
    assert review["reviewer"] == "wang" and isinstance(review["annotation"], int)
    inspection = examples["book_inspection"]
    found = {(e["entity"], e["value"]) for e in inspection.get("entities")}
    assert ("district", "南山区") in found and ("date", "明天") in found
    assert examples["faq/driving_license_renewal"].get("intent") == "faq"


def test_rasa_validates_the_export_with_the_real_domain_and_data(
    exported: Path,
) -> None:
    from rasa.shared.importers.importer import TrainingDataImporter
    from rasa.validator import Validator

    importer = TrainingDataImporter.load_from_dict(
        domain_path=str(ROOT / "bot" / "domain"),
        training_data_paths=[str(ROOT / "data" / "nlu"), str(exported)],
    )
    validator = Validator.from_importer(importer)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert validator.verify_example_repetition_in_intents(ignore_warnings=False)
        assert validator.verify_intents(ignore_warnings=False)
    problems = [
        str(w.message)
        for w in caught
        if "reviewed" in str(w.message) or "review" in str(w.message)
    ]
    assert problems == []
    data = importer.get_nlu_data()
    entities = {
        e["entity"] for m in data.training_examples for e in m.get("entities") or []
    }
    assert entities <= set(validator.domain.entities)
