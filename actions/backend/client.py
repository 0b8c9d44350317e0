"""BackendClient: signed, timed, retried and circuit-broken calls to the back ends.

Every call names a route template (``/traffic/v1/licenses/{id_number}``) and
its values apart, so the URL is built and encoded once, signed as sent, and
logs carry only the template: never a plate, ID number or phone number.

Reads (GET) are retried with exponential back-off and jitter on timeouts,
refused connections and 5xx, within ``read_budget_s``. Writes carry an
``Idempotency-Key`` and are tried once: after a failure the outcome is unknown,
and the action layer repeats the write with the same key when the citizen
asks to, so the back end does it at most once.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
import structlog
from yarl import URL

from actions.backend.breaker import CircuitBreaker
from actions.backend.errors import (
    BackendMisconfigured,
    BackendRejected,
    BackendUnavailable,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    Reason,
    RequestInProgress,
)
from actions.backend.signing import sign
from actions.backend.targets import SERVICES, QueryValue, request_url, service_of
from bot.privacy import scrub
from bot.settings import BackendSettings

__all__ = ["BackendClient", "JsonObject"]

log = structlog.get_logger(__name__)

JsonObject = dict[str, Any]

BACKOFF_BASE_S = 0.1
BACKOFF_CAP_S = 1.0
# No retry starts when less than this is left of the read budget.
MIN_ATTEMPT_S = 0.05
RETRYABLE = frozenset({Reason.TIMEOUT, Reason.CONNECTION, Reason.SERVER_ERROR})
REJECTIONS: dict[int, type[BackendRejected]] = {
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    422: InvalidInput,
}
_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,128}$")


@dataclass(frozen=True)
class _Reply:
    status: int
    body: bytes


def _decode(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"))
    except ValueError:
        return None


def _error_of(data: Any) -> tuple[str, str] | None:
    """``(code, message)`` of an ``{"error": {...}}`` body, else None."""
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict) or not isinstance(error.get("code"), str):
        return None
    message = error.get("message")
    return error["code"], message if isinstance(message, str) else ""


def _interpret(service: str, reply: _Reply) -> JsonObject:
    """The JSON object of a 2xx answer; any other answer as its exception."""
    data = _decode(reply.body)
    error = _error_of(data)
    code = error[0] if error else "no_error_body"
    if reply.status == 401:
        raise BackendMisconfigured(service, code)
    if reply.status >= 500 or reply.status == 429:
        raise BackendUnavailable(service, Reason.SERVER_ERROR, f"{reply.status} {code}")
    if 200 <= reply.status < 300:
        if not isinstance(data, dict):
            raise BackendUnavailable(
                service, Reason.BAD_RESPONSE, f"{reply.status} without a JSON object"
            )
        return data
    if 400 <= reply.status < 500 and error is not None:
        if reply.status == 409 and code == "idempotency_in_progress":
            raise RequestInProgress(service)
        rejection = REJECTIONS.get(reply.status, BackendRejected)
        raise rejection(reply.status, code, scrub(error[1]))
    raise BackendUnavailable(
        service, Reason.BAD_RESPONSE, f"unexpected {reply.status} answer"
    )


def _encode_body(body: Mapping[str, Any] | None) -> bytes:
    if body is None:
        return b""
    # None means "not given", as in queries; the services treat absence so.
    data = {name: value for name, value in body.items() if value is not None}
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


class BackendClient:
    """One process-wide client of the traffic, hotline and directory services.

    Attributes:
        breakers: The circuit breaker of each service, by service name.
    """

    def __init__(
        self,
        settings: BackendSettings,
        session: aiohttp.ClientSession,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        """Keeps the settings and the shared session (opened and closed by the caller).

        Args:
            settings: Base URL, credentials, timeouts, retry and breaker limits.
            session: The process's shared HTTP session.
            clock: Monotonic seconds of the circuit breakers (tests inject one).
            sleep: Waits between read retries (tests inject one).
            rng: Source of the back-off jitter.
        """
        self._settings = settings
        self._session = session
        self._sleep = sleep
        self._rng = rng or random.Random()
        self.breakers = {
            service: CircuitBreaker(
                service,
                failure_threshold=settings.breaker_failures,
                reset_s=settings.breaker_reset_s,
                clock=clock,
            )
            for service in SERVICES
        }

    async def get(
        self,
        route: str,
        *,
        args: Mapping[str, str] | None = None,
        query: Mapping[str, QueryValue] | None = None,
    ) -> JsonObject:
        """Read, retrying outages with back-off within the read budget.

        Args:
            route: Path template, e.g. ``/traffic/v1/licenses/{id_number}``.
            args: Values of the template's ``{name}`` segments.
            query: Query parameters; None values are left out.

        Returns:
            The answer's JSON object.

        Raises:
            BackendUnavailable: Still failing after the retries, or circuit open.
            BackendRejected: A 4xx answer (``InvalidInput``, ``NotFound``…).
            BackendMisconfigured: Our credentials were refused (401).
        """
        service = service_of(route)
        url = request_url(self._settings.url, route, args, query)
        attempts = 1 + max(0, self._settings.read_retries)
        deadline = time.monotonic() + self._settings.read_budget_s
        for attempt in range(1, attempts + 1):
            timeout = min(self._settings.timeout_s, deadline - time.monotonic())
            try:
                return await self._call("GET", service, route, url, b"", {}, timeout)
            except BackendUnavailable as exc:
                if exc.reason not in RETRYABLE or attempt == attempts:
                    raise
                delay = self._backoff(attempt)
                if time.monotonic() + delay + MIN_ATTEMPT_S > deadline:
                    raise
                log.info(
                    "backend.request.retrying",
                    service=service,
                    route=route,
                    attempt=attempt,
                    reason=exc.reason.value,
                    delay_ms=round(delay * 1000),
                )
                await self._sleep(delay)
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def post(
        self,
        route: str,
        body: Mapping[str, Any] | None = None,
        *,
        idempotency_key: str,
        args: Mapping[str, str] | None = None,
        query: Mapping[str, QueryValue] | None = None,
    ) -> JsonObject:
        """Create something, once; see :meth:`write`."""
        return await self.write("POST", route, body, idempotency_key, args, query)

    async def patch(
        self,
        route: str,
        body: Mapping[str, Any] | None = None,
        *,
        idempotency_key: str,
        args: Mapping[str, str] | None = None,
        query: Mapping[str, QueryValue] | None = None,
    ) -> JsonObject:
        """Change something, once; see :meth:`write`."""
        return await self.write("PATCH", route, body, idempotency_key, args, query)

    async def delete(
        self,
        route: str,
        *,
        idempotency_key: str,
        args: Mapping[str, str] | None = None,
        query: Mapping[str, QueryValue] | None = None,
    ) -> JsonObject:
        """Cancel something, once; see :meth:`write`."""
        return await self.write("DELETE", route, None, idempotency_key, args, query)

    async def write(
        self,
        method: str,
        route: str,
        body: Mapping[str, Any] | None,
        idempotency_key: str,
        args: Mapping[str, str] | None = None,
        query: Mapping[str, QueryValue] | None = None,
    ) -> JsonObject:
        """One attempt at a write carrying ``Idempotency-Key``, never retried here.

        Args:
            method: ``POST``, ``PUT``, ``PATCH`` or ``DELETE``.
            route: Path template.
            body: JSON object to send; None values are left out.
            idempotency_key: 1 to 128 visible ASCII characters; repeating a
                failed write with the same key makes the service do it once.
            args: Values of the template's ``{name}`` segments.
            query: Query parameters; None values are left out.

        Raises:
            ValueError: The key is empty, too long or not visible ASCII.
            BackendUnavailable: The outcome is unknown; repeat with the same key.
            BackendRejected: A 4xx answer, stored by the service under the key.
            BackendMisconfigured: Our credentials were refused (401).
        """
        if not _IDEMPOTENCY_KEY.match(idempotency_key):
            raise ValueError("idempotency_key must be 1-128 visible ASCII characters")
        service = service_of(route)
        url = request_url(self._settings.url, route, args, query)
        headers = {"Idempotency-Key": idempotency_key}
        if body is not None:
            headers["Content-Type"] = "application/json; charset=utf-8"
        return await self._call(
            method.upper(),
            service,
            route,
            url,
            _encode_body(body),
            headers,
            self._settings.timeout_s,
        )

    def _backoff(self, attempt: int) -> float:
        """Exponential back-off with "equal jitter": half fixed, half random."""
        ceiling = min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** (attempt - 1))
        return ceiling / 2 + self._rng.uniform(0, ceiling / 2)

    async def _call(
        self,
        method: str,
        service: str,
        route: str,
        url: URL,
        body: bytes,
        headers: dict[str, str],
        timeout: float,
    ) -> JsonObject:
        """One HTTP exchange through the service's circuit breaker."""
        breaker = self.breakers[service]
        if not breaker.allow():
            log.info(
                "backend.request.short_circuited",
                service=service,
                method=method,
                route=route,
            )
            raise BackendUnavailable(service, Reason.CIRCUIT_OPEN)
        started = time.monotonic()
        fields = {"service": service, "method": method, "route": route}
        try:
            reply = await self._exchange(service, method, url, body, headers, timeout)
            data = _interpret(service, reply)
        except RequestInProgress:
            breaker.success()
            raise
        except BackendUnavailable as exc:
            breaker.failure()
            log.warning(
                "backend.request.failed",
                **fields,
                reason=exc.reason.value,
                detail=exc.detail,
                elapsed_ms=_ms_since(started),
            )
            raise
        except BackendRejected as exc:
            breaker.success()
            log.info(
                "backend.request.rejected",
                **fields,
                status=exc.status,
                code=exc.code,
                elapsed_ms=_ms_since(started),
            )
            raise
        except BackendMisconfigured as exc:
            breaker.success()
            log.error("backend.request.unauthorized", **fields, code=exc.code)
            raise
        except BaseException:
            # Cancelled or a bug: no verdict on the service's health.
            breaker.abandon()
            raise
        breaker.success()
        log.debug(
            "backend.request.completed",
            **fields,
            status=reply.status,
            elapsed_ms=_ms_since(started),
        )
        return data

    async def _exchange(
        self,
        service: str,
        method: str,
        url: URL,
        body: bytes,
        headers: dict[str, str],
        timeout: float,
    ) -> _Reply:
        """Send the signed request; transport failures as ``BackendUnavailable``."""
        signed = sign(
            method,
            url.raw_path_qs,
            body,
            self._settings.app_key,
            self._settings.app_secret,
        )
        try:
            async with self._session.request(
                method,
                url,
                data=body or None,
                headers={"Accept": "application/json", **headers, **signed},
                timeout=aiohttp.ClientTimeout(total=max(timeout, 0.001)),
                allow_redirects=False,
            ) as response:
                return _Reply(response.status, await response.read())
        except asyncio.TimeoutError as exc:
            raise BackendUnavailable(service, Reason.TIMEOUT) from exc
        except aiohttp.ClientError as exc:
            raise BackendUnavailable(
                service, Reason.CONNECTION, type(exc).__name__
            ) from exc


def _ms_since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
