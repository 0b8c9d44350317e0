"""SMS routes (Twilio and Alibaba Cloud uplink) against provider and Rasa stand-ins."""

import asyncio
import base64
import hashlib
import hmac
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient
from structlog.testing import capture_logs

from bot.settings import load_settings
from channels import texts
from channels.app import create_app
from channels.sms import routes
from channels.sms.routes import OPTED_IN_TEXT, OPTED_OUT_TEXT, phone_key
from channels.sms.segments import count_segments
from tests.channels.gateway.rasa_standin import EXAM_CHOICES
from tests.channels.routes.conftest import base_env, settle, until
from tests.channels.routes.rasa_script import RouteRasa
from tests.channels.routes.sms_api_standins import (
    ALIYUN_KEY_ID,
    ALIYUN_KEY_SECRET,
    ALIYUN_SIGN_NAME,
    ALIYUN_TEMPLATE,
    TWILIO_FROM,
    TWILIO_SID,
    TWILIO_TOKEN,
    AliyunApiStandIn,
    TwilioApiStandIn,
)

PUBLIC = "https://gov.example.cn"
CITIZEN = "+8613800138000"
PATH_SECRET = "k3Jx9-path-secret-Qw7"


def twilio_signature(url: str, params: dict[str, str]) -> str:
    """Twilio's documented scheme, computed apart from the gateway's validator."""
    signed = url + "".join(k + params[k] for k in sorted(params))
    mac = hmac.new(TWILIO_TOKEN.encode(), signed.encode(), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode()


def twilio_params(body: str, sid: str, sender: str = CITIZEN) -> dict[str, str]:
    return {
        "MessageSid": sid,
        "SmsSid": sid,
        "AccountSid": TWILIO_SID,
        "From": sender,
        "To": TWILIO_FROM,
        "Body": body,
        "NumMedia": "0",
        "ApiVersion": "2010-04-01",
    }


def uplink(items: list[tuple[str, str, object]]) -> bytes:
    """An Aliyun push body of (phone, content, sequence_id) items."""
    return json.dumps(
        [
            {
                "phone_number": phone,
                "content": content,
                "send_time": "2026-11-22 10:00:00",
                "dest_code": "1234",
                "sequence_id": sequence_id,
            }
            for phone, content, sequence_id in items
        ],
        ensure_ascii=False,
    ).encode()


@dataclass
class Sms:
    client: TestClient
    twilio: TwilioApiStandIn
    aliyun: AliyunApiStandIn
    rasa: RouteRasa

    async def from_twilio(
        self,
        body: str,
        sid: str,
        *,
        sender: str = CITIZEN,
        url: str = PUBLIC + routes.TWILIO_PATH,
        tamper: dict[str, str] | None = None,
    ) -> ClientResponse:
        params = twilio_params(body, sid, sender)
        signature = twilio_signature(url, params)
        return await self.client.post(
            routes.TWILIO_PATH,
            data={**params, **(tamper or {})},
            headers={"X-Twilio-Signature": signature},
        )

    async def from_aliyun(
        self, body: bytes, secret: str = PATH_SECRET
    ) -> ClientResponse:
        return await self.client.post(
            f"/sms/aliyun/{secret}",
            data=body,
            headers={"Content-Type": "application/json"},
        )


SmsFactory = Callable[..., Awaitable[Sms]]


@pytest.fixture
async def twilio_api(aiohttp_server) -> TwilioApiStandIn:
    standin = TwilioApiStandIn()
    standin.url = str((await aiohttp_server(standin.app())).make_url("")).rstrip("/")
    return standin


@pytest.fixture
async def aliyun_api(aiohttp_server) -> AliyunApiStandIn:
    standin = AliyunApiStandIn()
    standin.url = str((await aiohttp_server(standin.app())).make_url("")).rstrip("/")
    return standin


@pytest.fixture
def make_sms(
    aiohttp_client,
    rasa: RouteRasa,
    twilio_api: TwilioApiStandIn,
    aliyun_api: AliyunApiStandIn,
    store_env,
) -> SmsFactory:
    async def make(**env: str) -> Sms:
        settings = load_settings(
            {
                **base_env(rasa),
                **store_env,
                "TWILIO_ACCOUNT_SID": TWILIO_SID,
                "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
                "TWILIO_FROM": TWILIO_FROM,
                "TWILIO_API_BASE": twilio_api.url,
                "PUBLIC_BASE_URL": PUBLIC,
                "ALIYUN_SMS_PATH_SECRET": PATH_SECRET,
                "ALIYUN_SMS_ALLOWED_IPS": "127.0.0.1, ::1",
                "ALIYUN_SMS_ACCESS_KEY_ID": ALIYUN_KEY_ID,
                "ALIYUN_SMS_ACCESS_KEY_SECRET": ALIYUN_KEY_SECRET,
                "ALIYUN_SMS_SIGN_NAME": ALIYUN_SIGN_NAME,
                "ALIYUN_SMS_TEMPLATE_CODE": ALIYUN_TEMPLATE,
                "ALIYUN_SMS_API_BASE": aliyun_api.url,
                **env,
            }
        )
        client = await aiohttp_client(create_app(settings))
        return Sms(client, twilio_api, aliyun_api, rasa)

    return make


def test_phone_key_unifies_provider_formats() -> None:
    assert phone_key("13800138000") == CITIZEN
    assert phone_key("+86 138-0013-8000") == CITIZEN
    assert phone_key("008613800138000") == CITIZEN
    assert phone_key("8613800138000") == CITIZEN
    assert phone_key("+12025550123") == "+12025550123"


# --- Twilio --------------------------------------------------------------------------


async def test_twilio_message_is_acked_with_empty_twiml_and_answered_by_rest(
    make_sms: SmsFactory,
) -> None:
    sms = await make_sms()
    response = await sms.from_twilio("查违章", "SM0001")
    assert response.status == 200
    assert response.content_type == "text/xml"
    assert "<Response/>" in await response.text()
    await until(lambda: len(sms.twilio.sent) == 1)
    sent = sms.twilio.sent[0]
    assert sent == {"To": CITIZEN, "From": TWILIO_FROM, "Body": "您说的是：查违章"}
    assert sms.rasa.turns[0]["sender"].startswith("sms:")


async def test_twilio_forgeries_are_403_and_reach_nobody(make_sms: SmsFactory) -> None:
    sms = await make_sms()
    with capture_logs() as logs:
        tampered = await sms.from_twilio("查违章", "SM1", tamper={"Body": "取消预约"})
        extra = await sms.from_twilio("查违章", "SM2", tamper={"Extra": "1"})
        internal = await sms.from_twilio(
            "查违章", "SM3", url=str(sms.client.make_url(routes.TWILIO_PATH))
        )
        unsigned = await sms.client.post(
            routes.TWILIO_PATH, data=twilio_params("查违章", "SM4")
        )
    assert [r.status for r in (tampered, extra, internal, unsigned)] == [403] * 4
    await settle(0.1)
    assert sms.rasa.turns == [] and sms.twilio.sent == []
    assert "13800138000" not in repr(logs)


async def test_twilio_without_public_url_validates_the_url_it_sees(
    make_sms: SmsFactory,
) -> None:
    sms = await make_sms(PUBLIC_BASE_URL="")
    proxied = await sms.from_twilio("查违章", "SM1")  # signed for the public URL
    assert proxied.status == 403
    direct = await sms.from_twilio(
        "查违章", "SM2", url=str(sms.client.make_url(routes.TWILIO_PATH))
    )
    assert direct.status == 200


async def test_twilio_parameter_order_does_not_matter(make_sms: SmsFactory) -> None:
    sms = await make_sms()
    params = twilio_params("查违章", "SM9")
    signature = twilio_signature(PUBLIC + routes.TWILIO_PATH, params)
    reordered = dict(reversed(list(params.items())))
    response = await sms.client.post(
        routes.TWILIO_PATH, data=reordered, headers={"X-Twilio-Signature": signature}
    )
    assert response.status == 200


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"json": {"Body": "x"}}, 400),
        ({"data": "MessageSid=SM1&Body=x", "headers": {}}, 403),  # unsigned
    ],
)
async def test_twilio_bad_bodies(
    make_sms: SmsFactory, kwargs: dict, status: int
) -> None:
    sms = await make_sms()
    if "headers" in kwargs:
        kwargs["headers"] = {"Content-Type": "application/x-www-form-urlencoded"}
    response = await sms.client.post(routes.TWILIO_PATH, **kwargs)
    assert response.status == status
    assert sms.rasa.turns == []


async def test_twilio_missing_fields_are_400(make_sms: SmsFactory) -> None:
    sms = await make_sms()
    params = {"Body": "查违章", "AccountSid": TWILIO_SID}
    signature = twilio_signature(PUBLIC + routes.TWILIO_PATH, params)
    response = await sms.client.post(
        routes.TWILIO_PATH, data=params, headers={"X-Twilio-Signature": signature}
    )
    assert response.status == 400
    assert "MessageSid" in await response.text()


async def test_twilio_retries_make_one_turn(make_sms: SmsFactory) -> None:
    sms = await make_sms()
    sms.rasa.delay_s = 0.2
    responses = await asyncio.gather(
        *(sms.from_twilio("查违章", "SM42") for _ in range(4))
    )
    assert all(r.status == 200 for r in responses)
    await until(lambda: len(sms.twilio.sent) == 1)
    await settle(0.5)
    assert len(sms.rasa.turns) == 1 and len(sms.twilio.sent) == 1


async def test_a_numbered_menu_and_the_answer_by_number(make_sms: SmsFactory) -> None:
    sms = await make_sms()
    await sms.from_twilio("预约驾考", "SM1")
    await until(lambda: len(sms.twilio.sent) == 1)
    body = sms.twilio.sent[0]["Body"]
    assert body.endswith("回复1：科目一\n回复2：科目二")
    await sms.from_twilio("2", "SM2")
    await until(lambda: len(sms.rasa.turns) == 2)
    assert sms.rasa.texts_received()[1] == EXAM_CHOICES[1]["payload"]
    await until(lambda: len(sms.twilio.sent) >= 2)
    assert any("https://" in m["Body"] for m in sms.twilio.sent[1:])


async def test_rasa_down_texts_the_fallback(make_sms: SmsFactory) -> None:
    sms = await make_sms()
    sms.rasa.status = 500
    await sms.from_twilio("查违章", "SM1")
    await until(lambda: len(sms.twilio.sent) == 1)
    assert sms.twilio.sent[0]["Body"] == texts.UNAVAILABLE


async def test_long_answers_are_single_segment_messages(make_sms: SmsFactory) -> None:
    sms = await make_sms()
    await sms.from_twilio("长回答", "SM1")
    await until(lambda: len(sms.twilio.sent) == routes.MAX_PARTS)
    await settle(0.2)
    bodies = [m["Body"] for m in sms.twilio.sent]
    assert len(bodies) == routes.MAX_PARTS
    assert all(count_segments(b) == 1 for b in bodies)
    assert bodies[-1].endswith("…详询12345")


# --- opt-out ------------------------------------------------------------------------


async def test_opt_out_is_honoured_and_remembered_until_opt_in(
    make_sms: SmsFactory,
) -> None:
    sms = await make_sms()
    await sms.from_twilio("TD", "SM1")
    await until(lambda: len(sms.twilio.sent) == 1)
    assert sms.twilio.bodies_to(CITIZEN) == [OPTED_OUT_TEXT]
    await sms.from_twilio("查违章", "SM2")
    await sms.from_twilio("退订", "SM3")
    await settle(0.4)
    assert sms.rasa.turns == []  # opted out: no turn, nothing sent
    assert len(sms.twilio.sent) == 1
    # The same number through the other provider is the same citizen.
    await sms.from_aliyun(uplink([("13800138000", "查违章", 77)]))
    await settle(0.3)
    assert sms.rasa.turns == [] and sms.aliyun.sent == []
    await sms.from_twilio("订阅", "SM4")
    await until(lambda: len(sms.twilio.sent) == 2)
    assert sms.twilio.sent[1]["Body"] == OPTED_IN_TEXT
    await sms.from_twilio("查违章", "SM5")
    await until(lambda: len(sms.twilio.sent) == 3)
    assert sms.rasa.texts_received() == ["查违章"]


async def test_opt_in_words_are_ordinary_text_when_not_opted_out(
    make_sms: SmsFactory,
) -> None:
    sms = await make_sms()
    await sms.from_twilio("YES", "SM1")
    await until(lambda: len(sms.twilio.sent) == 1)
    assert sms.rasa.texts_received() == ["YES"]


async def test_a_rate_limit_notice_is_not_sent_to_an_opted_out_number(
    make_sms: SmsFactory,
) -> None:
    sms = await make_sms(GATEWAY_RATE_LIMIT_PER_MINUTE="2")
    await sms.from_twilio("STOP", "SM1")
    for index in range(2, 6):
        await sms.from_twilio("查违章", f"SM{index}")
    await settle(0.5)
    assert sms.twilio.bodies_to(CITIZEN) == [OPTED_OUT_TEXT]


# --- Alibaba Cloud uplink ---------------------------------------------------------------


async def test_aliyun_batch_is_acked_and_answered_in_order(
    make_sms: SmsFactory,
) -> None:
    sms = await make_sms()
    body = uplink(
        [("13800138000", "查违章", 1001), ("13900139000", "预约驾考", "1002")]
    )
    response = await sms.from_aliyun(body)
    assert response.status == 200
    assert await response.json() == {"code": 0, "msg": "接收成功"}
    await until(lambda: len(sms.aliyun.sent) == 2)
    assert sms.aliyun.refusals == []
    assert sms.aliyun.contents_to("13800138000") == ["您说的是：查违章"]
    menu = sms.aliyun.contents_to("13900139000")[0]
    assert "回复1：科目一" in menu
    # Aliyun prepends 【签名】: every message must stay one segment with it.
    assert all(
        count_segments(f"【{ALIYUN_SIGN_NAME}】{c}") == 1
        for c in sms.aliyun.contents_to("13900139000")
    )
    assert sms.rasa.texts_received() == ["查违章", "预约驾考"]


async def test_aliyun_ten_pushes_of_one_sequence_id_make_one_turn(
    make_sms: SmsFactory,
) -> None:
    sms = await make_sms()
    body = uplink([("13800138000", "查违章", 5555)])
    responses = [await sms.from_aliyun(body) for _ in range(10)]
    assert all(r.status == 200 for r in responses)
    await until(lambda: len(sms.aliyun.sent) == 1)
    await settle(0.4)
    assert len(sms.rasa.turns) == 1 and len(sms.aliyun.sent) == 1


async def test_aliyun_wrong_path_secret_or_address_is_403(make_sms: SmsFactory) -> None:
    sms = await make_sms()
    body = uplink([("13800138000", "查违章", 1)])
    assert (await sms.from_aliyun(body, secret="guess")).status == 403
    assert (await sms.from_aliyun(body, secret=PATH_SECRET + "x")).status == 403
    await sms.client.close()
    elsewhere = await make_sms(ALIYUN_SMS_ALLOWED_IPS="10.0.0.0/8")
    assert (await elsewhere.from_aliyun(body)).status == 403
    await settle(0.2)
    assert sms.rasa.turns == []


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "not JSON"),
        (b'{"phone_number": "1"}', "not a JSON array"),
        (b'[{"content": "x", "sequence_id": 1}]', "phone_number"),
        (b"\xff\xfe", "UTF-8"),
    ],
)
async def test_aliyun_malformed_bodies_are_400_with_a_reason(
    make_sms: SmsFactory, body: bytes, reason: str
) -> None:
    sms = await make_sms()
    response = await sms.from_aliyun(body)
    assert response.status == 400
    assert reason in await response.text()
    assert sms.rasa.turns == []


async def test_only_configured_providers_are_mounted(
    aiohttp_client, rasa: RouteRasa
) -> None:
    settings = load_settings({**base_env(rasa), "ALIYUN_SMS_PATH_SECRET": PATH_SECRET})
    client = await aiohttp_client(create_app(settings))
    response = await client.post(routes.TWILIO_PATH, data={"Body": "x"})
    assert response.status in (404, 405)
