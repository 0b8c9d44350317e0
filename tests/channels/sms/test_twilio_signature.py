"""Tests for channels.sms.twilio_signature with Twilio's vectors (spec 1.4)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from channels.sms.twilio_signature import (
    body_sha256,
    compute_signature,
    validate_json_request,
    validate_request,
)

TOKEN = "12345"
URL = "https://mycompany.com/myapp.php?foo=1&bar=2"


def _params(caller: str) -> dict[str, str]:
    return {
        "CallSid": "CA1234567890ABCDE",
        "Caller": caller,
        "Digits": "1234",
        "From": caller,
        "To": "+18005551212",
    }


LIBRARY_PARAMS = _params("+14158675309")


@pytest.mark.parametrize(
    ("caller", "signature"),
    [
        ("+14158675310", "GvWf1cFY/Q7PnoempGyD5oXAezc="),
        ("+12349013030", "0/KCTR6DLpKmkAf8muzZqo1nDgQ="),
        ("+14158675309", "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
    ],
)
def test_documented_examples(caller: str, signature: str) -> None:
    assert compute_signature(TOKEN, URL, _params(caller)) == signature
    assert validate_request(TOKEN, URL, _params(caller), signature)


def test_negative_twins() -> None:
    signature = "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    tampered = dict(LIBRARY_PARAMS, Digits="1235")
    assert not validate_request(TOKEN, URL, tampered, signature)
    extra = dict(LIBRARY_PARAMS, Body="hi")
    assert not validate_request(TOKEN, URL, extra, signature)
    missing = {k: v for k, v in LIBRARY_PARAMS.items() if k != "To"}
    assert not validate_request(TOKEN, URL, missing, signature)
    assert not validate_request(TOKEN, URL + "&x=1", LIBRARY_PARAMS, signature)
    assert not validate_request(
        TOKEN, URL.replace("https", "http"), LIBRARY_PARAMS, signature
    )
    assert not validate_request("12346", URL, LIBRARY_PARAMS, signature)
    assert not validate_request(
        TOKEN, URL, LIBRARY_PARAMS, "RSOYDt4T1cUTdK1PDd93/VVr8B9="
    )
    assert not validate_request(TOKEN, URL, LIBRARY_PARAMS, None)
    assert not validate_request(TOKEN, URL, LIBRARY_PARAMS, "")
    assert not validate_request(TOKEN, URL, LIBRARY_PARAMS, "签名")
    assert not validate_request("", URL, LIBRARY_PARAMS, signature)


def test_whitespace_in_values_matters() -> None:
    trimmed = dict(LIBRARY_PARAMS, Digits=" 1234")
    assert not validate_request(TOKEN, URL, trimmed, "RSOYDt4T1cUTdK1PDd93/VVr8B8=")


def test_parameter_order_does_not_matter() -> None:
    pairs = list(reversed(list(LIBRARY_PARAMS.items())))
    assert validate_request(TOKEN, URL, pairs, "RSOYDt4T1cUTdK1PDd93/VVr8B8=")


def test_repeated_parameters() -> None:
    pairs = [
        ("Sid", "CA123"),
        ("SidAccount", "AC123"),
        ("Digits", "5678"),
        ("Digits", "1234"),
    ]
    assert compute_signature(TOKEN, URL, pairs) == "IK+Dwps556ElfBT0I3Rgjkr1wJU="
    assert validate_request(TOKEN, URL, pairs, "IK+Dwps556ElfBT0I3Rgjkr1wJU=")
    assert not validate_request(TOKEN, URL, pairs[:-1], "IK+Dwps556ElfBT0I3Rgjkr1wJU=")


@pytest.mark.parametrize(
    ("url", "signature"),
    [
        (
            "https://mycompany.com:443/myapp.php?foo=1&bar=2",
            "kvajT1Ptam85bY51eRf/AJRuM3w=",
        ),
        (
            "http://mycompany.com:80/myapp.php?foo=1&bar=2",
            "0ZXoZLH/DfblKGATFgpif+LLRf4=",
        ),
        (
            "http://mycompany.com:1234/myapp.php?foo=1&bar=2",
            "Zmvh+3yNM1Phv2jhDCwEM3q5ebU=",
        ),
    ],
)
def test_port_vectors(url: str, signature: str) -> None:
    assert compute_signature(TOKEN, url, LIBRARY_PARAMS) == signature
    assert validate_request(TOKEN, url, LIBRARY_PARAMS, signature)


def test_default_port_quirk_both_ways() -> None:
    with_port = "kvajT1Ptam85bY51eRf/AJRuM3w="
    without_port = "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    # Configured without a port, Twilio signed with :443 — and the reverse.
    assert validate_request(TOKEN, URL, LIBRARY_PARAMS, with_port)
    assert validate_request(
        TOKEN,
        "https://mycompany.com:443/myapp.php?foo=1&bar=2",
        LIBRARY_PARAMS,
        without_port,
    )
    http_url = "http://mycompany.com/myapp.php?foo=1&bar=2"
    assert validate_request(
        TOKEN, http_url, LIBRARY_PARAMS, "0ZXoZLH/DfblKGATFgpif+LLRf4="
    )


def test_non_default_port_is_not_dropped() -> None:
    # A signature over the port-less URL does not validate a :1234 request.
    url = "http://mycompany.com:1234/myapp.php?foo=1&bar=2"
    unported = compute_signature(
        TOKEN, "http://mycompany.com/myapp.php?foo=1&bar=2", LIBRARY_PARAMS
    )
    assert not validate_request(TOKEN, url, LIBRARY_PARAMS, unported)


def test_userinfo_and_ipv6_hosts_keep_their_shape() -> None:
    url = "https://user:pass@[2001:db8::1]/sms/twilio"
    with_port = compute_signature(
        TOKEN, "https://user:pass@[2001:db8::1]:443/sms/twilio", {}
    )
    assert validate_request(TOKEN, url, {}, with_port)


def test_json_body_vector() -> None:
    body = b'{"property": "value", "boolean": true}'
    assert (
        body_sha256(body)
        == "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
    )
    url = URL + "&bodySHA256=" + body_sha256(body)
    assert compute_signature(TOKEN, url) == "a9nBmqA0ju/hNViExpshrM61xv4="
    assert validate_json_request(TOKEN, url, body, "a9nBmqA0ju/hNViExpshrM61xv4=")


def test_json_body_negative_twins() -> None:
    body = b'{"property": "value", "boolean": true}'
    url = URL + "&bodySHA256=" + body_sha256(body)
    signature = "a9nBmqA0ju/hNViExpshrM61xv4="
    assert not validate_json_request(
        TOKEN, url, body.replace(b": ", b":  ", 1), signature
    )
    assert not validate_json_request(TOKEN, URL, body, signature)  # no hash in URL
    assert not validate_json_request(TOKEN, url + "&bodySHA256=00", body, signature)
    assert not validate_json_request(TOKEN, url, body, "a9nBmqA0ju/hNViExpshrM61xv5=")
    assert not validate_json_request(
        TOKEN, url.replace("6620", "662０"), body, signature
    )


def test_unicode_body_values() -> None:
    params = {"Body": "查违章 粤B12345 😀", "From": "+8613800138000"}
    signature = compute_signature(TOKEN, "https://gov.example/sms/twilio", params)
    assert validate_request(TOKEN, "https://gov.example/sms/twilio", params, signature)


@given(
    st.dictionaries(st.text(min_size=1, max_size=8), st.text(max_size=20), max_size=6),
    st.text(min_size=1, max_size=10),
)
def test_property_sign_then_validate(params: dict[str, str], token: str) -> None:
    url = "https://gov.example/sms/twilio?x=1"
    signature = compute_signature(token, url, params)
    assert validate_request(token, url, params, signature)
    assert not validate_request(token, url, {**params, "Tampered": "1"}, signature)
