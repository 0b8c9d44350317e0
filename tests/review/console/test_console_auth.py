"""Login, sessions, roles and CSRF of the console, through the real app and database."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import select, update

from review.console import auth
from review.console.models import Role, StaffSession
from review.console.passwords import (
    WeakPassword,
    check_strength,
    hash_password,
    verify_password,
)
from review.console.ratelimit import LoginLimiter
from review.logdb.database import LogDatabase
from review.logdb.models import AuditEntry
from tests.review.console.conftest import ATTEMPTS, ClientFactory
from tests.review.console.kit import HTML, PASSWORDS, csrf_in, login, post_login


async def audit_actions(db: LogDatabase) -> list[str]:
    async with db.read() as session:
        return list(
            await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id))
        )


def test_passwords_are_argon2id_hashes_with_salt() -> None:
    first, second = (
        hash_password("correct horse battery"),
        hash_password("correct horse battery"),
    )
    assert first.startswith("$argon2id$")
    assert first != second
    assert "correct horse" not in first
    assert verify_password(first, "correct horse battery")
    assert not verify_password(first, "correct horse battery!")
    assert not verify_password(None, "correct horse battery")
    assert not verify_password("not a hash", "x")


@pytest.mark.parametrize("weak", ["short", "aaaaaaaaaaaaaaa", "rita-password-rita"])
def test_weak_passwords_are_refused(weak: str) -> None:
    with pytest.raises(WeakPassword):
        check_strength(weak, "rita")


def test_the_limiter_forgets_failures_after_the_window() -> None:
    now = [0.0]
    limiter = LoginLimiter(2, window_s=900, clock=lambda: now[0])
    limiter.failed("user:a", "ip:1")
    limiter.failed("user:a", "ip:1")
    assert limiter.blocked("user:a")
    assert limiter.blocked("user:b", "ip:1")
    now[0] = 901
    assert not limiter.blocked("user:a", "ip:1")


async def test_login_sets_a_strict_httponly_session_cookie_and_audits(
    client: TestClient, db: LogDatabase
) -> None:
    response = await post_login(client, "rita", PASSWORDS["rita"], "/audit")
    assert response.status == 303
    assert response.headers["Location"] == "/audit"
    cookie = response.cookies[auth.SESSION_COOKIE]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Strict"
    assert not cookie["secure"]  # plain http on loopback; https sets it
    page = await client.get("/", headers=HTML)
    assert page.status == 200
    assert "rita（审核员）" in await page.text()
    assert "login.ok" in await audit_actions(db)
    async with db.read() as session:
        stored = list(await session.scalars(select(StaffSession.token_hash)))
    assert cookie.value not in stored  # only its digest is kept


async def test_the_next_parameter_cannot_leave_the_console(client: TestClient) -> None:
    for target in ("//evil.example/", "https://evil.example/", "/\\evil"):
        client.session.cookie_jar.clear()
        response = await post_login(client, "rita", PASSWORDS["rita"], target)
        assert response.headers["Location"] == "/"


async def test_wrong_passwords_are_rate_limited_per_user(
    client: TestClient, db: LogDatabase
) -> None:
    for _ in range(ATTEMPTS):
        response = await post_login(client, "rita", "wrong-password-123")
        assert response.status == 401
        assert "用户名或密码不正确" in await response.text()
    blocked = await post_login(client, "rita", PASSWORDS["rita"])
    assert blocked.status == 429
    assert "15分钟后再试" in await blocked.text()
    assert auth.SESSION_COOKIE not in blocked.cookies
    actions = await audit_actions(db)
    assert actions.count("login.failed") == ATTEMPTS
    assert "login.blocked" in actions


async def test_failures_from_one_address_are_limited_across_names(
    client: TestClient,
) -> None:
    for name in ("nobody1", "nobody2", "nobody3")[:ATTEMPTS]:
        assert (await post_login(client, name, "whatever-123456")).status == 401
    assert (await post_login(client, "tom", PASSWORDS["tom"])).status == 429


async def test_unknown_users_get_the_same_answer_and_cost(client: TestClient) -> None:
    async def timed(name: str) -> tuple[float, str]:
        start = time.perf_counter()
        response = await post_login(client, name, "wrong-password-123")
        return time.perf_counter() - start, await response.text()

    wrong, wrong_page = await timed("rita")
    unknown, unknown_page = await timed("no-such-user")
    assert "用户名或密码不正确" in wrong_page
    assert "用户名或密码不正确" in unknown_page
    # Both verify one argon2 hash; an unknown name must not answer much faster.
    assert unknown > wrong * 0.3


async def test_expired_sessions_are_refused(
    client: TestClient, db: LogDatabase
) -> None:
    await login(client, "rita")
    past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)
    async with db.write() as session:
        await session.execute(update(StaffSession).values(expires_at=past))
    page = await client.get("/", headers=HTML, allow_redirects=False)
    assert page.status == 303
    assert page.headers["Location"].startswith("/login")
    api = await client.get("/", allow_redirects=False)
    assert api.status == 401


async def test_logout_revokes_the_session_server_side(
    client: TestClient, db: LogDatabase
) -> None:
    token = await login(client, "rita")
    cookie = client.session.cookie_jar.filter_cookies(client.make_url("/"))[
        auth.SESSION_COOKIE
    ].value
    out = await client.post(
        "/logout", data={"csrf_token": token}, allow_redirects=False
    )
    assert out.status == 303
    replay = await client.get(
        "/", cookies={auth.SESSION_COOKIE: cookie}, allow_redirects=False
    )
    assert replay.status == 401
    assert "logout" in await audit_actions(db)


async def test_a_password_change_or_disabling_ends_other_sessions(
    make_client: ClientFactory, staff: dict[str, Role]
) -> None:
    rita, ada = await make_client(), await make_client()
    await login(rita, "rita")
    admin_token = await login(ada, "ada")
    reset = await ada.post(
        "/users/rita",
        data={
            "csrf_token": admin_token,
            "change": "password",
            "password": "a-brand-new-pass-42",
        },
        allow_redirects=False,
    )
    assert reset.status == 303
    assert (await rita.get("/", allow_redirects=False)).status == 401
    await login(tom := await make_client(), "tom")
    disable = await ada.post(
        "/users/tom",
        data={"csrf_token": admin_token, "change": "disable"},
        allow_redirects=False,
    )
    assert disable.status == 303
    assert (await tom.get("/", allow_redirects=False)).status == 401
    assert (await post_login(tom, "tom", PASSWORDS["tom"])).status == 401


async def test_state_changes_without_the_csrf_token_are_refused(
    client: TestClient,
) -> None:
    token = await login(client, "ada")
    form = {"username": "eve", "password": "not-welcome-here-1", "role": "admin"}
    missing = await client.post("/users", data=form, allow_redirects=False)
    assert missing.status == 403
    assert (await missing.json())["error"] == "csrf"
    wrong = await client.post(
        "/users", data={**form, "csrf_token": token[:-2] + "xx"}, allow_redirects=False
    )
    assert wrong.status == 403
    via_header = await client.post(
        "/users",
        data=form,
        headers={auth.CSRF_HEADER: token},
        allow_redirects=False,
    )
    assert via_header.status == 303
    assert (await client.post("/logout", allow_redirects=False)).status == 403


async def test_the_login_form_needs_its_own_csrf_token(client: TestClient) -> None:
    forged = await client.post(
        "/login",
        data={"username": "rita", "password": PASSWORDS["rita"]},
        allow_redirects=False,
    )
    assert forged.status == 403
    page = await client.get("/login")
    token = csrf_in(await page.text())
    client.session.cookie_jar.clear()
    without_cookie = await client.post(
        "/login",
        data={"csrf_token": token, "username": "rita", "password": PASSWORDS["rita"]},
        allow_redirects=False,
    )
    assert without_cookie.status == 403


@pytest.mark.parametrize(
    ("user", "path", "status"),
    [
        ("rita", "/users", 403),
        ("rita", "/audit", 403),
        ("tom", "/users", 403),
        ("tom", "/audit", 403),
        ("ada", "/users", 200),
        ("ada", "/audit", 200),
        ("rita", "/", 200),
    ],
)
async def test_roles_are_checked_per_route(
    client: TestClient, user: str, path: str, status: int
) -> None:
    await login(client, user)
    response = await client.get(path, headers=HTML)
    assert response.status == status
    if status == 403:
        assert "无权访问" in await response.text()


async def test_a_reviewer_cannot_change_users(client: TestClient) -> None:
    token = await login(client, "rita")
    response = await client.post(
        "/users",
        data={
            "csrf_token": token,
            "username": "mallory",
            "password": "mallory-wants-in-1",
            "role": "admin",
        },
    )
    assert response.status == 403


def _routes(app: web.Application) -> list[tuple[str, str, object]]:
    found = []
    for route in app.router.routes():
        if route.method == "HEAD" or isinstance(route.resource, web.StaticResource):
            continue
        assert route.resource is not None
        path = route.resource.canonical.replace("{username}", "rita")
        found.append((route.method, path, route.handler))
    return found


async def test_every_route_requires_a_login(client: TestClient) -> None:
    routes = _routes(client.app)
    assert len(routes) >= 8
    for method, path, handler in routes:
        if auth.is_public(handler):
            assert path in ("/health", "/login"), path
            continue
        assert auth.required_role(handler) is not None, f"{method} {path} has no role"
        response = await client.request(method, path, allow_redirects=False)
        assert response.status == 401, f"{method} {path}"
        if method == "GET":
            page = await client.get(path, headers=HTML, allow_redirects=False)
            assert page.status == 303
            assert page.headers["Location"].startswith("/login?next=")


async def test_an_unmarked_route_is_denied_by_default(
    aiohttp_client, settings, staff: dict[str, Role]
) -> None:  # type: ignore[no-untyped-def]
    from review.console.app import create_app

    app = create_app(settings)

    async def forgotten(request: web.Request) -> web.Response:
        return web.Response(text="secret")

    app.router.add_get("/forgotten", forgotten)
    client = await aiohttp_client(app)
    await login(client, "ada")
    assert (await client.get("/forgotten")).status == 403


async def test_security_headers_on_pages_errors_and_static(client: TestClient) -> None:
    for path in ("/login", "/health", "/static/console/console.css", "/nope"):
        response = await client.get(path)
        headers = response.headers
        assert headers["X-Frame-Options"] == "DENY", path
        assert headers["X-Content-Type-Options"] == "nosniff", path
        assert "script-src 'self'" in headers["Content-Security-Policy"], path
        assert "unsafe-inline" not in headers["Content-Security-Policy"], path
        assert headers["Referrer-Policy"], path
    page = await (await client.get("/login")).text()
    assert "<script>" not in page and "style=" not in page
