"""The tables. Migrations in `assistant/migrations/` must match these (a test compares them)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy import (
    text as sql_text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from .records import CHANNELS, CURATED_STATUSES, DELIVERIES, OUTBOX_STATUSES, REASONS, ROLES, STATUSES

# Deterministic constraint names, so later migrations can refer to them on both backends.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# none_as_null: a missing payload is SQL NULL, not the JSON text 'null'.
JSONType = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


def utcnow() -> datetime:
    return datetime.now(UTC)


def one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on both backends (SQLite stores naive text, so the zone is added back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: the store only accepts timezone-aware values")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime()}


class SessionRow(Base):
    __tablename__ = "sessions"
    __table_args__ = (
        UniqueConstraint("channel", "external_id", name="uq_sessions_channel_external_id"),
        CheckConstraint(one_of("channel", CHANNELS), name="channel"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime] = mapped_column(index=True)
    profile: Mapped[dict[str, Any]] = mapped_column(JSONType)
    state: Mapped[dict[str, Any]] = mapped_column(JSONType)


class MessageRow(Base):
    __tablename__ = "messages"
    __table_args__ = (
        CheckConstraint(one_of("role", ROLES), name="role"),
        CheckConstraint(one_of("delivery", DELIVERIES), name="delivery"),
        Index("ix_messages_session_id_id", "session_id", "id"),
        # AUTOINCREMENT: SQLite must never reuse an id, or a client polling with `after` misses messages.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    payload: Mapped[Any | None] = mapped_column(JSONType)
    created_at: Mapped[datetime]
    delivery: Mapped[str | None] = mapped_column(String(16), index=True)
    delivery_attempts: Mapped[int] = mapped_column(Integer, default=0)
    delivery_error: Mapped[str | None] = mapped_column(Text)


class StaffRow(Base):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    disabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sql_text("false"))
    # True: the queue shows only tickets of the centers in staff_centers.
    own_centers_only: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sql_text("false"))
    # Logins issued before this (a password reset, a disable) are no longer accepted.
    credentials_changed_at: Mapped[datetime | None]


class StaffCenterRow(Base):
    """Which service centers a staff member works for."""

    __tablename__ = "staff_centers"

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True)
    center_id: Mapped[str] = mapped_column(String(64), primary_key=True)


ACTIVE = ("open", "claimed")


class HandoffRow(Base):
    __tablename__ = "handoffs"
    __table_args__ = (
        CheckConstraint(one_of("reason", REASONS), name="reason"),
        CheckConstraint(one_of("status", STATUSES), name="status"),
        CheckConstraint("priority BETWEEN 1 AND 3", name="priority"),
        # Backstop for "one open handoff per session" when two requests race.
        Index(
            "uq_handoffs_active_session",
            "session_id",
            unique=True,
            sqlite_where=sql_text(one_of("status", ACTIVE)),
            postgresql_where=sql_text(one_of("status", ACTIVE)),
        ),
        Index("ix_handoffs_queue", "status", "priority", "created_at"),
        Index("uq_handoffs_number", "number", unique=True),
    )

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    # Six digits a founder can read out on the phone; the unguessable id stays in URLs.
    number: Mapped[str | None] = mapped_column(String(8))
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    priority: Mapped[int] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(Text)
    profile: Mapped[dict[str, Any]] = mapped_column(JSONType)
    transcript: Mapped[list[Any]] = mapped_column(JSONType)
    citations: Mapped[list[Any]] = mapped_column(JSONType)
    center_id: Mapped[str | None] = mapped_column(String(64), index=True)
    center_name: Mapped[str | None] = mapped_column(String(200))
    center_contact: Mapped[str | None] = mapped_column(String(200))
    claimed_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    claimed_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    # Who closed it: an admin may close a ticket someone else claimed.
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    outcome: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


class NoteRow(Base):
    """Internal notes on a handoff: staff only, never shown to founders."""

    __tablename__ = "handoff_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    handoff_id: Mapped[str] = mapped_column(ForeignKey("handoffs.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class CuratedRow(Base):
    """A staff correction: a draft until an admin approves it; only approved rows reach founders."""

    __tablename__ = "curated_answers"
    __table_args__ = (
        CheckConstraint(one_of("status", CURATED_STATUSES), name="status"),
        # The founder-side lookup: exact normalised question among approved answers.
        Index("ix_curated_answers_lookup", "status", "question_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    center_name: Mapped[str | None] = mapped_column(String(200))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    # SET NULL: the curated answer outlives the founder's conversation (its text is masked).
    handoff_id: Mapped[str | None] = mapped_column(ForeignKey("handoffs.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="draft", server_default="draft")
    question_key: Mapped[str] = mapped_column(String(200), default="", server_default="")
    vector: Mapped[list[float] | None] = mapped_column(JSONType)  # e5 query vector, set on approval
    author_name: Mapped[str | None] = mapped_column(String(100))
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    reviewer_name: Mapped[str | None] = mapped_column(String(100))
    reviewed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime | None] = mapped_column(index=True)


class ProcessedUpdate(Base):
    """Telegram update ids already handled, so a redelivered webhook is not answered twice."""

    __tablename__ = "processed_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    processed_at: Mapped[datetime] = mapped_column(index=True)


class StaffSessionRow(Base):
    """A staff login; deleting the row ends it on every worker (logout, or expiry swept by purge)."""

    __tablename__ = "staff_sessions"

    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class UploadJobRow(Base):
    """A knowledge upload being ingested, with progress any worker can report."""

    __tablename__ = "upload_jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16))
    files: Mapped[int] = mapped_column(Integer, default=0)
    passages: Mapped[int] = mapped_column(Integer, default=0)
    done_passages: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    doc_ids: Mapped[list[Any]] = mapped_column(JSONType)
    flagged: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime] = mapped_column(index=True)


class RateHitRow(Base):
    """One counted request of a rate limit (sliding window): `at` is seconds since the epoch."""

    __tablename__ = "rate_hits"
    __table_args__ = (Index("ix_rate_hits_bucket_key_at", "bucket", "key", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    bucket: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(200))
    at: Mapped[float] = mapped_column(Float)


class LeaseRow(Base):
    """A job only one process may do at a time (the Telegram sender): held until `expires_at`."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime]


class DeliveryRow(Base):
    """The outbox every pushed channel shares: written with the message, sent under a lease."""

    __tablename__ = "deliveries"
    __table_args__ = (
        CheckConstraint(one_of("status", OUTBOX_STATUSES), name="status"),
        Index("ix_deliveries_due", "channel", "status", "not_before"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(128))
    body: Mapped[dict[str, Any]] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime]
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class InboundRow(Base):
    """Vendor message ids taken in (微信客服 msgid, 公众号 MsgId or FromUserName+CreateTime).

    `done` is set in the transaction that queues the answer, so a worker killed mid-turn leaves the
    key claimable again once `claimed_at` is stale, and a redelivery of a done one is ignored."""

    __tablename__ = "inbound_seen"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    claimed_at: Mapped[datetime] = mapped_column(index=True)


class CursorRow(Base):
    """Where a pull (微信客服 kf/sync_msg, per open_kfid) got to, so a restart neither loses nor repeats."""

    __tablename__ = "sync_cursors"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    cursor: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]
