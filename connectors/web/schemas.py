"""Request and response bodies of the HTTP API, with the examples shown in the OpenAPI schema."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from pydantic_core import PydanticCustomError

from assistant.reply import Center, Citation, Handoff, Profile, Reply

SESSION_PATTERN = r"^s_[A-Za-z0-9_-]{8,64}$"
ID_PATTERN = r"^[A-Za-z0-9_.-]+$"
DOC_ID_PATTERN = r"^[^\x00-\x1f\x7f/]+$"  # doc ids may be Chinese; never control characters
# Never storable or printable: lone surrogates (not UTF-8 at all) and NUL (PostgreSQL text refuses it).
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")
# Harmless in free text but never meant: BEL, ESC, backspace … (tab and newlines stay).
_STRAY_CONTROL = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ANY_CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")


def free_text(value: str) -> str:
    """Refuse what cannot be stored; drop stray control characters (a password of nothing else is
    then simply wrong: the schema allows it, so it is a failed login, not a 422)."""
    if _UNSTORABLE.search(value):
        raise PydanticCustomError("text_unstorable", "contains a lone surrogate or NUL")
    return _STRAY_CONTROL.sub("", value)


def filled_text(value: str) -> str:
    """Staff text: refuse what cannot be stored, drop stray control characters, strip what Python
    counts as whitespace (all of Unicode's, U+3000 and U+0085 included); something must be left."""
    cleaned = free_text(value).strip()
    if not cleaned:
        raise PydanticCustomError("string_too_short", "nothing left after stripping whitespace")
    return cleaned


def plain_token(value: str) -> str:
    """Identifiers and usernames hold no control characters: they are dropped (an id that then
    matches nothing is simply unknown; a username, a failed login)."""
    return _ANY_CONTROL.sub("", value)


# The same rules as JSON Schema patterns. Validators read them with ECMA or Rust regex engines, which
# neither spell surrogates (so the validators above refuse those) nor agree with Python on `\s`
# (U+0085 and U+001C–U+001F are whitespace to Python only, U+FEFF to ECMA only): the class spells
# out exactly what `str.strip()` removes.
BLANK = r"\t\n\x0b\x0c\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
FREE_PATTERN = r"^[^\x00]*$"
FILLED_PATTERN = rf"^[^\x00]*[^{BLANK}\x00-\x1f\x7f][^\x00]*$"  # something left after stripping
MESSAGE_PATTERN = rf"^[^\x00]*[^{BLANK}\x00][^\x00]*$"  # not blank


def storable_text(value: str) -> str:
    """Refuse what cannot be stored, change nothing else (the assistant counts the message's length)."""
    if _UNSTORABLE.search(value):
        raise PydanticCustomError("text_unstorable", "contains a lone surrogate or NUL")
    return value


Message = Annotated[str, AfterValidator(storable_text)]


# Lengths are checked on the text as sent, before control characters are dropped: a `Field(max_length=)`
# beside an AfterValidator would count what is left and accept a longer request than the schema allows.
SessionToken = Annotated[str, StringConstraints(max_length=80), AfterValidator(plain_token)]
Username = Annotated[str, StringConstraints(min_length=1, max_length=64), AfterValidator(plain_token)]
Password = Annotated[
    str,
    StringConstraints(min_length=1, max_length=256),
    AfterValidator(free_text),
    Field(json_schema_extra={"pattern": FREE_PATTERN}),
]


_FILLED = Field(json_schema_extra={"pattern": FILLED_PATTERN})
# Staff text: at most so many characters as sent (the limit counts surrounding spaces, as the schema
# says), then stripped, and then it may not be empty.
Line = Annotated[str, StringConstraints(min_length=1, max_length=1000), AfterValidator(filled_text), _FILLED]
Text = Annotated[str, StringConstraints(min_length=1, max_length=4000), AfterValidator(filled_text), _FILLED]
Question = Annotated[
    str, StringConstraints(min_length=1, max_length=2000), AfterValidator(filled_text), _FILLED
]

CITATION_EXAMPLE = {
    "n": 1,
    "doc_id": "guide-compute-voucher",
    "title": "算力券申领指南（示例）",
    "doc_number": None,
    "section": "二、谁可以申请",
    "kind": "guide",
    "sample": True,
    "text": "二、谁可以申请\n申请算力券的企业须在成都注册。",
    "score": 1.0,
    "region": "成都",
    "expired": False,
}
REPLY_EXAMPLE: dict[str, Any] = {
    "session_id": "s_E5XzyjqkQARYoMSD",
    "answer": "申请算力券的企业须在成都注册。[1]\n\n下一步怎么办：\n第一步，在申领平台注册企业账号并填写企业基本信息（示例）。[2]",
    "citations": [CITATION_EXAMPLE],
    "intent": "policy_question",
    "parks": [],
    "funds": [],
    "handoff": None,
    "profile": {"track": "人工智能", "stage": "seed", "needs": ["compute"]},
    "eligibility": [],
    "confidence": 0.92,
    "mode": "extractive",
    "notes": [],
}
HANDOFF_EXAMPLE = {
    "id": "h_I_RUiqVOz3BI",
    "number": "482913",
    "reason": "user_request",
    "status": "open",
    "center": {"id": "center-tech-service", "name": "科技创新服务窗口（示例）", "contact": "028-0000-2004"},
}


def _example(value: Any) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": [value]})


Responses = dict[int | str, dict[str, Any]]  # FastAPI's `responses=` shape


class ErrorOut(BaseModel):
    model_config = _example({"detail": "消息是空的，请输入你的问题。"})
    detail: str


class FieldErrorOut(BaseModel):
    loc: list[str] = Field(description="出错的位置，如 body.message。")
    msg: str = Field(description="中文说明。")
    type: str = Field(description="错误类别，如 missing、string_too_long、text_unstorable。")


class ValidationErrorOut(BaseModel):
    """What every 422 carries (the documented shape of FastAPI's validation errors is replaced)."""

    model_config = _example(
        {
            "detail": "请求格式不正确：缺少必填字段 “message”。",
            "errors": [{"loc": ["body", "message"], "msg": "缺少必填字段 “message”", "type": "missing"}],
        }
    )
    detail: str
    errors: list[FieldErrorOut] = []


class ChatIn(BaseModel):
    model_config = _example({"message": "算力券怎么申请？", "session_id": "s_E5XzyjqkQARYoMSD"})
    # Length and emptiness are the assistant's to refuse (413 / 422 with its own words, and the limit
    # is a setting); the schema documents the default so generated clients stay inside it.
    message: Message = Field(
        description="创业者的问题（最多 max_message_chars 个字，默认 2000）。",
        json_schema_extra={"minLength": 1, "maxLength": 2000, "pattern": MESSAGE_PATTERN},
    )
    session_id: SessionToken | None = Field(
        None, description="上次回答里的 session_id；不填则开始新对话。它是只给本人的凭据。"
    )


class ReplyOut(Reply):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [REPLY_EXAMPLE]})


class MessageOut(BaseModel):
    model_config = _example(
        {
            "id": 42,
            "role": "staff",
            "text": "您好，算力券今年的申报通知下周发布，我把链接发给您。",
            "created_at": "2026-05-12T09:30:00Z",
            "reply": None,
            "staff_name": "王老师",
        }
    )
    id: int
    role: Literal["founder", "assistant", "staff"]
    text: str
    created_at: datetime
    reply: Reply | None = Field(None, description="助手消息的完整回答（引用、园区、基金卡片）。")
    staff_name: str | None = Field(None, description="工作人员回复时的署名。")


class ConversationOut(BaseModel):
    model_config = _example(
        {
            "session_id": "s_E5XzyjqkQARYoMSD",
            "retention_days": 180,
            "handoff": HANDOFF_EXAMPLE,
            "profile": {"track": "低空经济", "stage": "seed"},
            "items": [
                {
                    "id": 41,
                    "role": "founder",
                    "text": "算力券怎么申请？",
                    "created_at": "2026-05-12T09:20:00Z",
                    "reply": None,
                    "staff_name": None,
                }
            ],
        }
    )
    session_id: str
    items: list[MessageOut]
    handoff: Handoff | None = Field(None, description="这个对话当前未结束的转人工工单。")
    profile: Profile
    retention_days: int = Field(description="对话保存多少天后自动删除。")


class HealthOut(BaseModel):
    model_config = _example(
        {
            "status": "ok",
            "passages": 329,
            "documents": 65,
            "mode": "extractive",
            "max_message_chars": 2000,
            "retention_days": 180,
        }
    )
    status: Literal["ok"]
    passages: int
    documents: int
    mode: Literal["extractive", "llm"]
    max_message_chars: int
    retention_days: int


# -- staff ------------------------------------------------------------------------------------------


class LoginIn(BaseModel):
    model_config = _example({"username": "wang", "password": "一段足够长的密码"})
    username: Username
    password: Password


class StaffOut(BaseModel):
    model_config = _example({"id": 3, "username": "wang", "display_name": "王老师", "is_admin": False})
    id: int
    username: str
    display_name: str
    is_admin: bool


class LoginOut(BaseModel):
    model_config = _example(
        {
            "csrf_token": "b1Yc0…",
            "staff": {"id": 3, "username": "wang", "display_name": "王老师", "is_admin": False},
        }
    )
    csrf_token: str = Field(description="之后每个修改类请求都要放在 X-CSRF-Token 请求头里。")
    staff: StaffOut


class TicketOut(BaseModel):
    model_config = _example(
        {
            "id": "h_I_RUiqVOz3BI",
            "number": "482913",
            "reason": "user_request",
            "status": "open",
            "priority": 2,
            "summary": "画像：赛道：低空经济；团队 3 人。最近的问题：算力券怎么申请？",
            "center": HANDOFF_EXAMPLE["center"],
            "created_at": "2026-05-12T09:21:00Z",
            "age_minutes": 134,
            "overdue": True,
            "claimed_by": None,
            "claimed_by_id": None,
            "channel": "web",
        }
    )
    id: str
    number: str | None = Field(None, description="六位工单号，电话里说这个；URL 里仍用 id。")
    reason: str
    status: Literal["open", "claimed", "resolved"]
    priority: int
    summary: str = Field(description="创业者现在的画像和最近的问题（画像随创业者更正而更新）。")
    center: Center
    created_at: datetime
    age_minutes: int = Field(description="工单已经等了多少分钟。")
    overdue: bool = Field(description="未结案且超过了响应时限（RONGCHUANG_RESPONSE_TARGET_MINUTES）。")
    claimed_by: str | None = None
    claimed_by_id: int | None = None
    channel: Literal["web", "telegram", "cli", "wecom_kf", "wechat_oa"] = "web"


class QueueOut(BaseModel):
    items: list[TicketOut]
    target_minutes: int


class ConsoleMessageOut(MessageOut):
    delivery: Literal["pending", "delivered", "failed"] | None = Field(
        None, description="发到 Telegram 等渠道的投递状态；网页对话为空。"
    )
    delivery_error: str | None = None


class NoteOut(BaseModel):
    id: int
    staff_name: str | None
    text: str
    created_at: datetime


class TicketDetailOut(TicketOut):
    profile: Profile
    citations: list[Citation] = Field(description="转人工前助手最后一次回答引用的原文。")
    messages: list[ConsoleMessageOut]
    notes: list[NoteOut] = Field(description="内部备注，创业者看不到。")
    outcome: str | None = None
    resolved_at: datetime | None = None
    delivery_failed: bool = Field(description="有工作人员回复没能送达创业者（例如 Telegram 投递失败）。")
    target_minutes: int


class TextIn(BaseModel):
    model_config = _example({"text": "您好，我是高新区服务中心的王老师，算力券的申报通知下周发布。"})
    text: Text


class ResolveIn(BaseModel):
    model_config = _example({"outcome": "已电话说明申报流程，创业者下周提交材料。"})
    outcome: Line


class CorrectIn(BaseModel):
    model_config = _example(
        {
            "question": "算力券怎么申请？",
            "answer": "算力券在成都市算力券申领平台线上申请，提交算力采购合同和项目说明，15 个工作日内审核。",
        }
    )
    question: Question
    answer: Text


class CorrectOut(BaseModel):
    model_config = _example({"curated_id": 12, "status": "draft"})
    curated_id: int
    status: Literal["draft"] = Field(description="草稿：管理员审核通过后才会回答创业者。")


class CuratedOut(BaseModel):
    model_config = _example(
        {
            "id": 12,
            "question": "算力券怎么申请？",
            "answer": "在成都市算力券申领平台线上申请。",
            "status": "approved",
            "center_name": "高新区创业服务中心",
            "handoff_id": "h_I_RUiqVOz3BI",
            "author_name": "王老师",
            "created_at": "2026-05-12T09:30:00Z",
            "reviewer_name": "李主任",
            "reviewed_at": "2026-05-12T10:02:00Z",
            "case_id": "curated-12",
        }
    )
    id: int
    question: str
    answer: str
    status: Literal["draft", "approved", "rejected", "disabled"]
    center_name: str | None
    handoff_id: str | None
    author_name: str | None = Field(description="写这条答复的工作人员。")
    created_at: datetime
    reviewer_name: str | None = Field(description="审核（通过、驳回或停用）的管理员。")
    reviewed_at: datetime | None
    case_id: str | None = Field(None, description="审核通过时导出的评测用例 id。")


class CuratedListOut(BaseModel):
    items: list[CuratedOut]


class CuratedEditIn(BaseModel):
    model_config = _example({"question": "算力券怎么申请？", "answer": "在成都市算力券申领平台线上申请。"})
    question: Question
    answer: Text


class CuratedReviewIn(BaseModel):
    model_config = _example({"status": "approved"})
    status: Literal["approved", "rejected", "disabled", "draft"] = Field(
        description="approved 通过（创业者可见）；rejected 驳回；disabled 停用；draft 退回草稿。"
    )


class StaffAdminOut(StaffOut):
    model_config = _example(
        {
            "id": 3,
            "username": "wang",
            "display_name": "王老师",
            "is_admin": False,
            "disabled": False,
            "centers": ["center-tech-service"],
            "own_centers_only": True,
            "created_at": "2026-05-01T08:00:00Z",
        }
    )
    disabled: bool
    centers: list[str]
    own_centers_only: bool = Field(description="只看自己服务中心的工单。")
    created_at: datetime


class StaffListOut(BaseModel):
    items: list[StaffAdminOut]


class StaffPatchIn(BaseModel):
    model_config = _example({"disabled": True})
    disabled: bool | None = None
    centers: list[Annotated[str, StringConstraints(max_length=64, pattern=ID_PATTERN)]] | None = Field(
        None, max_length=50
    )
    own_centers_only: bool | None = None


# -- knowledge admin --------------------------------------------------------------------------------


class JobOut(BaseModel):
    model_config = _example(
        {
            "id": "j_5c2f1a",
            "filename": "高新区算力券实施细则.pdf",
            "status": "running",
            "files": 1,
            "passages": 24,
            "done_passages": 16,
            "error": None,
            "doc_ids": [],
        }
    )
    id: str
    filename: str
    status: Literal["queued", "running", "done", "failed"]
    files: int = 0
    passages: int = 0
    done_passages: int = 0
    error: str | None = None
    doc_ids: list[str] = []
    flagged: list[str] = Field(
        [], description="导入时发现含指令、缴费要求、链接或账号的文件，每个一行；这些段落不会出现在回答里。"
    )


class DocumentOut(BaseModel):
    model_config = _example(
        {
            "doc_id": "chengdu-innovation-action-plan-2026",
            "kind": "policy",
            "title": "成都市激发产业创新活力专项行动方案",
            "doc_number": "川府发〔2026〕8号",
            "issuer": "成都市人民政府",
            "region": "成都",
            "effective_from": "2026-03-01",
            "effective_to": None,
            "superseded_by": None,
            "valid": True,
            "sample": False,
            "passages": 61,
            "uploaded": False,
            "review": "confirmed",
            "flagged": 0,
            "flags": [],
        }
    )
    doc_id: str
    kind: str
    title: str
    doc_number: str | None
    issuer: str | None
    region: str
    effective_from: str | None
    effective_to: str | None
    superseded_by: str | None
    valid: bool = Field(description="今天是否有效（未过期、未被取代）。")
    sample: bool
    passages: int
    uploaded: bool = Field(description="是否是通过管理页上传的文件。")
    review: Literal["confirmed", "pending"] = Field(
        "confirmed", description="pending：上传后还没有管理员确认标题、文号和发文单位，回答里标为“待审核”。"
    )
    flagged: int = Field(
        0, description="导入检查发现的可疑段落数（指令、缴费要求、链接、账号），不会出现在回答里。"
    )
    flags: list[str] = Field([], description="可疑段落的类别（中文）。")


class ConfirmIn(BaseModel):
    """管理员核对过的元数据：确认后，这个上传的文件在回答里按正式文件引用。"""

    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=200)
    doc_number: str | None = Field(None, max_length=100, description="文号，没有就留空。")
    issuer: str | None = Field(None, max_length=100, description="发文单位。")
