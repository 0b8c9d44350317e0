"""A loopback stand-in for Rasa 3.6's REST channel and tracker API.

Rasa is a third-party seam: a real Rasa per test is far too slow, so this small
aiohttp app answers like Rasa does, including its awkward cases: ``200 []``
for a paused conversation (after a handoff) and for a failed turn, the
``?token=`` check on ``/conversations/{sender}/tracker``, ``include_events``,
and ``POST /conversations/{sender}/tracker/events`` (a ``resume`` event
un-pauses, as in Rasa; set ``append_status`` to make it fail).
Its "dialogue" is a fixed script keyed on the message text; every request is
recorded so tests can count turns and see exactly what Rasa received.
"""

import asyncio
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKEN = "sandbox-rasa-token"
GREETING = "您好！我是政务服务智能助手，请问有什么可以帮您？"
HANDOFF = "好的，正在为您转接人工客服，工作人员会尽快在这里回复您。"
EXAM_QUESTION = "请选择要预约的考试科目："
EXAM_CHOICES = [
    {"title": "科目一", "payload": '/inform{"exam_subject": "科目一"}'},
    {"title": "科目二", "payload": '/inform{"exam_subject": "科目二"}'},
]
GUIDE_URL = "https://www.sz-sandbox.gov.cn/guide/exam"
_INFORM = re.compile(r'/inform\{"exam_subject": "(?P<subject>[^"]+)"\}')


@dataclass
class RasaStandIn:
    """Scripted Rasa. Set ``delay_s``, ``status`` or ``empty`` to misbehave."""

    token: str = TOKEN
    url: str = ""
    delay_s: float = 0.0
    status: int = 200
    empty: bool = False
    turns: list[dict[str, Any]] = field(default_factory=list)
    tracker_reads: list[dict[str, str]] = field(default_factory=list)
    events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    paused: set[str] = field(default_factory=set)
    slots: dict[str, dict[str, Any]] = field(default_factory=dict)
    appended: list[tuple[str, list[dict[str, Any]]]] = field(default_factory=list)
    append_status: int = 200

    def app(self) -> web.Application:
        """The aiohttp app to serve on loopback."""
        app = web.Application()
        app.router.add_post("/webhooks/rest/webhook", self._webhook)
        app.router.add_get("/conversations/{sender}/tracker", self._tracker)
        app.router.add_post(
            "/conversations/{sender}/tracker/events", self._append_events
        )
        return app

    def texts_received(self) -> list[str]:
        """The ``message`` of every turn, in order."""
        return [turn["message"] for turn in self.turns]

    def _script(self, sender: str, text: str) -> list[dict[str, Any]]:
        if text == "/greet":
            return [{"text": GREETING}]
        if text == "预约驾考":
            return [{"text": EXAM_QUESTION, "buttons": EXAM_CHOICES}]
        match = _INFORM.fullmatch(text)
        if match:
            subject = match.group("subject")
            return [
                {"text": f"好的，您选择了{subject}。请问想约哪一天？"},
                {"custom": {"links": [{"title": "考试须知", "url": GUIDE_URL}]}},
            ]
        if text == "转人工":
            self.paused.add(sender)
            return [{"text": HANDOFF}, {"custom": {"handoff": True}}]
        if text == "办事指南":
            return [
                {
                    "text": "请查看办事指南：",
                    "image": "https://www.sz-sandbox.gov.cn/map.png",
                    "buttons": [{"title": "在线办理", "url": GUIDE_URL}],
                }
            ]
        return [{"text": f"您说的是：{text}"}]

    async def _webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.turns.append(body)
        sender, text = body["sender"], body["message"]
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if self.status != 200:
            return web.Response(status=self.status, text="Internal Server Error")
        log = self.events.setdefault(sender, [])
        log.append(
            {
                "event": "user",
                "text": text,
                "metadata": body.get("metadata"),
                "timestamp": time.time(),
            }
        )
        if self.empty or sender in self.paused:
            return web.json_response([])
        messages = self._script(sender, text)
        if sender in self.paused:  # this turn handed off
            log.append(
                {
                    "event": "action",
                    "name": "action_human_handoff",
                    "timestamp": time.time(),
                }
            )
        for message in messages:
            data = {k: v for k, v in message.items() if k != "text"}
            log.append(
                {
                    "event": "bot",
                    "text": message.get("text"),
                    "data": data,
                    "timestamp": time.time(),
                }
            )
        return web.json_response(
            [{"recipient_id": sender, **message} for message in messages]
        )

    async def _tracker(self, request: web.Request) -> web.Response:
        self.tracker_reads.append(dict(request.query))
        if self.status != 200:
            return web.Response(status=self.status, text="Internal Server Error")
        if request.query.get("token") != self.token:
            return web.json_response(
                {"status": "failure", "reason": "NotAuthenticated"}, status=401
            )
        sender = request.match_info["sender"]
        include = request.query.get("include_events", "AFTER_RESTART")
        events = None if include == "NONE" else self.events.get(sender, [])
        return web.Response(
            text=json.dumps(
                {
                    "sender_id": sender,
                    "paused": sender in self.paused,
                    "slots": self.slots.get(sender, {}),
                    "events": events,
                }
            ),
            content_type="application/json",
        )

    async def _append_events(self, request: web.Request) -> web.Response:
        if request.query.get("token") != self.token:
            return web.json_response(
                {"status": "failure", "reason": "NotAuthenticated"}, status=401
            )
        if self.append_status != 200:
            return web.Response(status=self.append_status, text="Internal Server Error")
        sender = request.match_info["sender"]
        body = await request.json()
        events = body if isinstance(body, list) else [body]
        self.appended.append((sender, events))
        for event in events:
            if event.get("event") == "resume":
                self.paused.discard(sender)
            self.events.setdefault(sender, []).append(event)
        return web.json_response({"sender_id": sender, "paused": sender in self.paused})
