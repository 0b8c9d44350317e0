"""Who is signed in, and what they may do: session middleware, roles, CSRF.

Deny by default: a route is reachable without a session only when its
handler is marked ``@public`` (or it serves static files), and a signed-in
member reaches a handler only when it carries ``@require_role``.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import structlog
from aiohttp import web
from aiohttp.typedefs import Handler

from review.console import keys
from review.console.models import Role
from review.console.problems import problem
from review.console.sessions import Staff, staff_for

log = structlog.get_logger(__name__)

SESSION_COOKIE = "govbot_console"
LOGIN_CSRF_COOKIE = "govbot_console_login"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_ROLE_ATTR = "__console_role__"
_PUBLIC_ATTR = "__console_public__"
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

H = TypeVar("H", bound=Callable[..., Awaitable[web.StreamResponse]])


def require_role(role: str | Role) -> Callable[[H], H]:
    """Mark a handler as needing a signed-in member whose role includes ``role``."""
    needed = Role(role)

    def decorate(handler: H) -> H:
        @functools.wraps(handler)
        async def guarded(request: web.Request) -> web.StreamResponse:
            staff = current_user(request)
            if not staff.may(needed):
                log.info(
                    "console.auth.role_denied",
                    user=staff.username,
                    needed=needed.value,
                    path=route_of(request),
                )
                return problem(
                    request, 403, "forbidden", "您的角色无权访问此页面或执行此操作。"
                )
            return await handler(request)

        setattr(guarded, _ROLE_ATTR, needed)
        return guarded  # type: ignore[return-value]

    return decorate


def public(handler: H) -> H:
    """Mark a handler as reachable without signing in (``/health``, ``/login``)."""
    setattr(handler, _PUBLIC_ATTR, True)
    return handler


def required_role(handler: Any) -> Role | None:
    """The role a handler was marked with (``None``: unmarked)."""
    role = getattr(handler, _ROLE_ATTR, None)
    return role if isinstance(role, Role) else None


def is_public(handler: Any) -> bool:
    """True for handlers marked ``@public``."""
    return bool(getattr(handler, _PUBLIC_ATTR, False))


def current_user(request: web.Request) -> Staff:
    """The signed-in member (the middleware guarantees one on non-public routes)."""
    staff = request.get(keys.STAFF)
    if not isinstance(staff, Staff):
        raise web.HTTPUnauthorized(text="login required")
    return staff


def route_of(request: web.Request) -> str:
    """The matched route pattern, never the raw path (no ids or query strings)."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "(no route)"


def _is_static(request: web.Request) -> bool:
    return isinstance(request.match_info.route.resource, web.StaticResource)


def wants_html(request: web.Request) -> bool:
    """Browsers navigating get pages and redirects; fetch / API callers get JSON."""
    return "text/html" in request.headers.get("Accept", "")


def safe_next(target: str | None) -> str:
    """A local path to return to after login; anything else becomes ``/``."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    if "\\" in target or any(ord(c) < 32 for c in target):
        return "/"
    return target


@web.middleware
async def session_middleware(
    request: web.Request, handler: Handler
) -> web.StreamResponse:
    """Load the member from the session cookie; refuse what they may not reach."""
    if request.match_info.http_exception is not None or _is_static(request):
        return await handler(request)
    token = request.cookies.get(SESSION_COOKIE, "")
    if token:
        async with request.app[keys.DB].read() as session:
            staff = await staff_for(session, token)
        if staff is not None:
            request[keys.STAFF] = staff
    route_handler = request.match_info.handler
    if is_public(route_handler):
        return await handler(request)
    if keys.STAFF not in request:
        if request.method in ("GET", "HEAD") and wants_html(request):
            location = f"/login?next={request.rel_url.path}"
            raise web.HTTPSeeOther(location=location)
        return problem(request, 401, "login_required", "请先登录。")
    if required_role(route_handler) is None:
        # A route without @require_role is a bug: refuse rather than guess.
        log.error("console.auth.unmarked_route", path=route_of(request))
        return problem(request, 403, "forbidden", "此页面未配置访问权限。")
    return await handler(request)


def sign_login_token(secret: bytes, nonce: str) -> str:
    """The pre-login CSRF token: a nonce and its HMAC under the app secret."""
    mac = hmac.new(secret, nonce.encode(), hashlib.sha256).hexdigest()
    return f"{nonce}.{mac}"


def new_login_token(secret: bytes) -> str:
    """A fresh pre-login CSRF token (double-submitted: cookie and form field)."""
    return sign_login_token(secret, secrets.token_urlsafe(24))


def _login_token_ok(secret: bytes, cookie: str, submitted: str) -> bool:
    nonce, _, _mac = cookie.partition(".")
    if not nonce or not hmac.compare_digest(sign_login_token(secret, nonce), cookie):
        return False
    return hmac.compare_digest(cookie, submitted)


async def _submitted_token(request: web.Request) -> str:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    if request.content_type in _FORM_TYPES:
        form = await request.post()
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else ""
    return ""


@web.middleware
async def csrf_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every state-changing request carries the session's CSRF token.

    Forms send it as the ``csrf_token`` field, fetch calls as the
    ``X-CSRF-Token`` header. Before login (the login form itself) a signed
    token double-submitted in a cookie stands in for the session's.
    """
    if request.method not in UNSAFE_METHODS or request.match_info.http_exception:
        return await handler(request)
    submitted = (await _submitted_token(request)).encode("utf-8", "replace")
    staff = request.get(keys.STAFF)
    if isinstance(staff, Staff) and not is_public(request.match_info.handler):
        ok = hmac.compare_digest(staff.csrf_token.encode(), submitted)
    else:
        cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
        ok = _login_token_ok(
            request.app[keys.SECRET], cookie, submitted.decode("utf-8", "replace")
        )
    if not ok:
        log.warning("console.csrf.rejected", path=route_of(request))
        return problem(
            request, 403, "csrf", "页面已过期或请求来源无法验证，请刷新页面后重试。"
        )
    return await handler(request)
