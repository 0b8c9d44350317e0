"""Gateway fixtures: the Rasa stand-in, a real Redis, the real gateway app."""

import uuid
from collections.abc import Awaitable, Callable, Iterator

import pytest
from aiohttp.test_utils import TestClient

from bot.settings import Settings, load_settings
from channels.app import create_app
from tests.channels.gateway.rasa_standin import RasaStandIn
from tests.channels.gateway.redis_server import redis_binary, redis_server

GatewayFactory = Callable[..., Awaitable[TestClient]]


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A real memory-only redis-server for the whole session."""
    binary = redis_binary()
    if binary is None:
        pytest.skip("redis-server binary not installed (apt-get install redis-server)")
    with redis_server(binary) as url:
        yield url


@pytest.fixture(
    params=["memory", pytest.param("redis", marks=pytest.mark.redis)],
)
def store_env(request: pytest.FixtureRequest) -> dict[str, str]:
    """Environment selecting the in-memory store or a real Redis store."""
    if request.param == "memory":
        return {}
    url = request.getfixturevalue("redis_url")
    return {"REDIS_URL": url, "REDIS_PREFIX": f"test-{uuid.uuid4().hex[:8]}:"}


@pytest.fixture
async def rasa(aiohttp_server) -> RasaStandIn:
    """The Rasa stand-in, served on loopback; ``rasa.url`` is its base URL."""
    standin = RasaStandIn()
    server = await aiohttp_server(standin.app())
    standin.url = str(server.make_url("")).rstrip("/")
    return standin


def gateway_settings(rasa: RasaStandIn, **env: str) -> Settings:
    """Settings pointing at the stand-in, with short timeouts for tests."""
    base = {
        "RASA_URL": rasa.url,
        "GATEWAY_RASA_TIMEOUT_S": "1",
        "GATEWAY_RATE_LIMIT_PER_MINUTE": "100",
    }
    return load_settings({**base, **env})


@pytest.fixture
def make_gateway(aiohttp_client, rasa: RasaStandIn, store_env) -> GatewayFactory:
    """Build the real gateway app (``create_app``) and a client for it."""

    async def make(**env: str) -> TestClient:
        settings = gateway_settings(rasa, **{**store_env, **env})
        return await aiohttp_client(create_app(settings))

    return make
