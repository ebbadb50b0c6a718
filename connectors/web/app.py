"""The FastAPI app factory: founder chat API and page, staff console, knowledge admin."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import anyio
from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from assistant import logsafe
from assistant.runtime import Runtime
from assistant.settings import Settings
from knowledge import tokenize

from . import errors, routes_admin, routes_chat, routes_review, routes_staff
from .auth import TokenSigner
from .jobs import Uploads
from .security import BodyLimitMiddleware, SecurityHeadersMiddleware

log = logging.getLogger("rongchuang.web")
STATIC = Path(__file__).resolve().parent / "static"
JSON_LIMIT = 64 * 1024  # a 2,000-character message is < 13 KB even with every character \u-escaped
MULTIPART_OVERHEAD = 64 * 1024
SESSION_ID = re.compile(r"s_[A-Za-z0-9_-]{8,}")

TAGS = [
    {"name": "创业者对话", "description": "网页聊天用的接口。session_id 是对话的凭据，由页面保存在本机。"},
    {"name": "工作人员登录", "description": "HttpOnly 会话 Cookie + X-CSRF-Token。"},
    {"name": "转人工工单", "description": "服务中心工作人员处理转人工的队列。"},
    {"name": "知识库管理", "description": "仅管理员：上传、查看、删除知识库文件。"},
    {"name": "答复审核和账号", "description": "仅管理员：审核工作人员写的答复，查看和停用账号。"},
    {"name": "运维", "description": "健康检查。"},
]


class MaskSessionIds(logging.Filter):
    """Session ids are bearer secrets and appear in URL paths: keep them out of access logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(SESSION_ID.sub("s_***", a) if isinstance(a, str) else a for a in record.args)
        return True


def _mask_access_log() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, MaskSessionIds) for f in access.filters):
        access.addFilter(MaskSessionIds())
    # Every handler (ours and uvicorn's, set up by now): control characters escaped, PII masked.
    logsafe.install("uvicorn", "uvicorn.error", "uvicorn.access")


def _attach(app: FastAPI, rt: Runtime) -> None:
    app.state.runtime = rt
    app.state.uploads = Uploads(rt.index, rt.settings.data_dir / "uploads", rt.store)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    owned = getattr(app.state, "runtime", None) is None
    _mask_access_log()
    if owned:
        log.info("正在启动蓉创助手：检查知识库索引（有新文件才导入），加载分词和嵌入模型…")
        _attach(app, await anyio.to_thread.run_sync(Runtime.start, app.state.settings))
        tokenize.settle()  # after the first answers: a faster word table for the rest of the day
        log.info("知识库就绪：%d 段。", app.state.runtime.index.count())
        if url := getattr(app.state, "public_url", None):
            log.info("蓉创助手已启动：在浏览器打开 %s （服务中心工作台 %sstaff），按 Ctrl+C 停止。", url, url)
    try:
        async with AsyncExitStack() as stack:
            await _telegram_webhook(app, stack)
            await _wechat(app, stack)
            yield
    finally:
        app.state.uploads.shutdown()
        if owned:
            app.state.runtime.close()


async def _telegram_webhook(app: FastAPI, stack: AsyncExitStack) -> None:
    """POST /telegram/webhook and the bot, for the app's lifetime, when both token and secret are set."""
    rt: Runtime = app.state.runtime
    if not (rt.settings.telegram_token and rt.settings.telegram_webhook_secret):
        return
    from connectors.telegram.app import build_application
    from connectors.telegram.webhook import running, webhook_router

    application = build_application(rt, webhook=True)
    app.include_router(webhook_router(rt, application))
    await stack.enter_async_context(running(application))


async def _wechat(app: FastAPI, stack: AsyncExitStack) -> None:
    """/wechat/kf/callback and /wechat/oa/callback with their senders, for each configured channel."""
    from connectors.wechat.mount import mount

    app.state.wechat = await mount(app, app.state.runtime, stack)


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    settings = settings or (runtime.settings if runtime else Settings())
    app = FastAPI(
        title="蓉创助手 API",
        version="0.1.0",
        lifespan=_lifespan,
        openapi_tags=TAGS,
        description="成都首次创业者的政策问答（带原文引用）、园区和基金推荐、转人工，以及服务中心工作台。",
        openapi_url="/api/openapi.json",
        docs_url=None,
        redoc_url=None,  # Swagger UI would load a CDN
    )
    app.state.settings = settings
    app.state.runtime = None
    app.state.signer = TokenSigner(settings.secret_key)
    if runtime is not None:
        _attach(app, runtime)
    errors.install(app)
    errors.document(app)
    upload_limit = settings.upload_max_mb * 1024 * 1024 + MULTIPART_OVERHEAD
    app.add_middleware(BodyLimitMiddleware, max_bytes=JSON_LIMIT, upload_bytes=upload_limit)
    app.add_middleware(SecurityHeadersMiddleware)
    routers = (
        routes_chat.router,
        routes_staff.auth,
        routes_staff.router,
        routes_admin.router,
        routes_review.router,
    )
    for router in routers:
        app.include_router(router)
    _pages(app)
    _mask_access_log()
    return app


def _pages(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    def chat_page() -> FileResponse:
        return FileResponse(STATIC / "chat.html")

    @app.get("/staff", include_in_schema=False)
    @app.get("/staff/admin", include_in_schema=False)
    def staff_page() -> FileResponse:
        return FileResponse(STATIC / "staff.html")
