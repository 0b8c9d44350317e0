"""The review queue in the staff console: ranked groups, annotation, export.

``setup(app, settings)`` mounts (see ``review.console.app`` for the contract):

- ``GET /queue`` (reviewer): open groups, best first, paged;
- ``GET /queue/item/{event_id}`` (reviewer): one message, its context, its
  group and current decision, and the annotation form (``static/annotate.js``
  marks entity spans in the browser);
- ``POST /queue/item/{event_id}`` (reviewer): label, out of scope or skip,
  for the message or its whole group (optimistic concurrency: the form
  carries the version the reviewer saw);
- ``POST /queue/export`` (trainer): write the labelled examples into
  ``data/nlu/reviewed`` and show what was written and skipped.

Where the export writes and what it reads come from ``QueueConfig``
(``app[CONFIG]``), the service layer's own defaults unless replaced.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.settings import Settings
from review.console.auditing import audit_change
from review.console.auth import current_user, require_role
from review.console.keys import DB
from review.console.models import Role
from review.console.problems import problem
from review.console.render import render
from review.queue import annotations as decisions
from review.queue.choices import (
    SKIP_REASONS,
    describe_intent,
    entity_choices,
    intent_choices,
)
from review.queue.errors import Conflict, InvalidLabel, ItemNotFound, Problem
from review.queue.export import (
    EVAL_DIR,
    REVIEWED_DIR,
    TRAINING_DIR,
    ExportReport,
    export_reviewed,
)
from review.queue.labels import Label, Span
from review.queue.models import Decision
from review.queue.queue import (
    DEFAULT_PAGE_SIZE,
    DEFAULT_WINDOW,
    QueueGroup,
    QueueItem,
    QueueOptions,
    find_group,
    message_context,
    queue_page,
)
from review.queue.signals import DEFAULT_LOW_CONFIDENCE
from review.queue.vocabulary import DOMAIN_DIR, ROOT, Vocabulary, load_vocabulary

__all__ = ["CONFIG", "QueueConfig", "setup"]

BEIJING = ZoneInfo("Asia/Shanghai")
# A group decision names its members; more than this is not a form a person sent.
MAX_MEMBERS = 500
MAX_SPANS = 50
_EXAMPLES_SHOWN = 4
_DECISIONS = {d.value: d for d in Decision}


@dataclass(frozen=True)
class QueueConfig:
    """What the queue pages read and where the export writes.

    Attributes:
        domain_dir: The domain the allowed labels come from.
        out_dir: Where the export writes (``data/nlu/reviewed``).
        training_dirs: Existing training data (the export's duplicate check).
        eval_dir: Frozen evaluation data (never written, never exported).
        window: How far back the queue looks.
        low_confidence: Confidence under which a message is queued.
        page_size: Groups per page.
    """

    domain_dir: Path = DOMAIN_DIR
    out_dir: Path = REVIEWED_DIR
    training_dirs: tuple[Path, ...] = (TRAINING_DIR,)
    eval_dir: Path = EVAL_DIR
    window: dt.timedelta = DEFAULT_WINDOW
    low_confidence: float = DEFAULT_LOW_CONFIDENCE
    page_size: int = DEFAULT_PAGE_SIZE

    def options(self) -> QueueOptions:
        """The queue's read options as of now."""
        since = dt.datetime.now(dt.timezone.utc) - self.window
        return QueueOptions(since=since, low_confidence=self.low_confidence)


CONFIG = web.AppKey("queue_config", QueueConfig)


@dataclass(frozen=True)
class FormState:
    """What the annotation form shows: the stored decision or what was sent."""

    intent: str | None
    spans: tuple[Span, ...]
    version: int


def _config(request: web.Request) -> QueueConfig:
    return request.app[CONFIG]


def _vocabulary(request: web.Request) -> Vocabulary:
    # Read per request: a label added to the domain is offered at once.
    return load_vocabulary(_config(request).domain_dir)


def _beijing(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def _int(raw: str | None, default: int) -> int:
    try:
        return int(raw) if raw is not None else default
    except ValueError:
        return default


def _reasons(items: Sequence[QueueItem]) -> list[tuple[str, int]]:
    """The members' reasons in Chinese, each with how many members have it."""
    found: Counter[str] = Counter()
    for item in items:
        found.update(list(dict.fromkeys(s.label for s in item.signals)))
    return found.most_common()


def _guess(item: QueueItem) -> str:
    if item.top_intent is None:
        return "—"
    return f"{item.top_intent}（{item.top_confidence or 0:.2f}）"


def _group_view(group: QueueGroup, rank: int) -> dict[str, Any]:
    lead = group.leader
    return {
        "rank": rank,
        "id": group.id,
        "leader": lead,
        "size": len(group.items),
        "score": group.score,
        "reasons": _reasons(group.items),
        "guess": _guess(lead),
        "suggested": group.suggested_intent,
        "suggested_text": describe_intent(group.suggested_intent or ""),
        "examples": group.items[1 : 1 + _EXAMPLES_SHOWN],
        "more": max(0, len(group.items) - 1 - _EXAMPLES_SHOWN),
        "when": _beijing(lead.timestamp),
    }


def _saved_notice(query: Mapping[str, str]) -> dict[str, Any] | None:
    saved = _int(query.get("saved"), 0)
    if saved <= 0:
        return None
    left = [int(x) for x in query.get("left", "").split(",") if x.isdigit()]
    return {"event_id": saved, "count": _int(query.get("n"), 1), "left": left}


@require_role("reviewer")
async def queue_list(request: web.Request) -> web.Response:
    """The open groups, best first."""
    config = _config(request)
    wanted = max(1, _int(request.query.get("page"), 1))
    async with request.app[DB].read() as session:
        page = await queue_page(
            session, page=wanted, page_size=config.page_size, options=config.options()
        )
        if page.groups == () and wanted > page.pages:
            page = await queue_page(
                session,
                page=page.pages,
                page_size=config.page_size,
                options=config.options(),
            )
    first = (page.page - 1) * page.page_size + 1
    groups = [_group_view(g, n) for n, g in enumerate(page.groups, start=first)]
    return render(
        request,
        "queue/list.html",
        {
            "page": page,
            "groups": groups,
            "saved": _saved_notice(request.query),
            "days": config.window.days,
            "may_export": current_user(request).may(Role.TRAINER),
        },
    )


def _predicted_spans(
    item: QueueItem | None, text: str, vocabulary: Vocabulary
) -> tuple[Span, ...]:
    """The model's entities as a starting point (well-formed, known, disjoint)."""
    if item is None:
        return ()
    spans: list[Span] = []
    for entity in sorted(item.entities, key=lambda e: (e.start or 0, e.end or 0)):
        start, end = entity.start, entity.end
        if start is None or end is None or not 0 <= start < end <= len(text):
            continue
        if entity.entity not in vocabulary.entities:
            continue
        if spans and start < spans[-1].end:
            continue
        spans.append(Span(start, end, entity.entity))
    return tuple(spans)


async def _item_page(
    request: web.Request,
    event_id: int,
    *,
    form: FormState | None = None,
    errors: Sequence[Problem] = (),
    conflict: Conflict | None = None,
    status: int = 200,
) -> web.Response:
    """The annotation page of one message (also re-shown after a refusal)."""
    config = _config(request)
    vocabulary = _vocabulary(request)
    async with request.app[DB].read() as session:
        context = await message_context(session, event_id)
        if context is None or context.turn.text is None:
            return problem(request, 404, "not_found", str(ItemNotFound(event_id)))
        current = await decisions.get_annotation(session, event_id)
        history = await decisions.revisions(session, event_id)
        group = (
            None if current else await find_group(session, event_id, config.options())
        )
    text = context.turn.text
    item = (
        next((i for i in group.items if i.event_id == event_id), None)
        if group
        else None
    )
    if form is None:
        if current is not None:
            form = FormState(current.intent, current.entities, current.version)
        else:
            suggested = (group.suggested_intent if group else None) or (
                item.suggested_intent if item else None
            )
            form = FormState(suggested, _predicted_spans(item, text, vocabulary), 0)
    members = [i for i in group.items if i.event_id != event_id] if group else []
    return render(
        request,
        "queue/item.html",
        {
            "event_id": event_id,
            "context": context,
            "text": text,
            "item": item,
            "guess": _guess(item) if item else None,
            "reasons": list(item.signals) if item else [],
            "members": members,
            "group_ids": [i.event_id for i in group.items] if group else [],
            "current": current,
            "current_text": describe_intent(current.intent or "") if current else None,
            "history": history,
            "form": form,
            "spans_json": json.dumps(
                [s.to_json() for s in form.spans], ensure_ascii=False
            ),
            "intents": intent_choices(vocabulary),
            "entities": entity_choices(vocabulary),
            "errors": errors,
            "conflict": conflict,
            "beijing": _beijing,
        },
        status=status,
    )


def _event_id(request: web.Request) -> int | None:
    raw = request.match_info.get("event_id", "")
    return int(raw) if raw.isdigit() and len(raw) < 19 else None


@require_role("reviewer")
async def item_page(request: web.Request) -> web.Response:
    """One message with its context and the annotation form."""
    event_id = _event_id(request)
    if event_id is None:
        return problem(request, 404, "not_found", "找不到这条消息。")
    return await _item_page(request, event_id)


def _field(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _spans(raw: str) -> tuple[Span, ...]:
    """The entity spans the form sent (JSON written by ``annotate.js``)."""
    if not raw:
        return ()
    try:
        data = json.loads(raw)
    except ValueError:
        data = None
    if not isinstance(data, list) or not all(isinstance(d, dict) for d in data):
        raise InvalidLabel(
            [Problem("span_shape", "实体标注的格式无法识别，请刷新页面后重试")]
        )
    if len(data) > MAX_SPANS:
        raise InvalidLabel(
            [Problem("span_shape", f"一条消息最多标注 {MAX_SPANS} 个实体")]
        )
    return tuple(Span.from_json(d) for d in data)


def _label(decision: Decision, intent: str, spans: tuple[Span, ...]) -> Label:
    if decision is Decision.SKIP:
        return Label.skip()
    if decision is Decision.OUT_OF_SCOPE:
        return Label.out_of_scope(spans)
    return Label.intent_label(intent, spans)


def _members(form: Any, event_id: int) -> list[int]:
    """The group members the reviewer saw (the leader first)."""
    ids = [event_id]
    for raw in form.getall("member", []):
        if isinstance(raw, str) and raw.isdigit() and len(raw) < 19:
            ids.append(int(raw))
    return list(dict.fromkeys(ids))[:MAX_MEMBERS]


@require_role("reviewer")
async def label_submit(request: web.Request) -> web.StreamResponse:
    """Record a decision about a message, or its group; audited as ``queue.label``."""
    event_id = _event_id(request)
    if event_id is None:
        return problem(request, 404, "not_found", "找不到这条消息。")
    form = await request.post()
    decision = _DECISIONS.get(_field(form, "decision"))
    intent = _field(form, "intent")
    version = max(0, _int(_field(form, "version") or None, 0))
    try:
        spans = _spans(_field(form, "entities"))
    except InvalidLabel as exc:
        shown = FormState(intent or None, (), version)
        return await _item_page(
            request, event_id, form=shown, errors=exc.problems, status=400
        )
    shown = FormState(intent or None, spans, version)
    if decision is None:
        refused = [Problem("decision", "请选择保存标注、标为超出范围或跳过")]
        return await _item_page(
            request, event_id, form=shown, errors=refused, status=400
        )
    label = _label(decision, intent, spans)
    staff = current_user(request)
    members = _members(form, event_id) if _field(form, "apply_group") == "1" else []
    try:
        if len(members) > 1 and version == 0:
            result = await decisions.decide_group(
                request.app[DB],
                event_id,
                members,
                label,
                reviewer=staff.username,
                vocabulary=_vocabulary(request),
                audited=True,
            )
            decided, left = list(result.decided), list(result.left)
        else:
            done = await decisions.decide(
                request.app[DB],
                event_id,
                label,
                reviewer=staff.username,
                expected_version=version,
                vocabulary=_vocabulary(request),
                audited=True,
            )
            decided, left = [done], []
    except ItemNotFound as exc:
        if exc.event_id == event_id:
            return problem(request, 404, "not_found", str(exc))
        missing = [Problem("member_missing", str(exc))]
        return await _item_page(
            request, event_id, form=shown, errors=missing, status=400
        )
    except InvalidLabel as exc:
        return await _item_page(
            request, event_id, form=shown, errors=exc.problems, status=400
        )
    except Conflict as exc:
        return await _item_page(request, event_id, form=shown, conflict=exc, status=409)
    # The service wrote the queue.label audit row in the decision's transaction.
    query = f"saved={event_id}&n={len(decided)}"
    if left:
        query += "&left=" + ",".join(str(i) for i in left)
    raise web.HTTPSeeOther(location=f"/queue?{query}")


def _shown_path(path: Path) -> str:
    """A repository path as ``data/nlu/reviewed``; others in full."""
    resolved = path.resolve()
    if resolved.is_relative_to(ROOT):
        return str(resolved.relative_to(ROOT))
    return str(resolved)


def _report_view(report: ExportReport) -> dict[str, Any]:
    return {
        "files": sorted(report.files.items()),
        "exported": report.exported,
        "removed": report.removed,
        "skipped": [
            {
                "annotation_id": s.annotation_id,
                "reason": s.reason,
                "reason_text": SKIP_REASONS.get(s.reason, s.reason),
                "detail": s.detail,
            }
            for s in report.skipped
        ],
    }


@require_role("trainer")
async def export_submit(request: web.Request) -> web.Response:
    """Write the labelled examples into the training data; audited as ``queue.export``."""
    config = _config(request)
    try:
        async with request.app[DB].read() as session:
            report = await export_reviewed(
                session,
                _vocabulary(request),
                out_dir=config.out_dir,
                training_dirs=config.training_dirs,
                eval_dir=config.eval_dir,
            )
    except (ValueError, OSError) as exc:
        return problem(request, 500, "export_failed", f"写入训练数据失败：{exc}")
    target = _shown_path(config.out_dir)
    await audit_change(
        request,
        "queue.export",
        target,
        details={"files": report.files, "skipped": len(report.skipped)},
    )
    return render(
        request,
        "queue/export.html",
        {"target": target, "report": _report_view(report)},
    )


def setup(
    app: web.Application, settings: Settings, config: QueueConfig | None = None
) -> None:
    """Mount the queue pages; ``config`` (default: the service's) lands in ``app[CONFIG]``."""
    del settings  # nothing of the queue is configured by environment yet
    app[CONFIG] = config or QueueConfig()
    app.router.add_get("/queue", queue_list)
    # Any segment reaches the handler (which answers 404 for a non-number),
    # so that a stranger is told to log in before anything else.
    app.router.add_get("/queue/item/{event_id:[^/]+}", item_page)
    app.router.add_post("/queue/item/{event_id:[^/]+}", label_submit)
    app.router.add_post("/queue/export", export_submit)
