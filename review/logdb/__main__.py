"""``python -m review.logdb migrate | retention | verify-audit``: the log's maintenance."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Mapping

from review.logdb import audit, retention
from review.logdb.database import LogDatabase
from review.logdb.settings import load_log_settings


async def _migrate(db: LogDatabase) -> int:
    await db.migrate()
    print(f"conversation log migrated: {db.url.render_as_string(hide_password=True)}")
    return 0


async def _retention(db: LogDatabase, days: int) -> int:
    done = await retention.purge(db, days=days)
    print(
        f"deleted {done.deleted} events older than {done.cutoff.isoformat()}; "
        f"audit head {done.audit_head}"
    )
    return 0


async def _verify(db: LogDatabase) -> int:
    async with db.read() as session:
        check = await audit.verify(session)
    if check.ok:
        print(f"audit log intact: {check.entries} entries, head {check.head}")
        return 0
    print(
        f"audit log BROKEN at entry {check.broken_at}: {check.problem} "
        f"({check.entries} entries verified before it)",
        file=sys.stderr,
    )
    return 1


async def run(command: str, url: str, days: int) -> int:
    """Run one maintenance command against the log at ``url``."""
    db = LogDatabase(url)
    try:
        if command == "migrate":
            return await _migrate(db)
        if command == "retention":
            return await _retention(db, days)
        return await _verify(db)
    finally:
        await db.dispose()


def main(argv: list[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    """Command-line entry point; defaults come from the environment."""
    try:
        settings = load_log_settings(os.environ if env is None else env)
    except ValueError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    parser = argparse.ArgumentParser(prog="python -m review.logdb", description=__doc__)
    parser.add_argument("command", choices=["migrate", "retention", "verify-audit"])
    parser.add_argument(
        "--url", default=settings.url, help="default: CONVERSATION_LOG_URL"
    )
    parser.add_argument(
        "--days",
        type=int,
        default=settings.retention_days,
        help="retention in days (default: CONVERSATION_LOG_RETENTION_DAYS or 180)",
    )
    args = parser.parse_args(argv)
    if args.days < 1:
        parser.error("--days must be at least 1")
    return asyncio.run(run(args.command, args.url, args.days))


if __name__ == "__main__":
    sys.exit(main())
