"""What both WeChat channels share: work a callback starts and leaves running (a pull, a late answer),
which shutdown and the tests wait for, and the vendor client to close after it."""

from __future__ import annotations

import asyncio
from typing import Any


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
