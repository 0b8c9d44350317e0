"""The human-helper inbox (人工帮办) in the staff console.

``setup(app, settings)`` mounts (see ``review.console.app`` for the contract):

- ``GET /inbox`` (reviewer): open handoffs, the longest-waiting first; a
  wait over the one-minute target is highlighted; the page refreshes itself;
- ``GET /inbox/{sender}`` (reviewer): the masked transcript and what the bot
  already collected, a reply box and the release button (audited as
  ``inbox.viewed``, as the CLI does);
- ``POST /inbox/{sender}/reply`` (reviewer): the reply reaches the citizen on
  their own channel (``inbox.replied``);
- ``POST /inbox/{sender}/release`` (reviewer): the conversation goes back to
  the bot (``inbox.released``).

Everything goes through ``InboxService`` (the gateway's internal API); its
failures are shown as its Chinese messages, never as a server error.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from aiohttp import web

from bot.settings import Settings
from review.console.auditing import audit_change
from review.console.auth import current_user, require_role
from review.console.render import render
from review.inbox.service import (
    RESPONSE_TARGET_S,
    HandoffDetail,
    HandoffSummary,
    InboxError,
    InboxService,
)

__all__ = ["INBOX", "setup"]

INBOX = web.AppKey("console_inbox", InboxService)
_SESSION = web.AppKey("console_inbox_session", aiohttp.ClientSession)

MAX_REPLY_CHARS = 1000
REFRESH_S = 15
_SENDER = re.compile(r"[a-z][a-z0-9_]{0,31}:[0-9a-f]{8,64}")
_ROLES = {"user": "市民", "bot": "助手", "staff": "人工"}
_BEIJING = dt.timezone(dt.timedelta(hours=8))


def _when(timestamp: float | None) -> str:
    if timestamp is None:
        return "-"
    return dt.datetime.fromtimestamp(timestamp, _BEIJING).strftime("%m-%d %H:%M:%S")


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}秒"
    if seconds < 3600:
        return f"{seconds // 60}分{seconds % 60}秒"
    return f"{seconds // 3600}小时{seconds % 3600 // 60}分"


def _row(item: HandoffSummary) -> dict[str, Any]:
    return {
        "sender": item.sender,
        "channel": item.channel_label,
        "reason": item.reason_label,
        "opened": _when(item.opened_at),
        "waiting": "已回复" if item.waiting_s is None else _duration(item.waiting_s),
        "overdue": item.overdue,
        "can_reply": item.can_reply,
    }


def _sender(request: web.Request) -> str:
    sender = request.match_info["sender"]
    if _SENDER.fullmatch(sender) is None:
        raise web.HTTPNotFound(text="没有这个会话。")
    return sender


@require_role("reviewer")
async def inbox_page(request: web.Request) -> web.Response:
    """Open handoffs, the longest-waiting first."""
    error = None
    rows: list[dict[str, Any]] = []
    try:
        rows = [_row(item) for item in await request.app[INBOX].list_open()]
    except InboxError as exc:
        error = exc.message
    released = request.query.get("released")
    return render(
        request,
        "inbox/list.html",
        {
            "rows": rows,
            "overdue": sum(1 for row in rows if row["overdue"]),
            "target_s": int(RESPONSE_TARGET_S),
            "refresh_s": REFRESH_S,
            "error": error,
            "released": released if released and _SENDER.fullmatch(released) else None,
            "notified": request.query.get("notified") == "1",
        },
        status=503 if error else 200,
    )


def _detail_context(detail: HandoffDetail) -> dict[str, Any]:
    return {
        "summary": _row(detail.summary),
        "paused": detail.paused,
        "slots": sorted(detail.slots.items()),
        "lines": [
            {
                "who": _ROLES.get(line.role, line.role)
                + (f"（{line.staff}）" if line.staff else ""),
                "role": line.role,
                "text": line.text,
                "at": _when(line.at),
            }
            for line in detail.transcript
        ],
    }


async def _detail(
    request: web.Request,
    sender: str,
    *,
    error: str | None = None,
    draft: str = "",
    status: int = 200,
) -> web.Response:
    try:
        detail = await request.app[INBOX].show(sender)
    except InboxError as exc:
        return render(
            request,
            "inbox/detail.html",
            {"sender": sender, "missing": exc.message, "max_chars": MAX_REPLY_CHARS},
            status=404 if exc.status == 404 else 503,
        )
    context = {
        **_detail_context(detail),
        "sender": sender,
        "error": error,
        "draft": draft,
        "sent": request.query.get("sent") == "1",
        "masked": request.query.get("masked") == "1",
        "max_chars": MAX_REPLY_CHARS,
    }
    return render(request, "inbox/detail.html", context, status=status)


@require_role("reviewer")
async def handoff_page(request: web.Request) -> web.Response:
    """One conversation: transcript, collected slots, reply and release."""
    sender = _sender(request)
    response = await _detail(request, sender)
    if response.status == 200:
        await audit_change(request, "inbox.viewed", sender)
    return response


@require_role("reviewer")
async def reply_submit(request: web.Request) -> web.Response:
    """Send the staff member's reply to the citizen's own channel."""
    sender = _sender(request)
    form = await request.post()
    text = str(form.get("text") or "").strip()
    if not text:
        return await _detail(request, sender, error="请输入回复内容。", status=400)
    if len(text) > MAX_REPLY_CHARS:
        return await _detail(
            request,
            sender,
            error=f"回复不能超过{MAX_REPLY_CHARS}个字。",
            draft=text,
            status=400,
        )
    staff = current_user(request).username
    try:
        result = await request.app[INBOX].reply(sender, text, staff)
    except InboxError as exc:
        status = exc.status if 400 <= exc.status < 500 else 502
        return await _detail(
            request, sender, error=exc.message, draft=text, status=status
        )
    await audit_change(
        request,
        "inbox.replied",
        sender,
        details={
            "channel": result.channel,
            "parts": result.parts,
            "masked": result.masked,
        },
    )
    query = "sent=1" + ("&masked=1" if result.masked else "")
    raise web.HTTPSeeOther(location=f"/inbox/{sender}?{query}")


@require_role("reviewer")
async def release_submit(request: web.Request) -> web.Response:
    """Give the conversation back to the bot."""
    sender = _sender(request)
    staff = current_user(request).username
    try:
        result = await request.app[INBOX].release(sender, staff)
    except InboxError as exc:
        status = exc.status if 400 <= exc.status < 500 else 502
        return await _detail(request, sender, error=exc.message, status=status)
    await audit_change(
        request,
        "inbox.released",
        sender,
        details={
            "channel": result.channel,
            "citizen_notified": result.citizen_notified,
        },
    )
    notified = "1" if result.citizen_notified else "0"
    raise web.HTTPSeeOther(location=f"/inbox?released={sender}&notified={notified}")


async def _service(app: web.Application) -> AsyncIterator[None]:
    async with aiohttp.ClientSession() as session:
        app[_SESSION] = session
        app[INBOX] = InboxService.from_settings(session, app[_SETTINGS])
        yield


_SETTINGS = web.AppKey("console_inbox_settings", Settings)


def setup(app: web.Application, settings: Settings) -> None:
    """Mount the inbox pages (feature contract of ``review.console.app``)."""
    app[_SETTINGS] = settings
    app.cleanup_ctx.append(_service)
    app.router.add_get("/inbox", inbox_page)
    app.router.add_get("/inbox/{sender:[^/]+}", handoff_page)
    app.router.add_post("/inbox/{sender:[^/]+}/reply", reply_submit)
    app.router.add_post("/inbox/{sender:[^/]+}/release", release_submit)
