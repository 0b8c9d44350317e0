"""A loopback stand-in for the Telegram Bot API (``TELEGRAM_API_BASE`` points here).

It answers ``POST /bot<token>/<method>`` like Telegram does (``{"ok": true,
"result": …}``, 401 for a wrong token, 429 with ``retry_after`` on request)
and records every call with its form fields decoded, so tests can see exactly
what the gateway sent. ``getUpdates`` serves queued updates for polling mode.
"""

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKEN = "123456789:AAsandbox-test-token_0123456789abcdef"
BOT_ID = 123456789
CHAT_ID = 4242
USER = {"id": CHAT_ID, "is_bot": False, "first_name": "市民"}
PRIVATE_CHAT = {"id": CHAT_ID, "type": "private", "first_name": "市民"}
_JSON_FIELDS = {"reply_markup", "allowed_updates"}


@dataclass
class TelegramApiStandIn:
    """Scripted Bot API. Set ``throttle`` to make the next N sends answer 429."""

    token: str = TOKEN
    url: str = ""
    webhook_url: str = ""
    webhook_secret: str | None = None
    allowed_updates: list[str] | None = None
    throttle: int = 0
    blocked: set[int] = field(default_factory=set)
    """Chats whose citizen blocked the bot: ``sendMessage`` answers 403."""
    retry_after: int = 1
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    """Every message ``sendMessage`` created, as Telegram returned it."""
    _next_message_id: int = 1000

    def app(self) -> web.Application:
        """The aiohttp app to serve on loopback."""
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._method)
        return app

    def called(self, method: str) -> list[dict[str, Any]]:
        """The fields of every call of ``method``, in order."""
        return [fields for name, fields in self.calls if name == method]

    def sent_texts(self) -> list[str]:
        """The text of every ``sendMessage``."""
        return [fields["text"] for fields in self.called("sendMessage")]

    @staticmethod
    def _ok(result: Any) -> web.Response:
        return web.json_response({"ok": True, "result": result})

    async def _method(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"},
                status=401,
            )
        method = request.match_info["method"]
        form = await request.post()
        fields: dict[str, Any] = {}
        for name, value in form.items():
            text = value if isinstance(value, str) else str(value)
            fields[name] = json.loads(text) if name in _JSON_FIELDS else text
        self.calls.append((method, fields))
        handler = getattr(self, f"_{method}", None)
        if handler is None:
            return self._ok(True)
        return await handler(fields)

    async def _getMe(self, fields: dict[str, Any]) -> web.Response:
        return self._ok(
            {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "政务助手",
                "username": "govbot_test_bot",
            }
        )

    async def _sendMessage(self, fields: dict[str, Any]) -> web.Response:
        if self.throttle > 0:
            self.throttle -= 1
            return web.json_response(
                {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {self.retry_after}",
                    "parameters": {"retry_after": self.retry_after},
                },
                status=429,
            )
        if int(fields["chat_id"]) in self.blocked:
            return web.json_response(
                {
                    "ok": False,
                    "error_code": 403,
                    "description": "Forbidden: bot was blocked by the user",
                },
                status=403,
            )
        self._next_message_id += 1
        message: dict[str, Any] = {
            "message_id": self._next_message_id,
            "date": int(time.time()),
            "chat": {"id": int(fields["chat_id"]), "type": "private"},
            "text": fields["text"],
        }
        if "reply_markup" in fields:
            message["reply_markup"] = fields["reply_markup"]
        self.messages.append(message)
        return self._ok(message)

    async def _getWebhookInfo(self, fields: dict[str, Any]) -> web.Response:
        info: dict[str, Any] = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": 0,
        }
        if self.allowed_updates is not None:
            info["allowed_updates"] = self.allowed_updates
        return self._ok(info)

    async def _setWebhook(self, fields: dict[str, Any]) -> web.Response:
        self.webhook_url = fields["url"]
        self.webhook_secret = fields.get("secret_token")
        self.allowed_updates = fields.get("allowed_updates")
        return self._ok(True)

    async def _deleteWebhook(self, fields: dict[str, Any]) -> web.Response:
        self.webhook_url = ""
        self.allowed_updates = None
        return self._ok(True)

    async def _getUpdates(self, fields: dict[str, Any]) -> web.Response:
        offset = int(fields.get("offset") or 0)
        for _ in range(25):  # a short long-poll
            ready = [u for u in self.updates if u["update_id"] >= offset]
            if ready:
                return self._ok(ready)
            await asyncio.sleep(0.02)
        return self._ok([])


def message_update(
    update_id: int,
    text: str | None = None,
    *,
    chat: dict[str, Any] | None = None,
    edited: bool = False,
    **content: Any,
) -> dict[str, Any]:
    """An update carrying a (possibly edited) message from the test citizen."""
    message: dict[str, Any] = {
        "message_id": update_id + 10,
        "date": int(time.time()),
        "chat": chat or PRIVATE_CHAT,
        "from": USER,
        **content,
    }
    if text is not None:
        message["text"] = text
    if edited:
        message["edit_date"] = int(time.time())
    return {
        "update_id": update_id,
        ("edited_message" if edited else "message"): message,
    }


def callback_update(
    update_id: int, data: str, keyboard_message: dict[str, Any]
) -> dict[str, Any]:
    """An update for a press of the button with ``data`` under ``keyboard_message``."""
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"cbq-{update_id}",
            "from": USER,
            "chat_instance": "ci-1",
            "data": data,
            "message": keyboard_message,
        },
    }
