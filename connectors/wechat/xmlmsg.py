"""WeChat's XML envelopes: read a push (flat <xml> of fields), write a passive reply."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET

MAX_BODY = 64 * 1024  # a push is well under 2 KB


class BadXml(ValueError):
    pass


def parse(data: bytes | str) -> dict[str, str]:
    """The top-level fields of a push. No DTDs: WeChat never sends one, and entities are an attack."""
    raw = data.encode() if isinstance(data, str) else data
    if len(raw) > MAX_BODY:
        raise BadXml("too large")
    if b"<!DOCTYPE" in raw.upper() or b"<!ENTITY" in raw.upper():
        raise BadXml("DTD not allowed")
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as exc:
        raise BadXml(str(exc)) from exc
    return {child.tag: (child.text or "").strip() for child in root}


def cdata(value: str) -> str:
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def text_reply(to_user: str, from_user: str, content: str, now: int | None = None) -> str:
    return (
        f"<xml><ToUserName>{cdata(to_user)}</ToUserName><FromUserName>{cdata(from_user)}</FromUserName>"
        f"<CreateTime>{now or int(time.time())}</CreateTime><MsgType>{cdata('text')}</MsgType>"
        f"<Content>{cdata(content)}</Content></xml>"
    )


def encrypted_reply(encrypt: str, signature: str, timestamp: str, nonce: str) -> str:
    return (
        f"<xml><Encrypt>{cdata(encrypt)}</Encrypt><MsgSignature>{cdata(signature)}</MsgSignature>"
        f"<TimeStamp>{timestamp}</TimeStamp><Nonce>{cdata(nonce)}</Nonce></xml>"
    )
