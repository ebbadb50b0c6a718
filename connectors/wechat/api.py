"""Small clients for the two vendor APIs we call (httpx, async): WeCom 微信客服 and the Official Account.

Both hand out an access_token that lives `expires_in` seconds (7200): it is cached until a minute
before then and fetched again only when it runs out or a call answers 40014 / 42001 / 40001 (invalid,
expired, bad credential), and then that call is retried once with the new token.

WeChatError(errcode, errmsg) is any errcode other than 0; `window_closed` and `rate_limited` say
whether waiting for the founder, or waiting a while, is the answer.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from knowledge.errors import RongchuangError

TOKEN_ERRORS = {40014, 42001, 40001}
RATE_LIMITS = {45009, 45011, 45033, -1}  # API frequency caps and the vendor's "system busy"
# Outside the reply window: 微信客服 95018 (session state does not allow sending; 48 h / 5 messages),
# 公众号 45015 (48 h since the founder's last message) and 45047 (too many messages since then).
WINDOW_CLOSED = {95018, 45015, 45047}
UNREACHABLE = {40003, 95017, 43004, 95013}  # bad openid/userid, user gone, unsubscribed, no such kf
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
EARLY = 60.0  # refresh this long before the vendor says the token ends


class WeChatError(RongchuangError):
    def __init__(self, errcode: int, errmsg: str) -> None:
        self.errcode = errcode
        self.errmsg = errmsg
        super().__init__(f"微信接口错误 {errcode}：{errmsg}")

    @property
    def window_closed(self) -> bool:
        return self.errcode in WINDOW_CLOSED

    @property
    def rate_limited(self) -> bool:
        return self.errcode in RATE_LIMITS

    @property
    def unreachable(self) -> bool:
        return self.errcode in UNREACHABLE


class TokenClient:
    """One app's access_token and the calls made with it."""

    token_path = ""

    def __init__(self, base_url: str, client: httpx.AsyncClient | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = client or httpx.AsyncClient(timeout=TIMEOUT)
        self._token = ""
        self._until = 0.0
        self._lock = asyncio.Lock()
        self.token_fetches = 0

    def token_params(self) -> dict[str, str]:
        raise NotImplementedError

    async def aclose(self) -> None:
        await self.http.aclose()

    async def access_token(self, *, stale: str = "") -> str:
        """The cached token; a fresh one when it ran out or when `stale` (the one a call was refused
        with) is still the cached one. Concurrent callers share one fetch."""
        async with self._lock:
            if self._token and time.monotonic() < self._until and self._token != stale:
                return self._token
            data = await self._get(self.token_path, self.token_params())
            self._token = str(data["access_token"])
            self._until = time.monotonic() + float(data.get("expires_in", 7200)) - EARLY
            self.token_fetches += 1
            return self._token

    async def call(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST `body` to `path` with the token; on a token error refresh once and retry once."""
        token = await self.access_token()
        try:
            return await self._post(path, token, body)
        except WeChatError as exc:
            if exc.errcode not in TOKEN_ERRORS:
                raise
        token = await self.access_token(stale=token)
        return await self._post(path, token, body)

    async def _post(self, path: str, token: str, body: dict[str, Any]) -> dict[str, Any]:
        resp = await self.http.post(self.base_url + path, params={"access_token": token}, json=body)
        return _checked(resp)

    async def _get(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        return _checked(await self.http.get(self.base_url + path, params=params))


def _checked(resp: httpx.Response) -> dict[str, Any]:
    resp.raise_for_status()
    data = resp.json()
    code = int(data.get("errcode", 0) or 0)
    if code:
        raise WeChatError(code, str(data.get("errmsg", "")))
    return data


class KfClient(TokenClient):
    """微信客服 (WeCom customer service): pull messages, send messages, read the session state."""

    token_path = "/cgi-bin/gettoken"

    def __init__(self, base_url: str, corp_id: str, secret: str, client: httpx.AsyncClient | None = None):
        super().__init__(base_url, client)
        self.corp_id, self.secret = corp_id, secret

    def token_params(self) -> dict[str, str]:
        return {"corpid": self.corp_id, "corpsecret": self.secret}

    async def sync_msg(self, token: str, cursor: str, open_kfid: str, limit: int = 1000) -> dict[str, Any]:
        body = {"token": token, "cursor": cursor, "open_kfid": open_kfid, "limit": limit, "voice_format": 0}
        if not cursor:
            body.pop("cursor")
        return await self.call("/cgi-bin/kf/sync_msg", body)

    async def send_msg(self, message: dict[str, Any]) -> dict[str, Any]:
        return await self.call("/cgi-bin/kf/send_msg", message)

    async def service_state(self, open_kfid: str, external_userid: str) -> int:
        body = {"open_kfid": open_kfid, "external_userid": external_userid}
        data = await self.call("/cgi-bin/kf/service_state/get", body)
        return int(data.get("service_state", 0))

    async def trans_state(self, open_kfid: str, external_userid: str, state: int) -> dict[str, Any]:
        body = {"open_kfid": open_kfid, "external_userid": external_userid, "service_state": state}
        return await self.call("/cgi-bin/kf/service_state/trans", body)


class OaClient(TokenClient):
    """The Official Account: the customer-message API (客服消息) for answers sent after the 5 s window."""

    token_path = "/cgi-bin/token"

    def __init__(self, base_url: str, app_id: str, secret: str, client: httpx.AsyncClient | None = None):
        super().__init__(base_url, client)
        self.app_id, self.secret = app_id, secret

    def token_params(self) -> dict[str, str]:
        return {"grant_type": "client_credential", "appid": self.app_id, "secret": self.secret}

    async def send_custom(self, message: dict[str, Any]) -> dict[str, Any]:
        return await self.call("/cgi-bin/message/custom/send", message)
