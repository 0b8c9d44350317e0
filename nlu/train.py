"""`python -m nlu.train`: trains the Rasa model from the project's paths (engine env)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config.yml"
DOMAIN = ROOT / "bot" / "domain"
TRAINING_DATA = [
    ROOT / "data" / "nlu",
    ROOT / "data" / "rules",
    ROOT / "data" / "stories",
]


def train(
    output: Path,
    force: bool = False,
    nlu_only: bool = False,
    fixed_name: str | None = None,
    config: Path = CONFIG,
    domain: Path = DOMAIN,
    training_data: list[Path] | None = None,
) -> str | None:
    """Trains a model into ``output``; returns its path (None when training failed).

    Rasa skips training when config, domain and data are unchanged since the
    newest model in ``output``, and returns that model instead. ``config``,
    ``domain`` and ``training_data`` default to the project's own; the staff
    console's retraining passes copies (tests) or the same paths.
    """
    from rasa.api import train as rasa_train
    from rasa.model_training import train_nlu

    data = TRAINING_DATA if training_data is None else training_data
    files = [str(p) for p in data if p.exists()]
    if nlu_only:
        nlu_dirs = [p for p in data if p.name == "nlu"] or [ROOT / "data" / "nlu"]
        path = train_nlu(
            config=str(config),
            nlu_data=str(nlu_dirs[0]),
            output=str(output),
            domain=str(domain),
            fixed_model_name=fixed_name,
        )
        return str(path) if path else None
    result = rasa_train(
        domain=str(domain),
        config=str(config),
        training_files=files,
        output=str(output),
        force_training=force,
        fixed_model_name=fixed_name,
    )
    return result.model if result.code == 0 else None


def _log_component_starts() -> None:
    """Rasa's training hook logs "Starting to train component 'X'" at INFO."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("progress: %(message)s"))
    hooks = logging.getLogger("rasa.engine.training.hooks")
    hooks.setLevel(logging.INFO)
    hooks.addHandler(handler)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "models")
    parser.add_argument("--force", action="store_true", help="train even if unchanged")
    parser.add_argument("--name", default=None, help="fixed model file name")
    parser.add_argument("--config", type=Path, default=CONFIG)
    parser.add_argument("--domain", type=Path, default=DOMAIN)
    parser.add_argument(
        "--data",
        type=Path,
        action="append",
        default=None,
        help="training data folder or file (repeatable; default: data/nlu, rules, stories)",
    )
    parser.add_argument(
        "--progress",
        action="store_true",
        help="print a line when each component starts training (for progress displays)",
    )
    args = parser.parse_args(argv)
    if args.progress:
        _log_component_starts()
    model = train(
        args.out,
        force=args.force,
        fixed_name=args.name,
        config=args.config,
        domain=args.domain,
        training_data=args.data,
    )
    if model is None:
        print("training failed", file=sys.stderr)
        return 1
    print(model)
    return 0


if __name__ == "__main__":
    sys.exit(main())
