"""Initial schema: sessions, messages, staff, handoffs, notes, curated answers, processed updates.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Spelled out here, not imported from models: a migration must not change when the models do.
ACTIVE = sa.text("status IN ('open', 'claimed')")


def json() -> sa.types.TypeEngine:
    return sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")


def stamp(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def fk(column: str, target: str, table: str, ondelete: str) -> sa.ForeignKeyConstraint:
    name = f"fk_{table}_{column}_{target.split('.')[0]}"
    return sa.ForeignKeyConstraint([column], [target], name=name, ondelete=ondelete)


def upgrade() -> None:
    op.create_table(
        "sessions",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("external_id", sa.String(128), nullable=True),
        stamp("created_at"),
        stamp("updated_at"),
        sa.Column("profile", json(), nullable=False),
        sa.Column("state", json(), nullable=False),
        sa.CheckConstraint("channel IN ('web', 'telegram', 'cli')", name="ck_sessions_channel"),
        sa.PrimaryKeyConstraint("id", name="pk_sessions"),
        sa.UniqueConstraint("channel", "external_id", name="uq_sessions_channel_external_id"),
    )
    op.create_index("ix_sessions_updated_at", "sessions", ["updated_at"])

    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("session_id", sa.String(32), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("payload", json(), nullable=True),
        stamp("created_at"),
        sa.Column("delivery", sa.String(16), nullable=True),
        sa.Column("delivery_attempts", sa.Integer(), nullable=False),
        sa.Column("delivery_error", sa.Text(), nullable=True),
        sa.CheckConstraint("role IN ('founder', 'assistant', 'staff', 'system')", name="ck_messages_role"),
        sa.CheckConstraint("delivery IN ('pending', 'delivered', 'failed')", name="ck_messages_delivery"),
        fk("session_id", "sessions.id", "messages", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_messages"),
        sqlite_autoincrement=True,  # never reuse an id: clients poll with `after`
    )
    op.create_index("ix_messages_session_id_id", "messages", ["session_id", "id"])
    op.create_index("ix_messages_delivery", "messages", ["delivery"])

    op.create_table(
        "staff",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(100), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        stamp("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_staff"),
        sa.UniqueConstraint("username", name="uq_staff_username"),
    )

    op.create_table(
        "handoffs",
        sa.Column("id", sa.String(16), nullable=False),
        sa.Column("session_id", sa.String(32), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("profile", json(), nullable=False),
        sa.Column("transcript", json(), nullable=False),
        sa.Column("citations", json(), nullable=False),
        sa.Column("center_id", sa.String(64), nullable=True),
        sa.Column("center_name", sa.String(200), nullable=True),
        sa.Column("center_contact", sa.String(200), nullable=True),
        sa.Column("claimed_by", sa.Integer(), nullable=True),
        stamp("claimed_at", nullable=True),
        stamp("resolved_at", nullable=True),
        sa.Column("resolved_by", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        stamp("created_at"),
        sa.CheckConstraint(
            "reason IN ('user_request', 'complaint', 'low_confidence', 'eligibility', 'sensitive')",
            name="ck_handoffs_reason",
        ),
        sa.CheckConstraint("status IN ('open', 'claimed', 'resolved')", name="ck_handoffs_status"),
        sa.CheckConstraint("priority BETWEEN 1 AND 3", name="ck_handoffs_priority"),
        fk("session_id", "sessions.id", "handoffs", "CASCADE"),
        fk("claimed_by", "staff.id", "handoffs", "SET NULL"),
        fk("resolved_by", "staff.id", "handoffs", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_handoffs"),
    )
    op.create_index("ix_handoffs_session_id", "handoffs", ["session_id"])
    op.create_index("ix_handoffs_center_id", "handoffs", ["center_id"])
    op.create_index("ix_handoffs_queue", "handoffs", ["status", "priority", "created_at"])
    # At most one open or claimed handoff per session, even when two requests race.
    op.create_index(
        "uq_handoffs_active_session",
        "handoffs",
        ["session_id"],
        unique=True,
        sqlite_where=ACTIVE,
        postgresql_where=ACTIVE,
    )

    op.create_table(
        "handoff_notes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("handoff_id", sa.String(16), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        stamp("created_at"),
        fk("handoff_id", "handoffs.id", "handoff_notes", "CASCADE"),
        fk("staff_id", "staff.id", "handoff_notes", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_handoff_notes"),
    )
    op.create_index("ix_handoff_notes_handoff_id", "handoff_notes", ["handoff_id"])

    op.create_table(
        "curated_answers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("center_name", sa.String(200), nullable=True),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("handoff_id", sa.String(16), nullable=True),
        stamp("created_at"),
        fk("staff_id", "staff.id", "curated_answers", "SET NULL"),
        fk("handoff_id", "handoffs.id", "curated_answers", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_curated_answers"),
    )

    op.create_table(
        "processed_updates",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        stamp("processed_at"),
        sa.PrimaryKeyConstraint("update_id", name="pk_processed_updates"),
    )
    op.create_index("ix_processed_updates_processed_at", "processed_updates", ["processed_at"])


def downgrade() -> None:
    # Children before parents.
    for table in ("processed_updates", "curated_answers", "handoff_notes", "handoffs", "messages", "staff"):
        op.drop_table(table)
    op.drop_table("sessions")
