"""Helpers of the sandbox tests: fixed "today", settings and a signing client."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient
from yarl import URL

from sandbox.auth import sign_request
from sandbox.settings import SandboxSettings, load_settings
from sandbox.validation import id_check_char

# A Monday, so the first exam day (Tuesday) and the weekly rhythm are fixed.
TODAY = dt.date(2026, 3, 2)
APP_KEY = "govbot-sandbox"
SECRET = "sandbox-secret"
_MISSING: Any = object()


def sqlite_url(path: Path) -> str:
    """Async SQLite URL of a file."""
    return f"sqlite+aiosqlite:///{path}"


def make_settings(db_path: Path, **env: str) -> SandboxSettings:
    """Settings as the process would build them from its environment."""
    base = {"SANDBOX_DB_URL": sqlite_url(db_path), "SANDBOX_TODAY": TODAY.isoformat()}
    return load_settings({**base, **env})


@dataclass
class Reply:
    """What a test looks at in a response."""

    status: int
    data: Any
    text: str
    headers: Any


class Api:
    """Signs requests exactly as the contract describes."""

    def __init__(
        self, client: TestClient[Any, Any], key: str = APP_KEY, secret: str = SECRET
    ) -> None:
        self.client = client
        self.key = key
        self.secret = secret

    async def call(
        self,
        method: str,
        path: str,
        body_json: Any = _MISSING,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        sign: bool = True,
        timestamp: int | None = None,
        nonce: str | None = None,
        secret: str | None = None,
        signed_body: bytes | None = None,
        timeout: float | None = None,
    ) -> Reply:
        """Send one request; ``signed_body`` signs other bytes than are sent."""
        url = URL(path)
        if body_json is not _MISSING:
            body = json.dumps(body_json, ensure_ascii=False).encode()
        payload = body if body is not None else b""
        all_headers = {"Content-Type": "application/json"} if body is not None else {}
        if sign:
            all_headers.update(
                sign_request(
                    method,
                    url.raw_path_qs,
                    payload if signed_body is None else signed_body,
                    self.key,
                    secret or self.secret,
                    timestamp if timestamp is not None else int(time.time()),
                    nonce or uuid.uuid4().hex,
                )
            )
        all_headers.update(headers or {})
        kwargs: dict[str, Any] = {"data": payload, "headers": all_headers}
        if timeout is not None:
            kwargs["timeout"] = aiohttp.ClientTimeout(total=timeout)
        resp: ClientResponse = await self.client.request(method, url, **kwargs)
        text = await resp.text()
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        return Reply(resp.status, data, text, resp.headers)

    async def get(self, path: str, **kw: Any) -> Reply:
        """Signed GET."""
        return await self.call("GET", path, **kw)

    async def post(self, path: str, body_json: Any = _MISSING, **kw: Any) -> Reply:
        """Signed POST."""
        return await self.call("POST", path, body_json, **kw)

    async def put(self, path: str, body_json: Any = _MISSING, **kw: Any) -> Reply:
        """Signed PUT."""
        return await self.call("PUT", path, body_json, **kw)

    async def patch(self, path: str, body_json: Any = _MISSING, **kw: Any) -> Reply:
        """Signed PATCH."""
        return await self.call("PATCH", path, body_json, **kw)

    async def delete(self, path: str, **kw: Any) -> Reply:
        """Signed DELETE."""
        return await self.call("DELETE", path, **kw)


def first_weekday(after: dt.date = TODAY, n: int = 0) -> dt.date:
    """The n-th Monday-to-Friday day after ``after`` (n=0 is the first)."""
    day, found = after, -1
    while found < n:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            found += 1
    return day


def person(n: int, birth: str = "19950101") -> str:
    """A valid ID number (GB 11643 check digit) for test person ``n``."""
    first17 = f"440305{birth}{n % 1000:03d}"
    return first17 + id_check_char(first17)
