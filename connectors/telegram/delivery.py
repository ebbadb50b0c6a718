"""Staff replies from the console to the founder's Telegram chat.

A staff reply to a Telegram session is a row in the delivery outbox, written with the message; a
background sender leases due rows and sends each one. Flood control (`RetryAfter`) is waited out,
never shortened; a chat that cannot be reached (bot blocked, chat not found) marks the message failed
at once so the console flags it; other errors are retried with backoff until the store gives up.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import logging
import warnings
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, TypeVar

from telegram import Bot
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from connectors.outbox import GiveUp, OutboxSender, Retry

from .render import esc, split_html

if TYPE_CHECKING:
    from assistant.runtime import Runtime
    from assistant.store import DeliveryInfo

log = logging.getLogger("rongchuang.telegram")
T = TypeVar("T")
POLL_SECONDS = 2.0
FLOOD_WAITS = 3  # RetryAfter waits per send before the attempt counts as failed
MARGIN = 0.05  # added to retry_after: wake after the deadline, never on it
STAFF_PREFIX = "服务中心工作人员回复："


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
    """Sends staff replies from the shared outbox (connectors/outbox.py). One per process;
    `run_forever` is the background task."""

    def __init__(self, runtime: Runtime, bot: Bot, interval: float = POLL_SECONDS) -> None:
        self.bot = bot
        self.sender = OutboxSender(runtime.store, "telegram", self.send, interval=interval)

    async def run_forever(self) -> None:
        await self.sender.run_forever()

    async def run_once(self) -> int:
        """Send every due reply (a founder's replies one after another, in order); how many went."""
        return await self.sender.drain()

    async def send(self, d: DeliveryInfo) -> None:
        try:
            chat_id = int(d.target)
        except ValueError as exc:
            raise GiveUp(f"no Telegram chat id for session {d.session_id}") from exc
        try:
            for part in staff_html(str(d.body.get("text", ""))):
                await with_flood_wait(partial(self.bot.send_message, chat_id, part, parse_mode="HTML"))
        except (Forbidden, BadRequest) as exc:  # blocked, chat not found: retrying cannot help
            raise GiveUp(f"{type(exc).__name__}: {exc}") from exc
        except RetryAfter as exc:  # flood control that outlasted our waits: never retry sooner
            raise Retry(f"RetryAfter: {exc}", retry_seconds(exc) + MARGIN) from exc
        except TelegramError as exc:  # network, 5xx
            raise Retry(f"{type(exc).__name__}: {exc}") from exc


async def deliver_pending(runtime: Runtime, bot: Bot) -> int:
    """Send every due staff reply once (tests, or a one-off run); how many were delivered."""
    return await Deliverer(runtime, bot).run_once()
