"""Channel route fixtures: the real gateway app, the Rasa stand-in, a real Redis."""

import asyncio
import uuid
from collections.abc import Callable, Iterator

import pytest

from tests.channels.gateway.rasa_standin import RasaStandIn
from tests.channels.gateway.redis_server import redis_binary, redis_server
from tests.channels.routes.rasa_script import RouteRasa


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A real memory-only redis-server for the whole session."""
    binary = redis_binary()
    if binary is None:
        pytest.skip("redis-server binary not installed (apt-get install redis-server)")
    with redis_server(binary) as url:
        yield url


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def store_env(request: pytest.FixtureRequest) -> dict[str, str]:
    """Environment selecting the in-memory store or a real Redis store."""
    if request.param == "memory":
        return {}
    url = request.getfixturevalue("redis_url")
    return {"REDIS_URL": url, "REDIS_PREFIX": f"test-{uuid.uuid4().hex[:8]}:"}


@pytest.fixture
async def rasa(aiohttp_server) -> RouteRasa:
    """The Rasa stand-in on loopback (``rasa.url`` is its base URL)."""
    standin = RouteRasa()
    server = await aiohttp_server(standin.app())
    standin.url = str(server.make_url("")).rstrip("/")
    return standin


def base_env(rasa: RasaStandIn) -> dict[str, str]:
    """Gateway settings every route test shares: the stand-in, short timeouts."""
    return {
        "RASA_URL": rasa.url,
        "GATEWAY_RASA_TIMEOUT_S": "2",
        "GATEWAY_RATE_LIMIT_PER_MINUTE": "100",
    }


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait for a background effect (a stand-in recording a call)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def settle(seconds: float = 0.3) -> None:
    """Give background tasks time to do what they should not (negative checks)."""
    await asyncio.sleep(seconds)
