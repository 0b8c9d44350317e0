"""Hostile inputs shared by the fuzz tests."""

from hypothesis import strategies as st

# Unicode edge cases: NUL, controls, surrogate-free astral characters, bidi
# overrides, full-width forms, combining marks, the replacement character.
EDGE_TEXT = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(
            ["\x00", "\x1b", "\u202e", "\ufeff", "\ufffd", "Ｘ", "\u0301", "𠀀", "😀"]
        ),
    ),
    max_size=200,
)

JSON_LEAF = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    EDGE_TEXT,
)
JSON_VALUE = st.recursive(
    JSON_LEAF,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.dictionaries(EDGE_TEXT, inner, max_size=5),
    ),
    max_leaves=25,
)

_XML_TRICKS = [
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
    '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><xml><Content>&b;</Content></xml>',
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    "<xml><Content>&e;</Content></xml>",
    '<?xml version="1.0" encoding="x-unknown"?><xml/>',
    '<?xml version="1.0" encoding="UTF-16"?><xml/>',
    "<xml>" + "<a>" * 5000 + "</a>" * 5000 + "</xml>",
    "<xml><MsgId>1e99</MsgId></xml>",
    "<xml><CreateTime>99999999999999999999999</CreateTime></xml>",
    "<xml><![CDATA[</xml>]]></xml>",
    "<notxml/>",
]


@st.composite
def wechat_xml(draw: st.DrawFn) -> bytes:
    """WeChat-like XML with hostile fields, or a known XML attack."""
    if draw(st.booleans()):
        return draw(st.sampled_from(_XML_TRICKS)).encode()
    names = [
        "ToUserName",
        "FromUserName",
        "CreateTime",
        "MsgType",
        "Content",
        "MsgId",
        "Event",
        "Location_X",
        "Location_Y",
        "Scale",
        "Encrypt",
    ]
    fields = draw(st.dictionaries(st.sampled_from(names), EDGE_TEXT, max_size=8))
    msg_type = draw(
        st.sampled_from(
            ["text", "image", "voice", "location", "link", "event", "", "x"]
        )
    )
    fields.setdefault("MsgType", msg_type)
    parts = []
    for name, value in fields.items():
        safe = value.replace("]]>", "")
        parts.append(f"<{name}><![CDATA[{safe}]]></{name}>")
    return ("<xml>" + "".join(parts) + "</xml>").encode("utf-8", "surrogatepass")


# What an HTTP header value can carry (latin-1, no control characters).
HEADER_TEXT = st.text(
    alphabet=st.characters(
        min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"
    ),
    max_size=300,
)
