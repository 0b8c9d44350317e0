"""Tests for channels.wechat.crypto with the official sample values (spec 1.2/1.3)."""

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import given, settings
from hypothesis import strategies as st

from channels.wechat.crypto import (
    AppIdMismatch,
    Base64Error,
    DecryptError,
    IllegalAesKey,
    IllegalBuffer,
    SignatureError,
    WeChatCrypto,
    check_signature,
    msg_signature,
    sha1_signature,
)

# Tencent's sample package (WXBizMsgCryptTest), spec 1.3.
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
TOKEN = "pamtest"
TIMESTAMP = "1409304348"
NONCE = "xxxxxx"
APP_ID = "wxb11529c136998cb6"
RANDOM = b"aaaabbbbccccdddd"
REPLY = "我是中文abcd123"
REPLY_ENCRYPTED = "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg=="
REPLY2 = (
    "<xml><ToUserName><![CDATA[oia2Tj我是中文jewbmiOUlr6X-1crbLOvLw]]></ToUserName>"
    "<FromUserName><![CDATA[gh_7f083739789a]]></FromUserName>"
    "<CreateTime>1407743423</CreateTime><MsgType><![CDATA[video]]></MsgType><Video>"
    "<MediaId><![CDATA[eYJ1MbwPRJtOvIEabaxHs7TX2D-HV71s79GUxqdUkjm6Gs2Ed1KF3ulAOA9H1xG0]]>"
    "</MediaId><Title><![CDATA[testCallBackReplyVideo]]></Title><Description>"
    "<![CDATA[testCallBackReplyVideo]]></Description></Video></xml>"
)
REPLY2_ENCRYPTED = (
    "jn1L23DB+6ELqJ+6bruv23M2GmYfkv0xBh2h+XTBOKVKcgDFHle6gqcZ1cZrk3e1qjPQ1F4RsLWzQRG9udbKWe"
    "sxlkupqcEcW7ZQweImX9+wLMa0GaUzpkycA8+IamDBxn5loLgZpnS7fVAbExOkK5DYHBmv5tptA9tklE/fTIIL"
    "HR8HLXa5nQvFb3tYPKAlHF3rtTeayNf0QuM+UW/wM9enGIDIJHF7CLHiDNAYxr+r+OrJCmPQyTy8cVWlu9iSvO"
    "HPT/77bZqJucQHQ04sq7KZI27OcqpQNSto2OdHCoTccjggX5Z9Mma0nMJBU+jLKJ38YB1fBIz+vBzsYjrTmFQ4"
    "4YfeEuZ+xRTQwr92vhA9OxchWVINGC50qE/6lmkwWTwGX9wtQpsJKhP+oS7rvTY8+VdzETdfakjkwQ5/Xka042"
    "OlUb1/slTwo4RscuQ+RdxSGvDahxAJ6+EAjLt9d8igHngxIbf6YyqqROxuxqIeIch3CssH/LqRs+iAcILvApYZ"
    "ckqmA7FNERspKA5f8GoJ9sv8xmGvZ9Yrf57cExWtnX8aCMMaBropU/1k+hKP5LVdzbWCG0hGwx/dQudYR/eXp3"
    "P0XxjlFiy+9DMlaFExWUZQDajPkdPrEeOwofJb"
)
REPLY_MSG_SIGNATURE = "82c962d39941aa48552f90ef55aa323dc620cc10"

# Derived regression vectors with the same key (spec 1.3).
INBOUND = (
    "<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName>"
    "<![CDATA[oUser_openid_test]]></FromUserName><CreateTime>1700000000</CreateTime>"
    "<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[查违章 粤B12345]]></Content>"
    "<MsgId>24000000000000001</MsgId></xml>"
)
INBOUND_ENCRYPTED = (
    "jn1L23DB+6ELqJ+6bruv23I70V28J4i3js2YV7vHpAAz0GeiPD5cZdPfAxIQEqUj7pvJoxtQwVX2N2GLKf5q92"
    "vU0usp88FURCZA8EFNevvL6GJUzMK4MjaKymmrvHWOq6yrTbKNFviMCKxS3sAs867mz42Syb5K/9zq+exRgB/"
    "NGTd5O+EgcqOgkmxqXiT37z6otMMwY7PHkcp5rMTLJGSdBySNORkcCCLYfE/AnFdAsx7f+Q+7W8oS9NpdpFgXV"
    "Vztr0rcDorIXG0fxojrWP0XrUKnSB51tllMTXfcC4kGnqq+sBxEM2/TAXgekhG5CdgLhm9Jo8fN70630RGr1Qo"
    "eKMQQXjYboxX3LtSj4KZY2MeJWGiDh98p+XXS73a+LI2kr4Voh3jTjLPEl4rTsnVJcEUTR+aqBqD8upVmIao="
)
INBOUND_MSG_SIGNATURE = "7e6e9196c2155a30b5ffcb72d1a989a98a4dd95a"
FULL_BLOCK_ENCRYPTED = (
    "jn1L23DB+6ELqJ+6bruv24kfnRA9CJ8qXRQfcTjuspbcu/BSVDHix6RSI3nK3z+fMd03dqZ5HIPCrQNNDa2xYd"
    "47apRHAo9FEf57/GQVWffqnF3WzheksoIGmk00BgBc"
)
WRONG_APPID_ENCRYPTED = "jn1L23DB+6ELqJ+6bruv262+vIpQoIg40P7tSLkKh1+TZMGFRHxJexY8S4sRU1k4M70lJ+nV8bH/9YMgYCTH7Q=="

# WeCom (企业微信) official sample: a second, independent vector.
WECOM = WeChatCrypto(
    "QDG6eK", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "wx5823bf96d3bd56c7"
)
WECOM_ECHOSTR = "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="
WECOM_ENCRYPT = (
    "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3Qc"
    "zcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs"
    "8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4z"
    "G4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS"
    "0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAV"
    "e0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q=="
)


@pytest.fixture
def crypto() -> WeChatCrypto:
    return WeChatCrypto(TOKEN, AES_KEY, APP_ID)


def _flip(text: str, index: int = -1) -> str:
    """One character changed (a negative twin)."""
    ch = text[index]
    replacement = "0" if ch != "0" else "1"
    index %= len(text)
    return text[:index] + replacement + text[index + 1 :]


def test_plain_signature_vectors() -> None:
    assert (
        sha1_signature(TOKEN, TIMESTAMP, NONCE)
        == "76480565cbe296026c53aaacd1ad523a1ddba24f"
    )
    assert (
        sha1_signature(TOKEN, "1700000000", "nonce123")
        == "b35065fcacdfd8c3fd127a84a74ac7444aabc7b0"
    )


def test_check_signature_and_negative_twins() -> None:
    good = "76480565cbe296026c53aaacd1ad523a1ddba24f"
    assert check_signature(TOKEN, TIMESTAMP, NONCE, good)
    assert check_signature(TOKEN, TIMESTAMP, NONCE, good.upper())
    assert not check_signature(TOKEN, TIMESTAMP, NONCE, _flip(good))
    assert not check_signature(TOKEN, "1409304349", NONCE, good)
    assert not check_signature("pamtesT", TIMESTAMP, NONCE, good)
    assert not check_signature(TOKEN, TIMESTAMP, NONCE, None)
    assert not check_signature(TOKEN, TIMESTAMP, NONCE, "")
    assert not check_signature(TOKEN, TIMESTAMP, NONCE, "签名")


def test_sort_is_lexicographic_not_numeric() -> None:
    # "10" < "9" as strings: a numeric sort would give another digest.
    assert sha1_signature("9", "10", "a") == sha1_signature("10", "9", "a")
    assert sha1_signature("9", "10", "a") == hashlib.sha1(b"109a").hexdigest()


def test_encrypt_official_sample(crypto: WeChatCrypto) -> None:
    assert crypto.encrypt(REPLY, random=RANDOM) == REPLY_ENCRYPTED
    assert crypto.encrypt(REPLY2, random=RANDOM) == REPLY2_ENCRYPTED


def test_decrypt_official_sample(crypto: WeChatCrypto) -> None:
    assert crypto.decrypt(REPLY_ENCRYPTED).decode() == REPLY
    assert crypto.decrypt(REPLY2_ENCRYPTED).decode() == REPLY2


def test_msg_signature_vector(crypto: WeChatCrypto) -> None:
    assert (
        msg_signature(TOKEN, TIMESTAMP, NONCE, REPLY_ENCRYPTED) == REPLY_MSG_SIGNATURE
    )
    assert (
        crypto.signature_for(TIMESTAMP, NONCE, REPLY_ENCRYPTED) == REPLY_MSG_SIGNATURE
    )


def test_inbound_regression_vector(crypto: WeChatCrypto) -> None:
    assert crypto.encrypt(INBOUND, random=RANDOM) == INBOUND_ENCRYPTED
    message = crypto.decrypt_message(
        INBOUND_MSG_SIGNATURE, "1700000000", "nonce123", INBOUND_ENCRYPTED
    )
    assert message.decode() == INBOUND


def test_full_padding_block(crypto: WeChatCrypto) -> None:
    encrypted = crypto.encrypt("abcdefghijklmnopqrstuvwxyz", random=RANDOM)
    assert encrypted == FULL_BLOCK_ENCRYPTED
    assert len(base64.b64decode(encrypted)) == 96
    assert crypto.decrypt(encrypted) == b"abcdefghijklmnopqrstuvwxyz"


def test_wrong_appid_is_rejected(crypto: WeChatCrypto) -> None:
    with pytest.raises(AppIdMismatch) as error:
        crypto.decrypt(WRONG_APPID_ENCRYPTED)
    assert error.value.code == -40005


def test_wrong_msg_signature_fails_before_decrypting(crypto: WeChatCrypto) -> None:
    with pytest.raises(SignatureError) as error:
        crypto.decrypt_message("12345", TIMESTAMP, NONCE, REPLY_ENCRYPTED)
    assert error.value.code == -40001
    with pytest.raises(SignatureError):
        crypto.decrypt_message(
            _flip(REPLY_MSG_SIGNATURE), TIMESTAMP, NONCE, REPLY_ENCRYPTED
        )
    with pytest.raises(SignatureError):
        crypto.decrypt_message(None, TIMESTAMP, NONCE, REPLY_ENCRYPTED)
    # A signature covers one ciphertext only.
    with pytest.raises(SignatureError):
        crypto.decrypt_message(REPLY_MSG_SIGNATURE, TIMESTAMP, NONCE, "AAAA" * 8)


@pytest.mark.parametrize(
    "key",
    [
        "abcde",
        AES_KEY[:42],
        AES_KEY + "H",
        "",
        "é" * 43,
        "abcdefghijklmnopqrstuvwxyz0123456789ABCDE!G",
    ],
)
def test_illegal_aes_key(key: str) -> None:
    with pytest.raises(IllegalAesKey) as error:
        WeChatCrypto(TOKEN, key, APP_ID)
    assert error.value.code == -40004


def test_token_and_appid_required() -> None:
    with pytest.raises(ValueError):
        WeChatCrypto("", AES_KEY, APP_ID)
    with pytest.raises(ValueError):
        WeChatCrypto(TOKEN, AES_KEY, "")


def test_bad_ciphertexts(crypto: WeChatCrypto) -> None:
    with pytest.raises(Base64Error):
        crypto.decrypt("not base64!!")
    with pytest.raises(Base64Error):
        crypto.decrypt("密文")
    with pytest.raises(DecryptError):
        crypto.decrypt("")
    with pytest.raises(DecryptError):
        crypto.decrypt(base64.b64encode(b"x" * 16).decode())  # not a 32-byte multiple
    with pytest.raises(DecryptError):
        # Changing the last block scrambles the padding.
        raw = bytearray(base64.b64decode(REPLY_ENCRYPTED))
        raw[-1] ^= 0x01
        crypto.decrypt(base64.b64encode(bytes(raw)).decode())


def test_inconsistent_length_field(crypto: WeChatCrypto) -> None:
    # Encrypt a buffer whose 4-byte length claims more than there is.
    key = base64.b64decode(AES_KEY + "=")
    plain = RANDOM + (10_000).to_bytes(4, "big") + b"short" + APP_ID.encode()
    pad = 32 - len(plain) % 32
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    encrypted = encryptor.update(plain + bytes([pad]) * pad) + encryptor.finalize()
    with pytest.raises(IllegalBuffer) as error:
        crypto.decrypt(base64.b64encode(encrypted).decode())
    assert error.value.code == -40008


def test_wecom_url_verification_vector() -> None:
    signature = "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3"
    echo = WECOM.decrypt_message(signature, "1409659589", "263014780", WECOM_ECHOSTR)
    assert echo == b"1616140317555161061"
    with pytest.raises(SignatureError):
        WECOM.decrypt_message(
            _flip(signature), "1409659589", "263014780", WECOM_ECHOSTR
        )


def test_wecom_message_vector() -> None:
    signature = "477715d11cdb4164915debcba66cb864d751f3e6"
    xml = WECOM.decrypt_message(signature, "1409659813", "1372623149", WECOM_ENCRYPT)
    text = xml.decode()
    assert "<FromUserName><![CDATA[mycreate]]></FromUserName>" in text
    assert "<Content><![CDATA[hello]]></Content>" in text
    assert "4561255354251345929" in text


def test_random_prefix_is_random_by_default(crypto: WeChatCrypto) -> None:
    first, second = crypto.encrypt(REPLY), crypto.encrypt(REPLY)
    assert first != second
    assert crypto.decrypt(first) == crypto.decrypt(second) == REPLY.encode()
    with pytest.raises(ValueError):
        crypto.encrypt(REPLY, random=b"short")


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300), st.binary(min_size=16, max_size=16))
def test_property_round_trip(message: str, random: bytes) -> None:
    crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)
    data = message.encode("utf-8", "surrogatepass")
    encrypted = crypto.encrypt(data, random=random)
    assert len(base64.b64decode(encrypted)) % 32 == 0
    signature = crypto.signature_for("1700000000", "n", encrypted)
    assert crypto.decrypt_message(signature, "1700000000", "n", encrypted) == data
