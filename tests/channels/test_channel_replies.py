"""Tests for channels.replies: parsing Rasa REST channel output."""

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from channels.replies import BotReply, Choice, Link, replies_from_rasa

ASK_SUBJECT = {
    "recipient_id": "u1",
    "text": "请问要预约哪个科目？",
    "buttons": [
        {"title": "科目一", "payload": '/inform{"exam_subject": "科目一"}'},
        {"title": "科目二", "payload": '/inform{"exam_subject": "科目二"}'},
    ],
}


def test_text_and_buttons() -> None:
    assert replies_from_rasa([ASK_SUBJECT]) == [
        BotReply(
            text="请问要预约哪个科目？",
            choices=(
                Choice("科目一", '/inform{"exam_subject": "科目一"}'),
                Choice("科目二", '/inform{"exam_subject": "科目二"}'),
            ),
        )
    ]


def test_image_and_custom_links_are_separate_replies_in_order() -> None:
    data = [
        {
            "recipient_id": "u1",
            "text": "深圳市车管所（沙盒）本部在福田区北环大道 1001 号。",
        },
        {
            "recipient_id": "u1",
            "image": "https://www.sz-sandbox.gov.cn/map/dmv-main.png",
        },
        {
            "recipient_id": "u1",
            "custom": {
                "links": [
                    {"title": "办事指南", "url": "https://www.sz-sandbox.gov.cn/guide"}
                ]
            },
        },
    ]
    replies = replies_from_rasa(data)
    assert [r.text for r in replies] == [data[0]["text"], "", ""]
    assert replies[1].image_url == "https://www.sz-sandbox.gov.cn/map/dmv-main.png"
    assert replies[2].links == (
        Link("办事指南", "https://www.sz-sandbox.gov.cn/guide"),
    )


def test_url_buttons_become_links_and_quick_replies_choices() -> None:
    data = [
        {
            "text": "请选择",
            "buttons": [{"title": "在线办理", "url": "https://www.sz-sandbox.gov.cn"}],
            "quick_replies": [{"title": "是", "payload": "/affirm"}],
        }
    ]
    (reply,) = replies_from_rasa(data)
    assert reply.links == (Link("在线办理", "https://www.sz-sandbox.gov.cn"),)
    assert reply.choices == (Choice("是", "/affirm"),)


def test_accepts_raw_json_body_as_bytes_or_str() -> None:
    body = json.dumps([ASK_SUBJECT], ensure_ascii=False)
    assert replies_from_rasa(body) == replies_from_rasa([ASK_SUBJECT])
    assert replies_from_rasa(body.encode("utf-8")) == replies_from_rasa([ASK_SUBJECT])


def test_empty_list_means_no_reply() -> None:
    # Rasa answers [] when processing failed: the caller must send a fallback.
    assert replies_from_rasa([]) == []
    assert replies_from_rasa(b"[]") == []


def test_junk_never_raises_and_valid_parts_survive() -> None:
    data = [
        None,
        5,
        "text",
        [],
        {"recipient_id": "u1"},
        {"text": None, "buttons": "nope"},
        {"text": 42},
        {
            "text": "  保留这条  ",
            "buttons": [
                None,
                {"title": "缺少载荷"},
                {"payload": "/no_title"},
                {"title": 3, "payload": "/x"},
                {"title": "有效", "payload": "/affirm"},
            ],
            "image": "javascript:alert(1)",
            "custom": {"links": [{"title": "坏链接", "url": "ftp://x"}, "junk"]},
        },
        {"image": "data:image/png;base64,AAAA"},
        {"custom": {"links": {"title": "不是列表"}}},
        {"custom": "string"},
    ]
    assert replies_from_rasa(data) == [
        BotReply(text="保留这条", choices=(Choice("有效", "/affirm"),))
    ]


def test_not_a_list_gives_nothing() -> None:
    for data in ({"text": "hi"}, "not json", b"\xff\xfe\x00", b"{", None, 3.5):
        assert replies_from_rasa(data) == []


def test_unsafe_urls_are_dropped() -> None:
    data = [
        {
            "text": "链接",
            "custom": {
                "links": [
                    {"title": "a", "url": "javascript:alert(1)"},
                    {"title": "b", "url": "https://"},
                    {"title": "c", "url": "https://exa mple.cn"},
                    {"title": "d", "url": "https://[::1"},
                    {"title": "e", "url": "https://x.cn/" + "a" * 3000},
                    {"url": "http://www.sz-sandbox.gov.cn"},
                ]
            },
        }
    ]
    (reply,) = replies_from_rasa(data)
    assert reply.links == (
        Link("http://www.sz-sandbox.gov.cn", "http://www.sz-sandbox.gov.cn"),
    )


def test_nul_and_lone_surrogates_are_removed_from_text() -> None:
    (reply,) = replies_from_rasa([{"text": "违\x00章\ud800查询😀"}])
    assert reply.text == "违章查询😀"


def test_traditional_and_emoji_text_kept_verbatim() -> None:
    (reply,) = replies_from_rasa([{"text": "違章查詢完成 👍🏻"}])
    assert reply.text == "違章查詢完成 👍🏻"


def test_counts_are_bounded() -> None:
    data = [{"text": str(i)} for i in range(500)]
    assert len(replies_from_rasa(data)) == 50
    buttons = [{"title": str(i), "payload": f"/p{i}"} for i in range(100)]
    (reply,) = replies_from_rasa([{"text": "x", "buttons": buttons}])
    assert len(reply.choices) == 30


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "text",
                    "buttons",
                    "title",
                    "payload",
                    "url",
                    "image",
                    "custom",
                    "links",
                ]
            ),
            inner,
            max_size=5,
        )
    ),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(JSON, max_size=5))
def test_property_never_raises_and_returns_non_empty_replies(
    data: list[object],
) -> None:
    for reply in replies_from_rasa(data):
        assert isinstance(reply, BotReply)
        assert not reply.is_empty()
        assert all(c.title and c.payload for c in reply.choices)
        assert all(link.url.startswith(("http://", "https://")) for link in reply.links)
