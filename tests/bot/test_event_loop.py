"""Our servers' event loop: uvloop here (it is in the app lock), usable by aiohttp."""

from __future__ import annotations

import asyncio

import uvloop
from aiohttp import ClientSession, web
from aiohttp.test_utils import unused_port

from bot import event_loop


def test_the_loop_is_uvloops() -> None:
    loop = event_loop.new_event_loop()
    try:
        assert isinstance(loop, uvloop.Loop)
    finally:
        loop.close()


def test_run_serves_and_fetches_on_that_loop() -> None:
    async def hello(request: web.Request) -> web.Response:
        return web.Response(text=type(asyncio.get_running_loop()).__module__)

    async def roundtrip() -> str:
        app = web.Application()
        app.router.add_get("/", hello)
        runner = web.AppRunner(app)
        await runner.setup()
        port = unused_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            async with (
                ClientSession() as session,
                session.get(f"http://127.0.0.1:{port}/") as response,
            ):
                return await response.text()
        finally:
            await runner.cleanup()

    assert event_loop.run(roundtrip()).startswith("uvloop")
