"""Admin only: review curated answers (approve, edit, reject, disable, delete) and see the staff list."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Response

from assistant.store import CuratedInfo, StaffInfo, Store

from .deps import AdminDep, CuratedDep, StoreDep
from .schemas import (
    CuratedEditIn,
    CuratedListOut,
    CuratedOut,
    CuratedReviewIn,
    ErrorOut,
    Responses,
    StaffAdminOut,
    StaffListOut,
    StaffPatchIn,
)

router = APIRouter(prefix="/api/admin", tags=["答复审核和账号"])
ERRORS: Responses = {
    401: {"model": ErrorOut, "description": "未登录"},
    403: {"model": ErrorOut, "description": "不是管理员，或 CSRF 令牌不对"},
}
FOUND = {**ERRORS, 404: {"model": ErrorOut, "description": "没有这一条"}}
CuratedId = Annotated[int, Path(ge=1, le=2**62, description="答复 id")]
StaffId = Annotated[int, Path(ge=1, le=2**62, description="工作人员 id")]
Status = Literal["draft", "approved", "rejected", "disabled", "all"]


@router.get(
    "/curated", response_model=CuratedListOut, summary="服务中心答复（草稿和已发布）", responses=ERRORS
)
def curated_list(
    _admin: AdminDep,
    store: StoreDep,
    status: Annotated[Status, Query(description="draft 待审核；all 全部")] = "draft",
) -> CuratedListOut:
    """最新的在前。只有 approved 的答复会回答创业者。"""
    items = store.curated_answers(None if status == "all" else status, limit=500)
    return CuratedListOut(items=[curated_out(c) for c in items])


@router.put("/curated/{curated_id}", response_model=CuratedOut, summary="修改答复", responses=FOUND)
def curated_edit(
    curated_id: CuratedId, body: CuratedEditIn, _admin: AdminDep, curated: CuratedDep
) -> CuratedOut:
    """改问题或答案（电话、身份证号会被遮盖）。已发布的答复改后回到草稿，需要再审核。"""
    return curated_out(curated.edit(curated_id, body.question, body.answer))


@router.post("/curated/{curated_id}/review", response_model=CuratedOut, summary="审核答复", responses=FOUND)
def curated_review(
    curated_id: CuratedId, body: CuratedReviewIn, admin: AdminDep, curated: CuratedDep
) -> CuratedOut:
    """approved：创业者问同样的问题时助手引用它，并导出为评测用例；rejected / disabled：不再使用。"""
    if body.status == "approved":
        item, case = curated.approve(curated_id, admin)
        return curated_out(item, case["id"])
    return curated_out(curated.review(curated_id, admin, body.status))


@router.delete("/curated/{curated_id}", status_code=204, summary="删除答复", responses=FOUND)
def curated_delete(curated_id: CuratedId, _admin: AdminDep, curated: CuratedDep) -> Response:
    if not curated.delete(curated_id):
        raise HTTPException(404, f"没有 id 为 {curated_id} 的答复，可能已经删除了。")
    return Response(status_code=204)


@router.get("/staff", response_model=StaffListOut, summary="工作人员账号", responses=ERRORS)
def staff_list(_admin: AdminDep, store: StoreDep) -> StaffListOut:
    return StaffListOut(items=[staff_admin_out(store, s) for s in store.list_staff()])


@router.patch(
    "/staff/{staff_id}",
    response_model=StaffAdminOut,
    summary="停用、启用或分配服务中心",
    responses={**FOUND, 409: {"model": ErrorOut, "description": "不能停用自己的账号"}},
)
def staff_patch(staff_id: StaffId, body: StaffPatchIn, admin: AdminDep, store: StoreDep) -> StaffAdminOut:
    """停用后该账号立即不能再操作。密码重置和删除账号用命令行：rongchuang staff reset-password / remove。"""
    staff = store.get_staff(staff_id)
    if staff is None:
        raise HTTPException(404, f"没有 id 为 {staff_id} 的工作人员。")
    if body.disabled is not None:
        if staff_id == admin.id and body.disabled:
            raise HTTPException(409, "不能停用自己的账号，请让另一位管理员操作。")
        staff = store.set_staff_disabled(staff_id, body.disabled)
    if body.centers is not None or body.own_centers_only is not None:
        centers = body.centers if body.centers is not None else store.staff_centers(staff_id)
        own = body.own_centers_only if body.own_centers_only is not None else staff.own_centers_only
        staff = store.set_staff_centers(staff_id, centers, own)
    return staff_admin_out(store, staff)


def curated_out(c: CuratedInfo, case_id: str | None = None) -> CuratedOut:
    return CuratedOut(
        id=c.id,
        question=c.question,
        answer=c.answer,
        status=c.status,
        center_name=c.center_name,
        handoff_id=c.handoff_id,
        author_name=c.author_name,
        created_at=c.created_at,
        reviewer_name=c.reviewer_name,
        reviewed_at=c.reviewed_at,
        case_id=case_id or (f"curated-{c.id}" if c.status == "approved" else None),
    )


def staff_admin_out(store: Store, s: StaffInfo) -> StaffAdminOut:
    return StaffAdminOut(
        id=s.id,
        username=s.username,
        display_name=s.display_name,
        is_admin=s.is_admin,
        disabled=s.disabled,
        centers=store.staff_centers(s.id),
        own_centers_only=s.own_centers_only,
        created_at=s.created_at,
    )
