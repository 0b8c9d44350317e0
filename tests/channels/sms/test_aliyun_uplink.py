"""Tests for channels.sms.aliyun: SmsUp HTTP batch push bodies (spec 1.5)."""

import contextlib
import json
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from channels.sms.aliyun import ACK_BODY, BadRequest, InboundSms, parse_uplink

BEIJING = timezone(timedelta(hours=8))
DOC_SAMPLE = (
    '[{"phone_number":"1381111****","content":"内容","send_time":"2017-09-01 00:00:00",'
    '"dest_code":"1234","sequence_id":"1234567890"}]'
).encode()


def test_documented_sample() -> None:
    assert parse_uplink(DOC_SAMPLE) == [
        InboundSms(
            phone="1381111****",
            text="内容",
            message_id="1234567890",
            sent_at=datetime(2017, 9, 1, 0, 0, tzinfo=BEIJING),
            dest_code="1234",
        )
    ]


def test_older_formats_number_id_compact_time_and_sign_name() -> None:
    body = json.dumps(
        [
            {
                "phone_number": "13800138000",
                "content": "TD",
                "send_time": "20170901083000",
                "dest_code": "1234",
                "sequence_id": 1234567891,
                "sign_name": "深圳政务",
            },
            {"phone_number": 13800138001, "content": " 1 ", "sequence_id": "99"},
        ],
        ensure_ascii=False,
    ).encode()
    first, second = parse_uplink(body)
    assert first.message_id == "1234567891"
    assert first.sent_at == datetime(2017, 9, 1, 8, 30, tzinfo=BEIJING)
    assert first.sent_at.utcoffset() == timedelta(hours=8)
    assert first.sign_name == "深圳政务"
    assert (second.phone, second.text, second.sent_at) == ("13800138001", "1", None)


def test_empty_batch_and_bom() -> None:
    assert parse_uplink(b"[]") == []
    assert len(parse_uplink(b"\xef\xbb\xbf" + DOC_SAMPLE)) == 1


def test_traditional_emoji_nul_and_surrogates_in_content() -> None:
    # JSON escapes for NUL and a lone surrogate, as a hostile sender could write.
    body = (
        r'[{"phone_number":"1","content":"違章\u0000查詢😀\ud800","sequence_id":"7"}]'
    )
    (sms,) = parse_uplink(body.encode())
    assert sms.text == "違章查詢😀"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "not JSON"),
        (b"{", "not JSON"),
        (b"\xff\xfe", "not UTF-8"),
        (b'{"phone_number": "1"}', "not a JSON array"),
        (b"null", "not a JSON array"),
        (b"[1]", "item 0: not an object"),
        (b'[{"content": "x", "sequence_id": "1"}]', "phone_number"),
        (b'[{"phone_number": "", "content": "x", "sequence_id": "1"}]', "phone_number"),
        (
            b'[{"phone_number": true, "content": "x", "sequence_id": "1"}]',
            "phone_number",
        ),
        (b'[{"phone_number": "1", "sequence_id": "1"}]', "content"),
        (b'[{"phone_number": "1", "content": 5, "sequence_id": "1"}]', "content"),
        (b'[{"phone_number": "1", "content": "x"}]', "sequence_id"),
        (b'[{"phone_number": "1", "content": "x", "sequence_id": 1.5}]', "sequence_id"),
        (
            b'[{"phone_number": "1", "content": "x", "sequence_id": "a b"}]',
            "sequence_id",
        ),
        (
            b'[{"phone_number": "1", "content": "x", "sequence_id": "1", "send_time": "yesterday"}]',
            "send_time",
        ),
        (
            b'[{"phone_number": "1", "content": "x", "sequence_id": "1", "send_time": []}]',
            "send_time",
        ),
    ],
)
def test_malformed_bodies(body: bytes, reason: str) -> None:
    with pytest.raises(BadRequest) as error:
        parse_uplink(body)
    assert reason in error.value.reason


def test_one_bad_item_rejects_the_batch_with_its_index() -> None:
    good = {"phone_number": "1", "content": "x", "sequence_id": "1"}
    body = json.dumps([good, good, {"phone_number": "1"}]).encode()
    with pytest.raises(BadRequest, match="item 2"):
        parse_uplink(body)


def test_size_bounds() -> None:
    item = {"phone_number": "1", "content": "x", "sequence_id": "1"}
    with pytest.raises(BadRequest, match="too many"):
        parse_uplink(json.dumps([item] * 501).encode())
    with pytest.raises(BadRequest, match="too large"):
        parse_uplink(b"[" + b" " * 300_000 + b"]")
    with pytest.raises(BadRequest, match="too long"):
        parse_uplink(json.dumps([dict(item, content="长" * 1001)]).encode())


def test_ack_body_is_what_aliyun_expects() -> None:
    assert json.loads(ACK_BODY) == {"code": 0, "msg": "接收成功"}


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_property_arbitrary_bytes_raise_only_bad_request(body: bytes) -> None:
    with contextlib.suppress(BadRequest):
        parse_uplink(body)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.dictionaries(
            st.sampled_from(["phone_number", "content", "sequence_id", "send_time"]),
            st.none()
            | st.booleans()
            | st.integers()
            | st.floats()
            | st.text(max_size=20),
        ),
        max_size=4,
    )
)
def test_property_json_shapes_raise_only_bad_request(
    items: list[dict[str, object]],
) -> None:
    try:
        parsed = parse_uplink(json.dumps(items).encode())
    except BadRequest:
        return
    assert len(parsed) == len(items)
