"""微信客服 (WeCom customer service): `GET/POST /wechat/kf/callback`, the kf/sync_msg pull, and the sender.

The callback carries no message, only the event `kf_msg_or_event` with a short-lived Token and the
OpenKfId: we answer `success` at once and pull with kf/sync_msg from the cursor kept in the database,
page by page until has_more is 0. Each founder message (origin 3) is taken once by msgid, answered
through the assistant, and its reply queued in the outbox with the msgid marked done in the same
transaction. The sender checks WeChat's window (48 h since the founder's last message, at most 5
messages since then) before each send; a reply outside it is held (未送达) until the founder writes.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

import httpx
from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.responses import PlainTextResponse

from assistant.runtime import Runtime
from assistant.store import DeliveryInfo
from assistant.store.models import utcnow
from connectors.outbox import Hold, OutboxSender

from . import texts
from .api import KfClient, WeChatError
from .channel import BackgroundWork, deliver
from .conversation import answer
from .crypto import CryptoError, MsgCrypt, SignatureError
from .render import HANDOFF_MENU_ID
from .xmlmsg import MAX_BODY, BadXml, parse

log = logging.getLogger("rongchuang.wechat")
PATH = "/wechat/kf/callback"
CHANNEL = "wecom_kf"
FROM_FOUNDER = 3  # sync_msg origin: 3 the WeChat user, 4 a system event, 5 a servicer in WeCom
HUMAN_SERVICER = 3  # service_state: a WeCom servicer is handling the session; the bot stays quiet
WINDOW = timedelta(hours=48)
WINDOW_MESSAGES = 5


def external_id(open_kfid: str, external_userid: str) -> str:
    return f"{open_kfid}:{external_userid}"


def split_external(value: str) -> tuple[str, str]:
    kfid, _, user = value.partition(":")
    return kfid, user


async def read_body(request: Request) -> bytes:
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise HTTPException(413, "too large")
    return bytes(body)


def open_push(crypt: MsgCrypt, body: bytes, signature: str, timestamp: str, nonce: str) -> dict[str, str]:
    """The decrypted fields of an encrypted push: 403 for a bad signature, 400 for anything unreadable."""
    try:
        outer = parse(body)
        inner = crypt.open(signature, timestamp, nonce, outer.get("Encrypt", ""))
        return parse(inner)
    except SignatureError as exc:
        raise HTTPException(403, "forbidden") from exc
    except (CryptoError, BadXml) as exc:
        raise HTTPException(400, "bad message") from exc


class KfChannel(BackgroundWork):
    def __init__(self, runtime: Runtime, client: KfClient | None = None) -> None:
        super().__init__()
        s = runtime.settings
        self.runtime = runtime
        self.store = runtime.store
        self.crypt = MsgCrypt(s.wecom_kf_token, s.wecom_kf_aes_key, s.wecom_corp_id)
        self.client = client or KfClient(s.wecom_base_url, s.wecom_corp_id, s.wecom_kf_secret)
        self.sender = OutboxSender(self.store, CHANNEL, self.send)
        self._pulls: dict[str, asyncio.Lock] = {}

    # callback -----------------------------------------------------------------------------------
    def router(self) -> APIRouter:
        router = APIRouter()

        @router.get(PATH, include_in_schema=False)
        async def verify(
            msg_signature: str = Query(""),
            timestamp: str = Query(""),
            nonce: str = Query(""),
            echostr: str = "",
        ) -> Response:
            try:
                echo = self.crypt.open(msg_signature, timestamp, nonce, echostr)
            except SignatureError as exc:
                raise HTTPException(403, "forbidden") from exc
            except CryptoError as exc:
                raise HTTPException(400, "bad echostr") from exc
            return PlainTextResponse(echo.decode())

        @router.post(PATH, include_in_schema=False)
        async def push(
            request: Request, msg_signature: str = "", timestamp: str = "", nonce: str = ""
        ) -> Response:
            event = open_push(self.crypt, await read_body(request), msg_signature, timestamp, nonce)
            if event.get("Event") == "kf_msg_or_event" and event.get("OpenKfId"):
                self._spawn(self.pull(event.get("Token", ""), event["OpenKfId"]))
            return PlainTextResponse("success")

        return router

    # pull ---------------------------------------------------------------------------------------
    async def pull(self, token: str, open_kfid: str) -> int:
        """kf/sync_msg from the stored cursor until has_more is 0; how many founder messages were taken."""
        lock = self._pulls.setdefault(open_kfid, asyncio.Lock())
        taken = 0
        async with lock:  # one pull per open_kfid in this process; other workers dedupe by msgid
            name = f"kf:{open_kfid}"
            cursor = await asyncio.to_thread(self.store.get_cursor, name)
            while True:
                try:
                    data = await self.client.sync_msg(token, cursor, open_kfid)
                except (WeChatError, httpx.HTTPError):
                    log.exception("kf/sync_msg failed for %s", open_kfid)
                    break
                for msg in data.get("msg_list") or []:
                    taken += await self.take(msg)
                cursor = str(data.get("next_cursor") or cursor)
                await asyncio.to_thread(self.store.save_cursor, name, cursor)
                if not int(data.get("has_more") or 0):
                    break
        if taken:
            self.sender.wake()
        return taken

    async def take(self, msg: dict[str, Any]) -> int:
        if int(msg.get("origin") or 0) != FROM_FOUNDER or not msg.get("msgid"):
            return 0
        key = f"{CHANNEL}:{msg['msgid']}"
        if not await asyncio.to_thread(self.store.claim_inbound, key):
            return 0  # a repeat (second push, second worker, a page pulled again)
        kfid, user = str(msg.get("open_kfid", "")), str(msg.get("external_userid", ""))
        try:
            if await self.client.service_state(kfid, user) == HUMAN_SERVICER:
                await asyncio.to_thread(self.store.finish_inbound, key)
                return 1
        except (WeChatError, httpx.HTTPError) as exc:  # not knowing the state is no reason to stay silent
            log.warning("kf/service_state/get failed: %s", exc)
        text, handoff = founder_text(msg)
        try:
            outcome = await asyncio.to_thread(
                answer, self.runtime, CHANNEL, external_id(kfid, user), text, handoff=handoff
            )
        except Exception:
            log.exception("answering kf message %s failed", msg["msgid"])
            return 0  # claimed, not done: taken again once the claim is stale
        await asyncio.to_thread(self.store.queue_replies, outcome.session_id, outcome.bodies, inbound_key=key)
        return 1

    # send ---------------------------------------------------------------------------------------
    async def send(self, d: DeliveryInfo) -> None:
        await asyncio.to_thread(self._check_window, d)
        kfid, user = split_external(d.target)
        message = {"touser": user, "open_kfid": kfid, "msgid": f"rc{d.id}", **kf_content(d.body)}
        await deliver(self.client.send_msg(message))

    def _check_window(self, d: DeliveryInfo) -> None:
        last = self.store.last_founder_message(d.session_id)
        if last is None or utcnow() - last.created_at > WINDOW:
            raise Hold(texts.HELD_48H)
        if self.store.sent_since(d.session_id, last.created_at) >= WINDOW_MESSAGES:
            raise Hold(texts.HELD_COUNT.format(n=WINDOW_MESSAGES))


def founder_text(msg: dict[str, Any]) -> tuple[str, bool]:
    """(text, is the 转人工 menu choice)."""
    if msg.get("msgtype") == "text":
        text = msg.get("text") or {}
        return str(text.get("content", "")), text.get("menu_id") == HANDOFF_MENU_ID
    return "", False


def kf_content(body: dict[str, Any]) -> dict[str, Any]:
    """The msgtype part of a kf/send_msg for one outbox body."""
    kind, text = body.get("kind"), str(body.get("text", ""))
    if kind == "staff":
        text = texts.STAFF_PREFIX + text
    if kind == "menu":
        item = {"type": "click", "click": {"id": HANDOFF_MENU_ID, "content": texts.MENU_HANDOFF}}
        return {"msgtype": "msgmenu", "msgmenu": {"head_content": text, "list": [item], "tail_content": ""}}
    return {"msgtype": "text", "text": {"content": text or texts.BUSY}}
