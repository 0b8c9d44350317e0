"""Entry point: ``python -m sandbox`` serves the sandbox government back end."""

from __future__ import annotations

import asyncio
import os
import sys

import structlog
from aiohttp import web

from sandbox.app import create_app
from sandbox.settings import load_settings


def _new_event_loop() -> asyncio.AbstractEventLoop:
    # uvloop where installed, as govbot's own servers do (bot.event_loop); the
    # sandbox stands in for other organisations' systems and imports nothing of ours.
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def main() -> int:
    """Read the environment, build the app and serve until interrupted."""
    try:
        settings = load_settings(os.environ)
    except ValueError as exc:
        print(f"sandbox: {exc}", file=sys.stderr)
        return 2
    structlog.get_logger("sandbox").info(
        "sandbox.starting", host=settings.host, port=settings.port
    )
    web.run_app(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        print=None,
        loop=_new_event_loop(),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
