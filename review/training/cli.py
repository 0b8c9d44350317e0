"""``python -m review train start|status`` and ``model list|compare|promote|rollback``."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from bot.settings import Settings
from review.logdb import audit
from review.logdb.database import LogDatabase
from review.training.errors import TrainingError
from review.training.gate import GateResult
from review.training.jobs import JobView
from review.training.promotion import ChangeResult
from review.training.service import TrainingService

Handler = Callable[
    [TrainingService, LogDatabase, argparse.Namespace], Coroutine[Any, Any, int]
]
STAGE_NAMES = {
    "preparing": "准备中",
    "training_nlu": "训练语义理解（NLU）",
    "training_dialogue": "训练对话策略",
    "evaluating": "评估中",
    "done": "已完成",
    "failed": "失败",
}


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add the ``train`` and ``model`` commands."""
    train = subparsers.add_parser("train", help="在后台重新训练候选模型")
    train.set_defaults(run=run)
    train_commands = train.add_subparsers(dest="train_command", required=True)
    start = train_commands.add_parser("start", help="训练候选模型并与在用模型比较")
    _who(start)
    start.set_defaults(handler=_train_start)
    status = train_commands.add_parser("status", help="最近的训练任务")
    status.add_argument("job", nargs="?", type=int, help="任务编号（默认最近一个）")
    status.add_argument("--json", action="store_true")
    status.set_defaults(handler=_train_status)

    model = subparsers.add_parser("model", help="模型：列出、比较、发布、回滚")
    model.set_defaults(run=run)
    model_commands = model.add_subparsers(dest="model_command", required=True)
    listing = model_commands.add_parser("list", help="已发布模型与候选模型")
    listing.set_defaults(handler=_model_list)
    compare = model_commands.add_parser("compare", help="候选模型与在用模型比较")
    compare.add_argument("candidate")
    compare.add_argument("--against", help="与这个已发布模型比较（默认在用模型）")
    compare.add_argument("--json", action="store_true")
    compare.set_defaults(handler=_model_compare)
    promote = model_commands.add_parser("promote", help="发布候选模型到全部 Rasa 实例")
    promote.add_argument("candidate")
    _who(promote)
    promote.set_defaults(handler=_model_promote)
    rollback = model_commands.add_parser("rollback", help="回滚到 models/ 中较早的模型")
    rollback.add_argument("model")
    _who(rollback)
    rollback.set_defaults(handler=_model_rollback)


def _who(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--reason", help="原因（记入审计日志）")
    parser.add_argument("--by", default=None, help="操作人（默认 cli:<系统用户>）")


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Run the chosen subcommand against the log database and Rasa instances."""
    handler: Handler = args.handler
    return asyncio.run(_with_service(settings, handler, args))


async def _with_service(
    settings: Settings, handler: Handler, args: argparse.Namespace
) -> int:
    db = LogDatabase(settings.conversation_log_url)
    service: TrainingService | None = None
    try:
        await db.migrate()
        service = TrainingService.create(settings, db)
        await service.recover()
        return await handler(service, db, args)
    except TrainingError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    finally:
        if service is not None:
            await service.close()
        await db.dispose()


def _actor(args: argparse.Namespace) -> str:
    return str(args.by or f"cli:{getpass.getuser()}")


async def _audit(
    db: LogDatabase,
    actor: str,
    action: str,
    target: str,
    reason: str | None,
    details: dict[str, Any],
) -> None:
    async with db.write() as session:
        await audit.append(
            session,
            actor=actor,
            action=action,
            target=target,
            reason=reason,
            details=details,
        )


async def _train_start(
    service: TrainingService, db: LogDatabase, args: argparse.Namespace
) -> int:
    actor = _actor(args)
    job = await service.jobs.start(actor, args.reason)
    await _audit(db, actor, "training.started", f"job:{job.id}", args.reason, {})
    print(f"训练任务 #{job.id} 已开始。")
    last = job.stage
    done = asyncio.ensure_future(service.jobs.wait(job.id))
    while not done.done():
        await asyncio.sleep(1)
        current = await service.jobs.get(job.id)
        if current is not None and current.stage != last:
            last = current.stage
            print(f"  阶段：{STAGE_NAMES[last.value]}", flush=True)
    final = done.result()
    _print_job(final)
    return 0 if final.status.value == "done" else 1


async def _train_status(
    service: TrainingService, _db: LogDatabase, args: argparse.Namespace
) -> int:
    if args.job is not None:
        job = await service.jobs.get(args.job)
        jobs = [job] if job else []
    else:
        jobs = await service.jobs.recent(1)
    if not jobs:
        print("没有训练任务。", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(jobs[0].to_json(), ensure_ascii=False, indent=1))
    else:
        _print_job(jobs[0])
    return 0


async def _model_list(
    service: TrainingService, _db: LogDatabase, _args: argparse.Namespace
) -> int:
    for entry in await service.models.list_models():
        mark = "★ 在用" if entry.live else ("候选" if entry.kind == "candidate" else "")
        print(
            f"{entry.name}\t{entry.modified:%Y-%m-%d %H:%M:%S}\t"
            f"{entry.size / 1e6:.1f} MB\t{mark}"
        )
    return 0


async def _model_compare(
    service: TrainingService, _db: LogDatabase, args: argparse.Namespace
) -> int:
    gate = await service.models.compare(args.candidate, args.against)
    if args.json:
        print(json.dumps(gate.to_json(), ensure_ascii=False, indent=1))
    else:
        _print_gate(gate)
    return 0 if gate.passed else 1


async def _model_promote(
    service: TrainingService, db: LogDatabase, args: argparse.Namespace
) -> int:
    return await _change(service, db, args, "model.promoted", args.candidate)


async def _model_rollback(
    service: TrainingService, db: LogDatabase, args: argparse.Namespace
) -> int:
    return await _change(service, db, args, "model.rolled_back", args.model)


async def _change(
    service: TrainingService,
    db: LogDatabase,
    args: argparse.Namespace,
    action: str,
    model: str,
) -> int:
    actor = _actor(args)
    result: ChangeResult
    if action == "model.promoted":
        result = await service.models.promote(model, actor, args.reason)
    else:
        result = await service.models.rollback(model, actor, args.reason)
    details = {"ok": result.ok, "previous": result.previous}
    await _audit(db, actor, action, model, args.reason, details)
    print(result.message)
    for outcome in result.instances:
        note = "已恢复" if outcome.reverted else (outcome.error or "")
        print(f"  {outcome.url}: {outcome.before} → {outcome.after} {note}".rstrip())
    return 0 if result.ok else 1


def _print_job(job: JobView) -> None:
    print(f"任务 #{job.id}：{STAGE_NAMES[job.stage.value]}（{job.status.value}）")
    print(f"  发起人 {job.requested_by}，开始于 {job.started_at:%Y-%m-%d %H:%M:%S}")
    for stage, seconds in job.stage_seconds.items():
        print(f"  {STAGE_NAMES.get(stage, stage)}：{seconds:.1f} 秒")
    if job.candidate:
        print(f"  候选模型 {job.candidate}")
    if job.gate:
        _print_gate(job.gate)
    if job.error:
        print(f"  错误：{job.error}")
        print("  日志末尾：\n    " + job.log_tail.replace("\n", "\n    "))


def _print_gate(gate: GateResult) -> None:
    print(f"  候选 {gate.candidate} 对比在用 {gate.live}")
    print(f"  准确率 {gate.live_accuracy:.3f} → {gate.candidate_accuracy:.3f}")
    print(f"  宏平均 F1 {gate.live_macro_f1:.3f} → {gate.candidate_macro_f1:.3f}")
    for d in gate.intents:
        if abs(d.delta) > 1e-9:
            print(
                f"    {d.intent}: {d.live_f1:.3f} → {d.candidate_f1:.3f} ({d.delta:+.3f})"
            )
    if gate.passed:
        print("  回归检查通过，可以发布。")
    else:
        print("  回归检查未通过：")
        for reason in gate.reasons:
            print(f"    - {reason}")
