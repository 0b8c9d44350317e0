"""``python -m review user add|passwd|disable|enable|role|list``: staff accounts from a terminal."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from bot.settings import Settings
from review.console.passwords import WeakPassword, generate_password
from review.console.users import (
    UserError,
    add_user,
    list_users,
    parse_role,
    set_disabled,
    set_password,
    set_role,
)
from review.logdb.database import LogDatabase

ACTOR = "cli"


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add the ``user`` command and its subcommands."""
    user = subparsers.add_parser("user", help="管理工作人员账号")
    user.set_defaults(run=run)
    commands = user.add_subparsers(dest="user_command", required=True)
    add = commands.add_parser("add", help="添加用户")
    add.add_argument("username")
    add.add_argument(
        "--role", default="reviewer", choices=["reviewer", "trainer", "admin"]
    )
    _password_options(add)
    _reason(add)
    add.set_defaults(handler=_add)
    passwd = commands.add_parser("passwd", help="重置密码（其登录全部失效）")
    passwd.add_argument("username")
    _password_options(passwd)
    _reason(passwd)
    passwd.set_defaults(handler=_passwd)
    for name, disabled in (("disable", True), ("enable", False)):
        toggle = commands.add_parser(name, help="停用用户" if disabled else "启用用户")
        toggle.add_argument("username")
        _reason(toggle)
        toggle.set_defaults(handler=_toggle, disabled=disabled)
    role = commands.add_parser("role", help="修改角色")
    role.add_argument("username")
    role.add_argument("role", choices=["reviewer", "trainer", "admin"])
    _reason(role)
    role.set_defaults(handler=_role)
    listing = commands.add_parser("list", help="列出用户")
    listing.set_defaults(handler=_list)


def _password_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--password-stdin",
        action="store_true",
        help="从标准输入读取密码（不经过命令行，避免进入 shell 历史）",
    )
    group.add_argument("--generate", action="store_true", help="生成随机密码并打印一次")


def _reason(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--reason", default=None, help="原因（记入审计日志）")


def _read_password(args: argparse.Namespace) -> tuple[str, bool]:
    if args.generate:
        return generate_password(), True
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n"), False
    first = getpass.getpass("新密码：")
    if getpass.getpass("再输入一次：") != first:
        raise UserError("两次输入的密码不一致。")
    return first, False


Action = Callable[[LogDatabase, argparse.Namespace], Coroutine[Any, Any, str]]


async def _add(db: LogDatabase, args: argparse.Namespace) -> str:
    password, generated = _read_password(args)
    async with db.write() as session:
        await add_user(
            session,
            actor=ACTOR,
            username=args.username,
            password=password,
            role=parse_role(args.role),
            reason=args.reason,
        )
    shown = f"，初始密码：{password}" if generated else ""
    return f"已添加用户 {args.username.strip().lower()}（{args.role}）{shown}"


async def _passwd(db: LogDatabase, args: argparse.Namespace) -> str:
    password, generated = _read_password(args)
    async with db.write() as session:
        await set_password(
            session,
            actor=ACTOR,
            username=args.username,
            password=password,
            reason=args.reason,
        )
    shown = f"，新密码：{password}" if generated else ""
    return f"已重置 {args.username} 的密码，其登录已全部失效{shown}"


async def _toggle(db: LogDatabase, args: argparse.Namespace) -> str:
    async with db.write() as session:
        await set_disabled(
            session,
            actor=ACTOR,
            username=args.username,
            disabled=args.disabled,
            reason=args.reason,
        )
    return f"已{'停用' if args.disabled else '启用'}用户 {args.username}"


async def _role(db: LogDatabase, args: argparse.Namespace) -> str:
    async with db.write() as session:
        await set_role(
            session,
            actor=ACTOR,
            username=args.username,
            role=parse_role(args.role),
            reason=args.reason,
        )
    return f"已将 {args.username} 的角色改为 {args.role}"


async def _list(db: LogDatabase, args: argparse.Namespace) -> str:
    async with db.read() as session:
        users = await list_users(session)
    lines = [
        f"{u.username}\t{u.role.value}\t{'disabled' if u.disabled else 'active'}"
        for u in users
    ]
    return "\n".join(lines) if lines else "（暂无用户）"


async def _run(settings: Settings, args: argparse.Namespace) -> str:
    db = LogDatabase(settings.conversation_log_url)
    try:
        await db.migrate()
        action: Action = args.handler
        return await action(db, args)
    finally:
        await db.dispose()


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Run one ``user`` subcommand; refusals print their reason and exit 1."""
    try:
        print(asyncio.run(_run(settings, args)))
    except (UserError, WeakPassword) as exc:
        print(f"失败：{exc}", file=sys.stderr)
        return 1
    return 0
