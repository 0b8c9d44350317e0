"""Telegram webhook and polling against a loopback Bot API stand-in and the Rasa stand-in."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from structlog.testing import capture_logs

from bot.settings import load_settings
from channels import keys, texts
from channels.app import create_app
from channels.telegram import routes as mount
from channels.telegram.handlers import deep_link, district_at, national_phone
from channels.telegram.routes import SECRET_HEADER, WEBHOOK_PATH, webhook_url
from tests.channels.gateway.rasa_standin import EXAM_CHOICES, EXAM_QUESTION, GREETING
from tests.channels.gateway.redis_server import free_port
from tests.channels.routes.conftest import base_env, settle, until
from tests.channels.routes.rasa_script import (
    SESSION_AM,
    SESSION_CHOSEN,
    SESSION_QUESTION,
    RouteRasa,
)
from tests.channels.routes.telegram_api_standin import (
    CHAT_ID,
    TOKEN,
    USER,
    TelegramApiStandIn,
    callback_update,
    message_update,
)

SECRET = "webhook-Secret_0123456789"
PUBLIC = "https://gov.example.cn"


@dataclass
class Telegram:
    """A gateway with Telegram mounted, and the stand-ins it talks to."""

    client: TestClient
    api: TelegramApiStandIn
    rasa: RouteRasa

    async def post(self, update: object, secret: str | None = SECRET) -> Any:
        headers = {} if secret is None else {SECRET_HEADER: secret}
        return await self.client.post(WEBHOOK_PATH, json=update, headers=headers)


TelegramFactory = Callable[..., Awaitable[Telegram]]


@pytest.fixture
async def api(aiohttp_server) -> TelegramApiStandIn:
    """The Bot API stand-in on loopback."""
    standin = TelegramApiStandIn()
    server = await aiohttp_server(standin.app())
    standin.url = str(server.make_url("")).rstrip("/")
    return standin


@pytest.fixture
def make_telegram(
    aiohttp_client, rasa: RouteRasa, api: TelegramApiStandIn, store_env
) -> TelegramFactory:
    """Build the real gateway (``create_app``) with Telegram mounted."""

    async def make(**env: str) -> Telegram:
        settings = load_settings(
            {
                **base_env(rasa),
                **store_env,
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_WEBHOOK_SECRET": SECRET,
                "TELEGRAM_API_BASE": api.url,
                "PUBLIC_BASE_URL": PUBLIC,
                **env,
            }
        )
        app = create_app(settings)
        # channels.app looks for channels/telegram/routes.py; until that exists
        # the mount is wired here exactly as the app would.
        if "telegram" not in app[keys.MOUNTED_CHANNELS]:
            mount.setup(app, settings)
        return Telegram(await aiohttp_client(app), api, rasa)

    return make


# --- pure helpers ----------------------------------------------------------


def test_deep_links() -> None:
    assert deep_link("/start") == ("/start", {})
    assert deep_link("/start exam") == ("预约驾考", {"start_payload": "exam"})
    assert deep_link("/start@govbot_test_bot violations")[0] == "查违章"
    assert deep_link("/start campaign_2026") == (
        "/start",
        {"start_payload": "campaign_2026"},
    )
    assert deep_link("/start <script>") == ("/start", {})


def test_district_at_uses_the_sandbox_districts() -> None:
    assert district_at(22.54, 113.93) == "南山区"  # 科技园
    assert district_at(22.545, 114.06) == "福田区"
    assert district_at(22.56, 113.88) == "宝安区"
    assert district_at(39.9, 116.4) is None  # Beijing: outside the city


def test_national_phone() -> None:
    assert national_phone("+8613800138000") == "13800138000"
    assert national_phone("8613800138000") == "13800138000"
    assert national_phone("+44 20 7946 0958") == "442079460958"


def test_webhook_url_changes_with_the_secret() -> None:
    first = webhook_url(PUBLIC + "/", SECRET)
    assert first.startswith(f"{PUBLIC}{WEBHOOK_PATH}?v=")
    assert webhook_url(PUBLIC, SECRET) == first
    assert webhook_url(PUBLIC, SECRET + "x") != first
    assert SECRET not in first


# --- authenticity and bad input ------------------------------------------------


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", SECRET[:-1], "秘密"])
async def test_a_bad_secret_is_401_and_reaches_nobody(
    make_telegram: TelegramFactory, secret: str | None
) -> None:
    tg = await make_telegram()
    with capture_logs() as logs:
        response = await tg.post(message_update(1, "查违章"), secret=secret)
    assert response.status == 401
    await settle(0.1)
    assert tg.rasa.turns == [] and tg.api.called("sendMessage") == []
    rejected = [e for e in logs if e["event"] == "channel.telegram.secret.rejected"]
    assert rejected and "查违章" not in repr(logs)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"message": {}}', "update_id"),
        (b'{"update_id": "7"}', "update_id"),
    ],
)
async def test_malformed_updates_are_400_with_a_reason(
    make_telegram: TelegramFactory, body: bytes, reason: str
) -> None:
    tg = await make_telegram()
    response = await tg.client.post(
        WEBHOOK_PATH,
        data=body,
        headers={SECRET_HEADER: SECRET, "Content-Type": "application/json"},
    )
    assert response.status == 400
    assert reason in await response.text()
    assert tg.rasa.turns == []


@pytest.mark.parametrize(
    "update",
    [
        {"update_id": 9, "future_update_kind": {"id": 1}},  # unknown to aiogram
        {"update_id": 10, "message": {"text": "hi"}},  # does not fit its models
        {
            "update_id": 11,
            "message_reaction": {
                "chat": {"id": 1, "type": "private"},
                "message_id": 3,
                "date": 0,
                "old_reaction": [],
                "new_reaction": [],
            },
        },
    ],
)
async def test_unknown_or_unmodelled_updates_are_acknowledged(
    make_telegram: TelegramFactory, update: dict[str, Any]
) -> None:
    tg = await make_telegram()
    with capture_logs() as logs:
        response = await tg.post(update)
        await settle(0.1)
    assert response.status == 200
    assert tg.rasa.turns == [] and tg.api.called("sendMessage") == []
    assert not [e for e in logs if e["log_level"] in ("error", "critical")]


# --- conversations ----------------------------------------------------------------


async def test_text_is_answered_at_once_and_replied_in_the_background(
    make_telegram: TelegramFactory,
) -> None:
    tg = await make_telegram()
    tg.rasa.delay_s = 0.5
    started = time.perf_counter()
    response = await tg.post(message_update(1, "查违章 粤B12345"))
    assert response.status == 200 and await response.json() == {}
    assert time.perf_counter() - started < 0.4  # Telegram is not kept waiting
    await until(lambda: len(tg.api.called("sendMessage")) == 1)
    sent = tg.api.called("sendMessage")[0]
    assert sent["chat_id"] == str(CHAT_ID)
    assert sent["text"] == "您说的是：查违章 粤B12345"
    assert tg.rasa.texts_received() == ["查违章 粤B12345"]
    assert tg.rasa.turns[0]["sender"].startswith("telegram:")


async def test_duplicate_deliveries_make_one_turn_and_one_reply(
    make_telegram: TelegramFactory,
) -> None:
    tg = await make_telegram()
    tg.rasa.delay_s = 0.2
    update = message_update(5, "办事大厅在哪")
    responses = await asyncio.gather(*(tg.post(update) for _ in range(3)))
    assert [r.status for r in responses] == [200, 200, 200]
    await until(lambda: len(tg.api.called("sendMessage")) == 1)
    await settle(0.5)
    assert len(tg.rasa.turns) == 1
    assert len(tg.api.called("sendMessage")) == 1


async def test_a_burst_of_200_duplicated_deliveries(
    make_telegram: TelegramFactory,
) -> None:
    tg = await make_telegram(GATEWAY_RATE_LIMIT_PER_MINUTE="1000")
    tg.rasa.delay_s = 0.05
    updates = [message_update(100 + i, f"问题{i}") for i in range(10)]
    deliveries = [update for update in updates for _ in range(20)]
    responses = await asyncio.gather(*(tg.post(u) for u in deliveries))
    assert len(responses) == 200 and all(r.status == 200 for r in responses)
    await until(lambda: len(tg.api.called("sendMessage")) == 10, timeout=10)
    await settle(0.5)
    assert sorted(tg.rasa.texts_received()) == sorted(f"问题{i}" for i in range(10))
    assert len(tg.api.called("sendMessage")) == 10


async def test_start_greets_and_deep_links_open_an_errand(
    make_telegram: TelegramFactory,
) -> None:
    tg = await make_telegram()
    await tg.post(message_update(1, "/start"))
    await until(lambda: len(tg.api.called("sendMessage")) == 1)
    assert tg.api.sent_texts() == [GREETING]
    await tg.post(message_update(2, "/start exam"))
    await until(lambda: len(tg.api.called("sendMessage")) == 2)
    assert tg.rasa.texts_received() == ["/greet", "预约驾考"]
    assert tg.rasa.turns[1]["metadata"]["start_payload"] == "exam"
    sent = tg.api.called("sendMessage")[1]
    assert sent["text"] == EXAM_QUESTION
    buttons = [b for row in sent["reply_markup"]["inline_keyboard"] for b in row]
    assert [b["text"] for b in buttons] == ["科目一", "科目二"]
    assert [b["callback_data"] for b in buttons] == [c["payload"] for c in EXAM_CHOICES]


async def test_other_commands_do_not_pick_intents(
    make_telegram: TelegramFactory,
) -> None:
    tg = await make_telegram()
    await tg.post(
        message_update(1, '/cancel_exam_booking{"booking_code":"KS26120503"}')
    )
    await until(lambda: len(tg.rasa.turns) == 1)
    assert not tg.rasa.texts_received()[0].startswith("/")


async def test_stickers_photos_and_voice_get_a_polite_answer(
    make_telegram: TelegramFactory,
) -> None:
    tg = await make_telegram()
    photo = [{"file_id": "f", "file_unique_id": "u", "width": 1, "height": 1}]
    sticker = {
        "file_id": "s",
        "file_unique_id": "su",
        "type": "regular",
        "width": 1,
        "height": 1,
        "is_animated": False,
        "is_video": False,
    }
    voice = {"file_id": "v", "file_unique_id": "vu", "duration": 2}
    await tg.post(message_update(1, sticker=sticker))
    await tg.post(message_update(2, photo=photo))
    await tg.post(message_update(3, voice=voice))
    await until(lambda: len(tg.api.called("sendMessage")) == 3)
    assert tg.api.sent_texts() == [texts.EMPTY_MESSAGE] * 3
    assert tg.rasa.turns == []


async def test_a_caption_is_read_as_text(make_telegram: TelegramFactory) -> None:
    tg = await make_telegram()
    photo = [{"file_id": "f", "file_unique_id": "u", "width": 1, "height": 1}]
    await tg.post(message_update(1, photo=photo, caption="这张罚单怎么交"))
    await until(lambda: len(tg.rasa.turns) == 1)
    assert tg.rasa.texts_received() == ["这张罚单怎么交"]


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ({"latitude": 22.54, "longitude": 113.93}, "南山区附近的办事大厅"),
        ({"latitude": 31.23, "longitude": 121.47}, "附近的办事大厅"),
    ],
)
async def test_location_asks_for_the_nearest_office(
    make_telegram: TelegramFactory, location: dict[str, float], expected: str
) -> None:
    tg = await make_telegram()
    await tg.post(message_update(1, location=location))
    await until(lambda: len(tg.api.called("sendMessage")) == 1)
    assert tg.rasa.texts_received() == [expected]


async def test_own_contact_gives_the_phone_number(
    make_telegram: TelegramFactory,
) -> None:
    tg = await make_telegram()
    own = {
        "phone_number": "+8613800138000",
        "first_name": "市民",
        "user_id": USER["id"],
    }
    other = {"phone_number": "+8613900139000", "first_name": "别人", "user_id": 77}
    await tg.post(message_update(1, contact=own))
    await tg.post(message_update(2, contact=other))
    await until(lambda: len(tg.api.called("sendMessage")) == 2)
    assert tg.rasa.texts_received() == ["13800138000"]
    assert texts.EMPTY_MESSAGE in tg.api.sent_texts()


async def test_edited_text_is_a_new_turn_but_live_location_is_ignored(
    make_telegram: TelegramFactory,
) -> None:
    tg = await make_telegram()
    await tg.post(message_update(1, "查违章 粤B1234", edited=True))
    await tg.post(
        message_update(2, edited=True, location={"latitude": 22.5, "longitude": 114.0})
    )
    await until(lambda: len(tg.api.called("sendMessage")) == 1)
    await settle(0.2)
    assert tg.rasa.texts_received() == ["查违章 粤B1234"]
    assert tg.rasa.turns[0]["metadata"]["edited"] is True


async def test_group_chats_are_ignored(make_telegram: TelegramFactory) -> None:
    tg = await make_telegram()
    group = {"id": -100123, "type": "group", "title": "车友群"}
    response = await tg.post(message_update(1, "查违章", chat=group))
    assert response.status == 200
    await settle(0.2)
    assert tg.rasa.turns == [] and tg.api.called("sendMessage") == []


async def test_rasa_down_gives_the_fallback_text(
    make_telegram: TelegramFactory,
) -> None:
    tg = await make_telegram()
    tg.rasa.status = 500
    await tg.post(message_update(1, "查违章"))
    await until(lambda: len(tg.api.called("sendMessage")) == 1)
    assert tg.api.sent_texts() == [texts.UNAVAILABLE]


async def test_a_store_that_is_down_still_answers(
    make_telegram: TelegramFactory,
) -> None:
    tg = await make_telegram(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    await tg.post(message_update(1, "预约驾考"))
    await until(lambda: len(tg.api.called("sendMessage")) == 1)
    assert tg.api.sent_texts() == [texts.UNAVAILABLE]
    assert tg.rasa.turns == []  # not processed unguarded: it could book twice


async def test_flood_control_is_waited_out(make_telegram: TelegramFactory) -> None:
    tg = await make_telegram()
    tg.api.throttle, tg.api.retry_after = 1, 1
    await tg.post(message_update(1, "你好"))
    await until(lambda: len(tg.api.messages) == 1, timeout=5)
    assert len(tg.api.called("sendMessage")) == 2  # the 429, then the resend
    assert tg.api.messages[0]["text"] == "您说的是：你好"


# --- buttons ----------------------------------------------------------------------


async def _keyboard(tg: Telegram, text: str, update_id: int) -> dict[str, Any]:
    await tg.post(message_update(update_id, text))
    await until(lambda: any("reply_markup" in m for m in tg.api.messages))
    return next(m for m in tg.api.messages if "reply_markup" in m)


def _data(keyboard: dict[str, Any], index: int) -> str:
    buttons = [b for row in keyboard["reply_markup"]["inline_keyboard"] for b in row]
    return str(buttons[index]["callback_data"])


async def test_a_button_press_is_answered_and_relayed(
    make_telegram: TelegramFactory,
) -> None:
    tg = await make_telegram()
    keyboard = await _keyboard(tg, "预约驾考", 1)
    await tg.post(callback_update(2, _data(keyboard, 0), keyboard))
    await until(lambda: len(tg.api.called("sendMessage")) == 2)
    assert tg.api.called("answerCallbackQuery")[0]["callback_query_id"] == "cbq-2"
    assert tg.rasa.texts_received()[-1] == EXAM_CHOICES[0]["payload"]
    assert tg.rasa.turns[-1]["metadata"]["display_text"] == "科目一"
    await until(lambda: len(tg.api.called("editMessageReplyMarkup")) == 1)
    edit = tg.api.called("editMessageReplyMarkup")[0]
    assert edit["message_id"] == str(keyboard["message_id"])


async def test_a_double_click_makes_one_turn(make_telegram: TelegramFactory) -> None:
    tg = await make_telegram()
    keyboard = await _keyboard(tg, "预约驾考", 1)
    tg.rasa.delay_s = 0.2
    first, second = (
        callback_update(2, _data(keyboard, 0), keyboard),
        callback_update(3, _data(keyboard, 1), keyboard),
    )
    await asyncio.gather(tg.post(first), tg.post(second))
    await until(lambda: len(tg.api.called("answerCallbackQuery")) == 2)
    await until(lambda: len(tg.api.called("sendMessage")) == 2)
    await settle(0.5)
    assert len(tg.rasa.turns) == 2  # "预约驾考" and one choice
    assert len(tg.api.called("sendMessage")) == 2


async def test_long_payloads_travel_as_tokens(make_telegram: TelegramFactory) -> None:
    tg = await make_telegram()
    keyboard = await _keyboard(tg, "约场次", 1)
    assert keyboard["text"] == SESSION_QUESTION
    data = _data(keyboard, 0)
    assert len(data.encode()) <= 64 and data != SESSION_AM
    await tg.post(callback_update(2, data, keyboard))
    await until(lambda: len(tg.api.called("sendMessage")) == 2)
    assert tg.rasa.texts_received()[-1] == SESSION_AM
    assert tg.api.sent_texts()[-1] == SESSION_CHOSEN


async def test_a_forged_payload_is_not_forwarded(
    make_telegram: TelegramFactory,
) -> None:
    tg = await make_telegram()
    keyboard = await _keyboard(tg, "预约驾考", 1)
    forged = '/cancel_exam_booking{"booking_code":"KS26120503"}'
    keyboard["reply_markup"]["inline_keyboard"][0][0]["callback_data"] = forged
    await tg.post(callback_update(2, forged, keyboard))
    await until(lambda: len(tg.api.called("answerCallbackQuery")) == 1)
    await until(lambda: len(tg.api.called("sendMessage")) == 2)
    assert forged not in tg.rasa.texts_received()


# --- start-up: webhook registration and polling -------------------------------------


async def test_set_webhook_only_when_it_differs(make_telegram: TelegramFactory) -> None:
    tg = await make_telegram()
    assert len(tg.api.called("setWebhook")) == 1
    call = tg.api.called("setWebhook")[0]
    assert call["url"] == webhook_url(PUBLIC, SECRET)
    assert call["secret_token"] == SECRET
    assert set(call["allowed_updates"]) == {
        "message",
        "edited_message",
        "callback_query",
    }
    await tg.client.close()
    again = await make_telegram()  # same URL and secret: nothing to do
    assert len(again.api.called("setWebhook")) == 1
    await again.client.close()
    rotated = await make_telegram(TELEGRAM_WEBHOOK_SECRET="rotated-secret")
    assert len(rotated.api.called("setWebhook")) == 2
    assert rotated.api.webhook_secret == "rotated-secret"
    response = await rotated.post(message_update(1, "你好"), secret=SECRET)
    assert response.status == 401


async def test_no_public_url_means_no_set_webhook(
    make_telegram: TelegramFactory,
) -> None:
    tg = await make_telegram(PUBLIC_BASE_URL="")
    assert tg.api.called("setWebhook") == []
    assert (await tg.post(message_update(1, "你好"))).status == 200


async def test_an_invalid_secret_fails_at_start(
    make_telegram: TelegramFactory,
) -> None:
    with pytest.raises(ValueError, match="TELEGRAM_WEBHOOK_SECRET"):
        await make_telegram(TELEGRAM_WEBHOOK_SECRET="has spaces!")


async def test_polling_mode(
    make_telegram: TelegramFactory, api: TelegramApiStandIn
) -> None:
    api.webhook_url = "https://old.example.cn/hook"
    api.updates.append(message_update(41, "预约驾考"))
    tg = await make_telegram(TELEGRAM_MODE="polling")
    assert (await tg.post(message_update(1, "x"))).status == 404  # no webhook route
    await until(lambda: len(api.called("sendMessage")) == 1)
    assert api.called("deleteWebhook") and api.webhook_url == ""
    assert api.sent_texts() == [EXAM_QUESTION]
    await tg.client.close()  # polling stops with the app
