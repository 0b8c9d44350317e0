"""``queue list | show | label | export``: the review queue from a terminal.

``register(subparsers)`` adds the ``queue`` command to ``python -m review``;
``python -m review.queue`` runs it alone. Output is for staff (Chinese) or,
with ``--json``, for scripts. Every label is audit-logged with the decision.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import sys
from collections.abc import Callable, Coroutine
from dataclasses import asdict
from pathlib import Path
from typing import Any

from review.logdb import audit
from review.logdb.database import LogDatabase
from review.queue import annotations as decisions
from review.queue import export
from review.queue.errors import QueueError
from review.queue.labels import Label, Span
from review.queue.queue import (
    DEFAULT_PAGE_SIZE,
    QueueGroup,
    QueueItem,
    QueueOptions,
    find_group,
    message_context,
    queue_page,
)
from review.queue.signals import DEFAULT_LOW_CONFIDENCE
from review.queue.vocabulary import DOMAIN_DIR, load_vocabulary

Handler = Callable[[argparse.Namespace, LogDatabase], Coroutine[Any, Any, int]]


def _log_url(args: argparse.Namespace) -> str:
    if args.url:
        return str(args.url)
    # Process edge: the one place this command reads its configuration.
    from bot.settings import load_settings

    return load_settings(os.environ).conversation_log_url


def _options(args: argparse.Namespace) -> QueueOptions:
    since = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=args.days)
    return QueueOptions(since=since, low_confidence=args.low_confidence)


def _item_json(item: QueueItem) -> dict[str, Any]:
    return {
        "event_id": item.event_id,
        "channel": item.channel,
        "timestamp": item.timestamp.isoformat(),
        "text": item.text,
        "intent": item.intent,
        "confidence": item.confidence,
        "top_intent": item.top_intent,
        "top_confidence": item.top_confidence,
        "entities": [
            {"entity": e.entity, "value": e.value, "start": e.start, "end": e.end}
            for e in item.entities
        ],
        "reasons": [
            {
                "reason": s.reason.value,
                "label": s.label,
                "weight": s.weight,
                "detail": s.detail,
                "suggested_intent": s.suggested_intent,
            }
            for s in item.signals
        ],
        "suggested_intent": item.suggested_intent,
        "score": item.score,
    }


def _group_json(group: QueueGroup) -> dict[str, Any]:
    return {
        "id": group.id,
        "score": group.score,
        "size": len(group.items),
        "suggested_intent": group.suggested_intent,
        "items": [_item_json(i) for i in group.items],
    }


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


async def _list(args: argparse.Namespace, db: LogDatabase) -> int:
    async with db.read() as session:
        page = await queue_page(
            session, page=args.page, page_size=args.page_size, options=_options(args)
        )
    if args.json:
        _print_json(
            {
                "page": page.page,
                "pages": page.pages,
                "total_groups": page.total_groups,
                "total_items": page.total_items,
                "groups": [_group_json(g) for g in page.groups],
            }
        )
        return 0
    print(
        f"待审核：{page.total_items} 条消息，{page.total_groups} 组"
        f"（第 {page.page}/{page.pages} 页）"
    )
    first = (page.page - 1) * page.page_size
    for rank, group in enumerate(page.groups, start=first + 1):
        lead = group.leader
        guess = f"{lead.top_intent or '-'} {lead.top_confidence or 0:.2f}"
        reasons = "、".join(dict.fromkeys(s.label for s in lead.signals))
        print(f"{rank:>3}. [{group.score:.1f}] #{lead.event_id} {lead.text}")
        print(f"     模型：{guess}；原因：{reasons}", end="")
        if group.suggested_intent:
            print(f"；建议：{group.suggested_intent}", end="")
        print()
        if len(group.items) > 1:
            others = " ".join(f"#{i.event_id}" for i in group.items[1:])
            print(f"     同组 {len(group.items) - 1} 条：{others}")
    return 0


async def _show(args: argparse.Namespace, db: LogDatabase) -> int:
    async with db.read() as session:
        context = await message_context(session, args.event_id)
        if context is None:
            print(f"找不到消息 {args.event_id}", file=sys.stderr)
            return 1
        current = await decisions.get_annotation(session, args.event_id)
        history = await decisions.revisions(session, args.event_id)
        group = await find_group(session, args.event_id, _options(args))
    item = (
        next((i for i in group.items if i.event_id == args.event_id), None)
        if group
        else None
    )
    if args.json:
        _print_json(
            {
                "event_id": args.event_id,
                "channel": context.channel,
                "text": context.turn.text,
                "item": _item_json(item) if item else None,
                "group": [i.event_id for i in group.items] if group else [],
                "before": [t.text for t in context.before],
                "after": [t.text for t in context.after],
                "annotation": asdict(current) if current else None,
                "version": current.version if current else 0,
                "revisions": [asdict(r) for r in history],
            }
        )
        return 0
    turn = context.turn
    p = turn.prediction
    print(f"消息 #{args.event_id}（{context.channel or '-'}）：{turn.text}")
    if p is not None:
        print(f"模型：{p.intent} {p.confidence or 0:.2f}（最可能：{p.top_intent}）")
        for e in p.entities:
            print(f"  实体 {e.entity}［{e.start}, {e.end}）= {e.value}")
    if item is not None:
        for s in item.signals:
            print(f"  原因：{s.label}（{s.detail}，权重 {s.weight}）")
    for t in context.before:
        print(f"  之前：{t.text}")
    for text in turn.bot_texts:
        print(f"  助手：{text}")
    for t in context.after:
        print(f"  之后：{t.text}")
    if group is not None and len(group.items) > 1:
        print("同组：" + " ".join(f"#{i.event_id} {i.text}" for i in group.items[1:]))
    version = current.version if current else 0
    if current is None:
        print("尚未处理（版本 0）")
    else:
        print(
            f"当前决定：{current.label.summary()}，{current.updated_by} "
            f"于 {current.updated_at:%Y-%m-%d %H:%M}（版本 {version}）"
        )
    return 0


def parse_entity(spec: str, text: str | None = None) -> Span:
    """``type:start:end`` or ``type=words`` (first occurrence in ``text``)."""
    if "=" in spec:
        entity, words = spec.split("=", 1)
        start = (text or "").find(words)
        if not words or start < 0:
            raise argparse.ArgumentTypeError(f"消息中没有“{words}”")
        return Span(start, start + len(words), entity)
    parts = spec.split(":")
    if len(parts) not in (3, 4):
        raise argparse.ArgumentTypeError(
            f"实体格式应为 类型:起:止[:规范值]，得到 {spec!r}"
        )
    try:
        start, end = int(parts[1]), int(parts[2])
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"起止位置须为整数：{spec!r}") from exc
    return Span(start, end, parts[0], parts[3] if len(parts) == 4 else None)


def _label(args: argparse.Namespace, text: str) -> Label:
    if args.skip:
        return Label.skip()
    spans = tuple(parse_entity(s, text) for s in args.entity or [])
    if args.out_of_scope:
        return Label.out_of_scope(spans)
    return Label.intent_label(args.intent, spans)


async def _label_command(args: argparse.Namespace, db: LogDatabase) -> int:
    vocabulary = load_vocabulary(Path(args.domain))
    async with db.read() as session:
        context = await message_context(session, args.event_id)
        group = (
            await find_group(session, args.event_id, _options(args))
            if args.group
            else None
        )
    if context is None:
        print(f"找不到消息 {args.event_id}", file=sys.stderr)
        return 1
    try:
        label = _label(args, context.turn.text or "")
    except argparse.ArgumentTypeError as exc:
        print(f"标注无效：{exc}", file=sys.stderr)
        return 1
    try:
        if args.group:
            members = [i.event_id for i in group.items] if group else []
            result = await decisions.decide_group(
                db,
                args.event_id,
                members,
                label,
                reviewer=args.reviewer,
                vocabulary=vocabulary,
                audited=True,
            )
            print(f"已标注 {len(result.decided)} 条：{label.summary()}")
            if result.left:
                left = " ".join(f"#{i}" for i in result.left)
                print(f"以下消息的实体无法自动对应，请逐条标注：{left}")
            return 0
        done = await decisions.decide(
            db,
            args.event_id,
            label,
            reviewer=args.reviewer,
            expected_version=args.version,
            vocabulary=vocabulary,
            audited=True,
        )
    except QueueError as exc:
        print(f"未保存：{exc}", file=sys.stderr)
        return 1
    print(f"已保存：#{done.event_id} {label.summary()}（版本 {done.version}）")
    return 0


async def _export(args: argparse.Namespace, db: LogDatabase) -> int:
    vocabulary = load_vocabulary(Path(args.domain))
    try:
        async with db.read() as session:
            report = await export.export_reviewed(
                session, vocabulary, out_dir=Path(args.out)
            )
    except ValueError as exc:
        print(f"导出失败：{exc}", file=sys.stderr)
        return 1
    async with db.write() as session:
        await audit.append(
            session,
            actor=args.reviewer,
            action="queue.export",
            target=str(args.out),
            details={"files": report.files, "skipped": len(report.skipped)},
        )
    print(f"已导出 {report.exported} 条到 {args.out}")
    for name, count in report.files.items():
        print(f"  {name}: {count}")
    for skipped in report.skipped:
        print(
            f"  跳过标注 {skipped.annotation_id}（{skipped.reason}）：{skipped.detail}"
        )
    return 0


def _run(handler: Handler) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        async def main() -> int:
            db = LogDatabase(_log_url(args))
            try:
                return await handler(args, db)
            finally:
                await db.dispose()

        return asyncio.run(main())

    return run


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--url", help="conversation log URL (default: CONVERSATION_LOG_URL)"
    )
    parser.add_argument("--days", type=int, default=30, help="look back this many days")
    parser.add_argument(
        "--low-confidence",
        type=float,
        default=DEFAULT_LOW_CONFIDENCE,
        help="confidence under which a message is queued",
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``queue`` and its subcommands; each sets ``func(args) -> exit code``."""
    queue = subparsers.add_parser(
        "queue", help="review queue: list, show, label, export"
    )
    commands = queue.add_subparsers(dest="queue_command", required=True)

    listing = commands.add_parser("list", help="open groups, best first")
    _common(listing)
    listing.add_argument("--page", type=int, default=1)
    listing.add_argument("--page-size", type=int, default=DEFAULT_PAGE_SIZE)
    listing.set_defaults(func=_run(_list))

    show = commands.add_parser("show", help="one message, its context and decision")
    _common(show)
    show.add_argument("event_id", type=int)
    show.set_defaults(func=_run(_show))

    label = commands.add_parser("label", help="decide about a message or its group")
    _common(label)
    label.add_argument("event_id", type=int)
    what = label.add_mutually_exclusive_group(required=True)
    what.add_argument("--intent", help="intent or faq/<topic>")
    what.add_argument("--out-of-scope", action="store_true")
    what.add_argument("--skip", action="store_true")
    label.add_argument(
        "--entity",
        action="append",
        help="type:start:end[:value] or type=words; repeatable",
    )
    label.add_argument("--reviewer", required=True, help="your staff login")
    label.add_argument(
        "--version",
        type=int,
        default=0,
        help="the version you saw (queue show); 0 for an undecided message",
    )
    label.add_argument("--group", action="store_true", help="label its whole group")
    label.add_argument("--domain", default=str(DOMAIN_DIR))
    label.set_defaults(func=_run(_label_command))

    out = commands.add_parser("export", help="write data/nlu/reviewed/*.yml")
    out.add_argument(
        "--url", help="conversation log URL (default: CONVERSATION_LOG_URL)"
    )
    out.add_argument("--out", default=str(export.REVIEWED_DIR))
    out.add_argument("--reviewer", required=True, help="your staff login (audited)")
    out.add_argument("--domain", default=str(DOMAIN_DIR))
    out.set_defaults(func=_run(_export))
    return queue


def main(argv: list[str] | None = None) -> int:
    """``python -m review.queue …``."""
    parser = argparse.ArgumentParser(prog="python -m review.queue")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["queue", *(sys.argv[1:] if argv is None else argv)])
    return int(args.func(args))
