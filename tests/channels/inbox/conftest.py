"""Inbox fixtures: the real gateway with every channel on, its provider stand-ins."""

import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.settings import load_settings
from channels.app import create_app
from tests.channels.gateway.rasa_standin import RasaStandIn
from tests.channels.gateway.redis_server import redis_binary, redis_server
from tests.channels.routes.sms_api_standins import (
    ALIYUN_KEY_ID,
    ALIYUN_KEY_SECRET,
    ALIYUN_SIGN_NAME,
    ALIYUN_TEMPLATE,
    AliyunApiStandIn,
)
from tests.channels.routes.telegram_api_standin import TOKEN as TELEGRAM_TOKEN
from tests.channels.routes.telegram_api_standin import TelegramApiStandIn
from tests.channels.routes.wechat_api_standin import (
    APP_ID,
    APP_SECRET,
    WeChatApiStandIn,
)

INTERNAL_TOKEN = "inbox-test-internal-token"
TELEGRAM_SECRET = "inbox-webhook-Secret_0123"
WECHAT_TOKEN = "inboxwechattoken"
ALIYUN_PATH_SECRET = "inbox-aliyun-path-secret-0123456789"
VOICE_SECRET = "inbox-voice-secret"


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
    """Environment selecting the in-memory stores or a real Redis."""
    if request.param == "memory":
        return {}
    url = request.getfixturevalue("redis_url")
    return {"REDIS_URL": url, "REDIS_PREFIX": f"test-{uuid.uuid4().hex[:8]}:"}


async def _serve(aiohttp_server: Any, standin: Any) -> Any:
    server = await aiohttp_server(standin.app())
    standin.url = str(server.make_url("")).rstrip("/")
    return standin


@dataclass
class Gateway:
    """The real gateway app and every stand-in it talks to."""

    client: TestClient
    rasa: RasaStandIn
    telegram: TelegramApiStandIn
    wechat: WeChatApiStandIn
    aliyun: AliyunApiStandIn

    def auth(self, token: str = INTERNAL_TOKEN) -> dict[str, str]:
        """The console's header."""
        return {"Authorization": f"Bearer {token}"}

    async def api(
        self, method: str, path: str, body: object = None, token: str = INTERNAL_TOKEN
    ) -> tuple[int, Any]:
        """One internal API call; (status, JSON body)."""
        response = await self.client.request(
            method, path, json=body, headers=self.auth(token)
        )
        return response.status, await response.json()


GatewayFactory = Callable[..., Awaitable[Gateway]]


@pytest.fixture
def make_gateway(aiohttp_client, aiohttp_server, store_env) -> GatewayFactory:
    """Build the gateway (``create_app``) with Telegram, WeChat, SMS and voice on."""

    async def make(**env: str) -> Gateway:
        rasa = await _serve(aiohttp_server, RasaStandIn())
        telegram = await _serve(aiohttp_server, TelegramApiStandIn())
        wechat = await _serve(aiohttp_server, WeChatApiStandIn())
        aliyun = await _serve(aiohttp_server, AliyunApiStandIn())
        settings = load_settings(
            {
                "RASA_URL": rasa.url,
                "GATEWAY_RASA_TIMEOUT_S": "2",
                "GATEWAY_RATE_LIMIT_PER_MINUTE": "100",
                "INTERNAL_API_TOKEN": INTERNAL_TOKEN,
                "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
                "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
                "TELEGRAM_API_BASE": telegram.url,
                "WECHAT_TOKEN": WECHAT_TOKEN,
                "WECHAT_APP_ID": APP_ID,
                "WECHAT_APP_SECRET": APP_SECRET,
                "WECHAT_API_BASE": wechat.url,
                "ALIYUN_SMS_PATH_SECRET": ALIYUN_PATH_SECRET,
                "ALIYUN_SMS_ACCESS_KEY_ID": ALIYUN_KEY_ID,
                "ALIYUN_SMS_ACCESS_KEY_SECRET": ALIYUN_KEY_SECRET,
                "ALIYUN_SMS_SIGN_NAME": ALIYUN_SIGN_NAME,
                "ALIYUN_SMS_TEMPLATE_CODE": ALIYUN_TEMPLATE,
                "ALIYUN_SMS_API_BASE": aliyun.url,
                "VOICE_RELAY_SECRET": VOICE_SECRET,
                **store_env,
                **env,
            }
        )
        client = await aiohttp_client(create_app(settings))
        return Gateway(client, rasa, telegram, wechat, aliyun)

    return make
