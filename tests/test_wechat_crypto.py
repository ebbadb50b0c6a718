"""WXBizMsgCrypt on the vendors' own published vectors, then round trips and every way to fail.

Sources of the vectors (copied as published, not produced by our code):
- WECOM_DOC: WeCom 加解密方案说明 sample (Token QDG6eK, CorpID wx5823bf96d3bd56c7), as shipped in
  Tencent's official C# callback sample `Sample.cs` (e.g. 2830499544/VipCard Chain.Wechat/Tencent/Sample.cs)
  and the WeCom developer docs' 回调配置 example.
- WEWORKAPI: Tencent's `weworkapi_python` callback sample, callback/Sample.py (sbzhu/weworkapi_python).
- OA: the Official Account 消息加解密 sample (Token spamtest, AppID wx2c2769f8efd9abc2) from Tencent's
  公众平台 sample code, as in fotock/WXbizMsgCrypt-Node README.md.
- OA_JAVA: the 公众平台 Java sample's WXBizMsgCryptTest (Token pamtest, fixed random aaaabbbbccccdddd),
  which pins the encryption output byte for byte (Wyl015/wuyiling .../aes/WXBizMsgCryptTest.java).
"""

from __future__ import annotations

import base64

import pytest

from connectors.wechat.crypto import (
    BadCiphertext,
    MsgCrypt,
    ReceiveIdError,
    SignatureError,
    aes_key,
    signature,
)

WECOM_DOC = MsgCrypt("QDG6eK", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "wx5823bf96d3bd56c7")
WECOM_DOC_ECHO = "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="
WECOM_DOC_POST = (
    "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/"
    "sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJ"
    "YuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGU"
    "callcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA"
    "5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q=="
)

WEWORKAPI = MsgCrypt(
    "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo", "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt", "ww1436e0e65a779aee"
)
WEWORKAPI_ECHO = "fsi1xnbH4yQh0+PJxcOdhhK6TDXkjMyhEPA7xB2TGz6b+g7xyAbEkRxN/3cNXW9qdqjnoVzEtpbhnFyq6SVHyA=="
WEWORKAPI_POST = (
    "Kl7kjoSf6DMD1zh7rtrHjFaDapSCkaOnwu3bqLc5tAybhhMl9pFeK8NslNPVdMwmBQTNoW4mY7AIjeLvEl3NyeTkAgGzBhzTtRLNshw2AE"
    "ew+kkYcD+Fq72Kt00fT0WnN87hGrW8SqGc+NcT3mu87Ha3dz1pSDi6GaUA6A0sqfde0VJPQbZ9U+3JWcoD4Z5jaU0y9GSh010wsHF8KZD"
    "24YhmZH4ch4Ka7ilEbjbfvhKkNL65HHL0J6EYJIZUC2pFrdkJ7MhmEbU2qARR4iQHE7wy24qy0cRX3Mfp6iELcDNfSsPGjUQVDGxQDCWj"
    "ayJOpcwocugux082f49HKYg84EpHSGXAyh+/oxwaWbvL6aSDPOYuPDGOCI8jmnKiypE+"
)

OA = MsgCrypt("spamtest", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "wx2c2769f8efd9abc2")
OA_POST = (
    "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2"
    "LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6"
    "ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJ"
    "pXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzp"
    "u9GhglF2PE="
)


# the published vectors ---------------------------------------------------------------------------
def test_wecom_doc_url_verification_and_message():
    assert WECOM_DOC.open(
        "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3", "1409659589", "263014780", WECOM_DOC_ECHO
    )
    plain = WECOM_DOC.open(
        "477715d11cdb4164915debcba66cb864d751f3e6", "1409659813", "1372623149", WECOM_DOC_POST
    ).decode()
    assert "<Content><![CDATA[hello]]></Content>" in plain
    assert "<MsgId>4561255354251345929</MsgId>" in plain


def test_weworkapi_python_callback_sample():
    echo = WEWORKAPI.open(
        "012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb", "1476416373", "47744683", WEWORKAPI_ECHO
    )
    assert echo == b"1288432023552776189"
    plain = WEWORKAPI.open(
        "0c3914025cb4b4d68103f6bfc8db550f79dcf48e", "1476422779", "1597212914", WEWORKAPI_POST
    ).decode()
    assert "<FromUserName>ChenJiaShun</FromUserName>" in plain
    assert "<Content>你好</Content>" in plain


def test_official_account_sample():
    plain = OA.open("5d197aaffba7e9b25a30732f161a50dee96bd5fa", "1409735669", "1320562132", OA_POST).decode()
    assert "<Content><![CDATA[abcdteT]]></Content>" in plain
    assert "<MsgId>6054768590064713728</MsgId>" in plain


def test_official_account_java_sample_pins_the_ciphertext():
    crypt = MsgCrypt("pamtest", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "wxb11529c136998cb6")
    expected = "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg=="
    assert crypt.encrypt("我是中文abcd123", random16=b"aaaabbbbccccdddd") == expected


# round trips and failures --------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["", "a", "x" * 31, "y" * 32, "成都" * 500])
def test_round_trip_pads_to_32_byte_blocks(text):
    enc = WEWORKAPI.encrypt(text)
    raw = base64.b64decode(enc)
    assert len(raw) % 32 == 0
    assert WEWORKAPI.decrypt(enc) == text.encode()


def test_seal_then_open():
    enc, sig = OA.seal("<xml><Content>你好</Content></xml>", "1700000000", "42")
    assert sig == signature("spamtest", "1700000000", "42", enc)
    assert OA.open(sig, "1700000000", "42", enc) == "<xml><Content>你好</Content></xml>".encode()


def test_wrong_signature_is_refused():
    with pytest.raises(SignatureError):
        WEWORKAPI.open("0" * 40, "1476416373", "47744683", WEWORKAPI_ECHO)
    with pytest.raises(SignatureError):
        WEWORKAPI.open(None, "1476416373", "47744683", WEWORKAPI_ECHO)
    with pytest.raises(SignatureError):  # right signature, other timestamp
        WEWORKAPI.open("012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb", "1476416374", "47744683", WEWORKAPI_ECHO)


def test_wrong_receive_id_is_refused():
    other = MsgCrypt(WEWORKAPI.token, "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt", "ww_someone_else")
    with pytest.raises(ReceiveIdError):
        other.decrypt(WEWORKAPI_POST)


@pytest.mark.parametrize(
    "cut",
    [
        WEWORKAPI_POST[:-4],  # a whole base64 quantum gone: not whole AES blocks
        base64.b64encode(base64.b64decode(WEWORKAPI_POST)[:-32]).decode(),  # a whole block gone
        base64.b64encode(base64.b64decode(WEWORKAPI_POST)[:32]).decode(),  # only the first block
        "not base64 at all!",
        "",
    ],
)
def test_truncated_or_garbled_ciphertext_is_refused(cut):
    with pytest.raises(BadCiphertext):
        WEWORKAPI.decrypt(cut)


def test_bad_encoding_aes_key_says_what_to_do():
    with pytest.raises(ValueError, match="43"):
        aes_key("short")
