"""RasaClient against the loopback Rasa stand-in: replies, pauses, failures."""

from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.settings import load_settings
from channels.rasa_client import (
    RasaClient,
    RasaEmptyReply,
    RasaRejected,
    RasaUnavailable,
    Role,
)
from channels.replies import Choice, Link
from tests.channels.gateway import rasa_standin
from tests.channels.gateway.rasa_standin import RasaStandIn
from tests.channels.gateway.redis_server import free_port

SENDER = "web:0123456789abcdef0123456789abcdef"


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as http:
        yield http


def client_for(session: aiohttp.ClientSession, url: str, **env: str) -> RasaClient:
    settings = load_settings({"RASA_URL": url, "GATEWAY_RASA_TIMEOUT_S": "0.5", **env})
    return RasaClient(session, settings)


async def test_send_returns_parsed_replies_and_posts_rest_body(
    rasa: RasaStandIn, session: aiohttp.ClientSession
) -> None:
    client = client_for(session, rasa.url)
    turn = await client.send(SENDER, "预约驾考", {"channel": "web"})
    assert not turn.paused
    assert turn.replies[0].text == rasa_standin.EXAM_QUESTION
    assert turn.replies[0].choices == (
        Choice("科目一", '/inform{"exam_subject": "科目一"}'),
        Choice("科目二", '/inform{"exam_subject": "科目二"}'),
    )
    assert rasa.turns == [
        {"sender": SENDER, "message": "预约驾考", "metadata": {"channel": "web"}}
    ]


async def test_links_and_images_survive(
    rasa: RasaStandIn, session: aiohttp.ClientSession
) -> None:
    turn = await client_for(session, rasa.url).send(SENDER, "办事指南", {})
    assert turn.replies[0].links == (Link("在线办理", rasa_standin.GUIDE_URL),)
    assert turn.replies[0].image_url == "https://www.sz-sandbox.gov.cn/map.png"


async def test_empty_answer_of_paused_conversation_is_a_pause(
    rasa: RasaStandIn, session: aiohttp.ClientSession
) -> None:
    client = client_for(session, rasa.url)
    await client.send(SENDER, "转人工", {})
    turn = await client.send(SENDER, "还在吗", {})
    assert turn.paused and turn.replies == ()
    # The pause was read from the tracker, with the API token, without events.
    assert rasa.tracker_reads[-1] == {
        "token": rasa_standin.TOKEN,
        "include_events": "NONE",
    }


async def test_empty_answer_of_active_conversation_is_a_failure(
    rasa: RasaStandIn, session: aiohttp.ClientSession
) -> None:
    rasa.empty = True
    with pytest.raises(RasaEmptyReply):
        await client_for(session, rasa.url).send(SENDER, "你好", {})


async def test_server_error_is_unavailable(
    rasa: RasaStandIn, session: aiohttp.ClientSession
) -> None:
    rasa.status = 500
    with pytest.raises(RasaUnavailable) as caught:
        await client_for(session, rasa.url).send(SENDER, "你好", {})
    assert caught.value.reason == "http_500"


async def test_slow_rasa_times_out(
    rasa: RasaStandIn, session: aiohttp.ClientSession
) -> None:
    rasa.delay_s = 2
    with pytest.raises(RasaUnavailable) as caught:
        await client_for(session, rasa.url).send(SENDER, "你好", {})
    assert caught.value.reason == "timeout"


async def test_unreachable_rasa_is_unavailable(
    session: aiohttp.ClientSession,
) -> None:
    client = client_for(session, f"http://127.0.0.1:{free_port()}")
    with pytest.raises(RasaUnavailable):
        await client.send(SENDER, "你好", {})


async def test_wrong_token_is_rejected_not_mistaken_for_a_pause(
    rasa: RasaStandIn, session: aiohttp.ClientSession
) -> None:
    rasa.empty = True
    client = client_for(session, rasa.url, RASA_API_TOKEN="wrong")
    with pytest.raises(RasaRejected) as caught:
        await client.send(SENDER, "你好", {})
    assert caught.value.status == 401


async def test_history_shows_titles_for_payloads_and_keeps_buttons(
    rasa: RasaStandIn, session: aiohttp.ClientSession
) -> None:
    client = client_for(session, rasa.url)
    await client.send(SENDER, "预约驾考", {})
    payload = rasa_standin.EXAM_CHOICES[0]["payload"]
    await client.send(SENDER, payload, {"display_text": "科目一"})
    history = await client.history(SENDER)
    assert [(e.role, e.reply.text) for e in history] == [
        (Role.USER, "预约驾考"),
        (Role.BOT, rasa_standin.EXAM_QUESTION),
        (Role.USER, "科目一"),
        (Role.BOT, "好的，您选择了科目一。请问想约哪一天？"),
        (Role.BOT, ""),
    ]
    assert len(history[1].reply.choices) == 2
    assert history[4].reply.links[0].url == rasa_standin.GUIDE_URL
    assert [e.reply.text for e in await client.history(SENDER, limit=1)] == [""]
