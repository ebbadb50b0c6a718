"""Dependencies as Annotated aliases: routes ask for what they need by type, and stay thin."""

from __future__ import annotations

from typing import Annotated

import anyio
from fastapi import Depends, Header, HTTPException, Request

from assistant.curated import CuratedAnswers
from assistant.engine import Assistant
from assistant.runtime import Runtime
from assistant.settings import Settings
from assistant.store import StaffInfo, Store

from .auth import COOKIE, StaffToken, TokenSigner, session_valid
from .security import RateLimits, client_ip, message_cost, too_many

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_assistant(rt: RuntimeDep) -> Assistant:
    return rt.assistant


def get_curated(rt: RuntimeDep) -> CuratedAnswers:
    return rt.assistant.curated


def get_store(rt: RuntimeDep) -> Store:
    return rt.store


def get_settings(rt: RuntimeDep) -> Settings:
    return rt.settings


def get_signer(request: Request) -> TokenSigner:
    return request.app.state.signer


def get_limits(rt: RuntimeDep) -> RateLimits:
    return RateLimits(rt.settings.rate_limit_per_minute, rt.store)


async def get_answer_slots(request: Request) -> anyio.CapacityLimiter:
    """Answers are CPU work under one GIL: run at most `chat_workers` at once and queue the rest in order.

    More threads than cores only interleave: every answer gets slower and the slowest far slower.
    Created here, inside the event loop, on first use.
    """
    slots = getattr(request.app.state, "answer_slots", None)
    if slots is None:
        slots = request.app.state.answer_slots = anyio.CapacityLimiter(
            request.app.state.settings.chat_workers
        )
    return slots


async def get_heavy_slots(request: Request) -> anyio.CapacityLimiter:
    """Long messages also hold one of these while they are answered: at most half the answer slots
    (at least one) go to long stories at once, so a short question always finds a slot free."""
    slots = getattr(request.app.state, "heavy_slots", None)
    if slots is None:
        workers = request.app.state.settings.chat_workers
        slots = request.app.state.heavy_slots = anyio.CapacityLimiter(max(1, workers // 2))
    return slots


AssistantDep = Annotated[Assistant, Depends(get_assistant)]
AnswerSlotsDep = Annotated[anyio.CapacityLimiter, Depends(get_answer_slots)]
HeavySlotsDep = Annotated[anyio.CapacityLimiter, Depends(get_heavy_slots)]
StoreDep = Annotated[Store, Depends(get_store)]
CuratedDep = Annotated[CuratedAnswers, Depends(get_curated)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
SignerDep = Annotated[TokenSigner, Depends(get_signer)]
LimitsDep = Annotated[RateLimits, Depends(get_limits)]


def get_client_ip(request: Request, settings: SettingsDep) -> str:
    client = request.scope.get("client")
    return client_ip(client, request.headers.get("x-forwarded-for"), settings.trust_forwarded)


ClientIpDep = Annotated[str, Depends(get_client_ip)]


class ChatGuard:
    """Per-IP limit checked on entry; the route charges the message's cost to the IP and the session
    once it knows both."""

    def __init__(self, limits: RateLimits, ip: str) -> None:
        self.limits = limits
        self.ip = ip

    def session(self, session_id: str | None, cost: int = 1) -> None:
        if session_id and (wait := self.limits.session.retry_after(session_id)) is not None:
            raise too_many(wait)
        if (wait := self.limits.ip.retry_after(self.ip)) is not None:
            raise too_many(wait)
        self.limits.ip.record(self.ip, cost)
        if session_id:
            self.limits.session.record(session_id, cost)

    def message(self, session_id: str | None, text: str) -> None:
        self.session(session_id, message_cost(text))


def chat_guard(limits: LimitsDep, ip: ClientIpDep) -> ChatGuard:
    if (wait := limits.ip.retry_after(ip)) is not None:
        raise too_many(wait)
    return ChatGuard(limits, ip)


ChatGuardDep = Annotated[ChatGuard, Depends(chat_guard)]


def current_token(request: Request, signer: SignerDep, store: StoreDep) -> StaffToken:
    tok = session_valid(signer, store, request.cookies.get(COOKIE))
    if tok is None:
        raise HTTPException(401, "请先登录工作人员账号。")
    return tok


TokenDep = Annotated[StaffToken, Depends(current_token)]


def current_staff(tok: TokenDep, store: StoreDep) -> StaffInfo:
    staff = store.get_staff(tok.staff_id)
    if staff is None:
        raise HTTPException(401, "账号已不存在，请重新登录。")
    if staff.disabled:
        raise HTTPException(401, "账号已停用，请联系管理员。")
    changed = staff.credentials_changed_at
    if changed is not None and tok.issued_at + 1 <= changed.timestamp():  # whole seconds in the token
        raise HTTPException(401, "密码或账号状态已变更，请重新登录。")
    return staff


StaffDep = Annotated[StaffInfo, Depends(current_staff)]


def csrf_staff(
    request: Request,
    staff: StaffDep,
    tok: TokenDep,
    signer: SignerDep,
    x_csrf_token: Annotated[
        str | None, Header(description="登录时拿到的 csrf_token（修改类请求必填）。")
    ] = None,
) -> StaffInfo:
    """The staff member, for a state-changing request that carries the right X-CSRF-Token."""
    if request.method not in SAFE_METHODS and not signer.csrf_ok(tok, x_csrf_token):
        raise HTTPException(403, "缺少或错误的 CSRF 令牌，请刷新页面后重试。")
    return staff


CsrfDep = Annotated[StaffInfo, Depends(csrf_staff)]


def admin_staff(staff: CsrfDep) -> StaffInfo:
    if not staff.is_admin:
        raise HTTPException(403, "只有管理员可以做这件事（管理知识库、审核答复、管理账号）。")
    return staff


AdminDep = Annotated[StaffInfo, Depends(admin_staff)]
