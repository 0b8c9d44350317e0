"""Every webhook parser, fed hostile input, answers with its own error or a value.

The property is the same everywhere: a parser raises only its documented
error type (which the route turns into a 4xx) and never crashes with any
other exception, loops, or expands entities.
"""

import contextlib
import json

from aiogram import Bot
from hypothesis import given, settings
from hypothesis import strategies as st

from channels.security import Unauthorized, check_voice_request, timestamp_within
from channels.sms.aliyun import BadRequest, parse_uplink
from channels.sms.twilio_signature import validate_request
from channels.telegram.routes import BadUpdate, parse_update, to_update
from channels.voice.routes import BadTurn, VoiceTurn
from channels.wechat.crypto import WeChatCrypto, WeChatCryptoError
from channels.wechat.xml_codec import WeChatXmlError, parse_envelope, parse_message
from tests.security.strategies import EDGE_TEXT, JSON_VALUE, wechat_xml

AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
BOT = Bot("123456:" + "A" * 35)
ANY_BODY = st.one_of(
    st.binary(max_size=2000),
    JSON_VALUE.map(
        lambda v: json.dumps(v, ensure_ascii=False, allow_nan=True).encode(
            "utf-8", "surrogatepass"
        )
    ),
)


@settings(settings.get_profile("security"))
@given(st.one_of(wechat_xml(), st.binary(max_size=3000)))
def test_wechat_xml(body: bytes) -> None:
    for parse in (parse_message, parse_envelope):
        with contextlib.suppress(WeChatXmlError):
            parse(body)


def test_wechat_xml_attacks_are_refused_not_expanded() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;">]><xml><ToUserName>&b;</ToUserName></xml>'
    )
    for body in (bomb, b"<xml>" + b"<a>" * 100_000 + b"</xml>"):
        try:
            parse_message(body)
        except WeChatXmlError as exc:
            assert (
                "forbidden" in str(exc)
                or "malformed" in str(exc)
                or "large" in str(exc)
            )
        else:
            raise AssertionError("an XML attack was parsed")


@settings(settings.get_profile("security"))
@given(EDGE_TEXT, EDGE_TEXT, EDGE_TEXT, st.one_of(st.none(), EDGE_TEXT))
def test_wechat_safe_mode_decryption(
    encrypt: str, timestamp: str, nonce: str, signature: str | None
) -> None:
    crypto = WeChatCrypto("token", AES_KEY, "wxappid")
    with contextlib.suppress(WeChatCryptoError):
        crypto.decrypt_message(signature, timestamp, nonce, encrypt)
    with contextlib.suppress(WeChatCryptoError):
        crypto.decrypt(encrypt)


@settings(settings.get_profile("security"))
@given(ANY_BODY)
def test_aliyun_uplink(body: bytes) -> None:
    try:
        items = parse_uplink(body)
    except BadRequest:
        return
    assert all(item.phone and item.message_id for item in items)


@settings(settings.get_profile("security"))
@given(ANY_BODY)
def test_telegram_updates(body: bytes) -> None:
    try:
        data = parse_update(body)
    except BadUpdate:
        return
    to_update(data, BOT)  # an update aiogram cannot read is None, never an error


@settings(settings.get_profile("security"))
@given(st.dictionaries(EDGE_TEXT, JSON_VALUE, max_size=6), st.integers(0, 2**53))
def test_telegram_update_payloads(data: dict[str, object], update_id: int) -> None:
    to_update({**data, "update_id": update_id}, BOT)


@settings(settings.get_profile("security"))
@given(JSON_VALUE)
def test_voice_turns(data: object) -> None:
    with contextlib.suppress(BadTurn):
        VoiceTurn.from_json(data)


@settings(settings.get_profile("security"))
@given(
    st.binary(max_size=500),
    st.one_of(st.none(), EDGE_TEXT),
    st.one_of(st.none(), EDGE_TEXT),
)
def test_voice_signature_checks(
    body: bytes, timestamp: str | None, sig: str | None
) -> None:
    try:
        check_voice_request("secret", timestamp, sig, body)
    except Unauthorized:
        pass
    else:
        raise AssertionError("a random signature was accepted")
    assert isinstance(timestamp_within(timestamp), bool)


@settings(settings.get_profile("security"))
@given(
    EDGE_TEXT,
    st.lists(st.tuples(EDGE_TEXT, EDGE_TEXT), max_size=6),
    st.one_of(st.none(), EDGE_TEXT),
)
def test_twilio_signature_checks(
    url: str, params: list[tuple[str, str]], signature: str | None
) -> None:
    assert validate_request(
        "token", "https://gov.example.cn" + url, params, signature
    ) in (
        True,
        False,
    )
