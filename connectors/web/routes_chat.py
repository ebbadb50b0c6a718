"""The founder's API: ask, stream, read the conversation, ask for a human, delete everything."""

from __future__ import annotations

from typing import Annotated, Literal

import anyio
from fastapi import APIRouter, HTTPException, Path, Query, Response
from fastapi.responses import StreamingResponse

from assistant.engine import Assistant
from assistant.reply import Profile, Reply
from assistant.store import Store

from .deps import AnswerSlotsDep, AssistantDep, ChatGuardDep, HeavySlotsDep, RuntimeDep, SettingsDep, StoreDep
from .schemas import SESSION_PATTERN, ChatIn, ConversationOut, ErrorOut, HealthOut, ReplyOut, Responses
from .security import HEAVY_CHARS
from .stream import reply_events
from .views import founder_view

router = APIRouter(prefix="/api", tags=["创业者对话"])
SessionId = Annotated[str, Path(pattern=SESSION_PATTERN, description="对话的 session_id（只给本人的凭据）。")]
FOUNDER_ROLES = ("founder", "assistant", "staff")
ERRORS: Responses = {
    413: {"model": ErrorOut, "description": "请求体超过 64 KB"},
    422: {"model": ErrorOut, "description": "消息为空或格式不对"},
    429: {"model": ErrorOut, "description": "发得太快，稍后再试（见 Retry-After）"},
}
NOT_FOUND: Responses = {404: {"model": ErrorOut, "description": "没有这个对话（可能已删除或已过保存期）"}}


@router.post("/chat", response_model=ReplyOut, summary="提问，得到带引用的回答", responses=ERRORS)
async def chat(
    body: ChatIn, assistant: AssistantDep, guard: ChatGuardDep, slots: AnswerSlotsDep, heavy: HeavySlotsDep
) -> Reply:
    """一问一答。回答里的 [n] 对应 `citations` 里第 n 条原文；`parks`、`funds` 是推荐卡片。
    长消息在频率限制里按长度多计几次。"""
    guard.message(body.session_id, body.message)
    return await _answer(assistant, body, slots, heavy)


async def _answer(
    assistant: Assistant, body: ChatIn, slots: anyio.CapacityLimiter, heavy: anyio.CapacityLimiter
) -> Reply:
    if len(body.message) <= HEAVY_CHARS:
        return await anyio.to_thread.run_sync(
            assistant.respond, body.session_id, body.message, "web", limiter=slots
        )
    async with heavy:  # long stories queue among themselves, leaving slots for short questions
        return await anyio.to_thread.run_sync(
            assistant.respond, body.session_id, body.message, "web", limiter=slots
        )


@router.post(
    "/chat/stream",
    summary="提问（流式 SSE）",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {
                "text/event-stream": {
                    "example": (
                        'event: meta\ndata: {"session_id": "s_E5XzyjqkQARYoMSD"}\n\n'
                        'event: delta\ndata: {"text": "申请算力券的企业须在成都注册。[1]"}\n\n'
                        'event: done\ndata: {"session_id": "s_E5XzyjqkQARYoMSD", "answer": "…"}\n\n'
                    )
                }
            },
            "description": "事件流：meta（session_id）、若干 delta（回答片段）、done（完整回答 JSON）",
        },
        **ERRORS,
    },
)
async def chat_stream(
    body: ChatIn, assistant: AssistantDep, guard: ChatGuardDep, slots: AnswerSlotsDep, heavy: HeavySlotsDep
) -> StreamingResponse:
    """和 `/api/chat` 一样，但按句子把回答推给页面。消息有问题时直接返回 413/422，不开始事件流。"""
    guard.message(body.session_id, body.message)
    reply = await _answer(assistant, body, slots, heavy)
    return StreamingResponse(
        reply_events(reply),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.get(
    "/sessions/{session_id}/messages",
    response_model=ConversationOut,
    summary="读取对话（含工作人员回复）",
    responses=NOT_FOUND,
)
def messages(
    session_id: SessionId,
    store: StoreDep,
    settings: SettingsDep,
    after: Annotated[int, Query(ge=0, le=2**62, description="只返回 id 大于它的消息（轮询用）。")] = 0,
) -> ConversationOut:
    """创业者看到的对话：自己的问题、助手的回答、工作人员的回复。内部备注永远不会出现在这里。"""
    sess = _session(store, session_id)
    items = [founder_view(m) for m in store.messages(session_id, after_id=after) if m.role in FOUNDER_ROLES]
    ticket = store.open_handoff_for_session(session_id)
    return ConversationOut(
        session_id=session_id,
        items=items,
        handoff=ticket.as_reply_handoff() if ticket else None,
        profile=_profile(sess.profile),
        retention_days=settings.retention_days,
    )


@router.post(
    "/sessions/{session_id}/handoff",
    response_model=ReplyOut,
    summary="转人工",
    responses={**NOT_FOUND, 429: ERRORS[429]},
)
def handoff(session_id: SessionId, assistant: AssistantDep, store: StoreDep, guard: ChatGuardDep) -> Reply:
    """页面上的「转人工」按钮：建一张工单（已有未结束的工单时返回那一张），回答里带服务中心和工单号。"""
    _session(store, session_id)
    guard.session(session_id)
    return assistant.request_handoff(session_id)


@router.delete("/sessions/{session_id}", status_code=204, summary="删除我的对话", responses=NOT_FOUND)
def delete_session(session_id: SessionId, store: StoreDep) -> Response:
    """按《个人信息保护法》删除这个对话的全部消息、画像和转人工工单，不可恢复。"""
    if not store.delete_session(session_id):
        raise HTTPException(404, "没有这个对话，可能已经删除了。")
    return Response(status_code=204)


@router.get("/health", response_model=HealthOut, tags=["运维"], summary="健康检查")
def health(rt: RuntimeDep) -> HealthOut:
    """服务和知识库是否就绪；页面也从这里读消息字数上限和保存天数。"""
    mode: Literal["extractive", "llm"] = "llm" if rt.settings.llm_enabled else "extractive"
    docs = len({p.doc_id for p in rt.index.passages()})
    return HealthOut(
        status="ok",
        passages=rt.index.count(),
        documents=docs,
        mode=mode,
        max_message_chars=rt.settings.max_message_chars,
        retention_days=rt.settings.retention_days,
    )


def _session(store: Store, session_id: str):
    sess = store.get_session(session_id)
    if sess is None:
        raise HTTPException(404, "没有这个对话，可能已经删除或超过了保存期。请重新开始提问。")
    return sess


def _profile(raw: dict | None) -> Profile:
    try:
        return Profile(**(raw or {}))
    except ValueError:
        return Profile()
