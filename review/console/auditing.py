"""``audit_change``: append the signed-in member's change to the audit log."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from review.console import keys
from review.console.auth import current_user
from review.logdb import audit


async def audit_change(
    request: web.Request,
    action: str,
    target: str | None = None,
    reason: str | None = None,
    *,
    details: Mapping[str, Any] | None = None,
    session: AsyncSession | None = None,
) -> None:
    """Record who did what to what, and why.

    Args:
        request: The request of the signed-in member (the actor).
        action: A dotted name, ``<feature>.<verb>`` (``queue.labelled``).
        target: What was changed (an event id, a model name); no personal data.
        reason: Why, as the member gave it.
        details: Extra facts (never raw personal data).
        session: A write transaction to append in, so the entry commits with
            the change it records; without one the entry gets its own.
    """
    actor = current_user(request).username
    if session is not None:
        await audit.append(
            session,
            actor=actor,
            action=action,
            target=target,
            reason=reason,
            details=details,
        )
        return
    async with request.app[keys.DB].write() as own:
        await audit.append(
            own,
            actor=actor,
            action=action,
            target=target,
            reason=reason,
            details=details,
        )
