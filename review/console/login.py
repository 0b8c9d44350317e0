"""``/login`` and ``/logout``: rate-limited sign-in, audited both ways."""

from __future__ import annotations

import aiohttp_jinja2
import structlog
from aiohttp import web

from bot.privacy import scrub
from review.console import keys
from review.console.auth import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    current_user,
    new_login_token,
    public,
    require_role,
    safe_next,
)
from review.console.passwords import hash_password, needs_rehash, verify_password
from review.console.sessions import open_session, purge_expired, revoke
from review.console.users import find_user
from review.logdb import audit

log = structlog.get_logger(__name__)

WRONG = "用户名或密码不正确。"
BLOCKED = "登录失败次数过多，请15分钟后再试。如忘记密码，请联系管理员重置。"
MAX_NAME = 64


def _login_page(
    request: web.Request, *, error: str | None = None, status: int = 200
) -> web.Response:
    token = new_login_token(request.app[keys.SECRET])
    response = aiohttp_jinja2.render_template(
        "login.html",
        request,
        {
            "staff": None,
            "nav": [],
            "error": error,
            "csrf_token": token,
            "next": safe_next(request.query.get("next")),
            "username": "",
        },
        status=status,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="Strict",
        secure=request.secure,
        path="/login",
    )
    return response


@public
async def login_form(request: web.Request) -> web.StreamResponse:
    """The sign-in page (a signed-in member goes straight to the dashboard)."""
    if keys.STAFF in request:
        raise web.HTTPSeeOther(location="/")
    return _login_page(request)


async def _audit_login(
    request: web.Request, action: str, name: str, **details: object
) -> None:
    async with request.app[keys.DB].write() as session:
        await audit.append(
            session,
            actor=f"user:{name}" if action == "login.ok" else "anonymous",
            action=action,
            target=f"user:{name}",
            details={"ip": request.remote or "", **details},
        )


@public
async def login_submit(request: web.Request) -> web.StreamResponse:
    """Check the password; after too many failures refuse without checking."""
    form = await request.post()
    name = str(form.get("username") or "").strip().lower()[:MAX_NAME]
    password = str(form.get("password") or "")
    next_path = safe_next(str(form.get("next") or "/"))
    shown = scrub(name) or "(空)"
    limiter = request.app[keys.LIMITER]
    user_key, ip_key = f"user:{name}", f"ip:{request.remote or ''}"
    if limiter.blocked(user_key, ip_key):
        await _audit_login(request, "login.blocked", shown)
        return _login_page(request, error=BLOCKED, status=429)
    async with request.app[keys.DB].read() as session:
        user = await find_user(session, name) if name else None
    # Verified even for unknown names, so both cost the same time.
    matches = verify_password(user.password_hash if user else None, password)
    if user is None or not matches or user.disabled:
        limiter.failed(user_key, ip_key)
        reason = (
            "unknown_user"
            if user is None
            else "disabled"
            if matches
            else "wrong_password"
        )
        await _audit_login(request, "login.failed", shown, reason=reason)
        log.info("console.login.failed", reason=reason)
        return _login_page(request, error=WRONG, status=401)
    limiter.succeeded(user_key)
    ttl = request.app[keys.SETTINGS].console.session_ttl_s
    async with request.app[keys.DB].write() as session:
        fresh = await find_user(session, name)
        assert fresh is not None
        if needs_rehash(fresh.password_hash):
            fresh.password_hash = hash_password(password)
        token, _row = await open_session(session, fresh, ttl)
        await purge_expired(session)
        await audit.append(
            session,
            actor=fresh.username,
            action="login.ok",
            target=f"user:{fresh.username}",
            details={"ip": request.remote or "", "role": fresh.role},
        )
    response = web.HTTPSeeOther(location=next_path)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=ttl,
        httponly=True,
        samesite="Strict",
        secure=request.secure,
        path="/",
    )
    response.del_cookie(LOGIN_CSRF_COOKIE, path="/login")
    log.info("console.login.ok", user=fresh.username)
    return response


@require_role("reviewer")
async def logout(request: web.Request) -> web.StreamResponse:
    """End the session (server side, not just the cookie)."""
    staff = current_user(request)
    async with request.app[keys.DB].write() as session:
        await revoke(session, staff.token_hash)
        await audit.append(
            session,
            actor=staff.username,
            action="logout",
            target=f"user:{staff.username}",
        )
    response = web.HTTPSeeOther(location="/login")
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


__all__ = ["login_form", "login_submit", "logout"]
