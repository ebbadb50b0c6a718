"""The WeChat channels inside the web app: routes and senders for the app's lifetime.

Each channel is on when its settings are present (Settings refuses a half-configured one):
微信客服 at /wechat/kf/callback, the Official Account at /wechat/oa/callback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Protocol

from fastapi import APIRouter, FastAPI

from assistant.runtime import Runtime
from connectors.outbox import OutboxSender

log = logging.getLogger("rongchuang.wechat")
NAMES = {"wecom_kf": ("微信客服", "/wechat/kf/callback"), "wechat_oa": ("公众号", "/wechat/oa/callback")}


class Channel(Protocol):
    sender: OutboxSender

    def router(self) -> APIRouter: ...

    async def aclose(self) -> None: ...


def channels(runtime: Runtime) -> list[Channel]:
    s = runtime.settings
    found: list[Channel] = []
    if s.wecom_kf_enabled:
        from .kf import KfChannel

        found.append(KfChannel(runtime))
    if s.wechat_oa_enabled:
        from .oa import OaChannel

        found.append(OaChannel(runtime))
    return found


@asynccontextmanager
async def running(channel: Channel) -> AsyncIterator[Channel]:
    """The channel's sender runs while the context is open."""
    task = asyncio.create_task(channel.sender.run_forever(), name=f"{channel.sender.channel}-sender")
    try:
        yield channel
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await channel.aclose()


async def mount(app: FastAPI, runtime: Runtime, stack: AsyncExitStack) -> list[Channel]:
    found = channels(runtime)
    for channel in found:
        app.include_router(channel.router())
        await stack.enter_async_context(running(channel))
        name, path = NAMES[channel.sender.channel]
        log.info("%s已启用：在后台把回调 URL 设为 https://你的域名%s", name, path)
    return found
