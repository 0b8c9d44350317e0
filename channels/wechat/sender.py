"""WeChat customer-service messages (客服消息): access token cache and text sending.

Used when an answer misses the 5 s passive-reply window. ``GET
{WECHAT_API_BASE}/cgi-bin/token`` gives an access token valid ``expires_in``
seconds (7200); it is cached and refreshed 5 minutes early, one refresh at a
time. ``POST /cgi-bin/message/custom/send?access_token=…`` sends one text.

Errors: 40001 / 40014 / 42001 (token invalid or expired, e.g. refreshed by
another server) → refresh once and resend; 45015 (the citizen wrote more than
48 h ago), 45047 (quota) and anything else → give up with a log line, never a
retry storm. URLs carry the app secret or the token: they are never logged,
and neither are exception messages (aiohttp quotes the URL in them).
"""

import asyncio
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import structlog

from bot.settings import WeChatSettings
from channels.wechat.xml_codec import custom_text_body

__all__ = ["OUT_OF_WINDOW", "WeChatApiError", "WeChatRefused", "WeChatSender"]

log = structlog.get_logger(__name__)

TOKEN_MARGIN_S = 300.0
REQUEST_TIMEOUT_S = 5.0
_TOKEN_ERRORS = frozenset({40001, 40014, 42001})
OUT_OF_WINDOW = 45015
"""errcode: the citizen last wrote more than 48 hours ago."""


class WeChatApiError(Exception):
    """The WeChat API could not be used; ``reason`` is safe to log."""

    def __init__(self, reason: str, errcode: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.errcode = errcode


class WeChatRefused(WeChatApiError):
    """WeChat took the request and refused to send (``errcode`` says why)."""


class WeChatSender:
    """Sends customer-service text messages for one official account."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        settings: WeChatSettings,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not settings.app_id or not settings.app_secret:
            raise ValueError("WECHAT_APP_ID and WECHAT_APP_SECRET are required")
        self._session = session
        self._base = settings.api_base.rstrip("/")
        self._app_id = settings.app_id
        self._app_secret = settings.app_secret
        self._clock = clock
        self._token: str | None = None
        self._expires = 0.0
        self._lock = asyncio.Lock()
        self._timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)

    async def _call(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        try:
            async with self._session.request(
                method, url, timeout=self._timeout, **kwargs
            ) as response:
                if response.status != 200:
                    raise WeChatApiError(f"http_{response.status}")
                data = await response.json(content_type=None)
        except asyncio.TimeoutError:
            raise WeChatApiError("timeout") from None
        except aiohttp.ClientError as exc:
            raise WeChatApiError(type(exc).__name__) from None
        except ValueError:
            raise WeChatApiError("bad_json") from None
        if not isinstance(data, dict):
            raise WeChatApiError("bad_json")
        return data

    async def access_token(
        self, *, refresh: bool = False, stale: str | None = None
    ) -> str:
        """A valid access token, fetched once and cached until shortly before expiry.

        Args:
            refresh: Fetch a new token even if the cached one looks valid.
            stale: The token a caller saw rejected; if another caller has
                replaced it meanwhile, that new token is returned unfetched.
        """
        async with self._lock:
            fresh = self._token is not None and self._clock() < self._expires
            if fresh and not (refresh and self._token == stale):
                return self._token  # type: ignore[return-value]
            data = await self._call(
                "GET",
                f"{self._base}/cgi-bin/token",
                params={
                    "grant_type": "client_credential",
                    "appid": self._app_id,
                    "secret": self._app_secret,
                },
            )
            token, expires_in = data.get("access_token"), data.get("expires_in")
            if not isinstance(token, str) or not token:
                errcode = data.get("errcode")
                raise WeChatApiError(f"token_errcode_{errcode}", errcode)
            lifetime = (
                float(expires_in) if isinstance(expires_in, int | float) else 7200.0
            )
            self._token = token
            self._expires = self._clock() + max(lifetime - TOKEN_MARGIN_S, 60.0)
            log.info("channel.wechat.token.refreshed", expires_in=lifetime)
            return token

    async def _send_once(self, token: str, openid: str, content: str) -> int:
        data = await self._call(
            "POST",
            f"{self._base}/cgi-bin/message/custom/send",
            params={"access_token": token},
            data=custom_text_body(openid, content),
            headers={"Content-Type": "application/json; charset=utf-8"},
        )
        errcode = data.get("errcode", 0)
        return errcode if isinstance(errcode, int) else -1

    async def deliver_text(self, openid: str, content: str) -> None:
        """Send one text, or say why not (for callers that report the reason).

        Raises:
            WeChatRefused: WeChat answered an error code (45015: the citizen
                wrote more than 48 h ago).
            WeChatApiError: The API could not be used (network, token).
        """
        token = await self.access_token()
        errcode = await self._send_once(token, openid, content)
        if errcode in _TOKEN_ERRORS:
            token = await self.access_token(refresh=True, stale=token)
            errcode = await self._send_once(token, openid, content)
        if errcode != 0:
            raise WeChatRefused(f"errcode_{errcode}", errcode)

    async def send_text(self, openid: str, content: str) -> bool:
        """Send one text; ``False`` (logged) if WeChat would not take it."""
        try:
            await self.deliver_text(openid, content)
        except WeChatRefused as exc:
            event = (
                "channel.wechat.custom.out_of_window"
                if exc.errcode == OUT_OF_WINDOW
                else "channel.wechat.custom.refused"
            )
            log.error(event, errcode=exc.errcode)
            return False
        except WeChatApiError as exc:
            log.error("channel.wechat.custom.failed", reason=exc.reason)
            return False
        return True
