"""`python -m nlu.train`: trains the Rasa model from the project's paths (engine env)."""

from __future__ import annotations

import argparse
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
) -> str | None:
    """Trains a model into ``output``; returns its path (None when training failed).

    Rasa skips training when config, domain and data are unchanged since the
    newest model in ``output``, and returns that model instead.
    """
    from rasa.api import train as rasa_train
    from rasa.model_training import train_nlu

    files = [str(p) for p in TRAINING_DATA if p.exists()]
    if nlu_only:
        path = train_nlu(
            config=str(CONFIG),
            nlu_data=str(ROOT / "data" / "nlu"),
            output=str(output),
            domain=str(DOMAIN),
            fixed_model_name=fixed_name,
        )
        return str(path) if path else None
    result = rasa_train(
        domain=str(DOMAIN),
        config=str(CONFIG),
        training_files=files,
        output=str(output),
        force_training=force,
        fixed_model_name=fixed_name,
    )
    return result.model if result.code == 0 else None


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "models")
    parser.add_argument("--force", action="store_true", help="train even if unchanged")
    parser.add_argument("--name", default=None, help="fixed model file name")
    args = parser.parse_args(argv)
    model = train(args.out, force=args.force, fixed_name=args.name)
    if model is None:
        print("training failed", file=sys.stderr)
        return 1
    print(model)
    return 0


if __name__ == "__main__":
    sys.exit(main())
