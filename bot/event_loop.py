"""The event loop our aiohttp servers run on: uvloop, asyncio's as a fallback.

Under the full-assistant load the gateway spent about a quarter of its busy
time in asyncio's own selector and socket-transport code (py-spy,
docs/benchmarks.md); uvloop does the same work in libuv. Where uvloop cannot
be imported (it is not built for Windows) the standard loop serves unchanged.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def new_event_loop() -> asyncio.AbstractEventLoop:
    """A fresh event loop for ``aiohttp.web.run_app(..., loop=...)``."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` on the loop ``new_event_loop`` gives."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)
