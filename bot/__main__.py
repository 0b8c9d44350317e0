"""`python -m bot run`: starts the whole assistant on the configured settings."""

from __future__ import annotations

import argparse
import os
import sys

from bot.launcher import run
from bot.settings import SettingsError, load_settings


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    parser.add_argument("command", choices=["run"])
    parser.parse_args(argv)
    env = dict(os.environ)
    try:
        settings = load_settings(env)
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    return run(settings, env)


if __name__ == "__main__":
    sys.exit(main())
