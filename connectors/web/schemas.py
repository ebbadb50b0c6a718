"""Request and response bodies of the HTTP API, with the examples shown in the OpenAPI schema."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from assistant.reply import Center, Citation, Handoff, Profile, Reply

SESSION_PATTERN = r"^s_[A-Za-z0-9_-]{8,64}$"
# Staff text: surrounding spaces dropped, and then it may not be empty.
Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
Question = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]

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
REPLY_EXAMPLE = {
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
    "reason": "user_request",
    "status": "open",
    "center": {"id": "center-tech-service", "name": "科技创新服务窗口（示例）", "contact": "028-0000-2004"},
}


def _example(value: Any) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": [value]})


class ErrorOut(BaseModel):
    model_config = _example({"detail": "消息是空的，请输入你的问题。"})
    detail: str


class ChatIn(BaseModel):
    model_config = _example({"message": "算力券怎么申请？", "session_id": "s_E5XzyjqkQARYoMSD"})
    message: str = Field(description="创业者的问题（最多 max_message_chars 个字）。")
    session_id: str | None = Field(
        None, max_length=80, description="上次回答里的 session_id；不填则开始新对话。它是只给本人的凭据。"
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
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


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
            "reason": "user_request",
            "status": "open",
            "priority": 2,
            "summary": "原因：user_request。画像：赛道：低空经济。最近的问题：算力券怎么申请？",
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
    reason: str
    status: Literal["open", "claimed", "resolved"]
    priority: int
    summary: str
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
    curated_id: int
    case_id: str


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
