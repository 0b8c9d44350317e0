"""Typed ``web.AppKey`` constants for what the gateway app holds."""

from aiohttp import ClientSession, web

from bot.settings import Settings
from channels.rasa_client import RasaClient
from channels.relay import Relay
from channels.stores import GatewayStore

__all__ = [
    "HTTP_SESSION",
    "MOUNTED_CHANNELS",
    "RASA_CLIENT",
    "RELAY",
    "SETTINGS",
    "STORE",
]

SETTINGS = web.AppKey("settings", Settings)
HTTP_SESSION = web.AppKey("http_session", ClientSession)
STORE = web.AppKey("store", GatewayStore)
RASA_CLIENT = web.AppKey("rasa_client", RasaClient)
RELAY = web.AppKey("relay", Relay)
"""The channel-neutral pipeline; channel routes call ``app[RELAY].handle``."""
MOUNTED_CHANNELS = web.AppKey("mounted_channels", list[str])
"""Optional channels whose ``setup`` ran (for ``/health``)."""
