"""Knowledge admin (admin staff only): upload a document, follow its ingest, list and remove documents."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, HTTPException, Request, Response, UploadFile
from fastapi import Path as PathParam

from assistant.store import JobInfo
from knowledge.errors import IngestError, UploadTooLarge
from knowledge.index import DocInfo, flag_names

from .deps import AdminDep, RuntimeDep, SettingsDep
from .jobs import Uploads
from .schemas import DOC_ID_PATTERN, ID_PATTERN, ConfirmIn, DocumentOut, ErrorOut, JobOut, Responses

router = APIRouter(prefix="/api/admin", tags=["知识库管理"])
ADMIN_ERRORS: Responses = {
    401: {"model": ErrorOut, "description": "未登录"},
    403: {"model": ErrorOut, "description": "不是管理员，或 CSRF 令牌不对"},
}


def _uploads(request: Request) -> Uploads:
    return request.app.state.uploads


@router.post(
    "/documents",
    response_model=JobOut,
    status_code=202,
    summary="上传文件并导入",
    responses={
        **ADMIN_ERRORS,
        413: {"model": ErrorOut, "description": "文件太大"},
        422: {"model": ErrorOut, "description": "文件读不出来（导入器给出的原因）"},
    },
)
def upload(
    request: Request,
    _admin: AdminDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="PDF、HTML、Markdown、TXT 或 YAML 文件")],
) -> JobOut:
    """先检查文件能否读出文字（不能就返回 422 和原因，文件不保留），再在后台导入；用 jobs 接口查看进度。"""
    limit = settings.upload_max_mb * 1024 * 1024
    try:
        job = _uploads(request).accept(file.file, file.filename, limit)
    except UploadTooLarge as exc:
        raise HTTPException(413, str(exc)) from exc
    except IngestError as exc:
        raise HTTPException(422, str(exc)) from exc
    return _job_out(job)


@router.get(
    "/jobs/{job_id}",
    response_model=JobOut,
    summary="导入进度",
    responses={**ADMIN_ERRORS, 404: {"model": ErrorOut, "description": "没有这个任务"}},
)
def job(
    request: Request, job_id: Annotated[str, PathParam(max_length=40, pattern=ID_PATTERN)], _admin: AdminDep
) -> JobOut:
    found = _uploads(request).get(job_id)
    if found is None:
        raise HTTPException(404, "没有这个导入任务（任务记录保留 30 天），请重新上传。")
    return _job_out(found)


@router.get(
    "/documents", response_model=list[DocumentOut], summary="知识库文件和有效期", responses=ADMIN_ERRORS
)
def documents(request: Request, _admin: AdminDep, rt: RuntimeDep) -> list[DocumentOut]:
    uploads, today = _uploads(request), date.today()
    return [_doc_out(d, today, uploads.is_upload(d.meta.source)) for d in rt.index.documents()]


@router.delete(
    "/documents/{doc_id}",
    status_code=204,
    summary="删除一个文件",
    responses={**ADMIN_ERRORS, 404: {"model": ErrorOut, "description": "没有这个文件"}},
)
def remove(
    request: Request,
    doc_id: Annotated[str, PathParam(max_length=200, pattern=DOC_ID_PATTERN)],
    _admin: AdminDep,
    rt: RuntimeDep,
) -> Response:
    """从索引里删掉它的全部段落。上传的文件一并删除；内置知识库的文件下次启动导入时会回来。"""
    source = next((d.meta.source for d in rt.index.documents() if d.meta.doc_id == doc_id), None)
    if not rt.index.remove_doc(doc_id):
        raise HTTPException(404, f"知识库里没有 doc_id 为 {doc_id} 的文件。")
    uploads = _uploads(request)
    if (
        source
        and uploads.is_upload(source)
        and not any(d.meta.source == source for d in rt.index.documents())
    ):
        Path(source).unlink(missing_ok=True)
    return Response(status_code=204)


@router.post(
    "/documents/{doc_id}/confirm",
    response_model=DocumentOut,
    summary="确认上传文件的标题、文号和发文单位",
    responses={**ADMIN_ERRORS, 404: {"model": ErrorOut, "description": "没有这个文件"}},
)
def confirm(
    request: Request,
    doc_id: Annotated[str, PathParam(max_length=200)],
    body: ConfirmIn,
    admin: AdminDep,
    rt: RuntimeDep,
) -> DocumentOut:
    """核对原文后确认：之后回答里按正式文件引用（显示文号），不再标“待审核”。文件内容再变就要重新确认。"""
    try:
        info = rt.index.confirm(
            doc_id,
            title=body.title.strip(),
            doc_number=(body.doc_number or "").strip() or None,
            issuer=(body.issuer or "").strip() or None,
            by=admin.username,
        )
    except KeyError as exc:
        raise HTTPException(404, f"知识库里没有 doc_id 为 {doc_id} 的文件。") from exc
    return _doc_out(info, date.today(), _uploads(request).is_upload(info.meta.source))


def _job_out(j: JobInfo) -> JobOut:
    return JobOut(
        id=j.id,
        filename=j.filename,
        status=j.status,
        files=j.files,
        passages=j.passages,
        done_passages=j.done_passages,
        error=j.error,
        doc_ids=list(j.doc_ids),
        flagged=list(j.flagged),
    )


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _doc_out(d: DocInfo, today: date, uploaded: bool) -> DocumentOut:
    m = d.meta
    return DocumentOut(
        doc_id=m.doc_id,
        kind=m.kind,
        title=m.title,
        doc_number=m.doc_number,
        issuer=m.issuer,
        region=m.region,
        effective_from=_iso(m.effective_from),
        effective_to=_iso(m.effective_to),
        superseded_by=m.superseded_by,
        valid=m.is_valid_on(today),
        sample=m.sample,
        passages=d.passages,
        uploaded=uploaded,
        review=m.review,
        flagged=d.flagged,
        flags=flag_names(d.reasons).split("、") if d.reasons else [],
    )
