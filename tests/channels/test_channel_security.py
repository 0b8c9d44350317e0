"""Tests for channels.security: secrets, windows, replay cache, voice HMAC, IPs."""

import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from channels.security import (
    TELEGRAM_WEBHOOK_NETWORKS,
    SeenCache,
    Unauthorized,
    check_voice_request,
    ip_allowed,
    is_valid_telegram_secret,
    parse_networks,
    secrets_equal,
    sign_voice_request,
    timestamp_within,
)

SECRET = "sandbox-voice-relay-secret"
NOW = 1_700_000_000.0
BODY = '{"call_id":"c-1","turn_no":3,"text":"查违章"}'.encode()


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_secrets_equal() -> None:
    assert secrets_equal("abc_DEF-123", "abc_DEF-123")
    assert secrets_equal(b"abc", "abc")
    assert not secrets_equal("abc_DEF-124", "abc_DEF-123")
    assert not secrets_equal("abc", "abcd")
    assert not secrets_equal(None, "abc")
    assert not secrets_equal("", "")
    assert not secrets_equal("abc", "")


def test_secrets_equal_does_not_raise_on_non_ascii() -> None:
    # secrets.compare_digest("é", "abc") raises TypeError (spec 1.1).
    assert not secrets_equal("é", "abc")
    assert not secrets_equal("\ud800", "abc")
    assert secrets_equal("密钥", "密钥")


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("sandbox-telegram_secret-1", True),
        ("a", True),
        ("a" * 256, True),
        ("a" * 257, False),
        ("", False),
        ("with space", False),
        ("密钥", False),
        ("abc\n", False),
    ],
)
def test_telegram_secret_format(value: str, valid: bool) -> None:
    assert is_valid_telegram_secret(value) is valid


@pytest.mark.parametrize(
    ("timestamp", "inside"),
    [
        ("1700000000", True),
        ("1700000300", True),
        ("1699999700", True),
        ("1700000301", False),
        ("1699999699", False),
        (1_700_000_000, True),
        (1_700_000_000.5, True),
        ("-1700000000", False),
        ("+1700000000", False),
        (" 1700000000", False),
        ("1.7e9", False),
        ("", False),
        ("abc", False),
        ("１７００００００００", False),
        ("9" * 40, False),
        (float("nan"), False),
        (float("inf"), False),
        (-5, False),
        (None, False),
        (True, False),
    ],
)
def test_timestamp_within(timestamp: object, inside: bool) -> None:
    assert timestamp_within(timestamp, now=NOW) is inside  # type: ignore[arg-type]


def test_timestamp_window_is_configurable() -> None:
    assert timestamp_within("1700000010", now=NOW, window=10)
    assert not timestamp_within("1700000011", now=NOW, window=10)


def test_seen_cache_first_time_then_repeat() -> None:
    clock = FakeClock()
    cache = SeenCache(ttl=60, max_size=10, clock=clock)
    assert cache.add(("bot", 1))
    assert not cache.add(("bot", 1))
    assert cache.add(("bot", 2))
    assert ("bot", 1) in cache
    assert len(cache) == 2


def test_seen_cache_expires_after_ttl() -> None:
    clock = FakeClock()
    cache = SeenCache(ttl=60, max_size=10, clock=clock)
    cache.add("MsgId-1")
    clock.now += 59.9
    assert not cache.add("MsgId-1")
    clock.now += 0.2
    assert "MsgId-1" not in cache
    assert cache.add("MsgId-1")


def test_seen_cache_repeat_does_not_extend_the_ttl() -> None:
    clock = FakeClock()
    cache = SeenCache(ttl=10, max_size=10, clock=clock)
    cache.add("k")
    clock.now += 8
    assert not cache.add("k")
    clock.now += 3
    assert cache.add("k")


def test_seen_cache_is_bounded_and_evicts_oldest() -> None:
    clock = FakeClock()
    cache = SeenCache(ttl=3600, max_size=3, clock=clock)
    for key in "abcd":
        assert cache.add(key)
    assert len(cache) == 3
    assert "a" not in cache
    assert not cache.add("d")
    assert cache.add("a")  # evicted, so seen as new: documented trade-off


def test_seen_cache_purges_expired_entries() -> None:
    clock = FakeClock()
    cache = SeenCache(ttl=1, max_size=100_000, clock=clock)
    for i in range(1000):
        cache.add(i)
    clock.now += 2
    cache.add("new")
    assert len(cache) == 1


def test_seen_cache_rejects_bad_configuration() -> None:
    with pytest.raises(ValueError):
        SeenCache(ttl=0, max_size=1)
    with pytest.raises(ValueError):
        SeenCache(ttl=1, max_size=0)


def test_voice_signature_matches_the_documented_scheme() -> None:
    expected = hmac.new(
        SECRET.encode(), b"1700000000\n" + BODY, hashlib.sha256
    ).hexdigest()
    assert sign_voice_request(SECRET, "1700000000", BODY) == expected
    assert len(expected) == 64


def test_voice_request_accepted() -> None:
    signature = sign_voice_request(SECRET, "1700000000", BODY)
    check_voice_request(SECRET, "1700000000", signature, BODY, now=NOW)
    check_voice_request(SECRET, "1700000000", signature.upper(), BODY, now=NOW + 299)


def _reason(timestamp: str | None, signature: str | None, body: bytes) -> str:
    with pytest.raises(Unauthorized) as error:
        check_voice_request(SECRET, timestamp, signature, body, now=NOW)
    return error.value.reason


def test_voice_request_negative_twins() -> None:
    signature = sign_voice_request(SECRET, "1700000000", BODY)
    tampered = BODY.replace(b"c-1", b"c-2")
    assert _reason("1700000000", signature, tampered) == "bad_signature"
    flipped = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    assert _reason("1700000000", flipped, BODY) == "bad_signature"
    # A fresh timestamp cannot be attached to an old signature.
    assert _reason("1700000001", signature, BODY) == "bad_signature"
    assert _reason(None, signature, BODY) == "missing_signature"
    assert _reason("1700000000", None, BODY) == "missing_signature"
    assert _reason("1700000000", "", BODY) == "missing_signature"
    assert _reason("17e8", signature, BODY) == "bad_timestamp"
    assert _reason("1699999000", signature, BODY) == "stale_timestamp"
    assert _reason("1700000000", "zz" * 32, BODY) == "bad_signature"
    assert _reason("1700000000", "签名", BODY) == "bad_signature"
    assert _reason("1700000000", signature[:40], BODY) == "bad_signature"


def test_voice_request_with_other_secret_is_rejected() -> None:
    signature = sign_voice_request("other-secret", "1700000000", BODY)
    assert _reason("1700000000", signature, BODY) == "bad_signature"


def test_voice_request_empty_secret_is_a_configuration_error() -> None:
    with pytest.raises(ValueError):
        check_voice_request("", "1700000000", "00" * 32, BODY, now=NOW)


def test_voice_request_invalid_utf8_body_is_signed_as_bytes() -> None:
    body = b"\xff\xfe\x00 not utf-8"
    signature = sign_voice_request(SECRET, "1700000000", body)
    check_voice_request(SECRET, "1700000000", signature, body, now=NOW)


@given(st.binary(max_size=200), st.integers(0, 2**33))
def test_property_voice_sign_verify_round_trip(body: bytes, ts: int) -> None:
    timestamp = str(ts)
    signature = sign_voice_request(SECRET, timestamp, body)
    check_voice_request(SECRET, timestamp, signature, body, now=float(ts))
    with pytest.raises(Unauthorized):
        check_voice_request(SECRET, timestamp, signature, body + b"x", now=float(ts))


def test_ip_allow_list() -> None:
    networks = parse_networks("100.104.0.0/14, 47.96.0.10 ;2001:db8::/32")
    assert ip_allowed("100.104.1.2", networks)
    assert ip_allowed("47.96.0.10", networks)
    assert not ip_allowed("47.96.0.11", networks)
    assert ip_allowed("2001:db8::1", networks)
    assert ip_allowed("::ffff:100.104.1.2", networks)
    assert not ip_allowed("8.8.8.8", networks)
    assert not ip_allowed("not an ip", networks)
    assert not ip_allowed("", networks)
    assert not ip_allowed(None, networks)
    assert not ip_allowed("100.104.1.2", ())


def test_telegram_ranges() -> None:
    networks = parse_networks(TELEGRAM_WEBHOOK_NETWORKS)
    assert ip_allowed("149.154.167.220", networks)
    assert ip_allowed("91.108.6.1", networks)
    assert not ip_allowed("149.154.176.1", networks)


def test_parse_networks_rejects_garbage() -> None:
    assert parse_networks("") == ()
    with pytest.raises(ValueError):
        parse_networks("10.0.0.0/8, example.com")
