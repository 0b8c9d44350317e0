"""create_app: resources, /health, the channel mount contract, crash handling."""

import asyncio
import sys
import types

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from structlog.testing import capture_logs

from bot.settings import Settings, load_settings
from channels import keys
from channels.app import AccessLogger, create_app, mount_channels
from channels.stores import MemoryStore, RedisStore
from tests.channels.gateway.conftest import GatewayFactory


async def test_health_and_resources(make_gateway: GatewayFactory) -> None:
    client = await make_gateway()
    response = await client.get("/health")
    assert response.status == 200
    body = await response.json()
    assert body["status"] == "ok" and "web" in body["channels"]
    app = client.app
    assert not app[keys.HTTP_SESSION].closed
    assert isinstance(app[keys.STORE], MemoryStore | RedisStore)
    assert app[keys.RELAY] is not None and app[keys.RASA_CLIENT] is not None


async def test_session_is_closed_on_cleanup(aiohttp_client) -> None:
    client = await aiohttp_client(create_app(load_settings({})))
    session = client.app[keys.HTTP_SESSION]
    await client.close()
    assert session.closed


def _plugin(name: str, calls: list[str]) -> types.ModuleType:
    """A stand-in for another helper's ``channels/<name>/routes.py``."""
    module = types.ModuleType(f"channels.{name}.routes")

    def setup(app: web.Application, settings: Settings) -> None:
        calls.append(name)

        async def ping(request: web.Request) -> web.Response:
            relay = request.app[keys.RELAY]
            return web.Response(text=relay.sender(name, "u"))

        app.router.add_get(f"/{name}/ping", ping)

    module.setup = setup  # type: ignore[attr-defined]
    return module


async def test_enabled_channels_are_mounted_and_can_reach_the_relay(
    aiohttp_client, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    monkeypatch.setitem(sys.modules, "channels.voice.routes", _plugin("voice", calls))
    monkeypatch.setitem(sys.modules, "channels.wechat.routes", _plugin("wechat", calls))
    # WeChat is off (no WECHAT_TOKEN): its module must not be set up.
    client = await aiohttp_client(create_app(load_settings({"SMS_SANDBOX": "false"})))
    assert calls == ["voice"]
    response = await client.get("/voice/ping")
    assert (await response.text()).startswith("voice:")
    assert (await (await client.get("/health")).json())["channels"] == ["web", "voice"]


def test_missing_channel_modules_are_skipped_not_fatal() -> None:
    settings = load_settings(
        {
            "TELEGRAM_BOT_TOKEN": "123:abc",
            "TELEGRAM_WEBHOOK_SECRET": "s3cret",
            "WECHAT_TOKEN": "pamtest",
        }
    )
    app = web.Application()
    with capture_logs() as logs:
        mounted = mount_channels(app, settings)
    missing = {e["channel"] for e in logs if e["event"] == "gateway.channel.missing"}
    for name in ("telegram", "wechat", "voice"):
        assert name in mounted or name in missing


def test_a_broken_channel_module_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    broken = types.ModuleType("channels.voice.routes")

    def setup(app: web.Application, settings: Settings) -> None:
        import channels.voice.no_such_module  # noqa: F401

    broken.setup = setup  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "channels.voice.routes", broken)
    with pytest.raises(ModuleNotFoundError):
        mount_channels(web.Application(), load_settings({}))


async def test_a_crash_answers_500_without_details(aiohttp_client) -> None:
    app = create_app(load_settings({}))

    async def boom(request: web.Request) -> web.Response:
        raise RuntimeError("secret detail 13800138000")

    app.router.add_get("/boom", boom)
    client = await aiohttp_client(app)
    with capture_logs() as logs:
        response = await client.get("/boom")
    assert response.status == 500
    text = await response.text()
    assert "secret" not in text and "Traceback" not in text
    assert any(e["event"] == "gateway.request.crashed" for e in logs)
    assert (await client.get("/nowhere")).status == 404


async def test_access_log_drops_the_query_string(aiohttp_client) -> None:
    app = create_app(load_settings({}))
    server = TestServer(app)
    await server.start_server(access_log_class=AccessLogger)
    client = await aiohttp_client(server)
    with capture_logs() as logs:
        await client.get("/health?conversation_id=secret-value")
        await asyncio.sleep(0.1)  # the server logs after the response is sent
    access = [e for e in logs if e["event"] == "gateway.http.access"]
    assert access and access[0]["path"] == "/health" and access[0]["status"] == 200
    assert "secret-value" not in repr(logs)


async def test_access_log_names_the_route_not_a_secret_in_the_path(
    aiohttp_client,
) -> None:
    app = create_app(load_settings({}))

    async def uplink(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app.router.add_post("/sms/aliyun/{secret}", uplink)
    server = TestServer(app)
    await server.start_server(access_log_class=AccessLogger)
    client = await aiohttp_client(server)
    with capture_logs() as logs:
        await client.post("/sms/aliyun/path-secret-4f2a")
        await client.get("/guess/path-secret-4f2a")
        await asyncio.sleep(0.1)
    access = [e for e in logs if e["event"] == "gateway.http.access"]
    assert [e["path"] for e in access] == ["/sms/aliyun/{secret}", "(no route)"]
    assert "path-secret-4f2a" not in repr(logs)
