"""Inbox building blocks: address sealing, the handoff stores, what staff see."""

import asyncio
import uuid

import pytest
from cryptography.fernet import Fernet

from channels.inbox.records import HandoffReason, HandoffRecord
from channels.inbox.sealing import AddressCipher, AddressUnreadable, fernet_key
from channels.inbox.store import MemoryHandoffStore, RedisHandoffStore
from channels.inbox.transcript import (
    bot_messages_after,
    handoff_reason,
    masked_slots,
    transcript,
)

# --- sealing -----------------------------------------------------------------


def test_sealed_address_opens_and_hides_the_address() -> None:
    cipher = AddressCipher(["a pass phrase of some length"])
    sealed = cipher.seal("+8613800138000")
    assert "13800138000" not in sealed
    assert cipher.seal("+8613800138000") != sealed  # random IV each time
    assert cipher.open(sealed) == "+8613800138000"


def test_rotated_keys_open_old_addresses_and_seal_with_the_newest() -> None:
    old = AddressCipher(["old-key"])
    sealed_old = old.seal("4242")
    rotated = AddressCipher.from_setting("new-key,old-key")
    assert rotated.open(sealed_old) == "4242"
    with pytest.raises(AddressUnreadable):
        old.open(rotated.seal("4242"))


def test_wrong_key_tampering_and_age_are_refused() -> None:
    cipher = AddressCipher(["k1"])
    sealed = cipher.seal("oUser_openid")
    with pytest.raises(AddressUnreadable):
        AddressCipher(["k2"]).open(sealed)
    with pytest.raises(AddressUnreadable):
        cipher.open(sealed[:-4] + ("AAAA" if not sealed.endswith("AAAA") else "BBBB"))
    with pytest.raises(AddressUnreadable):
        cipher.open("not a token")
    assert cipher.open(sealed, max_age_s=60) == "oUser_openid"


def test_a_real_fernet_key_is_used_as_is() -> None:
    key = Fernet.generate_key().decode()
    assert fernet_key(key) == key.encode()
    assert Fernet(key).decrypt(AddressCipher([key]).seal("x").encode()) == b"x"
    with pytest.raises(ValueError):
        AddressCipher(["", " "])


# --- stores ------------------------------------------------------------------


def record(sender: str, opened_at: float, **fields: object) -> HandoffRecord:
    return HandoffRecord(
        sender=sender,
        channel="web",
        reason=HandoffReason.REQUESTED,
        opened_at=opened_at,
        last_message_at=opened_at,
        **fields,  # type: ignore[arg-type]
    )


def test_waiting_time_runs_from_the_latest_unanswered_message() -> None:
    waiting = record("web:" + "a" * 32, 100.0)
    assert waiting.waiting_s(130.0) == 30.0
    answered = HandoffRecord.from_json(
        record("web:" + "a" * 32, 100.0, last_reply_at=120.0).to_json()
    )
    assert answered.waiting_s(130.0) is None
    assert answered.touched(125.0, None).waiting_s(130.0) == 5.0


async def test_memory_store_lists_oldest_first_and_expires() -> None:
    now = [1000.0]
    store = MemoryHandoffStore(clock=lambda: now[0])
    await store.put(record("web:" + "b" * 32, 20.0), ttl_s=10)
    await store.put(record("web:" + "a" * 32, 10.0), ttl_s=100)
    assert [r.opened_at for r in await store.list_open()] == [10.0, 20.0]
    now[0] += 11
    assert [r.sender for r in await store.list_open()] == ["web:" + "a" * 32]
    assert await store.get("web:" + "b" * 32) is None
    assert await store.remove("web:" + "a" * 32)
    assert not await store.remove("web:" + "a" * 32)


@pytest.mark.redis
async def test_redis_store_shares_records_and_drops_expired_index_entries(
    redis_url: str,
) -> None:
    prefix = f"test-{uuid.uuid4().hex[:8]}:"
    one = RedisHandoffStore.from_url(redis_url, prefix)
    two = RedisHandoffStore.from_url(redis_url, prefix)  # another replica
    try:
        first, second = "telegram:" + "1" * 32, "telegram:" + "2" * 32
        await one.put(record(first, 10.0, address="sealed"), ttl_s=0.2)
        await one.put(record(second, 5.0), ttl_s=60)
        listed = await two.list_open()
        assert [r.sender for r in listed] == [second, first]
        assert (await two.get(first)) == record(first, 10.0, address="sealed")
        await asyncio.sleep(0.3)
        assert [r.sender for r in await two.list_open()] == [second]
        assert await one._redis.zrange(one._index, 0, -1) == [second]
        assert await two.remove(second)
        assert await one.list_open() == []
    finally:
        await one.close()
        await two.close()


# --- what staff see ----------------------------------------------------------

TRACKER = {
    "paused": True,
    "slots": {
        "id_number": "440305199001011234",
        "plate_number": "粤B12345",
        "phone_number": "13800138000",
        "engine_suffix": "123456",
        "exam_subject": "科目一",
        "write_key": "idem-123",
        "ticket_content": "我的电话是13912345678",
        "confirmed": False,
        "rating": None,
    },
    "events": [
        {"event": "action", "name": "action_listen", "timestamp": 1.0},
        {"event": "user", "text": "我的身份证440305199001011234", "timestamp": 2.0},
        {
            "event": "bot",
            "text": "请选择：",
            "data": {"buttons": [{"title": "科目一", "payload": "/x"}]},
            "timestamp": 3.0,
        },
        {
            "event": "user",
            "text": "/human_handoff",
            "metadata": {"display_text": "转人工服务"},
            "timestamp": 4.0,
        },
        {"event": "action", "name": "action_human_handoff", "timestamp": 5.0},
        {"event": "pause", "timestamp": 5.0},
        {
            "event": "bot",
            "text": "【人工客服】您好",
            "metadata": {"source": "staff", "staff": "李四"},
            "timestamp": 6.0,
        },
    ],
}


def test_slots_are_masked_and_internal_ones_left_out() -> None:
    slots = masked_slots(TRACKER)
    assert slots == {
        "confirmed": False,
        "engine_suffix": "******",
        "exam_subject": "科目一",
        "id_number": "4403**********1234",
        "phone_number": "138****8000",
        "plate_number": "粤B***45",
        "ticket_content": "我的电话是139****5678",
    }


def test_transcript_is_masked_with_roles_and_staff() -> None:
    entries = transcript(TRACKER)
    assert [(e["role"], e["text"]) for e in entries] == [
        ("user", "我的身份证4403**********1234"),
        ("bot", "请选择：\n［选项：科目一］"),
        ("user", "转人工服务"),
        ("staff", "【人工客服】您好"),
    ]
    assert entries[-1]["staff"] == "李四" and entries[0]["at"] == 2.0


def test_reason_comes_from_the_action_that_paused() -> None:
    assert handoff_reason(TRACKER) is HandoffReason.REQUESTED
    fallback = {"events": [{"event": "action", "name": "action_default_fallback"}]}
    assert handoff_reason(fallback) is HandoffReason.NOT_UNDERSTOOD
    assert handoff_reason({"events": None}) is HandoffReason.UNKNOWN


def test_bot_messages_after_a_cursor() -> None:
    messages, cursor = bot_messages_after(TRACKER, 0.0)
    assert [m["text"] for m in messages] == ["请选择：", "【人工客服】您好"]
    assert cursor == 6.0
    assert bot_messages_after(TRACKER, 5.0) == ([{"text": "【人工客服】您好"}], 6.0)
    assert bot_messages_after(TRACKER, 6.0) == ([], 6.0)
