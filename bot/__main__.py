"""`python -m bot run`: starts the whole assistant on the configured settings.

`python -m bot rasa-env` prints what Rasa's YAML files expand (``${VAR}``),
derived from the settings as ``run`` derives them (``REDIS_URL`` → the
``REDIS_*`` parts), as ``KEY=value`` lines: an ``EnvironmentFile`` for Rasa
when processes are run by systemd or compose (see docs/deployment.md).
"""

from __future__ import annotations

import argparse
import os
import sys

from bot.launcher import rasa_env, run
from bot.settings import SettingsError, load_settings


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    parser.add_argument("command", choices=["run", "rasa-env"])
    args = parser.parse_args(argv)
    env = dict(os.environ)
    try:
        settings = load_settings(env)
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    if args.command == "rasa-env":
        try:
            derived = rasa_env(settings, {})
        except SettingsError as exc:
            print(f"configuration error: {exc}", file=sys.stderr)
            return 2
        for name, value in sorted(derived.items()):
            print(f"{name}={value}")
        return 0
    return run(settings, env)


if __name__ == "__main__":
    sys.exit(main())
