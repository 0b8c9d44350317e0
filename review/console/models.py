"""Staff accounts and their server-side sessions (tables of migration 0002_staff)."""

from __future__ import annotations

import datetime as dt
from enum import Enum

from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from review.logdb.models import Base


class Role(str, Enum):
    """What a staff member may do; each role includes the ones before it."""

    REVIEWER = "reviewer"
    TRAINER = "trainer"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        """Reviewer 1, trainer 2, admin 3."""
        return _RANKS[self]

    @property
    def label(self) -> str:
        """The role's name as staff read it."""
        return _LABELS[self]

    def includes(self, other: Role) -> bool:
        """True when this role may do what ``other`` may."""
        return self.rank >= other.rank


_RANKS = {Role.REVIEWER: 1, Role.TRAINER: 2, Role.ADMIN: 3}
_LABELS = {Role.REVIEWER: "审核员", Role.TRAINER: "训练员", Role.ADMIN: "管理员"}


class StaffUser(Base):
    """One staff login; the password is kept only as an argon2id hash."""

    __tablename__ = "staff_users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    password_changed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(
            "role IN ('reviewer', 'trainer', 'admin')", name="ck_staff_users_role"
        ),
    )

    @property
    def role_enum(self) -> Role:
        """The stored role as a ``Role``."""
        return Role(self.role)


class StaffSession(Base):
    """One login: the cookie holds a random token, the table only its SHA-256.

    A stolen copy of the table therefore gives no usable cookie; ``revoked_at``
    ends a session before ``expires_at`` (logout, password change, disabling).
    """

    __tablename__ = "staff_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
