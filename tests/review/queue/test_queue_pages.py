"""The review queue's console pages, driven through the real console app.

Over HTTP (aiohttp's test client, real forms and CSRF tokens): ranking and
grouping as shown, roles, CSRF, audit rows, conflicts, invalid labels, group
labels, the export and its result page. In headless Chromium: a reviewer
marks an entity span with the keyboard and the mouse and labels the top group.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient
from playwright.async_api import Browser, async_playwright, expect
from pytest_aiohttp import AiohttpClient, AiohttpServer
from sqlalchemy import select

from bot.settings import ROOT, Settings
from review.console.app import create_app
from review.console.models import Role
from review.logdb.database import LogDatabase
from review.logdb.models import AuditEntry
from review.queue.annotations import get_annotation
from review.queue.queue import QueueGroup, open_groups
from review.queue.routes import CONFIG
from tests.review.console.kit import HTML, PASSWORDS, csrf_in, login

POINTS_ID = "1101**********002X"
RAW_IDS = ("44030519900101123X", "440305199001011213", "11010519491231002X")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
TIMEOUT_MS = 10_000
_EVENT = re.compile(r'data-testid="queue-group"[^>]*data-event="(\d+)"')


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    """Where the export writes in these tests (never the repository's data/)."""
    return tmp_path / "reviewed"


@pytest.fixture
def console(settings: Settings, out_dir: Path) -> web.Application:
    """The console with the queue mounted, exporting into ``out_dir``."""
    app = create_app(settings)
    app[CONFIG] = replace(app[CONFIG], out_dir=out_dir)
    return app


Clients = Callable[[], Awaitable[TestClient]]


@pytest.fixture
def clients(
    aiohttp_client: AiohttpClient,
    console: web.Application,
    staff: dict[str, Role],
    city_db: LogDatabase,
) -> Clients:
    """``await clients()``: a new browser-like client on the one console app."""
    started: list[TestClient] = []

    async def make() -> TestClient:
        client: TestClient = await aiohttp_client(
            started[0].server if started else console
        )
        started.append(client)
        return client

    return make


async def _groups(db: LogDatabase) -> list[QueueGroup]:
    async with db.read() as session:
        return await open_groups(session)


async def _audit(db: LogDatabase, action: str) -> list[AuditEntry]:
    async with db.read() as session:
        rows = await session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == action)
            .order_by(AuditEntry.id)
        )
        return list(rows)


async def _form(client: TestClient, event_id: int) -> tuple[str, str]:
    """The item page and its CSRF token."""
    page = await client.get(f"/queue/item/{event_id}", headers=HTML)
    assert page.status == 200
    html = await page.text()
    return html, csrf_in(html)


def _members(html: str) -> list[str]:
    return re.findall(r'name="member" value="(\d+)"', html)


async def _post_label(
    client: TestClient, event_id: int, token: str | None, **fields: str
) -> ClientResponse:
    data = {"version": "0", "entities": "[]", **fields}
    if token is not None:
        data["csrf_token"] = token
    return await client.post(
        f"/queue/item/{event_id}", data=data, headers=HTML, allow_redirects=False
    )


async def test_the_queue_page_shows_ranked_groups_masked_with_chinese_reasons(
    clients: Clients, city_db: LogDatabase
) -> None:
    client = await clients()
    await login(client, "rita")
    page = await client.get("/queue", headers=HTML)
    assert page.status == 200
    html = await page.text()
    groups = await _groups(city_db)
    shown = [int(e) for e in _EVENT.findall(html)]
    assert shown == [g.leader.event_id for g in groups]
    top = groups[0]
    assert f'data-event="{top.leader.event_id}" data-size="4"' in html
    assert "共 4 条" in html
    assert POINTS_ID in html  # masked as stored
    for raw in RAW_IDS:
        assert raw not in html
    for reason in (
        "未能理解",
        "置信度低",
        "之后收到差评",
        "之后转了人工",
        "群众随后纠正",
    ):
        assert reason in html, reason
    assert "未能理解 ×4" in html
    # Reviewers do not see the export button.
    assert 'data-testid="export-form"' not in html
    assert 'data-testid="nav-queue"' in html


async def test_the_item_page_offers_the_real_labels_with_chinese_descriptions(
    clients: Clients, city_db: LogDatabase
) -> None:
    client = await clients()
    await login(client, "rita")
    top = (await _groups(city_db))[0]
    html, _ = await _form(client, top.leader.event_id)
    assert '<option value="query_license_points" selected>' in html  # suggested
    assert "pay_fine — 缴纳交通违法罚款" in html
    assert "faq/hukou — 办事指南：户口迁移落户" in html
    assert '<option value="id_number">' in html
    assert sorted(_members(html)) == sorted(str(i.event_id) for i in top.items[1:])
    assert 'src="/static/queue/annotate.js"' in html
    assert "<script>" not in html  # the CSP forbids inline script
    assert "群众点击按钮：/query_license_points" in html  # the context after it
    script = await client.get("/static/queue/annotate.js")
    assert script.status == 200


async def test_a_group_label_applies_to_its_members_and_is_audited(
    clients: Clients, city_db: LogDatabase
) -> None:
    client = await clients()
    await login(client, "rita")
    top = (await _groups(city_db))[0]
    html, token = await _form(client, top.leader.event_id)
    spans = [{"start": 1, "end": 19, "entity": "id_number"}]
    done = await client.post(
        f"/queue/item/{top.leader.event_id}",
        data=[
            ("csrf_token", token),
            ("version", "0"),
            ("intent", "query_license_points"),
            ("entities", json.dumps(spans)),
            ("apply_group", "1"),
            ("decision", "label"),
            *(("member", m) for m in _members(html)),
        ],
        headers=HTML,
        allow_redirects=False,
    )
    assert done.status == 303, await done.text()
    assert done.headers["Location"].startswith(f"/queue?saved={top.leader.event_id}&n=")
    decided = []
    async with city_db.read() as session:
        for item in top.items:
            annotation = await get_annotation(session, item.event_id)
            if annotation is not None:
                decided.append(item.event_id)
                assert annotation.intent == "query_license_points"
                assert annotation.updated_by == "rita"
                assert [s.entity for s in annotation.entities] == ["id_number"]
    assert len(decided) >= 3 and top.leader.event_id in decided
    queue = await (await client.get(done.headers["Location"], headers=HTML)).text()
    assert f"同组共 {len(decided)} 条消息一并标注" in queue
    assert f'data-event="{top.leader.event_id}"' not in queue
    rows = await _audit(city_db, "queue.label")
    expected = [f"event:{i.event_id}" for i in top.items if i.event_id in decided]
    assert [(r.actor, r.target) for r in rows] == [("rita", ",".join(expected))]
    details = json.loads(rows[0].details)
    assert details["intent"] == "query_license_points"
    assert details["decision"] == "label"


async def test_two_reviewers_at_once_the_second_sees_the_first_decision(
    clients: Clients, city_db: LogDatabase
) -> None:
    rita, tom = await clients(), await clients()
    await login(rita, "rita")
    await login(tom, "tom")
    fine = next(g for g in await _groups(city_db) if "罚单" in g.leader.text).leader
    _, rita_token = await _form(rita, fine.event_id)
    _, tom_token = await _form(tom, fine.event_id)
    plate = json.dumps([{"start": 0, "end": 7, "entity": "plate_number"}])
    first = await _post_label(
        tom,
        fine.event_id,
        tom_token,
        intent="pay_fine",
        entities=plate,
        decision="label",
    )
    assert first.status == 303
    second = await _post_label(
        rita, fine.event_id, rita_token, intent="query_violation", decision="label"
    )
    assert second.status == 409
    html = await second.text()
    assert 'data-testid="conflict"' in html
    assert "tom 已先处理了消息" in html
    assert "pay_fine（实体：plate_number）" in html
    assert "您的标注没有保存" in html
    async with city_db.read() as session:
        kept = await get_annotation(session, fine.event_id)
    assert kept is not None and (kept.intent, kept.updated_by, kept.version) == (
        "pay_fine",
        "tom",
        1,
    )
    assert [r.actor for r in await _audit(city_db, "queue.label")] == ["tom"]
    # Reloaded, the page shows the decision and relabelling from version 1 works.
    html, token = await _form(rita, fine.event_id)
    assert 'data-testid="current-decision"' in html and "由 tom" in html
    again = await _post_label(
        rita,
        fine.event_id,
        token,
        version="1",
        intent="pay_fine",
        entities=plate,
        decision="label",
    )
    assert again.status == 303


async def test_a_label_for_an_intent_that_does_not_exist_is_refused(
    clients: Clients, city_db: LogDatabase
) -> None:
    client = await clients()
    await login(client, "rita")
    item = (await _groups(city_db))[1].leader
    _, token = await _form(client, item.event_id)
    refused = await _post_label(
        client, item.event_id, token, intent="query_weather", decision="label"
    )
    assert refused.status == 400
    html = await refused.text()
    assert "意图“query_weather”不存在" in html
    assert 'data-code="unknown_intent"' in html
    missing = await _post_label(client, item.event_id, token, decision="label")
    assert "请选择一个意图" in await missing.text()
    bad_span = await _post_label(
        client,
        item.event_id,
        token,
        intent="faq/driving_license_renewal",
        entities=json.dumps([{"start": 0, "end": 2, "entity": "weather"}]),
        decision="label",
    )
    assert "实体类型“weather”不存在" in await bad_span.text()
    async with city_db.read() as session:
        assert await get_annotation(session, item.event_id) is None
    assert await _audit(city_db, "queue.label") == []


async def test_out_of_scope_and_skip_leave_the_queue(
    clients: Clients, city_db: LogDatabase
) -> None:
    client = await clients()
    await login(client, "rita")
    groups = await _groups(city_db)
    complaint = next(g for g in groups if "投诉" in g.leader.text).leader
    late = next(g for g in groups if "年审" in g.leader.text).leader
    _, token = await _form(client, complaint.event_id)
    skipped = await _post_label(client, complaint.event_id, token, decision="skip")
    assert skipped.status == 303
    outside = await _post_label(
        client, late.event_id, token, intent="", decision="out_of_scope"
    )
    assert outside.status == 303
    async with city_db.read() as session:
        a = await get_annotation(session, complaint.event_id)
        b = await get_annotation(session, late.event_id)
    assert a is not None and a.decision.value == "skip"
    assert b is not None and (b.decision.value, b.intent) == (
        "out_of_scope",
        "out_of_scope",
    )
    html = await (await client.get("/queue", headers=HTML)).text()
    assert f'data-event="{complaint.event_id}"' not in html
    assert f'data-event="{late.event_id}"' not in html


async def test_changes_without_the_csrf_token_are_refused(
    clients: Clients, city_db: LogDatabase, out_dir: Path
) -> None:
    client = await clients()
    await login(client, "tom")
    item = (await _groups(city_db))[1].leader
    for token in (None, "forged-token"):
        refused = await _post_label(
            client, item.event_id, token, intent="query_inspection", decision="label"
        )
        assert refused.status == 403
        assert "页面已过期" in await refused.text()
    export = await client.post("/queue/export", data={}, headers=HTML)
    assert export.status == 403
    async with city_db.read() as session:
        assert await get_annotation(session, item.event_id) is None
    assert not out_dir.exists()


async def test_reviewers_cannot_export_and_strangers_must_log_in(
    clients: Clients, city_db: LogDatabase, out_dir: Path
) -> None:
    stranger = await clients()
    page = await stranger.get("/queue", headers=HTML, allow_redirects=False)
    assert page.status == 303
    assert page.headers["Location"] == "/login?next=/queue"
    rita = await clients()
    token = await login(rita, "rita")
    denied = await rita.post("/queue/export", data={"csrf_token": token}, headers=HTML)
    assert denied.status == 403
    assert "您的角色无权" in await denied.text()
    assert not out_dir.exists()
    assert await _audit(city_db, "queue.export") == []
    missing = await rita.get("/queue/item/999999", headers=HTML)
    assert missing.status == 404
    assert "找不到消息 999999" in await missing.text()
    assert (await rita.get("/queue/item/abc", headers=HTML)).status == 404


async def test_the_export_writes_labelled_examples_and_shows_what_was_skipped(
    clients: Clients, city_db: LogDatabase, out_dir: Path
) -> None:
    tom = await clients()
    token = await login(tom, "tom")
    top = (await _groups(city_db))[0]
    html, _ = await _form(tom, top.leader.event_id)
    labelled = await tom.post(
        f"/queue/item/{top.leader.event_id}",
        data=[
            ("csrf_token", token),
            ("version", "0"),
            ("intent", "query_license_points"),
            ("entities", json.dumps([{"start": 1, "end": 19, "entity": "id_number"}])),
            ("apply_group", "1"),
            ("decision", "label"),
            *(("member", m) for m in _members(html)),
        ],
        headers=HTML,
        allow_redirects=False,
    )
    assert labelled.status == 303
    queue = await (await tom.get("/queue", headers=HTML)).text()
    assert 'data-testid="export-submit"' in queue
    done = await tom.post("/queue/export", data={"csrf_token": token}, headers=HTML)
    assert done.status == 200
    html = await done.text()
    assert 'data-testid="export-done"' in html
    assert 'data-file="query_license_points.yml"' in html
    # The group's texts differ only in the masked ID: one example, the rest skipped.
    assert 'data-reason="duplicate"' in html and "重复" in html
    written = yaml.safe_load((out_dir / "query_license_points.yml").read_text("utf-8"))
    examples = written["nlu"][0]["examples"]
    assert len(examples) == 1
    assert "(id_number)" in examples[0]["text"]
    assert "*" not in examples[0]["text"]  # a synthetic stand-in, not the mask
    # Shown as the console shows folders: repository-relative when inside it.
    shown = out_dir.resolve()
    target = str(shown.relative_to(ROOT) if shown.is_relative_to(ROOT) else shown)
    assert target in html
    rows = await _audit(city_db, "queue.export")
    assert [(r.actor, r.target) for r in rows] == [("tom", target)]
    assert json.loads(rows[0].details)["files"] == {"query_license_points.yml": 1}


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if CHROMIUM is None:
        pytest.skip("no chromium binary (apt-get install chromium)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox"]
        )
        yield launched
        await launched.close()


@pytest.mark.browser
async def test_a_reviewer_labels_the_top_group_in_chromium(
    browser: Browser,
    aiohttp_server: AiohttpServer,
    console: web.Application,
    staff: dict[str, Role],
    city_db: LogDatabase,
) -> None:
    server = await aiohttp_server(console)
    base = str(server.make_url("/")).rstrip("/")
    context = await browser.new_context(locale="zh-CN")
    page = await context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    top = (await _groups(city_db))[0]

    await page.goto(f"{base}/queue")
    await page.get_by_test_id("username").fill("rita")
    await page.get_by_test_id("password").fill(PASSWORDS["rita"])
    await page.get_by_test_id("password").press("Enter")
    await expect(page.get_by_role("heading", name="审核队列")).to_be_visible()
    first = page.get_by_test_id("queue-group").first
    await expect(first).to_have_attribute("data-event", str(top.leader.event_id))
    await expect(first.get_by_test_id("group-size")).to_have_text("共 4 条")
    await first.get_by_test_id("group-link").click()
    await expect(
        page.get_by_role("heading", name=f"标注消息 #{top.leader.event_id}")
    ).to_be_visible()

    # Keyboard: select "查" (the first character) and mark it, then remove it.
    source = page.get_by_test_id("message-source")
    await source.focus()
    await page.keyboard.press("Control+Home")
    await page.keyboard.press("Shift+ArrowRight")
    await expect(page.get_by_test_id("selection")).to_contain_text("查")
    await page.get_by_test_id("entity-type").select_option("district")
    await page.get_by_test_id("add-entity").focus()
    await page.keyboard.press("Enter")
    await expect(page.get_by_test_id("span-mark")).to_have_text("查")
    await page.get_by_test_id("remove-span").focus()
    await page.keyboard.press("Enter")
    await expect(page.get_by_test_id("span-mark")).to_have_count(0)

    # Mouse: drag over the masked ID number (characters 1 to 19).
    box = await source.bounding_box()
    assert box is not None
    text = top.leader.text
    await source.click(position={"x": 4, "y": 4})
    await page.keyboard.press("Control+Home")
    # Drag along the first line from just after "查" to just before "的",
    # positions measured in the textarea's own font.
    left, right, line = await source.evaluate(
        """(el) => {
          const probe = document.createElement("span");
          const style = getComputedStyle(el);
          probe.style.font = style.font;
          probe.style.visibility = "hidden";
          probe.style.whiteSpace = "pre";
          document.body.append(probe);
          const widthOf = (s) => { probe.textContent = s; return probe.getBoundingClientRect().width; };
          const pad = parseFloat(style.paddingLeft) + parseFloat(style.borderLeftWidth);
          const chars = Array.from(el.value);
          const left = pad + widthOf(chars.slice(0, 1).join("")) + 1;
          const right = pad + widthOf(chars.slice(0, 19).join("")) - 1;
          const top = parseFloat(style.paddingTop) + parseFloat(style.borderTopWidth);
          probe.textContent = chars[0];
          const line = top + probe.getBoundingClientRect().height / 2;
          probe.remove();
          return [left, right, line];
        }"""
    )
    middle = box["y"] + line
    await page.mouse.move(box["x"] + left, middle)
    await page.mouse.down()
    await page.mouse.move(box["x"] + right, middle, steps=5)
    await page.mouse.up()
    await expect(page.get_by_test_id("selection")).to_contain_text(text[1:19])
    await page.get_by_test_id("entity-type").select_option("id_number")
    await page.get_by_test_id("add-entity").click()
    await expect(page.get_by_test_id("span-mark")).to_have_text(text[1:19])
    await expect(page.get_by_test_id("span-mark")).to_have_attribute(
        "data-entity", "id_number"
    )
    assert json.loads(await page.get_by_test_id("entities-field").input_value()) == [
        {"start": 1, "end": 19, "entity": "id_number"}
    ]

    await page.get_by_test_id("intent").select_option("query_license_points")
    await expect(page.get_by_test_id("apply-group")).to_be_checked()
    await page.get_by_test_id("save-label").click()
    await expect(page.get_by_test_id("saved-notice")).to_contain_text(
        f"已保存消息 #{top.leader.event_id} 的标注"
    )
    await expect(
        page.locator(f'[data-testid="queue-group"][data-event="{top.leader.event_id}"]')
    ).to_have_count(0)
    for raw in RAW_IDS:
        assert raw not in await page.content()
    async with city_db.read() as session:
        saved = await get_annotation(session, top.leader.event_id)
    assert saved is not None and saved.intent == "query_license_points"
    assert [(s.start, s.end, s.entity) for s in saved.entities] == [
        (1, 19, "id_number")
    ]
    assert problems == []
    await context.close()
