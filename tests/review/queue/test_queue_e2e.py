"""Real conversations through the real Rasa reach the review queue, and their labels export.

Sandbox, action server and Rasa run as processes (``tests/e2e/stack.py``)
with the broker writing the masked log; citizens fall back, press the
"您是想…吗？" buttons, say "都不是" and rephrase, ask for a human, give up.
The queue read from that log must hold every fallback with the right
reasons, masked; labels on it export to valid stand-ins.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from review.logdb.database import LogDatabase
from review.logdb.queries import fallback_messages
from review.queue.annotations import decide, decide_group
from review.queue.export import export_reviewed
from review.queue.labels import Label, Span
from review.queue.queue import QueueGroup, QueueItem, open_groups
from review.queue.signals import Reason
from review.queue.vocabulary import load_vocabulary
from tests.e2e.stack import Stack, http, start_stack

pytestmark = pytest.mark.e2e


class Citizen:
    """One conversation on the REST channel; remembers the last buttons."""

    def __init__(self, stack: Stack) -> None:
        self.url = f"{stack.rasa.url}/webhooks/rest/webhook"
        self.sender = f"web:{uuid.uuid4().hex}"
        self.buttons: list[dict[str, Any]] = []

    def say(self, text: str) -> str:
        status, body = http("POST", self.url, {"sender": self.sender, "message": text})
        assert status == 200 and isinstance(body, list), body
        self.buttons = [b for r in body for b in r.get("buttons") or []]
        return "\n".join(str(r.get("text", "")) for r in body)

    def press(self, title: str) -> str:
        button = next(b for b in self.buttons if b["title"] == title)
        return self.say(button["payload"])


@pytest.fixture(scope="module")
def log_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    work = tmp_path_factory.mktemp("queue-e2e")
    url = f"sqlite:///{work / 'conversations.db'}"
    stack = start_stack(work, env={"CONVERSATION_LOG_URL": url})
    try:
        rephrase = Citizen(stack)
        assert "您是想" in rephrase.say("那个本本到期了咋整")
        rephrase.press("都不是")
        rephrase.say("驾驶证到期了怎么换证")
        handoff = Citizen(stack)
        assert "您是想" in handoff.say("帮我看下那个")
        handoff.press("转人工服务")
        unsure = Citizen(stack)
        unsure.say("粤B12345那个罚单咋弄")
        unsure.say("算了")
        quiet = Citizen(stack)
        quiet.say("车管所几点下班")
        time.sleep(1)
    finally:
        stack.stop()  # the broker flushes on shutdown
    yield url


@pytest.fixture
async def db(log_url: str) -> Any:
    database = LogDatabase(log_url)
    yield database
    await database.dispose()


def _item(groups: list[QueueGroup], text: str) -> QueueItem:
    return next(i for g in groups for i in g.items if i.text == text)


async def test_the_queue_holds_every_fallback_with_its_reasons(db: LogDatabase) -> None:
    async with db.read() as session:
        groups = await open_groups(session)
        fell_back = await fallback_messages(session)
    queued = {i.event_id for g in groups for i in g.items}
    # The log also counts pressed buttons and the message that ends the
    # two-stage loop (the fallback action runs once more to close it).
    not_understood = {
        m.event_id for m in fell_back if m.prediction.intent == "nlu_fallback"
    }
    assert len(not_understood) == 2 and not_understood <= queued
    assert not any(i.text.startswith("/") for g in groups for i in g.items)
    # Understood at once after "都不是": not a fallback of its own.
    assert "驾驶证到期了怎么换证" not in [i.text for g in groups for i in g.items]

    rephrased = _item(groups, "那个本本到期了咋整")
    reasons = {s.reason for s in rephrased.signals}
    assert {Reason.NLU_FALLBACK, Reason.REJECTED_GUESSES, Reason.REPHRASED} <= reasons
    assert (rephrased.suggested_intent or "").startswith("faq/")

    handed = _item(groups, "帮我看下那个")
    assert {Reason.NLU_FALLBACK, Reason.HANDOFF} <= {s.reason for s in handed.signals}

    unsure = _item(groups, "粤B***45那个罚单咋弄")
    assert {Reason.LOW_CONFIDENCE, Reason.STOPPED} <= {s.reason for s in unsure.signals}

    texts = [i.text for g in groups for i in g.items]
    assert "车管所几点下班" not in texts
    assert not any(re.search(r"粤B\d{5}", t) for t in texts)
    scores = [g.score for g in groups]
    assert scores == sorted(scores, reverse=True)


async def test_labels_on_real_messages_export_with_stand_ins(
    db: LogDatabase, tmp_path: Path
) -> None:
    vocabulary = load_vocabulary()
    async with db.read() as session:
        groups = await open_groups(session)
    rephrased = _item(groups, "那个本本到期了咋整")
    await decide(
        db,
        rephrased.event_id,
        Label.intent_label("faq/driving_license_renewal"),
        reviewer="wang",
        expected_version=0,
        vocabulary=vocabulary,
    )
    unsure = next(g for g in groups if g.leader.text == "粤B***45那个罚单咋弄")
    result = await decide_group(
        db,
        unsure.leader.event_id,
        [i.event_id for i in unsure.items],
        Label.intent_label("pay_fine", [Span(0, 7, "plate_number")]),
        reviewer="wang",
        vocabulary=vocabulary,
    )
    assert result.left == ()
    async with db.read() as session:
        report = await export_reviewed(session, vocabulary, out_dir=tmp_path)
        remaining = await open_groups(session)
    assert report.files == {"faq.driving_license_renewal.yml": 1, "pay_fine.yml": 1}
    fine = (tmp_path / "pay_fine.yml").read_text("utf-8")
    assert re.search(r"\[粤B\w{5}\]\(plate_number\)那个罚单咋弄", fine)
    assert "粤B12345" not in fine and "*" not in fine
    assert all(g.leader.text != "那个本本到期了咋整" for g in remaining)
