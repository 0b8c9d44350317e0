"""WeChat official account XML: parse inbound messages, render replies.

Inbound bodies are parsed with ``defusedxml`` and ``forbid_dtd=True``: any
DOCTYPE (billion laughs, external entities) is refused before expansion. A
body that is too large, not well-formed, not UTF-8 (or a declared single-byte
encoding), not rooted at ``<xml>``, missing a required field, repeating a field
we read, or holding markup inside a field raises ``WeChatXmlError`` with a
reason — never anything else.

Outbound: the passive text reply (content ≤ 2048 UTF-8 bytes, split longer
text with ``channels.text_split`` first), the safe-mode encrypted envelope,
and the customer-service (客服消息) JSON body used when the 5 s window is missed.
"""

import json
import re
import xml.etree.ElementTree as ET  # only for its ParseError and Element types
from dataclasses import dataclass
from enum import Enum
from typing import Any

import defusedxml
import defusedxml.ElementTree as SafeET

from channels.wechat.crypto import WeChatCrypto

__all__ = [
    "MAX_TEXT_REPLY_BYTES",
    "MAX_XML_BYTES",
    "Envelope",
    "Event",
    "EventMessage",
    "ImageMessage",
    "LinkMessage",
    "LocationMessage",
    "MsgType",
    "OtherMessage",
    "TextMessage",
    "VoiceMessage",
    "WeChatMessage",
    "WeChatXmlError",
    "custom_text_body",
    "encrypt_reply",
    "parse_envelope",
    "parse_message",
    "render_encrypted_reply",
    "render_text_reply",
]

MAX_XML_BYTES = 64 * 1024
MAX_TEXT_REPLY_BYTES = 2048
# Characters XML 1.0 cannot carry at all; WeChat would reject the reply.
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_INTEGER = re.compile(r"[0-9]{1,20}")


class WeChatXmlError(ValueError):
    """An inbound body is not an acceptable WeChat message; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class MsgType(str, Enum):
    """``MsgType`` values of inbound messages."""

    TEXT = "text"
    IMAGE = "image"
    VOICE = "voice"
    VIDEO = "video"
    SHORTVIDEO = "shortvideo"
    LOCATION = "location"
    LINK = "link"
    EVENT = "event"


class Event(str, Enum):
    """``Event`` values (lower-cased: WeChat sends ``subscribe`` but ``CLICK``)."""

    SUBSCRIBE = "subscribe"
    UNSUBSCRIBE = "unsubscribe"
    CLICK = "click"
    VIEW = "view"
    SCAN = "scan"
    LOCATION = "location"


@dataclass(frozen=True, kw_only=True)
class _Message:
    to_user: str
    """Our account's original id (``gh_…``)."""
    from_user: str
    """The citizen's openid."""
    create_time: int
    msg_id: str | None = None
    """64-bit message id as a string; events have none."""

    @property
    def dedupe_key(self) -> str:
        """``MsgId``, or ``FromUserName:CreateTime`` for events (WeChat's advice)."""
        return self.msg_id or f"{self.from_user}:{self.create_time}"


@dataclass(frozen=True, kw_only=True)
class TextMessage(_Message):
    """A text message."""

    content: str


@dataclass(frozen=True, kw_only=True)
class ImageMessage(_Message):
    """A picture sent by the citizen."""

    pic_url: str
    media_id: str


@dataclass(frozen=True, kw_only=True)
class VoiceMessage(_Message):
    """A voice message."""

    media_id: str
    format: str
    recognition: str | None
    """Speech recognised by WeChat, when the account enabled it."""


@dataclass(frozen=True, kw_only=True)
class LocationMessage(_Message):
    """A location shared by the citizen."""

    latitude: float
    """``Location_X``."""
    longitude: float
    """``Location_Y``."""
    scale: int | None
    label: str


@dataclass(frozen=True, kw_only=True)
class LinkMessage(_Message):
    """A link shared by the citizen."""

    title: str
    description: str
    url: str


@dataclass(frozen=True, kw_only=True)
class EventMessage(_Message):
    """A menu, subscription or scan event (no ``MsgId``)."""

    event: str
    """Lower-cased ``Event``; compare with ``Event`` members."""
    event_key: str | None
    """Menu key (CLICK), URL (VIEW) or ``qrscene_…`` (subscribe by QR code)."""


@dataclass(frozen=True, kw_only=True)
class OtherMessage(_Message):
    """A message type we do not handle (video, shortvideo, future types)."""

    msg_type: str


WeChatMessage = (
    TextMessage
    | ImageMessage
    | VoiceMessage
    | LocationMessage
    | LinkMessage
    | EventMessage
    | OtherMessage
)


@dataclass(frozen=True)
class Envelope:
    """A safe-mode body: the ``Encrypt`` value to verify and decrypt."""

    encrypt: str
    to_user: str | None


class _Fields:
    """The leaf fields of an inbound ``<xml>`` root."""

    def __init__(self, root: ET.Element) -> None:
        self._elements: dict[str, list[ET.Element]] = {}
        for child in root:
            self._elements.setdefault(child.tag, []).append(child)

    def optional(self, name: str) -> str | None:
        elements = self._elements.get(name)
        if not elements:
            return None
        if len(elements) > 1:
            raise WeChatXmlError(f"duplicate {name}")
        element = elements[0]
        if len(element) or element.attrib:
            raise WeChatXmlError(f"unexpected markup in {name}")
        return element.text or ""

    def required(self, name: str) -> str:
        value = self.optional(name)
        if value is None:
            raise WeChatXmlError(f"missing {name}")
        return value

    def integer(self, name: str) -> int:
        value = self.required(name).strip()
        if _INTEGER.fullmatch(value) is None:
            raise WeChatXmlError(f"{name} is not an integer")
        return int(value)

    def number(self, name: str) -> float:
        value = self.required(name).strip()
        try:
            number = float(value)
        except ValueError:
            raise WeChatXmlError(f"{name} is not a number") from None
        if number != number or abs(number) > 1e6:  # NaN or absurd
            raise WeChatXmlError(f"{name} is out of range")
        return number


def _root(body: bytes | str) -> ET.Element:
    if isinstance(body, str):
        try:
            body = body.encode("utf-8")
        except UnicodeEncodeError:
            raise WeChatXmlError("body is not valid Unicode") from None
    if len(body) > MAX_XML_BYTES:
        raise WeChatXmlError("body too large")
    if not body.strip():
        raise WeChatXmlError("empty body")
    try:
        root = SafeET.fromstring(body, forbid_dtd=True)
    except defusedxml.DefusedXmlException as error:
        raise WeChatXmlError(
            f"forbidden XML construct: {type(error).__name__}"
        ) from None
    except ET.ParseError as error:
        raise WeChatXmlError(f"malformed XML: {error}") from None
    except (ValueError, LookupError) as error:  # unsupported declared encoding
        raise WeChatXmlError(f"unsupported XML: {error}") from None
    if root.tag != "xml":
        raise WeChatXmlError("root element is not <xml>")
    return root


def _optional_int(fields: _Fields, name: str) -> int | None:
    return None if fields.optional(name) is None else fields.integer(name)


def _message_id(fields: _Fields) -> str | None:
    value = fields.optional("MsgId")
    if value is None:
        return None
    if _INTEGER.fullmatch(value.strip()) is None:
        raise WeChatXmlError("MsgId is not an integer")
    return value.strip()


def parse_message(body: bytes | str) -> WeChatMessage:
    """Parse a plaintext inbound message (or a decrypted safe-mode message).

    Raises:
        WeChatXmlError: For any body that is not a well-formed WeChat message.
    """
    fields = _Fields(_root(body))
    common: dict[str, Any] = {
        "to_user": fields.required("ToUserName"),
        "from_user": fields.required("FromUserName"),
        "create_time": fields.integer("CreateTime"),
        "msg_id": _message_id(fields),
    }
    if not common["from_user"]:
        raise WeChatXmlError("empty FromUserName")
    msg_type = fields.required("MsgType").strip().lower()
    if msg_type == MsgType.TEXT:
        return TextMessage(**common, content=fields.required("Content"))
    if msg_type == MsgType.IMAGE:
        return ImageMessage(
            **common,
            pic_url=fields.optional("PicUrl") or "",
            media_id=fields.optional("MediaId") or "",
        )
    if msg_type == MsgType.VOICE:
        return VoiceMessage(
            **common,
            media_id=fields.optional("MediaId") or "",
            format=fields.optional("Format") or "",
            recognition=fields.optional("Recognition"),
        )
    if msg_type == MsgType.LOCATION:
        return LocationMessage(
            **common,
            latitude=fields.number("Location_X"),
            longitude=fields.number("Location_Y"),
            scale=_optional_int(fields, "Scale"),
            label=fields.optional("Label") or "",
        )
    if msg_type == MsgType.LINK:
        return LinkMessage(
            **common,
            title=fields.optional("Title") or "",
            description=fields.optional("Description") or "",
            url=fields.optional("Url") or "",
        )
    if msg_type == MsgType.EVENT:
        return EventMessage(
            **common,
            event=fields.required("Event").strip().lower(),
            event_key=fields.optional("EventKey"),
        )
    if not msg_type:
        raise WeChatXmlError("empty MsgType")
    return OtherMessage(**common, msg_type=msg_type)


def parse_envelope(body: bytes | str) -> Envelope:
    """Parse a safe-mode body and return its ``Encrypt`` value.

    Raises:
        WeChatXmlError: If the body is malformed or has no ``Encrypt``.
    """
    fields = _Fields(_root(body))
    encrypt = fields.required("Encrypt").strip()
    if not encrypt:
        raise WeChatXmlError("empty Encrypt")
    return Envelope(encrypt=encrypt, to_user=fields.optional("ToUserName"))


def _cdata(text: str) -> str:
    safe = _NOT_XML_CHAR.sub("", text)
    # "]]>" would end the section early: close it and reopen around the ">".
    return "<![CDATA[" + safe.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def render_text_reply(
    to_user: str, from_user: str, content: str, create_time: int
) -> str:
    """The passive text reply XML.

    Args:
        to_user: The citizen's openid (the inbound ``FromUserName``).
        from_user: Our account id (the inbound ``ToUserName``).
        content: The text, at most ``MAX_TEXT_REPLY_BYTES`` UTF-8 bytes.
        create_time: Unix seconds.

    Raises:
        ValueError: If ``content`` is empty or longer than WeChat accepts.
    """
    content = _NOT_XML_CHAR.sub("", content)
    if not content:
        raise ValueError("empty reply content")
    if len(content.encode("utf-8")) > MAX_TEXT_REPLY_BYTES:
        raise ValueError("reply content exceeds 2048 bytes")
    return (
        f"<xml><ToUserName>{_cdata(to_user)}</ToUserName>"
        f"<FromUserName>{_cdata(from_user)}</FromUserName>"
        f"<CreateTime>{int(create_time)}</CreateTime>"
        f"<MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{_cdata(content)}</Content></xml>"
    )


def render_encrypted_reply(
    encrypt: str, signature: str, timestamp: str, nonce: str
) -> str:
    """The safe-mode reply envelope around an already encrypted reply.

    Raises:
        ValueError: If ``timestamp`` is not a decimal integer.
    """
    return (
        f"<xml><Encrypt>{_cdata(encrypt)}</Encrypt>"
        f"<MsgSignature>{_cdata(signature)}</MsgSignature>"
        f"<TimeStamp>{int(timestamp)}</TimeStamp>"
        f"<Nonce>{_cdata(nonce)}</Nonce></xml>"
    )


def encrypt_reply(
    crypto: WeChatCrypto,
    reply_xml: str,
    timestamp: str,
    nonce: str,
    random: bytes | None = None,
) -> str:
    """Encrypt a passive reply and wrap it with its ``msg_signature``."""
    encrypt = crypto.encrypt(reply_xml, random=random)
    signature = crypto.signature_for(timestamp, nonce, encrypt)
    return render_encrypted_reply(encrypt, signature, timestamp, nonce)


def custom_text_body(openid: str, content: str) -> bytes:
    """JSON body of a customer-service text message (``message/custom/send``).

    Chinese is sent as UTF-8 rather than as JSON escapes, as WeChat's docs show.
    """
    content = _NOT_XML_CHAR.sub("", content)
    payload = {"touser": openid, "msgtype": "text", "text": {"content": content}}
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")
