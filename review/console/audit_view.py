"""``/audit``: the newest audit entries and the hash-chain check (admins only)."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy import select

from review.console import keys
from review.console.auth import require_role
from review.console.render import render
from review.logdb import audit
from review.logdb.models import AuditEntry

PAGE_SIZE = 200


@require_role("admin")
async def audit_page(request: web.Request) -> web.StreamResponse:
    """Newest entries first, optionally one action; the chain is verified each view."""
    action = request.query.get("action", "").strip()[:64]
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(PAGE_SIZE)
    if action:
        query = query.where(AuditEntry.action == action)
    async with request.app[keys.DB].read() as session:
        entries = list(await session.scalars(query))
        check = await audit.verify(session)
    return render(
        request,
        "audit.html",
        {"entries": entries, "check": check, "action": action, "page_size": PAGE_SIZE},
    )
