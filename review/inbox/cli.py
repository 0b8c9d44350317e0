"""``python -m review inbox list|show|reply|release``: the human-helper inbox from a terminal.

Same calls as the console (``InboxService`` → the gateway's internal API).
Viewing a conversation, replying and releasing are written to the audit log
(actor ``cli:<staff>``, target the sender pseudonym, never the text), as the
console does for its members.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import getpass
import sys
from collections.abc import Callable, Coroutine
from typing import Any

import aiohttp

from bot.settings import Settings
from review.inbox.service import (
    RESPONSE_TARGET_S,
    HandoffSummary,
    InboxError,
    InboxService,
)
from review.logdb import audit
from review.logdb.database import LogDatabase

__all__ = ["register", "run"]

Action = Callable[[InboxService, argparse.Namespace], Coroutine[Any, Any, str]]
Audit = tuple[str, str, dict[str, object]]  # action, target, details

ROLE_LABELS = {"user": "市民", "bot": "助手", "staff": "人工"}


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add the ``inbox`` command and its subcommands."""
    inbox = subparsers.add_parser("inbox", help="人工帮办：转人工的会话")
    inbox.set_defaults(run=run)
    commands = inbox.add_subparsers(dest="inbox_command", required=True)
    listing = commands.add_parser("list", help="列出等待人工处理的会话")
    listing.set_defaults(handler=_list)
    show = commands.add_parser("show", help="查看会话记录和已收集的信息（已脱敏）")
    show.add_argument("sender", help="会话标识，如 web:3f9a…")
    _staff(show)
    show.set_defaults(handler=_show)
    reply = commands.add_parser("reply", help="回复市民（经市民自己的渠道送达）")
    reply.add_argument("sender")
    reply.add_argument("text", help="回复内容；“-”表示从标准输入读取")
    _staff(reply)
    reply.set_defaults(handler=_reply)
    release = commands.add_parser("release", help="结束人工服务，交还智能助手")
    release.add_argument("sender")
    _staff(release)
    release.set_defaults(handler=_release)


def _staff(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--staff", default=None, help="工作人员姓名或工号（默认：当前系统用户）"
    )


def _staff_name(args: argparse.Namespace) -> str:
    return str(args.staff or getpass.getuser())


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}小时{minutes}分"
    return f"{minutes}分{secs:02d}秒" if minutes else f"{secs}秒"


def _when(timestamp: float | None) -> str:
    if timestamp is None:
        return "-"
    local = dt.datetime.fromtimestamp(timestamp, dt.timezone(dt.timedelta(hours=8)))
    return local.strftime("%m-%d %H:%M:%S")


def _line(item: HandoffSummary) -> str:
    if item.waiting_s is None:
        waiting = "已回复"
    else:
        waiting = f"已等待{_duration(item.waiting_s)}"
        if item.overdue:
            waiting += f"（超过{int(RESPONSE_TARGET_S)}秒）"
    reply = "" if item.can_reply else "  [无法回复]"
    return (
        f"{item.sender}  {item.channel_label}  {item.reason_label}  "
        f"转人工于{_when(item.opened_at)}  {waiting}{reply}"
    )


async def _list(service: InboxService, args: argparse.Namespace) -> str:
    items = await service.list_open()
    if not items:
        return "没有等待人工处理的会话。"
    overdue = sum(1 for item in items if item.overdue)
    lines = [f"共{len(items)}个会话等待人工处理，其中{overdue}个已超时："]
    lines += [_line(item) for item in items]
    return "\n".join(lines)


async def _show(service: InboxService, args: argparse.Namespace) -> str:
    detail = await service.show(args.sender)
    args.audit = ("inbox.viewed", args.sender, {"channel": detail.summary.channel})
    lines = [_line(detail.summary)]
    if not detail.paused:
        lines.append("注意：智能助手已不再暂停该会话。")
    lines.append("已收集的信息：")
    lines += [f"  {name}：{value}" for name, value in detail.slots.items()] or [
        "  （无）"
    ]
    lines.append("对话记录：")
    for entry in detail.transcript:
        who = ROLE_LABELS.get(entry.role, entry.role)
        if entry.staff:
            who += f"（{entry.staff}）"
        lines.append(f"  [{_when(entry.at)}] {who}：{entry.text}")
    return "\n".join(lines)


async def _reply(service: InboxService, args: argparse.Namespace) -> str:
    text = sys.stdin.read() if args.text == "-" else args.text
    result = await service.reply(args.sender, text, _staff_name(args))
    args.audit = (
        "inbox.replied",
        args.sender,
        {"channel": result.channel, "parts": result.parts, "masked": result.masked},
    )
    lines = [f"已送达（{result.channel}）：{result.text}"]
    if result.masked:
        lines.append("提示：回复中的证件号、手机号等已按规定脱敏后发送。")
    if not result.recorded:
        lines.append("提示：消息已送达，但没有写入会话记录（智能助手服务不可用）。")
    return "\n".join(lines)


async def _release(service: InboxService, args: argparse.Namespace) -> str:
    result = await service.release(args.sender, _staff_name(args))
    args.audit = (
        "inbox.released",
        args.sender,
        {"channel": result.channel, "citizen_notified": result.citizen_notified},
    )
    if result.citizen_notified:
        return "已交还智能助手，并已通知市民。"
    return f"已交还智能助手；未能通知市民（{result.notice_error}）。"


async def _audit(settings: Settings, staff: str, entry: Audit) -> None:
    if not settings.conversation_log_url:
        return
    action, target, details = entry
    db = LogDatabase(settings.conversation_log_url)
    try:
        await db.migrate()
        async with db.write() as session:
            await audit.append(
                session,
                actor=f"cli:{staff}",
                action=action,
                target=target,
                details=details,
            )
    finally:
        await db.dispose()


async def _run(settings: Settings, args: argparse.Namespace) -> str:
    action: Action = args.handler
    async with aiohttp.ClientSession() as session:
        output = await action(InboxService.from_settings(session, settings), args)
    entry: Audit | None = getattr(args, "audit", None)
    if entry is not None:
        await _audit(settings, _staff_name(args), entry)
    return output


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Run one ``inbox`` subcommand; 1 with the reason if the gateway refused."""
    try:
        print(asyncio.run(_run(settings, args)))
    except InboxError as exc:
        print(exc.message, file=sys.stderr)
        return 1
    return 0
