"""Webhook mode: `POST /telegram/webhook` inside the web app (PTB's custom-webhook pattern).

The Application is built without an Updater; the route checks Telegram's secret header in constant
time, then puts the update on `application.update_queue`. Missing or wrong secret: 403, nothing is
processed. Webhook mode is on when both RONGCHUANG_TELEGRAM_TOKEN and _WEBHOOK_SECRET are set.

The web app's lifespan (connectors/web/app.py) does, when both are set:

    application = build_application(runtime, webhook=True)
    app.include_router(webhook_router(runtime, application))
    async with running(application): ...   # the bot and the staff-reply sender live with the app
"""

from __future__ import annotations

import hmac
import json
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from telegram import Bot, Update
from telegram.ext import Application

from assistant.runtime import Runtime
from assistant.settings import Settings

from .app import ALLOWED_UPDATES, api_url, file_url, on_start, on_stop

log = logging.getLogger("rongchuang.telegram")
PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SECRET_FORMAT = re.compile(r"[A-Za-z0-9_-]{1,256}")  # what setWebhook accepts as secret_token
MAX_BODY = 1 << 20  # an update is a few KB; refuse anything near a megabyte unread


def secret_ok(expected: str, given: str | None) -> bool:
    """Constant-time check; an unset secret accepts nothing."""
    if not expected or given is None:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


def webhook_router(runtime: Runtime, application: Application) -> APIRouter:
    router = APIRouter()
    secret = runtime.settings.telegram_webhook_secret
    if not SECRET_FORMAT.fullmatch(secret):
        log.warning(
            "RONGCHUANG_TELEGRAM_WEBHOOK_SECRET 需要 1–256 个字母、数字、_ 或 -；否则 webhook 一律拒绝"
        )

    @router.post(PATH, include_in_schema=False)
    async def telegram_webhook(request: Request) -> Response:
        if not secret_ok(secret, request.headers.get(SECRET_HEADER)):
            raise HTTPException(403, "forbidden")
        data = await _json_body(request)
        try:
            update = Update.de_json(data, application.bot)
        except (KeyError, TypeError, ValueError) as exc:
            raise HTTPException(400, "not a Telegram update") from exc
        if not application.running:
            raise HTTPException(503, "bot not running")
        await application.update_queue.put(update)
        return Response(status_code=200)

    return router


async def _json_body(request: Request) -> dict[str, Any]:
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise HTTPException(413, "update too large")
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise HTTPException(400, "invalid JSON") from exc
    if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
        raise HTTPException(400, "not a Telegram update")
    return data


@asynccontextmanager
async def running(application: Application) -> AsyncIterator[Application]:
    """Initialize and start the bot for the web app's lifespan; stop it in the order run_polling does."""
    async with application:  # initialize() ... shutdown()
        await application.start()
        await on_start(application)
        try:
            yield application
        finally:
            if application.running:
                await application.stop()
            await on_stop(application)


async def set_webhook(settings: Settings, url: str) -> None:
    """Tell Telegram where to POST updates, with the secret it must send back in the header."""
    async with Bot(
        settings.telegram_token,
        base_url=api_url(settings.telegram_base_url),
        base_file_url=file_url(settings.telegram_base_url),
    ) as bot:
        await bot.set_webhook(
            url, secret_token=settings.telegram_webhook_secret, allowed_updates=ALLOWED_UPDATES
        )
