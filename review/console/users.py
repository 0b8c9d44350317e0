"""Staff accounts: add, change password or role, disable, list — each change audited."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from review.console.models import Role, StaffSession, StaffUser
from review.console.passwords import check_strength, hash_password
from review.logdb import audit

USERNAME = re.compile(r"[a-z][a-z0-9._-]{1,63}")


class UserError(ValueError):
    """A user change was refused; ``str()`` is the reason in Chinese."""


class UserExists(UserError):
    """The user name is taken."""


class UserNotFound(UserError):
    """No user has that name."""


@dataclass(frozen=True)
class UserView:
    """What the user list shows (never the hash)."""

    username: str
    role: Role
    disabled: bool
    created_at: dt.datetime


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def check_username(username: str) -> str:
    """The name, lower-cased, if it is a valid login name."""
    name = username.strip().lower()
    if not USERNAME.fullmatch(name):
        raise UserError("用户名须以小写字母开头，由2–64位小写字母、数字或 . _ - 组成。")
    return name


def parse_role(value: str) -> Role:
    """``reviewer`` / ``trainer`` / ``admin`` as a ``Role``."""
    try:
        return Role(value)
    except ValueError:
        raise UserError("角色只能是审核员、训练员或管理员。") from None


async def count_users(session: AsyncSession) -> int:
    """How many staff accounts exist (disabled ones included)."""
    return int(await session.scalar(select(func.count()).select_from(StaffUser)) or 0)


async def find_user(session: AsyncSession, username: str) -> StaffUser | None:
    """The account with that name, if any."""
    return await session.scalar(
        select(StaffUser).where(StaffUser.username == username.strip().lower())
    )


async def _existing(session: AsyncSession, username: str) -> StaffUser:
    user = await find_user(session, username)
    if user is None:
        raise UserNotFound(f"用户 {username} 不存在。")
    return user


async def list_users(session: AsyncSession) -> list[UserView]:
    """Every account, by name."""
    rows = await session.scalars(select(StaffUser).order_by(StaffUser.username))
    return [
        UserView(row.username, row.role_enum, row.disabled, row.created_at)
        for row in rows
    ]


async def revoke_sessions(session: AsyncSession, user_id: int) -> None:
    """End every open session of one user."""
    await session.execute(
        update(StaffSession)
        .where(StaffSession.user_id == user_id, StaffSession.revoked_at.is_(None))
        .values(revoked_at=_now())
    )


async def add_user(
    session: AsyncSession,
    *,
    actor: str,
    username: str,
    password: str,
    role: Role,
    reason: str | None = None,
) -> StaffUser:
    """Create an account (inside the caller's write transaction)."""
    name = check_username(username)
    check_strength(password, name)
    if await find_user(session, name) is not None:
        raise UserExists(f"用户 {name} 已存在。")
    now = _now()
    user = StaffUser(
        username=name,
        password_hash=hash_password(password),
        role=role.value,
        disabled=False,
        created_at=now,
        password_changed_at=now,
    )
    session.add(user)
    await session.flush()
    await audit.append(
        session,
        actor=actor,
        action="user.added",
        target=f"user:{name}",
        reason=reason,
        details={"role": role.value},
    )
    return user


async def set_password(
    session: AsyncSession,
    *,
    actor: str,
    username: str,
    password: str,
    reason: str | None = None,
) -> None:
    """Replace a password; every session of the user ends."""
    user = await _existing(session, username)
    check_strength(password, user.username)
    user.password_hash = hash_password(password)
    user.password_changed_at = _now()
    await revoke_sessions(session, user.id)
    await audit.append(
        session,
        actor=actor,
        action="user.password_changed",
        target=f"user:{user.username}",
        reason=reason,
    )


async def set_role(
    session: AsyncSession,
    *,
    actor: str,
    username: str,
    role: Role,
    reason: str | None = None,
) -> None:
    """Change a role; the user's sessions end so the new role applies at once."""
    user = await _existing(session, username)
    if user.role == role.value:
        return
    await _keep_an_admin(session, user, demoted=role is not Role.ADMIN)
    before = user.role
    user.role = role.value
    await revoke_sessions(session, user.id)
    await audit.append(
        session,
        actor=actor,
        action="user.role_changed",
        target=f"user:{user.username}",
        reason=reason,
        details={"from": before, "to": role.value},
    )


async def set_disabled(
    session: AsyncSession,
    *,
    actor: str,
    username: str,
    disabled: bool,
    reason: str | None = None,
) -> None:
    """Disable (sessions end at once) or re-enable an account."""
    user = await _existing(session, username)
    if user.disabled == disabled:
        return
    if disabled:
        await _keep_an_admin(session, user, demoted=True)
    user.disabled = disabled
    if disabled:
        await revoke_sessions(session, user.id)
    await audit.append(
        session,
        actor=actor,
        action="user.disabled" if disabled else "user.enabled",
        target=f"user:{user.username}",
        reason=reason,
    )


async def _keep_an_admin(
    session: AsyncSession, user: StaffUser, *, demoted: bool
) -> None:
    """Refuse to remove the last active admin: nobody could manage users then."""
    if not demoted or user.role != Role.ADMIN.value or user.disabled:
        return
    admins: Sequence[int] = list(
        await session.scalars(
            select(StaffUser.id).where(
                StaffUser.role == Role.ADMIN.value, StaffUser.disabled.is_(False)
            )
        )
    )
    if len(admins) <= 1:
        raise UserError("至少需要保留一名启用状态的管理员。")
