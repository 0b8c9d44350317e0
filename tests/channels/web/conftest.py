"""Web chat fixtures: the real gateway app in front of the Rasa stand-in."""

from collections.abc import Awaitable, Callable

import pytest
from aiohttp.test_utils import TestClient

from bot.settings import load_settings
from channels.app import create_app
from tests.channels.gateway.rasa_standin import RasaStandIn

WebFactory = Callable[..., Awaitable[TestClient]]


@pytest.fixture
async def rasa(aiohttp_server) -> RasaStandIn:
    """The Rasa stand-in, served on loopback."""
    standin = RasaStandIn()
    server = await aiohttp_server(standin.app())
    standin.url = str(server.make_url("")).rstrip("/")
    return standin


@pytest.fixture
def make_web(aiohttp_client, rasa: RasaStandIn) -> WebFactory:
    """A test client of the real gateway app (``create_app``)."""

    async def make(**env: str) -> TestClient:
        base = {"RASA_URL": rasa.url, "GATEWAY_RASA_TIMEOUT_S": "1"}
        return await aiohttp_client(create_app(load_settings({**base, **env})))

    return make
