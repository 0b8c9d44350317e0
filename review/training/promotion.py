"""Promote a candidate or roll back to an earlier model on every Rasa instance.

Rasa's ``PUT /model`` swaps the agent of the one instance it reaches
(RasaHQ/rasa#7111), so a change goes to each URL in turn and is verified with
``GET /status``. The instance keeps answering while it loads: the handler
swaps ``app.ctx.agent`` only once the new agent is ready. The archive is also
made the newest in ``models/`` so a restarted Rasa serves it too. When any
instance fails, the ones already switched get their previous model back and
the folder is restored.

Conversations: every message is answered throughout, but the new agent
gets new stores from the endpoints. On Redis (``REDIS_URL``) trackers are
kept; with the embedded in-memory tracker store Rasa starts the new agent
with an empty one, so open conversations start over (a form in progress is
lost). Deployments that promote while citizens talk should run on Redis.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import select

from review.logdb.database import LogDatabase
from review.training import archive
from review.training.errors import GateRefused, ModelNotFound, TrainingError
from review.training.evaluation import Evaluations
from review.training.gate import GateResult
from review.training.models import ChangeAction, ModelChange
from review.training.paths import TrainingPaths
from review.training.rasa_api import InstanceStatus, RasaApi, RasaInstanceError

log = structlog.get_logger(__name__)


@dataclass
class InstanceOutcome:
    """What happened on one Rasa instance."""

    url: str
    before: str | None = None
    after: str | None = None
    switched: bool = False
    reverted: bool = False
    error: str | None = None


@dataclass
class ChangeResult:
    """The outcome of a promotion or rollback, for the console to show and audit."""

    action: str
    model: str
    previous: str | None
    actor: str
    reason: str | None
    ok: bool
    message: str
    instances: list[InstanceOutcome] = field(default_factory=list)
    gate: GateResult | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        data = asdict(self)
        data["gate"] = self.gate.to_json() if self.gate else None
        return data


@dataclass(frozen=True)
class ModelEntry:
    """A model in a listing: served folder or candidates, and whether it is live."""

    name: str
    kind: str  # "served" or "candidate"
    size: int
    modified: dt.datetime
    live: bool


class ModelManager:
    """Lists, compares, promotes and rolls back models."""

    def __init__(
        self,
        db: LogDatabase,
        paths: TrainingPaths,
        rasa: RasaApi,
        rasa_urls: tuple[str, ...],
        evaluations: Evaluations,
        max_intent_f1_drop: float,
    ) -> None:
        """Everything comes from ``Settings`` (see ``service.TrainingService``)."""
        self._db = db
        self._paths = paths
        self._rasa = rasa
        self._urls = rasa_urls
        self._evaluations = evaluations
        self._margin = max_intent_f1_drop
        self._lock = asyncio.Lock()

    async def live_model(self) -> Path | None:
        """The model the instances run (asked first), else the newest served file."""
        for url in self._urls:
            try:
                status = await self._rasa.status(url)
            except RasaInstanceError:
                continue
            if status.model_file:
                path = self._paths.models / Path(status.model_file).name
                if path.is_file():
                    return path
        return archive.newest(self._paths.models)

    async def list_models(self) -> list[ModelEntry]:
        """Served models (newest first), then candidates."""
        live = await self.live_model()
        entries = [
            ModelEntry(i.name, "served", i.size, i.modified, i.path == live)
            for i in archive.listing(self._paths.models)
        ]
        entries += [
            ModelEntry(i.name, "candidate", i.size, i.modified, False)
            for i in archive.listing(self._paths.candidates)
        ]
        return entries

    async def compare(self, candidate: str, against: str | None = None) -> GateResult:
        """Gate a candidate (or served model) against the live model or ``against``.

        Raises:
            ModelNotFound, ModelCorrupt, EngineFailed.
        """
        path = self._locate(candidate)
        if against is not None:
            live: Path | None = archive.find(self._paths.models, against)
        else:
            live = await self.live_model()
        if live is None:
            raise ModelNotFound("还没有正在使用的模型，无法比较。")
        return await self._evaluations.gate(path, live, self._margin)

    async def promote(
        self, candidate: str, actor: str, reason: str | None = None
    ) -> ChangeResult:
        """Gate, move into ``models/``, load on every instance, verify.

        Raises:
            ModelNotFound, ModelCorrupt: Nothing was changed.
            GateRefused: The candidate is worse; nothing was changed.
        """
        async with self._lock:
            source = archive.find(self._paths.candidates, candidate)
            expected_id = await asyncio.to_thread(archive.model_id, source)
            live = await self.live_model()
            gate = None
            if live is not None:
                gate = await self._evaluations.gate(source, live, self._margin)
                if not gate.passed:
                    await self._record(
                        ChangeResult(
                            "promote",
                            candidate,
                            live.name,
                            actor,
                            reason,
                            False,
                            "未通过回归检查，未发布。",
                            gate=gate,
                        )
                    )
                    raise GateRefused(gate.reasons)
            target = self._paths.models / candidate
            if target.exists():
                raise TrainingError(f"已发布的模型中已有同名文件 {candidate}。")

            def undo() -> None:
                os.replace(target, source)

            os.replace(source, target)
            os.utime(target)  # newest: what a restarted Rasa serves
            result = await self._switch(
                ChangeAction.PROMOTE, target, expected_id, actor, reason, undo
            )
            result.gate = gate
            await self._record(result)
            return result

    async def rollback(
        self, model: str, actor: str, reason: str | None = None
    ) -> ChangeResult:
        """Serve an earlier model of ``models/`` again, on every instance.

        Raises:
            ModelNotFound, ModelCorrupt: Nothing was changed.
        """
        async with self._lock:
            target = archive.find(self._paths.models, model)
            expected_id = await asyncio.to_thread(archive.model_id, target)
            stat = target.stat()

            def undo() -> None:
                os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))

            os.utime(target)
            result = await self._switch(
                ChangeAction.ROLLBACK, target, expected_id, actor, reason, undo
            )
            await self._record(result)
            return result

    async def history(self, limit: int = 50) -> list[ModelChange]:
        """Recent promotions and rollbacks, newest first."""
        async with self._db.read() as session:
            rows = await session.scalars(
                select(ModelChange).order_by(ModelChange.id.desc()).limit(limit)
            )
            return list(rows)

    def _locate(self, name: str) -> Path:
        try:
            return archive.find(self._paths.candidates, name)
        except ModelNotFound:
            return archive.find(self._paths.models, name)

    async def _switch(
        self,
        action: ChangeAction,
        target: Path,
        expected_id: str,
        actor: str,
        reason: str | None,
        undo: Any,
    ) -> ChangeResult:
        outcomes = [InstanceOutcome(url) for url in self._urls]
        before: dict[str, InstanceStatus] = {}
        failure: str | None = None
        # Every instance must be reachable before any is changed.
        for outcome in outcomes:
            try:
                status = await self._rasa.status(outcome.url)
            except RasaInstanceError as exc:
                outcome.error = str(exc)
                failure = failure or str(exc)
                continue
            before[outcome.url] = status
            outcome.before = status.model_file
        previous = next((s.model_file for s in before.values() if s.model_file), None)
        if failure is None:
            for outcome in outcomes:
                try:
                    await self._rasa.load(outcome.url, target)
                    outcome.switched = True
                    now = await self._rasa.status(outcome.url)
                    outcome.after = now.model_file
                    if now.model_id != expected_id:
                        raise RasaInstanceError(
                            f"Rasa 实例 {outcome.url} 加载后运行的仍是 "
                            f"{now.model_file}，不是 {target.name}。"
                        )
                except RasaInstanceError as exc:
                    outcome.error = str(exc)
                    failure = str(exc)
                    break
        if failure is None:
            log.info("training.model.switched", action=action.value, model=target.name)
            return ChangeResult(
                action.value,
                target.name,
                previous,
                actor,
                reason,
                True,
                f"已在全部 {len(outcomes)} 个 Rasa 实例上启用模型 {target.name}。",
                outcomes,
            )
        await asyncio.to_thread(undo)
        await self._revert(outcomes, before)
        log.warning(
            "training.model.switch_failed", action=action.value, model=target.name
        )
        return ChangeResult(
            action.value,
            target.name,
            previous,
            actor,
            reason,
            False,
            f"未能在全部实例上启用 {target.name}：{failure}"
            "已切换的实例已恢复为原来的模型。",
            outcomes,
        )

    async def _revert(
        self, outcomes: list[InstanceOutcome], before: dict[str, InstanceStatus]
    ) -> None:
        for outcome in outcomes:
            old = before.get(outcome.url)
            if not outcome.switched or old is None or not old.model_file:
                continue
            path = self._paths.models / Path(old.model_file).name
            try:
                await self._rasa.load(outcome.url, path)
                outcome.reverted = True
                outcome.after = (await self._rasa.status(outcome.url)).model_file
            except RasaInstanceError as exc:
                outcome.error = f"{outcome.error or ''} 恢复失败：{exc}".strip()

    async def _record(self, result: ChangeResult) -> None:
        async with self._db.write() as session:
            session.add(
                ModelChange(
                    at=dt.datetime.now(dt.timezone.utc),
                    action=result.action,
                    model=result.model,
                    previous=result.previous,
                    actor=result.actor,
                    reason=result.reason,
                    ok=result.ok,
                    details=json.dumps(result.to_json(), ensure_ascii=False),
                )
            )
