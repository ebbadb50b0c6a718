"""The sender every pushed channel shares: lease due rows from the store's delivery outbox, send each
with the channel's `send`, record how it went.

`send` raises one of these to say what happened instead of "sent":
Hold     the vendor's reply window is closed: wait until the founder writes again (shown as 未送达)
Retry    try again after `after` seconds at the earliest (a vendor's rate limit is honoured, never shortened)
GiveUp   this founder cannot be reached: failed at once, the console flags it
Anything else is retried with exponential backoff until the store marks the row failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
from collections.abc import Awaitable, Callable

from assistant.store import DeliveryInfo, Store

log = logging.getLogger("rongchuang.outbox")
POLL_SECONDS = 2.0
LEASE_SECONDS = 60.0
MAX_BACKOFF = 300.0


class Hold(Exception):
    pass


class GiveUp(Exception):
    pass


class Retry(Exception):
    def __init__(self, reason: str, after: float = 0.0) -> None:
        super().__init__(reason)
        self.after = after


Send = Callable[[DeliveryInfo], Awaitable[None]]


class OutboxSender:
    """One per channel per process; `run_forever` is the background task, `wake` skips the wait."""

    def __init__(
        self,
        store: Store,
        channel: str,
        send: Send,
        *,
        interval: float = POLL_SECONDS,
        lease: float = LEASE_SECONDS,
    ) -> None:
        self.store = store
        self.channel = channel
        self.send = send
        self.interval = interval
        self.lease = lease
        self.owner = f"{channel}-{os.getpid()}-{secrets.token_hex(4)}"
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run_forever(self) -> None:
        while True:
            try:
                sent = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # the loop must outlive a bad round (database hiccup, bug)
                log.exception("%s delivery round failed", self.channel)
                sent = 0
            if sent:
                continue  # a founder's next message is due now: their rows go one per round
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval)
            self._wake.clear()

    async def run_once(self) -> int:
        """Lease and send one due row per founder; how many were sent."""
        claimed = await asyncio.to_thread(self.store.claim_deliveries, self.channel, self.owner, self.lease)
        sent = 0
        for d in claimed:
            sent += await self._one(d)
        return sent

    async def drain(self, rounds: int = 50) -> int:
        """Send until nothing is due (tests, one-off runs)."""
        total = 0
        for _ in range(rounds):
            n = await self.run_once()
            if not n:
                break
            total += n
        return total

    async def _one(self, d: DeliveryInfo) -> int:
        finish = self.store.finish_delivery
        try:
            await self.send(d)
        except Hold as exc:
            await asyncio.to_thread(finish, d.id, self.owner, ok=False, hold=True, error=str(exc))
            log.info("%s delivery %s held: %s", self.channel, d.id, exc)
            return 0
        except GiveUp as exc:
            await asyncio.to_thread(finish, d.id, self.owner, ok=False, give_up=True, error=str(exc))
            log.warning("%s delivery %s undeliverable: %s", self.channel, d.id, exc)
            return 0
        except Exception as exc:
            after = exc.after if isinstance(exc, Retry) else 0.0
            delay = max(after, min(2.0 ** (d.attempts + 1), MAX_BACKOFF))
            error = f"{type(exc).__name__}: {exc}"
            info = await asyncio.to_thread(finish, d.id, self.owner, ok=False, error=error, retry_in=delay)
            log.warning("%s delivery %s failed (%s), retry in %.0f s", self.channel, d.id, error, delay)
            if info and info.status == "failed":
                log.error("%s delivery %s given up after %d attempts", self.channel, d.id, info.attempts)
            return 0
        await asyncio.to_thread(finish, d.id, self.owner, ok=True)
        return 1
