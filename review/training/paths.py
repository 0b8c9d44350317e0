"""Where retraining reads data and writes models (parametrised for tests)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bot.settings import ROOT, Settings


@dataclass(frozen=True)
class TrainingPaths:
    """Every path retraining touches.

    Attributes:
        root: Working directory of the engine subprocesses (the project root:
            ``config.yml`` names the jieba dictionary relative to it).
        models: Served models; the newest ``*.tar.gz`` is what Rasa loads.
        candidates: Trained but not served models.
        config: Rasa's pipeline and policies.
        domain: The domain folder.
        data: Training data folders (NLU, rules, stories; reviewed files are
            under ``data/nlu/reviewed`` and so included).
        holdout: The frozen held-out split (never trained on).
        out_of_scope: Unrelated messages scored beside the split.
        engine_python: The Rasa engine's interpreter.
    """

    root: Path = ROOT
    models: Path = ROOT / "models"
    candidates: Path = ROOT / "models" / "candidates"
    config: Path = ROOT / "config.yml"
    domain: Path = ROOT / "bot" / "domain"
    data: tuple[Path, ...] = field(
        # An empty folder (stories, today) is not in git: keep only what exists.
        default_factory=lambda: tuple(
            folder
            for kind in ("nlu", "rules", "stories")
            if (folder := ROOT / "data" / kind).is_dir()
        )
    )
    holdout: Path = ROOT / "eval" / "holdout"
    out_of_scope: Path = ROOT / "eval" / "out_of_scope.yml"
    engine_python: Path = ROOT / ".venv" / "bin" / "python"

    @classmethod
    def from_settings(cls, settings: Settings) -> TrainingPaths:
        """The project's paths with the served models where settings put them."""
        models = Path(settings.model_dir)
        return cls(models=models, candidates=models / "candidates")
