"""The simulated SMS provider and handsets (sandbox/sms) on the real sandbox app."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestClient
from sandbox_testkit import make_settings

from sandbox.app import create_app
from sandbox.sms.signing import twilio_signature

AUTH = aiohttp.BasicAuth("ACsandbox", "sandbox-sms-token")
MESSAGES = "/sms-provider/2010-04-01/Accounts/ACsandbox/Messages.json"


def test_the_signer_matches_twilios_documented_example() -> None:
    # Twilio's "Webhooks security" example (also in channels-and-privacy §1.4).
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+14158675309",
        "Digits": "1234",
        "From": "+14158675309",
        "To": "+18005551212",
    }
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert twilio_signature("12345", url, params) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="


async def _sandbox(aiohttp_client: Any, db_path: Path, **env: str) -> TestClient:
    return await aiohttp_client(create_app(make_settings(db_path, **env)))


async def test_sent_messages_reach_the_phone(
    aiohttp_client: Any, db_path: Path
) -> None:
    client = await _sandbox(aiohttp_client, db_path)
    form = {"To": "+8613800138000", "From": "+86106912345", "Body": "您好"}
    created = await client.post(MESSAGES, data=form, auth=AUTH)
    assert created.status == 201
    assert (await created.json())["sid"].startswith("SM")
    listed = await client.get("/sms-handset/messages", params={"phone": "13800138000"})
    messages = (await listed.json())["messages"]
    assert [(m["direction"], m["body"]) for m in messages] == [("to_phone", "您好")]
    later = await client.get(
        "/sms-handset/messages",
        params={"phone": "+8613800138000", "after": str(messages[0]["at"])},
    )
    assert (await later.json())["messages"] == []


async def test_the_provider_refuses_bad_credentials_and_bodies(
    aiohttp_client: Any, db_path: Path
) -> None:
    client = await _sandbox(aiohttp_client, db_path)
    form = {"To": "+8613800138000", "Body": "x"}
    wrong = aiohttp.BasicAuth("ACsandbox", "guess")
    assert (await client.post(MESSAGES, data=form, auth=wrong)).status == 401
    assert (await client.post(MESSAGES, data=form)).status == 401
    other = MESSAGES.replace("ACsandbox", "ACother")
    assert (await client.post(other, data=form, auth=AUTH)).status == 401
    bad_to = await client.post(MESSAGES, data={"To": "abc", "Body": "x"}, auth=AUTH)
    assert (bad_to.status, (await bad_to.json())["code"]) == (400, 21211)
    empty = await client.post(MESSAGES, data={"To": "13800138000"}, auth=AUTH)
    assert (empty.status, (await empty.json())["code"]) == (400, 21602)
    too_long = {"To": "13800138000", "Body": "长" * 1601}
    assert (await client.post(MESSAGES, data=too_long, auth=AUTH)).status == 400


async def test_a_phone_message_is_pushed_as_a_signed_twilio_webhook(
    aiohttp_client: Any, aiohttp_server: Any, db_path: Path
) -> None:
    received: list[tuple[str, dict[str, str], str]] = []

    async def webhook(request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        received.append((str(request.url), form, request.headers["X-Twilio-Signature"]))
        return web.Response(text="<Response/>", content_type="text/xml")

    gateway = web.Application()
    gateway.router.add_post("/sms/twilio", webhook)
    server = await aiohttp_server(gateway)
    url = str(server.make_url("/sms/twilio"))
    client = await _sandbox(aiohttp_client, db_path, SANDBOX_SMS_WEBHOOK_URL=url)
    sent = await client.post(
        "/sms-handset/messages", json={"phone": "138 0013 8000", "text": "查违章"}
    )
    assert sent.status == 202
    [(seen_url, form, signature)] = received
    assert (form["From"], form["Body"], form["AccountSid"]) == (
        "+8613800138000",
        "查违章",
        "ACsandbox",
    )
    assert signature == twilio_signature("sandbox-sms-token", seen_url, form)
    listed = await client.get("/sms-handset/messages", params={"phone": "13800138000"})
    assert [m["direction"] for m in (await listed.json())["messages"]] == ["from_phone"]


async def test_handset_errors_are_clear(aiohttp_client: Any, db_path: Path) -> None:
    client = await _sandbox(
        aiohttp_client, db_path, SANDBOX_SMS_WEBHOOK_URL="http://127.0.0.1:9/sms/twilio"
    )
    down = await client.post(
        "/sms-handset/messages", json={"phone": "13800138000", "text": "你好"}
    )
    assert (down.status, (await down.json())["error"]["code"]) == (
        502,
        "gateway_unreachable",
    )
    for body in ({"phone": "12", "text": "x"}, {"phone": "13800138000", "text": ""}):
        refused = await client.post("/sms-handset/messages", json=body)
        assert refused.status == 400
    not_json = await client.post("/sms-handset/messages", data=b"{")
    assert not_json.status == 400
    bad_after = await client.get(
        "/sms-handset/messages", params={"phone": "13800138000", "after": "nan"}
    )
    assert bad_after.status == 400
    page = await client.get("/sms-handset/")
    assert page.status == 200 and "模拟手机" in await page.text()


async def test_an_empty_webhook_url_switches_the_handsets_off(
    aiohttp_client: Any, db_path: Path
) -> None:
    client = await _sandbox(aiohttp_client, db_path, SANDBOX_SMS_WEBHOOK_URL="")
    off = await client.post(
        "/sms-handset/messages", json={"phone": "13800138000", "text": "你好"}
    )
    assert off.status == 409
