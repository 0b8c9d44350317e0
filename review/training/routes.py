"""Retrain, compare and promote (训练与发布) in the staff console.

``setup(app, settings)`` mounts (see ``review.console.app`` for the contract):

- ``GET /training`` (trainer): the running or latest job with its stages, the
  candidate's comparison with the live model (per-intent F1, the gate's
  verdict and reasons), the models (live, served, candidates) and the history
  of promotions and rollbacks;
- ``POST /training/jobs`` (trainer): start retraining in the background
  (``training.started``);
- ``GET /training/jobs/{id}`` (trainer): the job as JSON, polled by
  ``static/training.js`` to show progress;
- ``POST /training/promote`` (admin): promote a candidate that passed the
  gate into every Rasa instance (``model.promoted``);
- ``POST /training/rollback`` (admin): serve an earlier model again
  (``model.rolled_back``).

Trainers prepare candidates; what citizens get changes only by an admin's
hand (promotion and rollback), and never past a failed regression gate.
Paths come from ``TrainingPaths.from_settings`` unless ``app[PATHS]`` is set
before the app starts (tests train on copies).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from bot.settings import Settings
from review.console.auditing import audit_change
from review.console.auth import current_user, require_role
from review.console.keys import DB
from review.console.models import Role
from review.console.render import render
from review.training.errors import (
    AlreadyRunning,
    GateRefused,
    ModelCorrupt,
    ModelNotFound,
    TrainingError,
)
from review.training.gate import GateResult
from review.training.jobs import JobView
from review.training.paths import TrainingPaths
from review.training.service import TrainingService

__all__ = ["PATHS", "SERVICE", "STAGE_NAMES", "setup"]

PATHS = web.AppKey("training_paths", TrainingPaths)
SERVICE = web.AppKey("training_service", TrainingService)
_SETTINGS = web.AppKey("training_settings", Settings)

STAGE_NAMES = {
    "preparing": "准备中",
    "training_nlu": "训练语义理解（NLU）",
    "training_dialogue": "训练对话策略",
    "evaluating": "在冻结测试集上评估并与在用模型比较",
    "done": "已完成",
    "failed": "失败",
}
STATUS_NAMES = {"running": "进行中", "done": "已完成", "failed": "失败"}
MAX_REASON_CHARS = 500
_BEIJING = dt.timezone(dt.timedelta(hours=8))


def _aware(moment: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes; they were written in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def _when(moment: dt.datetime | None) -> str:
    if moment is None:
        return "-"
    return _aware(moment).astimezone(_BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def _elapsed(view: JobView) -> int:
    if view.finished_at is None:
        now = dt.datetime.now(dt.timezone.utc)
        return round((now - _aware(view.started_at)).total_seconds())
    return round(sum(view.stage_seconds.values()))


def _job(view: JobView) -> dict[str, Any]:
    return {
        "id": view.id,
        "status": view.status.value,
        "status_text": STATUS_NAMES[view.status.value],
        "stage": view.stage.value,
        "stage_text": STAGE_NAMES[view.stage.value],
        "by": view.requested_by,
        "reason": view.reason,
        "started": _when(view.started_at),
        "finished": _when(view.finished_at),
        "seconds": _elapsed(view),
        "candidate": view.candidate,
        "error": view.error,
        "passed": view.gate.passed if view.gate else None,
    }


def _comparison(gate: GateResult) -> dict[str, Any]:
    intents = sorted(gate.intents, key=lambda d: (d.delta, d.intent))
    return {
        "candidate": gate.candidate,
        "live": gate.live,
        "passed": gate.passed,
        "reasons": gate.reasons,
        "margin": gate.margin,
        "accuracy": (gate.live_accuracy, gate.candidate_accuracy),
        "macro_f1": (gate.live_macro_f1, gate.candidate_macro_f1),
        "intents": [
            {
                "intent": d.intent,
                "live": d.live_f1,
                "candidate": d.candidate_f1,
                "delta": d.delta,
                "support": d.support,
            }
            for d in intents
        ],
    }


def _reason(form: Any) -> str | None:
    reason = str(form.get("reason") or "").strip()[:MAX_REASON_CHARS]
    return reason or None


async def _page(
    request: web.Request,
    *,
    notice: str | None = None,
    error: str | None = None,
    reasons: list[str] | None = None,
    status: int = 200,
) -> web.Response:
    service = request.app[SERVICE]
    jobs = await service.jobs.recent(5)
    latest = jobs[0] if jobs else None
    compared = next((j for j in jobs if j.gate is not None), None)
    models_error = None
    try:
        models = await service.models.list_models()
    except TrainingError as exc:
        models, models_error = [], str(exc)
    history = await service.models.history(10)
    staff = current_user(request)
    candidates = {m.name for m in models if m.kind == "candidate"}
    context = {
        "latest": _job(latest) if latest else None,
        "jobs": [_job(j) for j in jobs],
        "comparison": _comparison(compared.gate)
        if compared and compared.gate
        else None,
        "compared_job": compared.id if compared else None,
        "promotable": bool(
            compared
            and compared.gate
            and compared.gate.passed
            and compared.candidate in candidates
        ),
        "candidate": compared.candidate if compared else None,
        "models": [
            {
                "name": m.name,
                "kind": "候选" if m.kind == "candidate" else "已发布",
                "served": m.kind == "served",
                "live": m.live,
                "size_mb": m.size / 1e6,
                "modified": _when(m.modified),
            }
            for m in models
        ],
        "models_error": models_error,
        "history": [
            {
                "at": _when(h.at),
                "action": "发布" if h.action == "promote" else "回滚",
                "model": h.model,
                "previous": h.previous,
                "actor": h.actor,
                "ok": h.ok,
                "reason": h.reason,
            }
            for h in history
        ],
        "may_change": staff.may(Role.ADMIN),
        "notice": notice,
        "error": error,
        "reasons": reasons or [],
        "max_reason": MAX_REASON_CHARS,
    }
    return render(request, "training/page.html", context, status=status)


@require_role("trainer")
async def training_page(request: web.Request) -> web.Response:
    """Jobs, comparison, models and their history."""
    notices = {
        "started": "训练已开始，完成后会自动在冻结测试集上与在用模型比较。",
        "promoted": "新模型已发布到所有智能助手实例。",
        "rolled_back": "已回滚到所选模型。",
    }
    return await _page(request, notice=notices.get(request.query.get("done", "")))


@require_role("trainer")
async def start_job(request: web.Request) -> web.Response:
    """Start retraining in the background."""
    reason = _reason(await request.post())
    staff = current_user(request).username
    try:
        job = await request.app[SERVICE].jobs.start(staff, reason)
    except AlreadyRunning as exc:
        return await _page(request, error=str(exc), status=409)
    await audit_change(request, "training.started", f"job:{job.id}", reason)
    raise web.HTTPSeeOther(location="/training?done=started")


@require_role("trainer")
async def job_status(request: web.Request) -> web.Response:
    """One job as JSON, for the progress poll."""
    try:
        job_id = int(request.match_info["job_id"])
    except ValueError:
        raise web.HTTPNotFound() from None
    view = await request.app[SERVICE].jobs.get(job_id)
    if view is None:
        return web.json_response({"error": "not_found"}, status=404)
    return web.json_response(_job(view), headers={"Cache-Control": "no-store"})


async def _change(request: web.Request, action: str) -> web.Response:
    form = await request.post()
    model = str(form.get("model") or "")
    reason = _reason(form)
    staff = current_user(request).username
    models = request.app[SERVICE].models
    try:
        if action == "model.promoted":
            result = await models.promote(model, staff, reason)
        else:
            result = await models.rollback(model, staff, reason)
    except GateRefused as exc:
        return await _page(
            request,
            error="候选模型未通过回归检查，未发布。",
            reasons=exc.reasons,
            status=409,
        )
    except (ModelNotFound, ModelCorrupt) as exc:
        return await _page(request, error=str(exc) or "找不到该模型文件。", status=404)
    except TrainingError as exc:
        return await _page(request, error=str(exc), status=409)
    await audit_change(
        request,
        action,
        model,
        reason,
        details={"ok": result.ok, "previous": result.previous},
    )
    if not result.ok:
        problems = [f"{o.url}：{o.error}" for o in result.instances if o.error]
        return await _page(request, error=result.message, reasons=problems, status=502)
    done = "promoted" if action == "model.promoted" else "rolled_back"
    raise web.HTTPSeeOther(location=f"/training?done={done}")


@require_role("admin")
async def promote_submit(request: web.Request) -> web.Response:
    """Promote a candidate (the gate is checked again)."""
    return await _change(request, "model.promoted")


@require_role("admin")
async def rollback_submit(request: web.Request) -> web.Response:
    """Serve an earlier model again."""
    return await _change(request, "model.rolled_back")


async def _service(app: web.Application) -> AsyncIterator[None]:
    settings = app[_SETTINGS]
    paths = app.get(PATHS) or TrainingPaths.from_settings(settings)
    service = TrainingService.create(settings, app[DB], paths)
    app[SERVICE] = service
    await service.recover()
    try:
        yield
    finally:
        await service.close()


def setup(app: web.Application, settings: Settings) -> None:
    """Mount the training pages (feature contract of ``review.console.app``)."""
    app[_SETTINGS] = settings
    app.cleanup_ctx.append(_service)
    app.router.add_get("/training", training_page)
    app.router.add_post("/training/jobs", start_job)
    app.router.add_get("/training/jobs/{job_id:[^/]+}", job_status)
    app.router.add_post("/training/promote", promote_submit)
    app.router.add_post("/training/rollback", rollback_submit)
