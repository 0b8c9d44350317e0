"""Web chat JSON API and page headers, against the real gateway app."""

import re
import uuid
from pathlib import Path

import pytest

from channels import texts
from channels.web.routes import CONTENT_SECURITY_POLICY
from tests.channels.gateway import rasa_standin
from tests.channels.gateway.rasa_standin import RasaStandIn
from tests.channels.gateway.redis_server import free_port
from tests.channels.web.conftest import WebFactory

STATIC = Path(__file__).resolve().parents[3] / "channels" / "web" / "static"


def new_id() -> str:
    return str(uuid.uuid4())


def body(conversation: str, **fields: str) -> dict[str, str]:
    return {"conversation_id": conversation, "message_id": new_id(), **fields}


async def test_message_round_trip(make_web: WebFactory, rasa: RasaStandIn) -> None:
    client = await make_web()
    conversation = new_id()
    response = await client.post(
        "/web/api/messages", json=body(conversation, text="预约驾考")
    )
    assert response.status == 200
    assert response.headers["Cache-Control"] == "no-store"
    data = await response.json()
    assert data["status"] == "answered"
    assert data["replies"] == [
        {
            "text": rasa_standin.EXAM_QUESTION,
            "choices": rasa_standin.EXAM_CHOICES,
            "links": [],
            "image_url": None,
        }
    ]
    # The conversation id never reaches Rasa: only its keyed hash does.
    assert conversation not in rasa.turns[0]["sender"]
    chosen = rasa_standin.EXAM_CHOICES[0]
    response = await client.post(
        "/web/api/messages",
        json=body(conversation, payload=chosen["payload"], text=chosen["title"]),
    )
    data = await response.json()
    assert data["replies"][0]["text"].startswith("好的，您选择了科目一")
    assert data["replies"][1]["links"] == [
        {"title": "考试须知", "url": rasa_standin.GUIDE_URL}
    ]
    assert rasa.texts_received()[-1] == chosen["payload"]


async def test_retry_with_same_message_id_is_answered_once(
    make_web: WebFactory, rasa: RasaStandIn
) -> None:
    client = await make_web()
    message = body(new_id(), text="你好")
    first = await (await client.post("/web/api/messages", json=message)).json()
    again = await (await client.post("/web/api/messages", json=message)).json()
    assert len(rasa.turns) == 1
    assert again["replies"] == first["replies"] and again["duplicate"] is True


async def test_history_after_reconnect(make_web: WebFactory, rasa: RasaStandIn) -> None:
    client = await make_web()
    conversation = new_id()
    await client.post("/web/api/messages", json=body(conversation, text="预约驾考"))
    chosen = rasa_standin.EXAM_CHOICES[1]
    await client.post(
        "/web/api/messages",
        json=body(conversation, payload=chosen["payload"], text=chosen["title"]),
    )
    response = await client.get(f"/web/api/history?conversation_id={conversation}")
    assert response.status == 200
    messages = (await response.json())["messages"]
    assert [(m["role"], m["text"]) for m in messages] == [
        ("user", "预约驾考"),
        ("bot", rasa_standin.EXAM_QUESTION),
        ("user", "科目二"),
        ("bot", "好的，您选择了科目二。请问想约哪一天？"),
        ("bot", ""),
    ]
    assert messages[1]["choices"] == rasa_standin.EXAM_CHOICES
    other = await client.get(f"/web/api/history?conversation_id={new_id()}")
    assert (await other.json())["messages"] == []


@pytest.mark.parametrize(
    ("payload", "status", "reason"),
    [
        (
            {"conversation_id": "abc", "message_id": str(uuid.uuid4()), "text": "你好"},
            400,
            "bad_conversation_id",
        ),
        (
            {
                "conversation_id": "../../etc",
                "message_id": str(uuid.uuid4()),
                "text": "你好",
            },
            400,
            "bad_conversation_id",
        ),
        (
            {
                "conversation_id": str(uuid.uuid4()).upper(),
                "message_id": str(uuid.uuid4()),
                "text": "你好",
            },
            400,
            "bad_conversation_id",
        ),
        (
            {
                "conversation_id": str(uuid.uuid1()),
                "message_id": str(uuid.uuid4()),
                "text": "你好",
            },
            400,
            "bad_conversation_id",
        ),
        (
            {"conversation_id": str(uuid.uuid4()), "message_id": 7, "text": "你好"},
            400,
            "bad_message_id",
        ),
        (
            {"conversation_id": str(uuid.uuid4()), "message_id": str(uuid.uuid4())},
            400,
            "empty_message",
        ),
        (
            {
                "conversation_id": str(uuid.uuid4()),
                "message_id": str(uuid.uuid4()),
                "text": ["x"],
            },
            400,
            "bad_text",
        ),
        (
            {
                "conversation_id": str(uuid.uuid4()),
                "message_id": str(uuid.uuid4()),
                "text": "长" * 2001,
            },
            400,
            "bad_text",
        ),
        (["not", "an", "object"], 400, "bad_json"),
    ],
)
async def test_malformed_messages_are_rejected_with_a_reason(
    make_web: WebFactory, rasa: RasaStandIn, payload: object, status: int, reason: str
) -> None:
    client = await make_web()
    response = await client.post("/web/api/messages", json=payload)
    assert response.status == status
    assert (await response.json()) == {"error": reason}
    assert rasa.turns == []


async def test_transport_rules(make_web: WebFactory, rasa: RasaStandIn) -> None:
    client = await make_web()
    valid = body(new_id(), text="你好")
    form = await client.post("/web/api/messages", data={"text": "你好"})
    assert form.status == 415
    foreign = await client.post(
        "/web/api/messages", json=valid, headers={"Origin": "https://evil.example"}
    )
    assert foreign.status == 403
    huge = await client.post(
        "/web/api/messages",
        data=b"{" + b" " * 20_000 + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert huge.status == 413
    broken = await client.post(
        "/web/api/messages", data=b"{", headers={"Content-Type": "application/json"}
    )
    assert broken.status == 400
    assert rasa.turns == []
    same_origin = await client.post(
        "/web/api/messages",
        json=valid,
        headers={"Origin": str(client.make_url("")).rstrip("/")},
    )
    assert same_origin.status == 200


async def test_rasa_down_still_answers_with_the_fallback(
    make_web: WebFactory, rasa: RasaStandIn
) -> None:
    client = await make_web()
    rasa.status = 503
    response = await client.post("/web/api/messages", json=body(new_id(), text="你好"))
    assert response.status == 200
    data = await response.json()
    assert data["status"] == "failed"
    assert [r["text"] for r in data["replies"]] == [texts.UNAVAILABLE]
    history = await client.get(f"/web/api/history?conversation_id={new_id()}")
    assert history.status == 503


async def test_store_down_asks_the_page_to_retry(make_web: WebFactory) -> None:
    client = await make_web(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    response = await client.post("/web/api/messages", json=body(new_id(), text="你好"))
    assert response.status == 503
    assert response.headers["Retry-After"] == "2"


async def test_history_validates_the_conversation_id(make_web: WebFactory) -> None:
    client = await make_web()
    assert (await client.get("/web/api/history")).status == 400
    bad = await client.get("/web/api/history?conversation_id=web:abc")
    assert bad.status == 400


async def test_page_and_static_files_carry_a_strict_policy(
    make_web: WebFactory,
) -> None:
    client = await make_web()
    page = await client.get("/")
    assert page.status == 200
    assert page.headers["Content-Type"].startswith("text/html")
    csp = page.headers["Content-Security-Policy"]
    assert csp == CONTENT_SECURITY_POLICY
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    html = await page.text()
    assert "政务服务智能助手" in html and 'lang="zh-CN"' in html
    for name, kind in (("chat.js", "text/javascript"), ("chat.css", "text/css")):
        response = await client.get(f"/web/static/{name}")
        assert response.status == 200
        assert response.headers["Content-Type"].startswith(kind)
    assert (await client.get("/web/static/index.html")).status == 404
    assert (await client.get("/web/static/..%2Froutes.py")).status == 404
    assert (await client.get("/favicon.ico")).status == 204


def test_page_loads_nothing_from_elsewhere_and_never_uses_inner_html() -> None:
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    script = (STATIC / "chat.js").read_text(encoding="utf-8")
    css = (STATIC / "chat.css").read_text(encoding="utf-8")
    assert not re.search(r"(src|href)=\"(https?:)?//", html)
    assert "<script>" not in html and " style=" not in html and "onclick" not in html
    assert "@import" not in css and "url(" not in css
    sinks = r"\.(innerHTML|outerHTML|insertAdjacentHTML)\b|document\.write|\beval\("
    assert re.search(sinks, script) is None
    assert "textContent" in script
