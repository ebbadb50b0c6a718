"""What the store hands out: errors and small frozen records (never live ORM rows).

StoreError
├── NotFound        an id that does not exist (session, message, handoff, staff)
├── ClaimConflict   the handoff is held by someone else or already resolved
├── Forbidden       the staff member may not do this to this handoff
├── Duplicate       a username that is already taken
└── TooMany         too many corrections from one staff member in an hour
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from knowledge.errors import RongchuangError

from ..reply import Center, Handoff, HandoffReason, HandoffStatus

Channel = Literal["web", "telegram", "cli", "wecom_kf", "wechat_oa"]
Role = Literal["founder", "assistant", "staff", "system"]
Delivery = Literal["pending", "delivered", "failed"]

CHANNELS: tuple[str, ...] = ("web", "telegram", "cli", "wecom_kf", "wechat_oa")
# Channels whose replies a connector pushes through the delivery outbox (web and cli clients poll).
PUSHED: tuple[str, ...] = ("telegram", "wecom_kf", "wechat_oa")
OUTBOX_STATUSES: tuple[str, ...] = ("pending", "held", "sent", "failed")
ROLES: tuple[str, ...] = ("founder", "assistant", "staff", "system")
DELIVERIES: tuple[str, ...] = ("pending", "delivered", "failed")
REASONS: tuple[str, ...] = ("user_request", "complaint", "low_confidence", "eligibility", "sensitive")
STATUSES: tuple[str, ...] = ("open", "claimed", "resolved")
CURATED_STATUSES: tuple[str, ...] = ("draft", "approved", "rejected", "disabled")
CuratedStatus = Literal["draft", "approved", "rejected", "disabled"]


class StoreError(RongchuangError):
    """Base of every error the store raises on purpose."""


class NotFound(StoreError):
    def __init__(self, what: str, ident: object) -> None:
        self.what = what
        self.ident = ident
        super().__init__(f"找不到{what}：{ident}")


class ClaimConflict(StoreError):
    def __init__(self, handoff_id: str, status: str, claimed_by: int | None) -> None:
        self.handoff_id = handoff_id
        self.status = status
        self.claimed_by = claimed_by
        if status == "resolved":
            text = f"工单 {handoff_id} 已经处理完毕，无需再认领或结案。"
        else:
            text = f"工单 {handoff_id} 已被其他工作人员（#{claimed_by}）认领，请刷新列表后选择其他工单。"
        super().__init__(text)


class Forbidden(StoreError):
    pass


class Duplicate(StoreError):
    pass


class TooMany(StoreError):
    def __init__(self, text: str, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(text)


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """A conversation. `id` is an unguessable bearer token: whoever holds it can read the session."""

    id: str
    channel: Channel
    external_id: str | None
    created_at: datetime
    updated_at: datetime
    profile: dict[str, Any] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MessageInfo:
    id: int
    session_id: str
    role: Role
    text: str
    payload: Any
    created_at: datetime
    delivery: Delivery | None = None
    delivery_attempts: int = 0
    delivery_error: str | None = None

    def transcript_item(self) -> dict[str, str]:
        return {"role": self.role, "text": self.text, "created_at": self.created_at.isoformat()}


@dataclass(frozen=True, slots=True)
class HandoffInfo:
    id: str
    session_id: str
    reason: HandoffReason
    status: HandoffStatus
    priority: int
    summary: str
    profile: dict[str, Any]
    transcript: list[dict[str, Any]]
    citations: list[dict[str, Any]]
    center_id: str | None
    center_name: str | None
    center_contact: str | None
    claimed_by: int | None
    claimed_at: datetime | None
    resolved_at: datetime | None
    resolved_by: int | None
    outcome: str | None
    created_at: datetime
    number: str | None = None

    @property
    def center(self) -> dict[str, str]:
        return {
            "id": self.center_id or "",
            "name": self.center_name or "",
            "contact": self.center_contact or "",
        }

    def as_reply_handoff(self) -> Handoff:
        """The shape `Reply.handoff` carries to the founder (no transcript, no internal fields)."""
        return Handoff(
            id=self.id,
            number=self.number,
            reason=self.reason,
            center=Center(**self.center),
            status=self.status,
        )


@dataclass(frozen=True, slots=True)
class NoteInfo:
    id: int
    handoff_id: str
    staff_id: int | None
    text: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class StaffInfo:
    id: int
    username: str
    display_name: str
    password_hash: str = field(repr=False)
    is_admin: bool
    created_at: datetime
    disabled: bool = False
    own_centers_only: bool = False
    credentials_changed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class CuratedInfo:
    id: int
    question: str
    answer: str
    center_name: str | None
    staff_id: int | None
    handoff_id: str | None
    created_at: datetime
    status: CuratedStatus = "draft"
    question_key: str = ""
    vector: list[float] | None = field(default=None, repr=False)
    author_name: str | None = None
    reviewed_by: int | None = None
    reviewer_name: str | None = None
    reviewed_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class JobInfo:
    """An upload being ingested (status: queued, running, done, failed)."""

    id: str
    filename: str
    status: str
    files: int
    passages: int
    done_passages: int
    error: str | None
    doc_ids: list[Any]
    flagged: list[Any]  # the ingest screen's findings, one line a document
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class DeliveryInfo:
    """One outbox row: something to send to a founder through a connector.

    `held`: waiting for the founder to write again (a reply window closed); `error` says why.
    """

    id: int
    session_id: str
    message_id: int | None
    channel: Channel
    target: str
    body: dict[str, Any]
    status: str
    attempts: int
    not_before: datetime
    lease_owner: str | None
    lease_until: datetime | None
    error: str | None
    created_at: datetime
    sent_at: datetime | None
