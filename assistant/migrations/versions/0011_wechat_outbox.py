"""WeChat channels, one delivery outbox for every pushed channel, inbound dedupe and pull cursors.

Revision ID: 0011
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011"
down_revision = "0012"
branch_labels = None
depends_on = None

OLD_CHANNELS = "channel IN ('web', 'telegram', 'cli')"
NEW_CHANNELS = "channel IN ('web', 'telegram', 'cli', 'wecom_kf', 'wechat_oa')"


def json() -> sa.types.TypeEngine:
    return sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")


def stamp(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _channels(old: str, new: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        # Rebuilding `sessions` would cascade-delete every message (DROP TABLE runs an implicit DELETE
        # with foreign keys on, and the pragma cannot change inside this transaction). Widening a CHECK
        # leaves stored rows valid, the case SQLite's ALTER TABLE docs allow with writable_schema.
        version = op.get_bind().exec_driver_sql("PRAGMA schema_version").scalar()
        op.execute("PRAGMA writable_schema = ON")
        op.get_bind().exec_driver_sql(
            "UPDATE sqlite_master SET sql = replace(sql, ?, ?) WHERE type = 'table' AND name = 'sessions'",
            (old, new),
        )
        op.execute(f"PRAGMA schema_version = {int(version) + 1}")
        op.execute("PRAGMA writable_schema = OFF")
        return
    op.drop_constraint("ck_sessions_channel", "sessions", type_="check")
    op.create_check_constraint("ck_sessions_channel", "sessions", new)


def upgrade() -> None:
    _channels(OLD_CHANNELS, NEW_CHANNELS)
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("session_id", sa.String(32), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("target", sa.String(128), nullable=False),
        sa.Column("body", json(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        stamp("not_before"),
        sa.Column("lease_owner", sa.String(64), nullable=True),
        stamp("lease_until", nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        stamp("created_at"),
        stamp("sent_at", nullable=True),
        sa.CheckConstraint("status IN ('pending', 'held', 'sent', 'failed')", name="ck_deliveries_status"),
        sa.ForeignKeyConstraint(
            ["session_id"], ["sessions.id"], name="fk_deliveries_session_id_sessions", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name="fk_deliveries_message_id_messages", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_deliveries"),
    )
    op.create_index("ix_deliveries_session_id", "deliveries", ["session_id"])
    op.create_index("ix_deliveries_due", "deliveries", ["channel", "status", "not_before"])

    op.create_table(
        "inbound_seen",
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("done", sa.Boolean(), nullable=False),
        stamp("claimed_at"),
        sa.PrimaryKeyConstraint("key", name="pk_inbound_seen"),
    )
    op.create_index("ix_inbound_seen_claimed_at", "inbound_seen", ["claimed_at"])

    op.create_table(
        "sync_cursors",
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("cursor", sa.Text(), nullable=False),
        stamp("updated_at"),
        sa.PrimaryKeyConstraint("name", name="pk_sync_cursors"),
    )


def downgrade() -> None:
    for table in ("sync_cursors", "inbound_seen", "deliveries"):
        op.drop_table(table)
    op.execute("DELETE FROM sessions WHERE channel IN ('wecom_kf', 'wechat_oa')")
    _channels(NEW_CHANNELS, OLD_CHANNELS)
