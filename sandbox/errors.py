"""Typed API errors and the middleware that renders every failure as JSON."""

from __future__ import annotations

from typing import ClassVar

import structlog
from aiohttp import web
from aiohttp.typedefs import Handler

from sandbox.wire import json_response

log = structlog.get_logger("sandbox")


class ApiError(Exception):
    """An error answered as ``{"error": {"code", "message"}}`` with ``status``."""

    status: ClassVar[int] = 400

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Unauthorized(ApiError):
    """Missing or bad request signature."""

    status = 401


class Forbidden(ApiError):
    """Authenticated, but the caller may not see or change this resource."""

    status = 403


class NotFound(ApiError):
    """The resource does not exist."""

    status = 404


class Conflict(ApiError):
    """The request clashes with the current state (full, duplicate, already done)."""

    status = 409


class Invalid(ApiError):
    """The request is malformed or a value fails validation."""

    status = 422


class Unavailable(ApiError):
    """The back end is (made) unavailable."""

    status = 503


def error_response(status: int, code: str, message: str) -> web.Response:
    """Build the JSON error body every failure uses."""
    return json_response({"error": {"code": code, "message": message}}, status=status)


def api_error_response(exc: ApiError) -> web.Response:
    """Render an :class:`ApiError`."""
    return error_response(exc.status, exc.code, exc.message)


_HTTP_CODES = {
    400: ("bad_request", "The request could not be understood."),
    404: ("not_found", "No such endpoint."),
    405: ("method_not_allowed", "Method not allowed on this endpoint."),
    413: ("body_too_large", "The request body is too large."),
    415: ("unsupported_media_type", "Unsupported media type."),
}


def http_exception_response(exc: web.HTTPException) -> web.Response:
    """Render an aiohttp HTTP exception (routing, body size) as our JSON error."""
    code, message = _HTTP_CODES.get(exc.status, (f"http_{exc.status}", exc.reason))
    response = error_response(exc.status, code, message)
    if exc.status == 405 and "Allow" in exc.headers:
        response.headers["Allow"] = exc.headers["Allow"]
    return response


def _route(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "-"


@web.middleware
async def error_middleware(
    request: web.Request, handler: Handler
) -> web.StreamResponse:
    """Turn every exception into a JSON error; never leak a traceback."""
    try:
        return await handler(request)
    except ApiError as exc:
        # The route template, never the path: paths carry plates and ID numbers.
        log.info(
            "sandbox.request.rejected",
            method=request.method,
            route=_route(request),
            status=exc.status,
            code=exc.code,
        )
        return api_error_response(exc)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return http_exception_response(exc)
    except Exception:
        # The only broad catch of the service: log with the traceback for the
        # operator, answer the client without it.
        log.exception(
            "sandbox.request.failed", method=request.method, path=request.path
        )
        return error_response(
            500, "internal_error", "Internal error; see the sandbox log."
        )
