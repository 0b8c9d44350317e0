"""``python -m channels``: run the channel gateway on the configured port."""

import os
import sys

import structlog
from aiohttp import web

from bot.event_loop import new_event_loop
from bot.logs import configure
from bot.settings import SettingsError, load_settings
from channels.app import AccessLogger, create_app


def main() -> int:
    """Load settings, configure masked logging, serve until interrupted."""
    try:
        settings = load_settings(os.environ)
    except SettingsError as exc:
        print(f"gateway: {exc}", file=sys.stderr)
        return 2
    configure(settings.log_level)
    structlog.get_logger("channels").info(
        "gateway.starting", host=settings.ports.host, port=settings.ports.gateway
    )
    web.run_app(
        create_app(settings),
        host=settings.ports.host,
        port=settings.ports.gateway,
        loop=new_event_loop(),
        access_log_class=AccessLogger,
        print=None,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
