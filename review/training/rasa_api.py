"""Rasa's HTTP API as promotion needs it: ``GET /status`` and ``PUT /model``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp


class RasaInstanceError(Exception):
    """One Rasa instance did not answer or refused (message for staff)."""


@dataclass(frozen=True)
class InstanceStatus:
    """What one instance runs now."""

    url: str
    model_file: str | None
    model_id: str | None


class RasaApi:
    """Calls to the Rasa instances, with the API token and a bounded timeout."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        token: str,
        load_timeout_s: float = 300,
        status_timeout_s: float = 10,
    ) -> None:
        """Uses the caller's ``ClientSession`` (one per process)."""
        self._session = session
        self._token = token
        self._load_timeout = aiohttp.ClientTimeout(total=load_timeout_s)
        self._status_timeout = aiohttp.ClientTimeout(total=status_timeout_s)

    async def status(self, url: str) -> InstanceStatus:
        """The instance's current model (file name and Rasa model id)."""
        body = await self._call("GET", url, "/status", None, self._status_timeout)
        if not isinstance(body, dict):
            raise RasaInstanceError(f"Rasa 实例 {url} 的状态无法识别。")
        return InstanceStatus(url, body.get("model_file"), body.get("model_id"))

    async def load(self, url: str, model: Path) -> None:
        """Makes the instance load ``model`` (it keeps serving while loading)."""
        await self._call(
            "PUT", url, "/model", {"model_file": str(model)}, self._load_timeout
        )

    async def _call(
        self,
        method: str,
        url: str,
        path: str,
        body: dict[str, Any] | None,
        timeout: aiohttp.ClientTimeout,
    ) -> Any:
        target = f"{url.rstrip('/')}{path}"
        try:
            async with self._session.request(
                method,
                target,
                params={"token": self._token},
                json=body,
                timeout=timeout,
            ) as response:
                text = await response.text()
                if response.status >= 400:
                    raise RasaInstanceError(
                        f"Rasa 实例 {url} 拒绝了请求 {method} {path}"
                        f"（HTTP {response.status}）：{_reason(text)}"
                    )
                if response.status == 204 or not text:
                    return None
                return await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise RasaInstanceError(
                f"无法连接 Rasa 实例 {url}（{type(exc).__name__}）。"
            ) from exc


def _reason(text: str) -> str:
    """Rasa's error message, short (its JSON errors carry ``message``)."""
    try:
        data = json.loads(text)
        if isinstance(data, dict) and data.get("message"):
            return str(data["message"])[:300]
    except ValueError:
        pass
    return text[:300]
