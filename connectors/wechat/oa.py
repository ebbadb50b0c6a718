"""The Official Account (公众号): `GET/POST /wechat/oa/callback` in plain and safe (AES) mode.

WeChat waits 5 s for the passive reply, then pushes the same message again (three times in all), so
each push is taken once: by MsgId, or FromUserName + CreateTime for events. The extractive answer
takes milliseconds and goes back passively (encrypted in safe mode); when it would be late (LLM mode,
or a turn still running after PASSIVE_BUDGET) we answer `success` at once and the reply goes out
through the customer-message API (客服消息) via the outbox.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import PlainTextResponse

from assistant.runtime import Runtime
from assistant.store import DeliveryInfo
from assistant.store.models import utcnow
from connectors.outbox import Hold, OutboxSender

from . import texts
from .api import OaClient
from .channel import BackgroundWork, deliver
from .conversation import Outcome, answer, welcome
from .crypto import CryptoError, MsgCrypt, check_signature, signature
from .kf import read_body
from .xmlmsg import BadXml, encrypted_reply, parse, text_reply

log = logging.getLogger("rongchuang.wechat")
PATH = "/wechat/oa/callback"
CHANNEL = "wechat_oa"
PASSIVE_BUDGET = 4.0  # seconds of WeChat's 5 we may spend before answering `success` instead
WINDOW = timedelta(hours=48)
SUCCESS = "success"


class OaChannel(BackgroundWork):
    def __init__(self, runtime: Runtime, client: OaClient | None = None) -> None:
        super().__init__()
        s = runtime.settings
        self.runtime = runtime
        self.store = runtime.store
        self.token = s.wechat_oa_token
        self.crypt = (
            MsgCrypt(s.wechat_oa_token, s.wechat_oa_aes_key, s.wechat_oa_app_id)
            if s.wechat_oa_aes_key
            else None
        )
        self.client = client or OaClient(s.wechat_oa_base_url, s.wechat_oa_app_id, s.wechat_oa_app_secret)
        self.sender = OutboxSender(self.store, CHANNEL, self.send)
        self.budget = 0.0 if s.llm_enabled else PASSIVE_BUDGET

    def router(self) -> APIRouter:
        router = APIRouter()

        @router.get(PATH, include_in_schema=False)
        async def verify(
            signature: str = "", timestamp: str = "", nonce: str = "", echostr: str = ""
        ) -> Response:
            self._check(signature, timestamp, nonce)
            return PlainTextResponse(echostr)

        @router.post(PATH, include_in_schema=False)
        async def push(
            request: Request,
            signature: str = "",
            timestamp: str = "",
            nonce: str = "",
            encrypt_type: str = "",
            msg_signature: str = "",
        ) -> Response:
            self._check(signature, timestamp, nonce)
            body = await read_body(request)
            safe = encrypt_type == "aes"
            fields = self._open(body, safe, msg_signature, timestamp, nonce)
            reply = await self.handle(fields)
            if reply is None:
                return PlainTextResponse(SUCCESS)
            xml = text_reply(fields.get("FromUserName", ""), fields.get("ToUserName", ""), reply)
            if safe and self.crypt is not None:
                ts, nonce2 = str(int(time.time())), secrets.token_hex(8)
                enc, sig = self.crypt.seal(xml, ts, nonce2)
                xml = encrypted_reply(enc, sig, ts, nonce2)
            return Response(xml, media_type="application/xml")

        return router

    def _check(self, sig: str, timestamp: str, nonce: str) -> None:
        try:
            check_signature(signature(self.token, timestamp, nonce), sig)
        except CryptoError as exc:
            raise HTTPException(403, "forbidden") from exc

    def _open(
        self, body: bytes, safe: bool, msg_signature: str, timestamp: str, nonce: str
    ) -> dict[str, str]:
        try:
            outer = parse(body)
            if not safe:
                return outer
            if self.crypt is None:
                raise HTTPException(400, "safe mode needs RONGCHUANG_WECHAT_OA_AES_KEY")
            return parse(self.crypt.open(msg_signature, timestamp, nonce, outer.get("Encrypt", "")))
        except CryptoError as exc:
            status = 403 if type(exc).__name__ == "SignatureError" else 400
            raise HTTPException(status, "bad message") from exc
        except BadXml as exc:
            raise HTTPException(400, "bad message") from exc

    # a push -------------------------------------------------------------------------------------
    async def handle(self, f: dict[str, str]) -> str | None:
        """The passive reply's text, or None for `success` (a repeat, an event we ignore, a late answer)."""
        openid = f.get("FromUserName", "")
        kind = f.get("MsgType", "")
        key = f"{CHANNEL}:{f['MsgId']}" if f.get("MsgId") else f"{CHANNEL}:{openid}:{f.get('CreateTime', '')}"
        if not openid or not await asyncio.to_thread(self.store.claim_inbound, key):
            return None
        if kind == "event":
            if f.get("Event") == "subscribe":
                return await self._passive_or_queue(key, openid, self._welcome(openid))
            await asyncio.to_thread(self.store.finish_inbound, key)
            return None
        text = f.get("Content", "") if kind == "text" else ""
        work = asyncio.to_thread(
            answer, self.runtime, CHANNEL, openid, text, handoff=text.strip() == texts.MENU_HANDOFF
        )
        return await self._passive_or_queue(key, openid, work)

    async def _welcome(self, openid: str) -> Outcome:
        sess = await asyncio.to_thread(self.store.session_for_external, CHANNEL, openid)
        return Outcome(sess.id, welcome(self.runtime))

    async def _passive_or_queue(self, key: str, openid: str, work: Any) -> str | None:
        task = asyncio.ensure_future(work)
        done, _ = await asyncio.wait({task}, timeout=self.budget) if self.budget else (set(), None)
        if task not in done:  # late: `success` now, the reply through the customer-message API
            self._spawn(self._queue_late(task, key))
            return None
        outcome: Outcome = task.result()
        if not outcome.bodies:
            await asyncio.to_thread(self.store.finish_inbound, key)
            return None
        first, rest = outcome.bodies[0], outcome.bodies[1:]
        if rest:  # one passive message per push: the rest follow as customer messages
            await asyncio.to_thread(self.store.queue_replies, outcome.session_id, rest, inbound_key=key)
            self.sender.wake()
        else:
            await asyncio.to_thread(self.store.finish_inbound, key)
        return oa_text(first)

    async def _queue_late(self, task: asyncio.Future, key: str) -> None:
        try:
            outcome: Outcome = await task
        except Exception:
            log.exception("late 公众号 answer failed")
            return
        await asyncio.to_thread(self.store.queue_replies, outcome.session_id, outcome.bodies, inbound_key=key)
        self.sender.wake()

    # send ---------------------------------------------------------------------------------------
    async def send(self, d: DeliveryInfo) -> None:
        last = await asyncio.to_thread(self.store.last_founder_message, d.session_id)
        if last is None or utcnow() - last.created_at > WINDOW:
            raise Hold(texts.HELD_48H)
        message = {"touser": d.target, "msgtype": "text", "text": {"content": oa_text(d.body)}}
        await deliver(self.client.send_custom(message))


def oa_text(body: dict[str, Any]) -> str:
    kind, text = body.get("kind"), str(body.get("text", ""))
    if kind == "staff":
        return texts.STAFF_PREFIX + text
    if kind == "menu":
        return f"{text}\n\n{texts.MENU_HINT}"
    return text or texts.BUSY
