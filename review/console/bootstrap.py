"""Start-up: migrate the log, then create the first admin when no user exists."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.settings import Settings
from review.console.models import Role
from review.console.passwords import generate_password
from review.console.private_files import write_private
from review.console.users import add_user, count_users
from review.logdb.database import LogDatabase

PASSWORD_FILE = "console-admin-password"
ACTOR = "system:bootstrap"


@dataclass(frozen=True)
class FirstAdmin:
    """The admin created at start; ``password_file`` is set when it was generated."""

    username: str
    password_file: Path | None


async def ensure_first_admin(db: LogDatabase, settings: Settings) -> FirstAdmin | None:
    """Create the admin from ``CONSOLE_ADMIN_USER``/``CONSOLE_ADMIN_PASSWORD``.

    Does nothing once any user exists. Without a configured password a
    random one is generated and written (mode 0600) to
    ``var_dir/console-admin-password``; only that path is ever logged.
    """
    console = settings.console
    async with db.write() as session:
        if await count_users(session) > 0:
            return None
        password = console.admin_password or generate_password()
        await add_user(
            session,
            actor=ACTOR,
            username=console.admin_user,
            password=password,
            role=Role.ADMIN,
            reason="首个管理员（启动时创建）",
        )
    if console.admin_password:
        return FirstAdmin(console.admin_user, None)
    path = settings.var_dir / PASSWORD_FILE
    write_private(path, password)
    return FirstAdmin(console.admin_user, path)


async def prepare(settings: Settings) -> FirstAdmin | None:
    """Migrate (idempotent) and make sure an admin exists."""
    db = LogDatabase(settings.conversation_log_url)
    try:
        await db.migrate()
        return await ensure_first_admin(db, settings)
    finally:
        await db.dispose()
