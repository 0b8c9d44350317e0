"""Alibaba Cloud RPC signing for SendSms, checked against the documented example."""

from hypothesis import given
from hypothesis import strategies as st

from channels.sms.aliyun_sender import (
    canonical_query,
    percent_encode,
    rpc_signature,
    send_sms_params,
    string_to_sign,
)
from tests.channels.routes.sms_api_standins import aliyun_signature

# Alibaba Cloud SMS docs, "HTTP 协议及签名" example (also reproduced in many SDKs'
# tests): these parameters, AccessKeySecret "testSecret", method GET.
DOC_PARAMS = {
    "AccessKeyId": "testId",
    "Action": "SendSms",
    "Format": "XML",
    "OutId": "123",
    "PhoneNumbers": "15300000001",
    "RegionId": "cn-hangzhou",
    "SignName": "阿里云短信测试专用",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
    "SignatureVersion": "1.0",
    "TemplateCode": "SMS_71390007",
    "TemplateParam": '{"customer":"test"}',
    "Timestamp": "2017-07-12T02:42:19Z",
    "Version": "2017-05-25",
}
DOC_SIGNATURE = "zJDF+Lrzhj/ThnlvIToysFRq6t4="
DOC_STRING_TO_SIGN = (
    "GET&%2F&AccessKeyId%3DtestId%26Action%3DSendSms%26Format%3DXML%26OutId%3D123"
    "%26PhoneNumbers%3D15300000001%26RegionId%3Dcn-hangzhou%26SignName%3D"
    "%25E9%2598%25BF%25E9%2587%258C%25E4%25BA%2591%25E7%259F%25AD%25E4%25BF%25A1"
    "%25E6%25B5%258B%25E8%25AF%2595%25E4%25B8%2593%25E7%2594%25A8%26SignatureMethod"
    "%3DHMAC-SHA1%26SignatureNonce%3D45e25e9b-0a6f-4070-8c85-2956eda1b466"
    "%26SignatureVersion%3D1.0%26TemplateCode%3DSMS_71390007%26TemplateParam"
    "%3D%257B%2522customer%2522%253A%2522test%2522%257D%26Timestamp"
    "%3D2017-07-12T02%253A42%253A19Z%26Version%3D2017-05-25"
)


def test_documented_example() -> None:
    assert string_to_sign("GET", DOC_PARAMS) == DOC_STRING_TO_SIGN
    assert rpc_signature("testSecret", "GET", DOC_PARAMS) == DOC_SIGNATURE
    assert aliyun_signature("testSecret", "GET", DOC_PARAMS) == DOC_SIGNATURE


def test_documented_example_negative_twins() -> None:
    assert rpc_signature("testSecreT", "GET", DOC_PARAMS) != DOC_SIGNATURE
    changed = {**DOC_PARAMS, "PhoneNumbers": "15300000002"}
    assert rpc_signature("testSecret", "GET", changed) != DOC_SIGNATURE
    assert rpc_signature("testSecret", "POST", DOC_PARAMS) != DOC_SIGNATURE


def test_percent_encoding_rules() -> None:
    assert percent_encode("a b*c~d") == "a%20b%2Ac~d"
    assert percent_encode("/") == "%2F"
    assert percent_encode("阿") == "%E9%98%BF"


def test_signature_is_not_part_of_the_canonical_query() -> None:
    assert canonical_query({**DOC_PARAMS, "Signature": "x"}) == canonical_query(
        DOC_PARAMS
    )


def test_send_sms_params_carry_the_text_in_the_content_variable() -> None:
    params = send_sms_params(
        access_key_id="k",
        phone="13800138000",
        sign_name="深圳政务",
        template_code="SMS_1",
        content="您好“市民”",
        nonce="n",
        timestamp="2026-01-01T00:00:00Z",
    )
    assert params["TemplateParam"] == '{"content":"您好“市民”"}'
    assert params["Action"] == "SendSms" and params["SignatureVersion"] == "1.0"


@given(
    st.dictionaries(
        st.text(
            alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1
        ),
        st.text(),
        max_size=6,
    )
)
def test_agrees_with_an_independent_implementation(params: dict[str, str]) -> None:
    params = {k: v for k, v in params.items() if k != "Signature"}
    clean = {k: v.encode("utf-8", "ignore").decode() for k, v in params.items()}
    assert rpc_signature("s3cret", "POST", clean) == aliyun_signature(
        "s3cret", "POST", clean
    )
