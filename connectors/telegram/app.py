"""The python-telegram-bot `Application`: commands, free text to the assistant, inline buttons, update
dedupe, and the staff-reply sender started and stopped with it. Polling here; webhook in webhook.py.

The assistant and the store are synchronous (retrieval, SQLite): handlers call them in a worker thread
so the event loop keeps serving. Updates are processed one at a time (PTB's default), so one chat's
turns never race each other.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Sequence
from functools import partial

from pydantic import ValidationError
from telegram import BotCommand, InlineKeyboardMarkup, LinkPreviewOptions, Update
from telegram.constants import ChatAction, ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    TypeHandler,
    filters,
)

from assistant.engine import MessageError
from assistant.reply import Profile, Reply
from assistant.runtime import Runtime
from assistant.understand import summarize_profile

from . import texts
from .delivery import Deliverer, with_flood_wait
from .render import HANDOFF_DATA, detail_html, esc, keyboard, parse_detail, render_reply

log = logging.getLogger("rongchuang.telegram")
ALLOWED_UPDATES = ["message", "callback_query"]
CHANNEL = "telegram"
Context = ContextTypes.DEFAULT_TYPE


def api_url(base_url: str) -> str:
    return base_url.rstrip("/")  # PTB appends the token: ".../bot/" would make ".../bot/123:AA"


def file_url(base_url: str) -> str:
    """The file endpoint beside a Bot API base URL: .../bot -> .../file/bot (also .../bot{token})."""
    root = api_url(base_url)
    m = re.search(r"/bot(\{token\})?$", root)
    return root[: m.start()] + "/file" + root[m.start() :] if m else root + "/file/bot"


def build_application(runtime: Runtime, *, webhook: bool = False) -> Application:
    """The bot for `runtime`; `webhook=True` builds it without an Updater (updates come from a route)."""
    s = runtime.settings
    builder = (
        ApplicationBuilder()
        .token(s.telegram_token)
        .base_url(api_url(s.telegram_base_url))
        .base_file_url(file_url(s.telegram_base_url))
        .defaults(
            Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True))
        )
        .post_init(on_start)
        .post_stop(on_stop)
    )
    if webhook:
        builder = builder.updater(None)
    application = builder.build()
    application.bot_data["runtime"] = runtime
    ChatHandlers(runtime).install(application)
    return application


async def on_start(application: Application) -> None:
    """Register the command menu and start the staff-reply sender (post_init; webhook.py calls it too)."""
    runtime: Runtime = application.bot_data["runtime"]
    try:
        await application.bot.set_my_commands([BotCommand(c, d) for c, d in texts.COMMANDS])
    except TelegramError as exc:  # a menu is nice to have; never a reason not to start
        log.warning("setMyCommands failed: %s", exc)
    deliverer = Deliverer(runtime, application.bot)
    application.bot_data["delivery"] = asyncio.create_task(deliverer.run_forever(), name="staff-replies")
    log.info("Telegram 机器人 @%s 已启动", application.bot.username)


async def on_stop(application: Application) -> None:
    """Cancel the sender in post_stop: before the bot's HTTP client is shut down."""
    task: asyncio.Task | None = application.bot_data.pop("delivery", None)
    if task:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def run_polling(runtime: Runtime) -> None:
    """`rongchuang telegram`: long polling until Ctrl+C or SIGTERM."""
    build_application(runtime).run_polling(allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False)


class ChatHandlers:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.store = runtime.store

    def install(self, application: Application) -> None:
        private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
        application.add_handler(TypeHandler(Update, self.dedupe), group=-1)
        commands = {
            "start": self.start,
            "help": self.help,
            "human": self.human,
            "profile": self.profile,
            "reset": self.reset,
            "delete": self.delete,
        }
        for name, callback in commands.items():
            application.add_handler(CommandHandler(name, callback, filters=private))
        application.add_handler(MessageHandler(private & filters.TEXT & ~filters.COMMAND, self.text))
        application.add_handler(MessageHandler(private & filters.COMMAND, self.help))  # unknown command
        application.add_handler(
            MessageHandler(private & ~filters.TEXT & ~filters.StatusUpdate.ALL, self.not_text)
        )
        application.add_handler(CallbackQueryHandler(self.button))
        application.add_error_handler(self.error)

    # plumbing -----------------------------------------------------------------------------------
    async def dedupe(self, update: Update, _context: Context) -> None:
        """A redelivered update (webhook retry, a second worker) is processed once."""
        if not await asyncio.to_thread(self.store.mark_update_processed, update.update_id):
            log.info("duplicate update %s ignored", update.update_id)
            raise ApplicationHandlerStop

    async def session_id(self, chat_id: int) -> str:
        sess = await asyncio.to_thread(self.store.session_for_external, CHANNEL, chat_id)
        return sess.id

    async def send(
        self, context: Context, chat_id: int, parts: Sequence[str], markup: InlineKeyboardMarkup | None = None
    ) -> None:
        """Send the parts in order; the keyboard goes under the last one."""
        for i, part in enumerate(parts):
            buttons = markup if i == len(parts) - 1 else None
            await with_flood_wait(partial(context.bot.send_message, chat_id, part, reply_markup=buttons))

    async def send_reply(self, context: Context, chat_id: int, reply: Reply) -> None:
        message_id = None
        if reply.parks or reply.funds:  # the buttons point at the stored message that has the cards
            message_id = await asyncio.to_thread(last_assistant_id, self.store, reply.session_id)
        await self.send(context, chat_id, render_reply(reply), keyboard(reply, message_id))

    # commands -----------------------------------------------------------------------------------
    async def start(self, update: Update, context: Context) -> None:
        text = texts.welcome(self.runtime.settings.retention_days)
        await self.send(context, update.effective_chat.id, [text])

    async def help(self, update: Update, context: Context) -> None:
        await self.send(context, update.effective_chat.id, [texts.HELP])

    async def human(self, update: Update, context: Context) -> None:
        chat_id = update.effective_chat.id
        sid = await self.session_id(chat_id)
        reply = await asyncio.to_thread(self.runtime.assistant.request_handoff, sid)
        await self.send_reply(context, chat_id, reply)

    async def profile(self, update: Update, context: Context) -> None:
        chat_id = update.effective_chat.id
        sess = await asyncio.to_thread(self.store.session_for_external, CHANNEL, chat_id)
        summary = summarize_profile(Profile(**(sess.profile or {})))
        head = texts.PROFILE.format(profile=esc(summary)) if summary else texts.PROFILE_EMPTY
        await self.send(context, chat_id, [head + texts.PROFILE_FIX])

    async def reset(self, update: Update, context: Context) -> None:
        chat_id = update.effective_chat.id
        await asyncio.to_thread(self.store.delete_session, await self.session_id(chat_id))
        await self.session_id(chat_id)  # a fresh session: no profile, no state
        await self.send(context, chat_id, [texts.RESET])

    async def delete(self, update: Update, context: Context) -> None:
        chat_id = update.effective_chat.id
        await asyncio.to_thread(self.store.delete_session, await self.session_id(chat_id))
        await self.send(context, chat_id, [texts.DELETED])

    # messages -----------------------------------------------------------------------------------
    async def text(self, update: Update, context: Context) -> None:
        chat_id = update.effective_chat.id
        sid = await self.session_id(chat_id)
        with contextlib.suppress(TelegramError):  # "typing…" is cosmetic
            await context.bot.send_chat_action(chat_id, ChatAction.TYPING)
        try:
            reply = await asyncio.to_thread(
                self.runtime.assistant.respond, sid, update.message.text or "", CHANNEL
            )
        except MessageError as exc:  # empty or too long: the text says what to do
            await self.send(context, chat_id, [esc(str(exc))])
            return
        await self.send_reply(context, chat_id, reply)

    async def not_text(self, update: Update, context: Context) -> None:
        await self.send(context, update.effective_chat.id, [texts.TEXT_ONLY])

    async def button(self, update: Update, context: Context) -> None:
        query = update.callback_query
        chat = update.effective_chat
        if chat is None or query.data is None:
            await query.answer()
            return
        if query.data == HANDOFF_DATA:
            await query.answer(texts.HANDOFF_TOAST)
            sid = await self.session_id(chat.id)
            reply = await asyncio.to_thread(self.runtime.assistant.request_handoff, sid)
            await self.send_reply(context, chat.id, reply)
        elif parsed := parse_detail(query.data):
            await query.answer()
            sid = await self.session_id(chat.id)
            parts = await asyncio.to_thread(self.detail, sid, *parsed)
            await self.send(context, chat.id, parts or [texts.EXPIRED])
        else:
            await query.answer()

    def detail(self, session_id: str, message_id: int, kind: str, index: int) -> list[str] | None:
        """The cited passages of card `index` in the stored reply `message_id` of this session only."""
        found = self.store.messages(session_id, after_id=message_id - 1, limit=1)
        if not found or found[0].id != message_id or found[0].role != "assistant" or not found[0].payload:
            return None
        try:
            reply = Reply.model_validate(found[0].payload)
        except ValidationError:
            return None
        cards = reply.parks if kind == "p" else reply.funds
        if index >= len(cards):
            return None
        rec = cards[index]
        return detail_html(rec, [c for c in reply.citations if c.n in rec.citations])

    async def error(self, update: object, context: Context) -> None:
        log.error("Telegram update failed", exc_info=context.error)
        if isinstance(update, Update) and update.effective_chat:
            with contextlib.suppress(TelegramError):
                await context.bot.send_message(update.effective_chat.id, texts.BUSY)


def last_assistant_id(store, session_id: str, page: int = 1000) -> int | None:
    """Id of the newest assistant message in a session (the store lists oldest first)."""
    after, last = 0, None
    while True:
        batch = store.messages(session_id, after_id=after, limit=page)
        last = next((m.id for m in reversed(batch) if m.role == "assistant"), last)
        if len(batch) < page:
            return last
        after = batch[-1].id
