"""``/users``: admins add staff, reset passwords, change roles, disable accounts."""

from __future__ import annotations

from aiohttp import web

from review.console import keys
from review.console.auth import current_user, require_role
from review.console.models import Role
from review.console.passwords import WeakPassword
from review.console.render import render
from review.console.users import (
    UserError,
    add_user,
    list_users,
    parse_role,
    set_disabled,
    set_password,
    set_role,
)

DONE = {
    "added": "已添加用户。",
    "password": "已重置密码，该用户需要重新登录。",
    "role": "已修改角色，该用户需要重新登录。",
    "disabled": "已停用该用户，其登录已全部失效。",
    "enabled": "已重新启用该用户。",
}


async def _page(
    request: web.Request, *, error: str | None = None, status: int = 200
) -> web.Response:
    async with request.app[keys.DB].read() as session:
        users = await list_users(session)
    return render(
        request,
        "users.html",
        {
            "users": users,
            "roles": list(Role),
            "error": error,
            "done": DONE.get(request.query.get("done", "")),
        },
        status=status,
    )


@require_role("admin")
async def users_page(request: web.Request) -> web.StreamResponse:
    """Every account and the forms to change them."""
    return await _page(request)


def _reason(form: object) -> str | None:
    value = form.get("reason") if hasattr(form, "get") else None
    text = str(value or "").strip()
    return text[:500] or None


@require_role("admin")
async def add_user_submit(request: web.Request) -> web.StreamResponse:
    """Create an account."""
    form = await request.post()
    try:
        async with request.app[keys.DB].write() as session:
            await add_user(
                session,
                actor=current_user(request).username,
                username=str(form.get("username") or ""),
                password=str(form.get("password") or ""),
                role=parse_role(str(form.get("role") or "")),
                reason=_reason(form),
            )
    except (UserError, WeakPassword) as exc:
        return await _page(request, error=str(exc), status=400)
    raise web.HTTPSeeOther(location="/users?done=added")


@require_role("admin")
async def change_user_submit(request: web.Request) -> web.StreamResponse:
    """One change to one account: ``change`` is password, role, disable or enable."""
    form = await request.post()
    name = request.match_info["username"]
    change = str(form.get("change") or "")
    actor = current_user(request).username
    reason = _reason(form)
    try:
        async with request.app[keys.DB].write() as session:
            if change == "password":
                password = str(form.get("password") or "")
                await set_password(
                    session,
                    actor=actor,
                    username=name,
                    password=password,
                    reason=reason,
                )
                done = "password"
            elif change == "role":
                role = parse_role(str(form.get("role") or ""))
                await set_role(
                    session, actor=actor, username=name, role=role, reason=reason
                )
                done = "role"
            elif change in ("disable", "enable"):
                disabled = change == "disable"
                await set_disabled(
                    session,
                    actor=actor,
                    username=name,
                    disabled=disabled,
                    reason=reason,
                )
                done = "disabled" if disabled else "enabled"
            else:
                raise UserError("未知的操作。")
    except (UserError, WeakPassword) as exc:
        return await _page(request, error=str(exc), status=400)
    raise web.HTTPSeeOther(location=f"/users?done={done}")
