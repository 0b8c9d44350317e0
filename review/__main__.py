"""``python -m review``: serve the staff console, or run one of its commands.

Without a command (or with ``serve``) the console is served on
``CONSOLE_PORT`` after the log is migrated and a first admin exists.

Command registry: ``review.console.cli`` and, if present,
``review.<feature>.cli`` for feature in ``CLI_MODULES`` each expose
``register(subparsers)``; it adds its subcommand(s) and sets a ``run``
default, ``run(settings: Settings, args: argparse.Namespace) -> int`` (the
exit status); a ``func(args) -> int`` default is accepted too. A missing
feature module is skipped.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import sys
from types import ModuleType

import structlog
from aiohttp import web

from bot.event_loop import new_event_loop
from bot.logs import configure
from bot.settings import Settings, SettingsError, load_settings

CLI_MODULES = ("console", "queue", "inbox", "training")


def _cli_modules() -> list[ModuleType]:
    found = []
    for name in CLI_MODULES:
        module_name = f"review.{name}.cli"
        try:
            found.append(importlib.import_module(module_name))
        except ModuleNotFoundError as exc:
            if exc.name not in (module_name, f"review.{name}"):
                raise
    return found


def build_parser() -> argparse.ArgumentParser:
    """The parser with ``serve`` and every registered feature command."""
    parser = argparse.ArgumentParser(prog="python -m review", description=__doc__)
    subparsers = parser.add_subparsers(dest="command")
    subparsers.add_parser("serve", help="启动管理后台（默认）")
    for module in _cli_modules():
        module.register(subparsers)
    return parser


def serve(settings: Settings) -> int:
    """Migrate, create the first admin if needed, then serve until interrupted."""
    from review.console.app import create_app
    from review.console.bootstrap import prepare

    log = structlog.get_logger("review")
    admin = asyncio.run(prepare(settings))
    if admin is not None:
        log.info(
            "console.admin.created",
            user=admin.username,
            password_file=str(admin.password_file) if admin.password_file else None,
        )
    log.info("console.starting", host=settings.ports.host, port=settings.ports.console)
    web.run_app(
        create_app(settings),
        host=settings.ports.host,
        port=settings.ports.console,
        loop=new_event_loop(),
        access_log=None,
        print=None,
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse the command line; serve or run one command."""
    try:
        settings = load_settings(os.environ)
    except SettingsError as exc:
        print(f"console: {exc}", file=sys.stderr)
        return 2
    args = build_parser().parse_args(argv)
    configure(settings.log_level)
    run = getattr(args, "run", None)
    if run is not None:
        status: int = run(settings, args)
        return status
    func = getattr(args, "func", None)
    if func is not None:
        # The settings-free form ``func(args) -> int`` is accepted too.
        legacy: int = func(args)
        return legacy
    return serve(settings)


if __name__ == "__main__":
    sys.exit(main())
