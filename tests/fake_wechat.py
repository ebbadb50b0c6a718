"""A fake of the WeCom (微信客服) and Official Account APIs: a real HTTP server on 127.0.0.1 speaking
their wire protocol (JSON bodies, `access_token` in the query, errcode/errmsg answers), so the real
httpx clients run in tests. It records what it receives and can answer with an expired token or a
rate limit.

    wx = FakeWeChat().start()
    wx.add_kf_message("wk_kf", "wm_founder", "算力太贵了，有没有补贴？")  # then push the event
    params, body = kf_event_push(crypt, sync_token, "wk_kf")         # what WeCom POSTs to us
    wx.wait_calls("/cgi-bin/kf/send_msg", 1)
    wx.expire_token()                                                # next call: 42001
    wx.fail_next("/cgi-bin/kf/send_msg", 45009)                      # rate limited once

Pushes are sealed by `VendorCrypt`, written here from the vendors' description with its own padding
(cryptography's PKCS7 at 256 bits) and checked against the published vectors in test_wechat.py, so
the fake cannot simply mirror our crypto module's bugs.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import os
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from tests.loopback import LoopbackServer

CORP_ID = "ww_test_corp_1234"
KF_SECRET = "kf-secret"
OA_APP_ID = "wx_test_app_5678"
OA_SECRET = "oa-secret"


class VendorCrypt:
    """WeChat's side of WXBizMsgCrypt: what the platform does before it POSTs to us."""

    def __init__(self, token: str, encoding_aes_key: str, receive_id: str) -> None:
        self.token = token
        self.key = base64.b64decode(encoding_aes_key + "=")
        self.receive_id = receive_id

    def sign(self, *parts: str) -> str:
        return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()

    def encrypt(self, message: str, random16: bytes | None = None) -> str:
        body = message.encode()
        plain = (random16 or os.urandom(16)) + len(body).to_bytes(4, "big") + body + self.receive_id.encode()
        padder = padding.PKCS7(256).padder()  # 32-byte blocks, as WeChat pads
        padded = padder.update(plain) + padder.finalize()
        enc = Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16])).encryptor()
        return base64.b64encode(enc.update(padded) + enc.finalize()).decode()

    def decrypt(self, encrypt: str) -> str:
        dec = Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16])).decryptor()
        plain = dec.update(base64.b64decode(encrypt)) + dec.finalize()
        unpadder = padding.PKCS7(256).unpadder()
        plain = unpadder.update(plain) + unpadder.finalize()
        n = int.from_bytes(plain[16:20], "big")
        assert plain[20 + n :].decode() == self.receive_id
        return plain[20 : 20 + n].decode()


def kf_event_push(crypt: VendorCrypt, sync_token: str, open_kfid: str) -> tuple[dict[str, str], bytes]:
    """The encrypted kf_msg_or_event WeCom POSTs to the callback URL."""
    now = str(int(time.time()))
    inner = (
        f"<xml><ToUserName><![CDATA[{crypt.receive_id}]]></ToUserName><CreateTime>{now}</CreateTime>"
        "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[kf_msg_or_event]]></Event>"
        f"<Token><![CDATA[{sync_token}]]></Token><OpenKfId><![CDATA[{open_kfid}]]></OpenKfId></xml>"
    )
    return sealed(crypt, inner, now)


def sealed(crypt: VendorCrypt, inner: str, now: str | None = None) -> tuple[dict[str, str], bytes]:
    now = now or str(int(time.time()))
    nonce = str(int.from_bytes(os.urandom(4), "big"))
    enc = crypt.encrypt(inner)
    body = f"<xml><ToUserName><![CDATA[{crypt.receive_id}]]></ToUserName><Encrypt><![CDATA[{enc}]]></Encrypt></xml>"
    params = {"msg_signature": crypt.sign(crypt.token, now, nonce, enc), "timestamp": now, "nonce": nonce}
    return params, body.encode()


def oa_text_xml(openid: str, text: str, msg_id: int, app: str = "gh_test_oa") -> str:
    return (
        f"<xml><ToUserName><![CDATA[{app}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{text}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    )


def oa_push(token: str, inner: str, crypt: VendorCrypt | None = None) -> tuple[dict[str, str], bytes]:
    """What the Official Account POSTs: plain, or safe mode (encrypt_type=aes) when `crypt` is given."""
    now, nonce = str(int(time.time())), str(int.from_bytes(os.urandom(4), "big"))
    params = {"signature": hashlib.sha1("".join(sorted([token, now, nonce])).encode()).hexdigest()}
    params |= {"timestamp": now, "nonce": nonce, "openid": "o"}
    if crypt is None:
        return params, inner.encode()
    sealed_params, body = sealed(crypt, inner, now)
    nonce = sealed_params["nonce"]
    params["nonce"] = nonce
    params["signature"] = hashlib.sha1("".join(sorted([token, now, nonce])).encode()).hexdigest()
    return params | {"encrypt_type": "aes", "msg_signature": sealed_params["msg_signature"]}, body


@dataclass
class Call:
    path: str
    query: dict[str, str]
    body: dict[str, Any]
    answer: dict[str, Any]


@dataclass
class FakeWeChat(LoopbackServer):
    handler_attr = "vendor"
    page_size: int = 2
    calls: list[Call] = field(default_factory=list)
    kf_messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    service_states: dict[str, int] = field(default_factory=dict)
    sync_tokens: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._lock = threading.Condition()
        self._tokens: set[str] = set()
        self._ids = itertools.count(1)
        self._fail: dict[str, list[int]] = {}
        self.hold_tokens = threading.Event()  # set: token requests hang (a worker stuck mid-send)

    def handler(self) -> type[BaseHTTPRequestHandler]:
        return _Handler

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # scripting ------------------------------------------------------------------------------------
    def add_kf_message(
        self, open_kfid: str, user: str, text: str, *, menu_id: str | None = None, origin: int = 3
    ) -> str:
        msgid = f"msg_{next(self._ids)}"
        content: dict[str, Any] = {"content": text} | ({"menu_id": menu_id} if menu_id else {})
        msg = {
            "msgid": msgid,
            "open_kfid": open_kfid,
            "external_userid": user,
            "send_time": int(time.time()),
            "origin": origin,
            "msgtype": "text",
            "text": content,
        }
        with self._lock:
            self.kf_messages.setdefault(open_kfid, []).append(msg)
        return msgid

    def new_sync_token(self) -> str:
        token = f"ENC{next(self._ids)}sync"
        with self._lock:
            self.sync_tokens.add(token)
        return token

    def expire_token(self) -> None:
        """Every access_token handed out so far stops working (42001)."""
        with self._lock:
            self._tokens.clear()

    def fail_next(self, path: str, errcode: int, n: int = 1) -> None:
        with self._lock:
            self._fail.setdefault(path, []).extend([errcode] * n)

    def calls_to(self, path: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.path == path]

    def sent(self, path: str = "/cgi-bin/kf/send_msg") -> list[dict[str, Any]]:
        return [c.body for c in self.calls_to(path) if c.answer.get("errcode") == 0]

    def wait_calls(self, path: str, n: int, timeout: float = 60.0, ok: bool = True) -> list[Call]:
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = [c for c in self.calls if c.path == path and (not ok or c.answer.get("errcode") == 0)]
                if len(found) >= n or time.monotonic() > deadline:
                    return found
                self._lock.wait(0.05)

    # the API ----------------------------------------------------------------------------------------
    def answer(self, path: str, query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        if path in ("/cgi-bin/gettoken", "/cgi-bin/token"):
            with self._lock:
                self.calls.append(Call(path + "#asked", query, body, {}))
                self._lock.notify_all()
            deadline = time.monotonic() + 60
            while self.hold_tokens.is_set() and time.monotonic() < deadline:
                time.sleep(0.02)
        with self._lock:
            result = self._answer(path, query, body)
            self.calls.append(Call(path, query, body, result))
            self._lock.notify_all()
            return result

    def _issue(self, ok: bool) -> dict[str, Any]:
        if not ok:
            return {"errcode": 40001, "errmsg": "invalid credential"}
        token = f"at_{next(self._ids)}"
        self._tokens.add(token)
        return {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200}

    def _answer(self, path: str, query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        if path == "/cgi-bin/gettoken":
            return self._issue(query.get("corpid") == CORP_ID and query.get("corpsecret") == KF_SECRET)
        if path == "/cgi-bin/token":
            ok = query.get("grant_type") == "client_credential"
            return self._issue(ok and query.get("appid") == OA_APP_ID and query.get("secret") == OA_SECRET)
        if query.get("access_token") not in self._tokens:
            return {"errcode": 42001, "errmsg": "access_token expired"}
        if self._fail.get(path):
            code = self._fail[path].pop(0)
            return {"errcode": code, "errmsg": "api freq out of limit" if code == 45009 else "scripted"}
        handler = {
            "/cgi-bin/kf/sync_msg": self._sync_msg,
            "/cgi-bin/kf/send_msg": self._send_msg,
            "/cgi-bin/kf/service_state/get": self._state_get,
            "/cgi-bin/kf/service_state/trans": self._state_trans,
            "/cgi-bin/message/custom/send": self._custom_send,
        }.get(path)
        if handler is None:
            return {"errcode": 404, "errmsg": f"no such api {path}"}
        return handler(body)

    def _sync_msg(self, body: dict[str, Any]) -> dict[str, Any]:
        if body.get("token") not in self.sync_tokens:
            return {"errcode": 95007, "errmsg": "invalid msg token"}
        if not body.get("open_kfid"):
            return {"errcode": 95000, "errmsg": "open_kfid required"}
        msgs = self.kf_messages.get(body["open_kfid"], [])
        start = int(body.get("cursor") or 0)
        limit = min(int(body.get("limit", 1000)), self.page_size)
        page = msgs[start : start + limit]
        end = start + len(page)
        return {
            "errcode": 0,
            "errmsg": "ok",
            "next_cursor": str(end),
            "has_more": int(end < len(msgs)),
            "msg_list": page,
        }

    def _send_msg(self, body: dict[str, Any]) -> dict[str, Any]:
        if not (body.get("touser") and body.get("open_kfid") and body.get("msgtype") in body):
            return {"errcode": 40003, "errmsg": "invalid message"}
        if body["msgtype"] == "text" and len(body["text"]["content"].encode()) > 2048:
            return {"errcode": 44004, "errmsg": "text too long"}
        return {"errcode": 0, "errmsg": "ok", "msgid": body.get("msgid") or f"sent_{next(self._ids)}"}

    def _state_get(self, body: dict[str, Any]) -> dict[str, Any]:
        state = self.service_states.get(body.get("external_userid", ""), 1)
        return {"errcode": 0, "errmsg": "ok", "service_state": state, "servicer_userid": ""}

    def _state_trans(self, body: dict[str, Any]) -> dict[str, Any]:
        self.service_states[body.get("external_userid", "")] = int(body.get("service_state", 0))
        return {"errcode": 0, "errmsg": "ok", "msg_code": "mc"}

    def _custom_send(self, body: dict[str, Any]) -> dict[str, Any]:
        if not body.get("touser") or body.get("msgtype") not in body:
            return {"errcode": 40003, "errmsg": "invalid openid"}
        return {"errcode": 0, "errmsg": "ok"}


class _Handler(BaseHTTPRequestHandler):
    vendor: FakeWeChat

    def log_message(self, *_args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._serve({})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b"{}"
        self._serve(json.loads(raw or b"{}"))

    def _serve(self, body: dict[str, Any]) -> None:
        url = urlsplit(self.path)
        result = self.vendor.answer(url.path, dict(parse_qsl(url.query)), body)
        data = json.dumps(result, ensure_ascii=False).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
