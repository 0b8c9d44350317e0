"""The real gateway, every channel on, served from a background thread on loopback.

Synchronous hypothesis tests send it real HTTP requests (``requests``-style,
with urllib); the Rasa stand-in records every turn that reaches "Rasa".
"""

from __future__ import annotations

import asyncio
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from aiohttp import web

from bot.settings import load_settings
from channels.app import create_app
from tests.channels.gateway.rasa_standin import RasaStandIn
from tests.channels.gateway.redis_server import free_port

INTERNAL_TOKEN = "security-internal-token"
TELEGRAM_TOKEN = "123456:" + "A" * 35
TELEGRAM_SECRET = "security-webhook-Secret_0123"
WECHAT_TOKEN = "securitywechattoken"
WECHAT_APP_ID = "wxsecurity0001"
WECHAT_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
TWILIO_SID = "ACsecurity"
TWILIO_TOKEN = "security-twilio-token"
ALIYUN_SECRET = "security-aliyun-path-secret-0123456789"
VOICE_SECRET = "security-voice-secret"


@dataclass
class LiveGateway:
    """Base URL of the gateway and the stand-in behind it."""

    url: str
    rasa: RasaStandIn

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, bytes]:
        """One real HTTP request; (status, body)."""
        request = urllib.request.Request(
            self.url + path, data=body, method=method, headers=dict(headers or {})
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def turns(self) -> int:
        """How many turns reached Rasa so far."""
        return len(self.rasa.turns)


async def _serve(app: web.Application, port: int) -> web.AppRunner:
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


@contextmanager
def live_gateway() -> Iterator[LiveGateway]:
    """Start the Rasa stand-in and the gateway in a thread; stop them after."""
    loop = asyncio.new_event_loop()
    rasa = RasaStandIn()
    rasa_port, gateway_port = free_port(), free_port()
    rasa.url = f"http://127.0.0.1:{rasa_port}"
    gateway_url = f"http://127.0.0.1:{gateway_port}"
    settings = load_settings(
        {
            "RASA_URL": rasa.url,
            "GATEWAY_RASA_TIMEOUT_S": "2",
            "GATEWAY_RATE_LIMIT_PER_MINUTE": "100000",
            "INTERNAL_API_TOKEN": INTERNAL_TOKEN,
            "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
            "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
            "TELEGRAM_API_BASE": "http://127.0.0.1:9",
            "WECHAT_TOKEN": WECHAT_TOKEN,
            "WECHAT_APP_ID": WECHAT_APP_ID,
            "WECHAT_ENCODING_AES_KEY": WECHAT_AES_KEY,
            "WECHAT_API_BASE": "http://127.0.0.1:9",
            "TWILIO_ACCOUNT_SID": TWILIO_SID,
            "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
            "TWILIO_FROM": "+8610690000",
            "TWILIO_API_BASE": "http://127.0.0.1:9",
            "PUBLIC_BASE_URL": gateway_url,
            "ALIYUN_SMS_PATH_SECRET": ALIYUN_SECRET,
            "VOICE_RELAY_SECRET": VOICE_SECRET,
        }
    )
    runners: list[web.AppRunner] = []

    async def start() -> None:
        runners.append(await _serve(rasa.app(), rasa_port))
        runners.append(await _serve(create_app(settings), gateway_port))

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=30)
    try:
        yield LiveGateway(gateway_url, rasa)
    finally:

        async def stop() -> None:
            for runner in reversed(runners):
                await runner.cleanup()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
