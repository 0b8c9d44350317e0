"""Every change lands in the hash-chained audit log; admins see it and its check."""

from __future__ import annotations

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from review.console.auditing import audit_change
from review.logdb import audit
from review.logdb.database import LogDatabase
from review.logdb.models import AuditEntry
from tests.review.console.kit import HTML, PASSWORDS, login, post_login


async def entries(db: LogDatabase) -> list[AuditEntry]:
    async with db.read() as session:
        return list(await session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


async def test_logins_logouts_and_user_changes_are_audited(
    client: TestClient, db: LogDatabase
) -> None:
    await post_login(client, "ada", "not-the-password-1")
    token = await login(client, "ada")
    added = await client.post(
        "/users",
        data={
            "csrf_token": token,
            "username": "lin",
            "password": "long-enough-secret-5",
            "role": "trainer",
            "reason": "新入职训练员",
        },
        headers=HTML,
    )
    assert "已添加用户" in await added.text()
    for change in (
        {"change": "role", "role": "reviewer", "reason": "调岗"},
        {"change": "password", "password": "another-long-secret-6"},
        {"change": "disable", "reason": "离职"},
        {"change": "enable"},
    ):
        response = await client.post(
            "/users/lin", data={"csrf_token": token, **change}, allow_redirects=False
        )
        assert response.status == 303, change
    await client.post("/logout", data={"csrf_token": token}, allow_redirects=False)
    logged = [
        (e.actor, e.action, e.target, e.reason)
        for e in await entries(db)
        if e.actor != "test"
    ]
    assert logged == [
        ("anonymous", "login.failed", "user:ada", None),
        ("ada", "login.ok", "user:ada", None),
        ("ada", "user.added", "user:lin", "新入职训练员"),
        ("ada", "user.role_changed", "user:lin", "调岗"),
        ("ada", "user.password_changed", "user:lin", None),
        ("ada", "user.disabled", "user:lin", "离职"),
        ("ada", "user.enabled", "user:lin", None),
        ("ada", "logout", "user:ada", None),
    ]
    for entry in await entries(db):
        assert PASSWORDS["ada"] not in entry.details
        assert "long-enough-secret" not in entry.details
    async with db.read() as session:
        check = await audit.verify(session)
    assert check.ok and check.entries == len(await entries(db))


async def test_refused_changes_are_explained_and_not_audited(
    client: TestClient, db: LogDatabase
) -> None:
    token = await login(client, "ada")
    before = len(await entries(db))
    weak = await client.post(
        "/users",
        data={
            "csrf_token": token,
            "username": "kim",
            "password": "short",
            "role": "reviewer",
        },
        headers=HTML,
    )
    assert weak.status == 400
    assert "密码至少需要12个字符" in await weak.text()
    taken = await client.post(
        "/users",
        data={
            "csrf_token": token,
            "username": "rita",
            "password": "long-enough-secret-5",
            "role": "reviewer",
        },
        headers=HTML,
    )
    assert "已存在" in await taken.text()
    last_admin = await client.post(
        "/users/ada",
        data={"csrf_token": token, "change": "role", "role": "reviewer"},
        headers=HTML,
    )
    assert last_admin.status == 400
    assert "至少需要保留一名" in await last_admin.text()
    assert len(await entries(db)) == before


async def test_the_audit_page_shows_entries_and_the_chain_check(
    client: TestClient,
) -> None:
    await login(client, "ada")
    page = await client.get("/audit", headers=HTML)
    html = await page.text()
    assert 'data-testid="chain-ok"' in html
    assert 'data-action="login.ok"' in html
    filtered = await (await client.get("/audit?action=user.added", headers=HTML)).text()
    assert 'data-action="login.ok"' not in filtered
    assert 'data-action="user.added"' in filtered


async def test_a_feature_route_audits_through_the_helper(
    aiohttp_client, settings, staff, db: LogDatabase
) -> None:  # type: ignore[no-untyped-def]
    from aiohttp import web

    from review.console.app import create_app
    from review.console.auth import CSRF_HEADER, require_role
    from review.console.keys import DB

    @require_role("trainer")
    async def promote(request: web.Request) -> web.Response:
        async with request.app[DB].write() as session:
            await audit_change(
                request, "training.promoted", "model:m1", "更好", session=session
            )
        await audit_change(request, "queue.labelled", "event:42")
        return web.json_response({"ok": True})

    app = create_app(settings)
    app.router.add_post("/example/promote", promote)
    client = await aiohttp_client(app)
    token = await login(client, "tom")
    assert (await client.post("/example/promote")).status == 403
    done = await client.post("/example/promote", headers={CSRF_HEADER: token})
    assert done.status == 200
    last = (await entries(db))[-2:]
    assert [(e.actor, e.action, e.target, e.reason) for e in last] == [
        ("tom", "training.promoted", "model:m1", "更好"),
        ("tom", "queue.labelled", "event:42", None),
    ]
    reviewer = await aiohttp_client(client.server)
    denied = await reviewer.post(
        "/example/promote", headers={CSRF_HEADER: await login(reviewer, "rita")}
    )
    assert denied.status == 403
    assert (await denied.json())["error"] == "forbidden"


async def test_a_mistyped_id_number_as_user_name_is_audited_masked(
    client: TestClient, db: LogDatabase
) -> None:
    await post_login(client, "11010519491231002x", "whatever-it-was-1")
    await login(client, "ada")
    html = await (await client.get("/audit", headers=HTML)).text()
    for entry in await entries(db):
        assert "11010519491231002" not in (entry.target or "")
    assert "11010519491231002" not in html
    assert 'data-action="login.failed"' in html
