"""What both WeChat channels share: work a callback starts and leaves running (a pull, a late answer),
which shutdown and the tests wait for, the vendor client to close after it, and how a failed send
becomes what the outbox does next."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

import httpx

from connectors.outbox import GiveUp, Hold, Retry

from . import texts
from .api import WeChatError

RATE_LIMIT_WAIT = 60.0  # seconds before sending again after the vendor's rate limit


async def deliver(send: Awaitable[Any]) -> None:
    """One vendor send; its failure as Hold (the 48-hour window closed), GiveUp (the founder cannot be
    reached) or Retry (later, after the rate limit's wait)."""
    try:
        await send
    except WeChatError as exc:
        if exc.window_closed:
            raise Hold(texts.HELD_VENDOR.format(reason=f"{exc.errcode} {exc.errmsg}")) from exc
        if exc.unreachable:
            raise GiveUp(str(exc)) from exc
        raise Retry(str(exc), RATE_LIMIT_WAIT if exc.rate_limited else 0.0) from exc
    except httpx.HTTPError as exc:
        raise Retry(f"{type(exc).__name__}: {exc}") from exc


class BackgroundWork:
    client: Any  # the channel's vendor client (KfClient, OaClient)

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task] = set()

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def idle(self) -> None:
        """Wait for the work in flight (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self) -> None:
        await self.idle()
        await self.client.aclose()
