"""Server-side staff sessions: random cookie token, absolute expiry, revocation."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from review.console.models import Role, StaffSession, StaffUser
from review.logdb.turns import as_utc


@dataclass(frozen=True)
class Staff:
    """The signed-in staff member of a request."""

    user_id: int
    username: str
    role: Role
    csrf_token: str
    token_hash: str

    def may(self, role: Role) -> bool:
        """True when this member's role includes ``role``."""
        return self.role.includes(role)


def token_hash(token: str) -> str:
    """Only this digest of the cookie token is stored."""
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


async def open_session(
    session: AsyncSession, user: StaffUser, ttl_s: int
) -> tuple[str, StaffSession]:
    """Start a session; returns the cookie token (never stored) and the row."""
    token = secrets.token_urlsafe(32)
    now = _now()
    row = StaffSession(
        token_hash=token_hash(token),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + dt.timedelta(seconds=ttl_s),
        revoked_at=None,
    )
    session.add(row)
    return token, row


async def staff_for(
    session: AsyncSession, token: str, *, now: dt.datetime | None = None
) -> Staff | None:
    """The member behind a cookie token: ``None`` if unknown, expired, revoked or disabled."""
    if not token or len(token) > 128:
        return None
    found = (
        await session.execute(
            select(StaffSession, StaffUser)
            .join(StaffUser, StaffUser.id == StaffSession.user_id)
            .where(StaffSession.token_hash == token_hash(token))
        )
    ).first()
    if found is None:
        return None
    row, user = found
    moment = now or _now()
    if row.revoked_at is not None or as_utc(row.expires_at) <= moment:
        return None
    if user.disabled:
        return None
    return Staff(user.id, user.username, user.role_enum, row.csrf_token, row.token_hash)


async def revoke(session: AsyncSession, hashed: str) -> None:
    """End one session (logout)."""
    row = await session.get(StaffSession, hashed)
    if row is not None and row.revoked_at is None:
        row.revoked_at = _now()


async def purge_expired(session: AsyncSession, *, older_than_days: int = 30) -> int:
    """Delete sessions that ended long ago (they hold no content; the audit log keeps logins)."""
    cutoff = _now() - dt.timedelta(days=older_than_days)
    result = await session.execute(
        delete(StaffSession).where(StaffSession.expires_at < cutoff)
    )
    return int(getattr(result, "rowcount", 0) or 0)
