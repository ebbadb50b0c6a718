"""The staff console's API: log in, work the handoff queue, reply, note, resolve, correct the bot."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Response

from assistant.store import HandoffInfo, SessionInfo, StaffInfo, Store

from .auth import COOKIE, start_session, verify_password
from .deps import (
    ClientIpDep,
    CsrfDep,
    CuratedDep,
    LimitsDep,
    SettingsDep,
    SignerDep,
    StaffDep,
    StoreDep,
    TokenDep,
)
from .schemas import (
    ID_PATTERN,
    CorrectIn,
    CorrectOut,
    ErrorOut,
    LoginIn,
    LoginOut,
    QueueOut,
    ResolveIn,
    Responses,
    StaffOut,
    TextIn,
    TicketDetailOut,
    TicketOut,
)
from .security import too_many
from .views import staff_names, staff_out, ticket_detail, ticket_out

auth = APIRouter(prefix="/api/staff", tags=["工作人员登录"])
router = APIRouter(prefix="/api/handoffs", tags=["转人工工单"])
HandoffId = Annotated[
    str, Path(max_length=64, pattern=ID_PATTERN, description="工单 id，如 h_I_RUiqVOz3BI（不是六位工单号）。")
]
AUTH_ERRORS: Responses = {
    401: {"model": ErrorOut, "description": "未登录"},
    403: {"model": ErrorOut, "description": "CSRF 令牌不对或无权限"},
}
TICKET_ERRORS: Responses = {**AUTH_ERRORS, 404: {"model": ErrorOut, "description": "没有这张工单"}}
Status = Literal["open", "claimed", "resolved", "active", "all"]
Reason = Literal["user_request", "complaint", "low_confidence", "eligibility", "sensitive"]


@auth.post(
    "/login",
    response_model=LoginOut,
    summary="登录",
    responses={
        401: {"model": ErrorOut, "description": "用户名或密码不对"},
        429: {"model": ErrorOut, "description": "失败次数太多，稍后再试"},
    },
)
def login(
    body: LoginIn,
    response: Response,
    store: StoreDep,
    signer: SignerDep,
    limits: LimitsDep,
    ip: ClientIpDep,
    settings: SettingsDep,
) -> LoginOut:
    """设置 HttpOnly 会话 Cookie，并返回 csrf_token。同一 IP 或同一用户名 15 分钟内失败 5 次后暂停登录。"""
    user_key = body.username.strip().lower()
    wait = limits.login_ip.retry_after(ip) or limits.login_user.retry_after(user_key)
    if wait:
        raise too_many(wait, "登录失败次数太多")
    staff = store.get_staff_by_username(body.username)
    if not verify_password(body.password, staff.password_hash if staff else None) or staff is None:
        limits.login_ip.record(ip)
        limits.login_user.record(user_key)
        raise HTTPException(401, "用户名或密码不正确。")
    if staff.disabled:
        raise HTTPException(401, "账号已停用，请联系管理员。")
    raw, tok = start_session(signer, store, staff.id)
    response.set_cookie(
        COOKIE,
        raw,
        max_age=signer.ttl,
        httponly=True,
        samesite="strict",
        secure=settings.env == "production",
        path="/",
    )
    return LoginOut(csrf_token=signer.csrf(tok), staff=StaffOut(**staff_out(staff)))


@auth.post("/logout", status_code=204, summary="退出登录", responses=AUTH_ERRORS)
def logout(_staff: CsrfDep, tok: TokenDep, store: StoreDep) -> Response:
    """结束这次登录：所有服务进程上立即失效。"""
    store.end_staff_session(tok.nonce)
    response = Response(status_code=204)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response


@auth.get("/me", response_model=LoginOut, summary="当前登录的工作人员", responses=AUTH_ERRORS)
def me(staff: StaffDep, tok: TokenDep, signer: SignerDep) -> LoginOut:
    """刷新页面后用它取回 csrf_token。"""
    return LoginOut(csrf_token=signer.csrf(tok), staff=StaffOut(**staff_out(staff)))


@router.get("", response_model=QueueOut, summary="工单队列", responses=AUTH_ERRORS)
def queue(
    staff: StaffDep,
    store: StoreDep,
    settings: SettingsDep,
    status: Annotated[Status, Query(description="active = 待认领和处理中；all = 全部")] = "open",
    center: Annotated[str | None, Query(max_length=80, pattern=ID_PATTERN, description="服务中心 id")] = None,
    reason: Annotated[Reason | None, Query(description="转人工原因")] = None,
    older_than: Annotated[int | None, Query(ge=0, le=525600, description="只看等了超过这么多分钟的")] = None,
    q: Annotated[
        str | None,
        Query(max_length=64, description="工单号（六位数字，可只写开头几位）；写了就不看其他筛选条件"),
    ] = None,
) -> QueueOut:
    """最急的在前（投诉、敏感问题优先），同级按等待时间。每张工单带等待分钟数和是否超时。
    带 q 时按工单号找（所有状态，新的在前）。设为“只看本中心”的工作人员只看到分配给自己服务中心的工单。"""
    scope = _scope(store, staff)
    if q and q.strip():
        tickets = [t for t in store.find_handoffs(q) if scope is None or t.center_id in scope]
    else:
        statuses = {"active": ("open", "claimed"), "all": None}.get(status, status)
        tickets = store.list_handoffs(
            statuses,
            center_id=center or None,
            reason=reason,
            older_than_minutes=older_than,
            limit=200,
            center_ids=scope,
        )
    names, target = staff_names(store), settings.response_target_minutes
    sessions = _sessions(store, tickets)
    return QueueOut(
        items=[ticket_out(t, names, target, sessions[t.session_id]) for t in tickets], target_minutes=target
    )


@router.get("/{handoff_id}", response_model=TicketDetailOut, summary="工单详情", responses=TICKET_ERRORS)
def detail(handoff_id: HandoffId, staff: StaffDep, store: StoreDep, settings: SettingsDep) -> TicketDetailOut:
    """对话全文、助手引用的原文、创业者画像、建议的服务中心、内部备注和回复的投递状态。"""
    ticket = _ticket(store, handoff_id)
    scope = _scope(store, staff)
    if scope is not None and ticket.center_id not in scope:
        raise HTTPException(403, "这张工单不属于你的服务中心；如需处理，请联系管理员分配。")
    return ticket_detail(store, ticket, settings.response_target_minutes)


@router.post(
    "/{handoff_id}/claim",
    response_model=TicketOut,
    summary="认领",
    responses={**TICKET_ERRORS, 409: {"model": ErrorOut, "description": "已被别人认领或已结案"}},
)
def claim(handoff_id: HandoffId, staff: CsrfDep, store: StoreDep, settings: SettingsDep) -> TicketOut:
    """原子操作：两人同时认领，只有一人成功，另一人得到 409。"""
    ticket = store.claim_handoff(handoff_id, staff.id)
    return ticket_out(
        ticket, staff_names(store), settings.response_target_minutes, store.get_session(ticket.session_id)
    )


@router.post("/{handoff_id}/reply", status_code=201, summary="回复创业者", responses=TICKET_ERRORS)
def reply(handoff_id: HandoffId, body: TextIn, staff: CsrfDep, store: StoreDep) -> dict:
    """回复会出现在创业者的对话里（网页几秒内可见；Telegram 由机器人推送）。需要先认领。"""
    msg = store.staff_reply(handoff_id, staff.id, body.text)
    return {"id": msg.id, "delivery": msg.delivery}


@router.post("/{handoff_id}/note", status_code=201, summary="内部备注", responses=TICKET_ERRORS)
def note(handoff_id: HandoffId, body: TextIn, staff: CsrfDep, store: StoreDep) -> dict:
    """只有工作人员能看到，创业者看不到。"""
    n = store.add_note(handoff_id, staff.id, body.text)
    return {"id": n.id}


@router.post(
    "/{handoff_id}/resolve",
    response_model=TicketOut,
    summary="结案",
    responses={**TICKET_ERRORS, 409: {"model": ErrorOut, "description": "已经结案"}},
)
def resolve(
    handoff_id: HandoffId, body: ResolveIn, staff: CsrfDep, store: StoreDep, settings: SettingsDep
) -> TicketOut:
    ticket = store.resolve_handoff(handoff_id, staff.id, body.outcome)
    return ticket_out(
        ticket, staff_names(store), settings.response_target_minutes, store.get_session(ticket.session_id)
    )


@router.post(
    "/{handoff_id}/correct",
    response_model=CorrectOut,
    status_code=201,
    summary="标记答错并写正确答案",
    responses={**TICKET_ERRORS, 429: {"model": ErrorOut, "description": "一小时内提交太多"}},
)
def correct(
    handoff_id: HandoffId, body: CorrectIn, staff: CsrfDep, store: StoreDep, curated: CuratedDep
) -> CorrectOut:
    """存为草稿（电话、身份证号等会被遮盖）：管理员审核通过后，同样的问题助手才会引用它。
    只有认领这张工单的人或管理员可以提交；每人每小时有上限。"""
    item = curated.submit(_ticket(store, handoff_id), staff, body.question, body.answer)
    return CorrectOut(curated_id=item.id, status="draft")


def _scope(store: Store, staff: StaffInfo) -> list[str] | None:
    """The centers whose tickets this staff member sees, or None for all."""
    return store.staff_centers(staff.id) if staff.own_centers_only and not staff.is_admin else None


def _ticket(store: Store, handoff_id: str) -> HandoffInfo:
    ticket = store.get_handoff(handoff_id)
    if ticket is None:
        raise HTTPException(404, f"没有工单 {handoff_id}，可能创业者已删除了对话。")
    return ticket


def _sessions(store: Store, tickets: list[HandoffInfo]) -> dict[str, SessionInfo | None]:
    out: dict[str, SessionInfo | None] = {}
    for t in tickets:
        if t.session_id not in out:
            out[t.session_id] = store.get_session(t.session_id)
    return out
