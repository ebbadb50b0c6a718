"""Staff replies from the console to the founder's Telegram chat.

The store marks a staff message to a Telegram session `delivery='pending'`; a background task polls
for them and sends each one. Flood control (`RetryAfter`) is waited out, never shortened; a chat that
cannot be reached (bot blocked, chat not found) marks the message failed at once so the console
flags it; other errors are retried with backoff until the store gives up and marks it failed.

However many processes run a sender, one sends at a time: each round first takes or renews a lease in
the database (`LEASE`), and a sender that finds it held by another live process skips the round.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import logging
import os
import secrets
import socket
import time
import warnings
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, TypeVar

from telegram import Bot
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from .render import esc, split_html

if TYPE_CHECKING:
    from assistant.runtime import Runtime
    from assistant.store import MessageInfo, SessionInfo

log = logging.getLogger("rongchuang.telegram")
T = TypeVar("T")
POLL_SECONDS = 2.0
FLOOD_WAITS = 3  # RetryAfter waits per send before the attempt counts as failed
MARGIN = 0.05  # added to retry_after: wake after the deadline, never on it
MAX_BACKOFF = 300.0
STAFF_PREFIX = "服务中心工作人员回复："
LEASE = "telegram-delivery"
LEASE_ROUNDS = 5  # the lease outlives this many rounds, so a sender that died is replaced soon
# The lease belongs to the process (one sender per process), so one-off runs in it may send too.
HOLDER = f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


def retry_seconds(exc: RetryAfter) -> float:
    """`retry_after` in seconds, whether PTB hands out an int or (PTB_TIMEDELTA) a timedelta."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)  # the int form is deprecated in 22.2
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


async def with_flood_wait(send: Callable[[], Awaitable[T]], waits: int = FLOOD_WAITS) -> T:
    """Call `send`; on RetryAfter sleep at least retry_after and try again (up to `waits` times)."""
    for _ in range(waits):
        try:
            return await send()
        except RetryAfter as exc:
            delay = retry_seconds(exc) + MARGIN
            log.warning("Telegram flood control: waiting %.1f s", delay)
            await asyncio.sleep(delay)
    return await send()


def staff_html(text: str) -> list[str]:
    return split_html(f"<b>{STAFF_PREFIX}</b>{esc(text)}")


class Deliverer:
    """Sends pending staff replies. One per process; `run_forever` is the background task."""

    def __init__(self, runtime: Runtime, bot: Bot, interval: float = POLL_SECONDS) -> None:
        self.store = runtime.store
        self.bot = bot
        self.interval = interval
        self._not_before: dict[int, float] = {}  # message id -> monotonic time of its next try
        self.holder = HOLDER

    async def run_forever(self) -> None:
        while True:
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # the loop must outlive a bad round (database hiccup, bug)
                log.exception("staff reply delivery round failed")
            await asyncio.sleep(self.interval)

    async def run_once(self) -> int:
        """One pass over the pending messages, oldest first; how many were delivered."""
        seconds = max(10.0, LEASE_ROUNDS * self.interval)
        if not await asyncio.to_thread(self.store.take_lease, LEASE, self.holder, seconds):
            return 0  # another process is the sender
        pending = await asyncio.to_thread(self.store.pending_deliveries, "telegram")
        delivered, held = 0, set()
        for msg, sess in pending:
            if sess.id in held or self._not_before.get(msg.id, 0.0) > time.monotonic():
                held.add(sess.id)  # keep a founder's replies in order behind one that waits
                continue
            if await self._deliver(msg, sess):
                delivered += 1
            else:
                held.add(sess.id)
        return delivered

    async def _deliver(self, msg: MessageInfo, sess: SessionInfo) -> bool:
        try:
            chat_id = int(sess.external_id or "")
        except ValueError:
            await self._mark(msg, False, f"no Telegram chat id for session {sess.id}", max_attempts=1)
            return False
        try:
            for part in staff_html(msg.text):
                await with_flood_wait(partial(self.bot.send_message, chat_id, part, parse_mode="HTML"))
        except (Forbidden, BadRequest) as exc:  # blocked, chat not found: retrying cannot help
            log.warning("staff reply %s undeliverable: %s", msg.id, exc)
            await self._mark(msg, False, f"{type(exc).__name__}: {exc}", max_attempts=1)
            return False
        except TelegramError as exc:  # network, 5xx, flood control that outlasted our waits
            info = await self._mark(msg, False, f"{type(exc).__name__}: {exc}")
            delay = min(2.0**info.delivery_attempts, MAX_BACKOFF)
            if isinstance(exc, RetryAfter):
                delay = max(delay, retry_seconds(exc) + MARGIN)
            self._not_before[msg.id] = time.monotonic() + delay
            if info.delivery == "failed":  # the store gave up: the console flags it
                self._not_before.pop(msg.id, None)
            log.warning(
                "staff reply %s: attempt %d %s: %s", msg.id, info.delivery_attempts, info.delivery, exc
            )
            return False
        await self._mark(msg, True)
        self._not_before.pop(msg.id, None)
        return True

    async def _mark(self, msg: MessageInfo, ok: bool, error: str | None = None, **kw: int) -> MessageInfo:
        return await asyncio.to_thread(self.store.mark_delivery, msg.id, ok, error, **kw)


async def deliver_pending(runtime: Runtime, bot: Bot) -> int:
    """Send every pending staff reply once (tests, or a one-off run); how many were delivered."""
    return await Deliverer(runtime, bot).run_once()
