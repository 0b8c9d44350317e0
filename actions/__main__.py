"""`python -m actions`: the action server on the configured port."""

from __future__ import annotations

import os

from aiohttp import web

from actions.server import create_app
from bot.event_loop import new_event_loop
from bot.logs import configure
from bot.settings import load_settings


def main() -> None:
    """Load settings, configure masked logging, serve."""
    settings = load_settings(dict(os.environ))
    configure(settings.log_level)
    web.run_app(
        create_app(settings),
        host=settings.ports.host,
        port=settings.ports.actions,
        loop=new_event_loop(),
        print=None,
        access_log=None,
    )


if __name__ == "__main__":
    main()
