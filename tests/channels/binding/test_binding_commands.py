"""What counts as a binding command (channels/binding/commands.py)."""

import pytest

from channels.binding.commands import Command, Kind, mainland_mobile, parse_command


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("绑定手机 13800138000", Command(Kind.BIND, "13800138000")),
        ("綁定手機號碼：138-0013-8000", Command(Kind.BIND, "138-0013-8000")),
        ("绑定手机号+8613800138000", Command(Kind.BIND, "+8613800138000")),
        ("绑定", Command(Kind.BIND, "")),
        ("绑定手机号", Command(Kind.BIND, "")),
        ("解除绑定", Command(Kind.UNBIND)),
        ("解绑", Command(Kind.UNBIND)),
        ("取消绑定手机", Command(Kind.UNBIND)),
        ("123456", Command(Kind.CODE, "123456")),
        ("  654321 ", Command(Kind.CODE, "654321")),
    ],
)
def test_commands(text: str, expected: Command) -> None:
    assert parse_command(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "我想绑定驾驶证",
        "绑定手机后能查违章吗",
        "12345",
        "1234567",
        "查违章",
        "",
        "解除",
    ],
)
def test_other_messages_are_not_commands(text: str) -> None:
    assert parse_command(text) is None


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("13800138000", "+8613800138000"),
        ("+86 138 0013 8000", "+8613800138000"),
        ("86-13800138000", "+8613800138000"),
        ("12800138000", None),
        ("1380013800", None),
        ("abc", None),
    ],
)
def test_mainland_mobile(text: str, phone: str | None) -> None:
    assert mainland_mobile(text) == phone
