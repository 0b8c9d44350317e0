"""Parse Alibaba Cloud SMS uplink (SmsUp, HTTP batch push) callback bodies.

The push is a POST of a JSON **array**, several uplinks per request::

    [{"phone_number": "13800138000", "content": "1", "send_time":
      "2017-09-01 00:00:00", "dest_code": "1234", "sequence_id": 1234567890,
      "sign_name": "…"}]

``sequence_id`` may be a string or a number and ``send_time`` either
``YYYY-MM-DD HH:MM:SS`` or ``YYYYMMDDHHMMSS`` (both appear across Aliyun's doc
revisions); times are Beijing time. The push carries **no signature or
token**: the route must sit behind an unguessable path secret
(``/sms/aliyun/{ALIYUN_SMS_PATH_SECRET}``) and an IP allow-list
(``ALIYUN_SMS_ALLOWED_IPS``, see ``channels.security.ip_allowed``), over TLS.

Any HTTP status but 200 makes Aliyun push the whole batch again (up to 10
times over about an hour), so the same ``sequence_id`` can arrive many times:
deduplicate on ``message_id``. A body with any malformed item is rejected as a
whole with ``BadRequest``; the route decides whether to answer 400 (and get the
batch again) or to acknowledge and log.
"""

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

__all__ = ["ACK_BODY", "BadRequest", "InboundSms", "parse_uplink"]

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")
MAX_BODY_BYTES = 256 * 1024
MAX_ITEMS = 500
MAX_PHONE_LENGTH = 32
MAX_CONTENT_LENGTH = 1000
# "系统仅校验code是否为数字": any numeric code with HTTP 200 acknowledges.
ACK_BODY = '{"code":0,"msg":"接收成功"}'.encode()
_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y%m%d%H%M%S")
_SEQUENCE_ID = re.compile(r"[0-9A-Za-z_-]{1,64}")


class BadRequest(ValueError):
    """The callback body is not a valid uplink push; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class InboundSms:
    """One citizen SMS received through the uplink push."""

    phone: str
    text: str
    message_id: str
    """Aliyun's ``sequence_id``: the deduplication key."""
    sent_at: datetime | None
    """When the citizen sent it (aware, Beijing time), if Aliyun said."""
    dest_code: str | None = None
    sign_name: str | None = None


def _string(item: dict[str, object], name: str, where: str) -> str:
    value = item.get(name)
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise BadRequest(f"{where}: {name} missing or not a string")
    return str(value).strip()


def _optional_string(item: dict[str, object], name: str) -> str | None:
    value = item.get(name)
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return str(value).strip() or None


def _time(value: object, where: str) -> datetime | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise BadRequest(f"{where}: send_time is not a string")
    text = str(value).strip()
    for pattern in _TIME_FORMATS:
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=BEIJING)
        except ValueError:
            continue
    raise BadRequest(f"{where}: send_time has an unknown format")


def _clean(text: str) -> str:
    # NUL and lone surrogates (JSON "\ud800" escapes) break every later encoder.
    return "".join(
        ch for ch in text if ch != "\x00" and not 0xD800 <= ord(ch) <= 0xDFFF
    ).strip()


def _item(item: object, index: int) -> InboundSms:
    where = f"item {index}"
    if not isinstance(item, dict):
        raise BadRequest(f"{where}: not an object")
    phone = _string(item, "phone_number", where)
    if not phone or len(phone) > MAX_PHONE_LENGTH or not phone.isprintable():
        raise BadRequest(f"{where}: bad phone_number")
    content = item.get("content")
    if not isinstance(content, str):
        raise BadRequest(f"{where}: content missing or not a string")
    if len(content) > MAX_CONTENT_LENGTH:
        raise BadRequest(f"{where}: content too long")
    message_id = _string(item, "sequence_id", where)
    if _SEQUENCE_ID.fullmatch(message_id) is None:
        raise BadRequest(f"{where}: bad sequence_id")
    return InboundSms(
        phone=phone,
        text=_clean(content),
        message_id=message_id,
        sent_at=_time(item.get("send_time"), where),
        dest_code=_optional_string(item, "dest_code"),
        sign_name=_optional_string(item, "sign_name"),
    )


def parse_uplink(body: bytes) -> list[InboundSms]:
    """Parse an uplink push body into messages, in the order Aliyun sent them.

    Raises:
        BadRequest: If the body is too large, not UTF-8 JSON, not an array,
            too long, or any item lacks a valid phone number, content or
            sequence id, or has an unreadable send time.
    """
    if len(body) > MAX_BODY_BYTES:
        raise BadRequest("body too large")
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise BadRequest("body is not UTF-8") from None
    except ValueError:
        raise BadRequest("body is not JSON") from None
    if not isinstance(data, list):
        raise BadRequest("body is not a JSON array")
    if len(data) > MAX_ITEMS:
        raise BadRequest("too many items")
    return [_item(item, index) for index, item in enumerate(data)]
