"""A loopback stand-in for the WeChat API (``WECHAT_API_BASE`` points here).

``GET /cgi-bin/token`` hands out access tokens (checking appid and secret),
``POST /cgi-bin/message/custom/send`` records customer-service messages and
answers like WeChat, including ``40001``/``42001`` for a token it no longer
accepts and ``45015`` for a citizen outside the 48-hour window.
"""

import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

APP_ID = "wxb11529c136998cb6"
APP_SECRET = "sandbox-wechat-app-secret"


@dataclass
class WeChatApiStandIn:
    """Scripted WeChat API. ``expire_next`` makes the next send answer 42001."""

    app_id: str = APP_ID
    app_secret: str = APP_SECRET
    url: str = ""
    tokens_issued: int = 0
    valid_tokens: set[str] = field(default_factory=set)
    expire_next: int = 0
    out_of_window: set[str] = field(default_factory=set)
    sent: list[dict[str, Any]] = field(default_factory=list)
    send_attempts: int = 0

    def app(self) -> web.Application:
        """The aiohttp app to serve on loopback."""
        app = web.Application()
        app.router.add_get("/cgi-bin/token", self._token)
        app.router.add_post("/cgi-bin/message/custom/send", self._send)
        return app

    def texts_to(self, openid: str) -> list[str]:
        """Every customer-service text sent to ``openid``, in order."""
        return [m["text"]["content"] for m in self.sent if m["touser"] == openid]

    async def _token(self, request: web.Request) -> web.Response:
        query = request.query
        if query.get("grant_type") != "client_credential":
            return web.json_response({"errcode": 40002, "errmsg": "invalid grant_type"})
        if query.get("appid") != self.app_id or query.get("secret") != self.app_secret:
            return web.json_response({"errcode": 40125, "errmsg": "invalid appsecret"})
        self.tokens_issued += 1
        token = f"ACCESS_TOKEN_{self.tokens_issued}"
        self.valid_tokens = {token}
        return web.json_response({"access_token": token, "expires_in": 7200})

    async def _send(self, request: web.Request) -> web.Response:
        self.send_attempts += 1
        token = request.query.get("access_token", "")
        if self.expire_next > 0:
            self.expire_next -= 1
            self.valid_tokens.discard(token)
        if token not in self.valid_tokens:
            return web.json_response(
                {"errcode": 42001, "errmsg": "access_token expired"}
            )
        body = json.loads(await request.read())
        if body.get("touser") in self.out_of_window:
            return web.json_response(
                {"errcode": 45015, "errmsg": "response out of time limit"}
            )
        self.sent.append(body)
        return web.json_response({"errcode": 0, "errmsg": "ok"})
