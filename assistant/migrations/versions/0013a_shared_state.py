"""Shared state for several web workers: staff sessions, upload jobs, rate-limit hits, leases.

Revision ID: 0013a
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0013a"
down_revision = "0014"
branch_labels = None
depends_on = None


def json() -> sa.types.TypeEngine:
    return sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")


def stamp(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "staff_sessions",
        sa.Column("nonce", sa.String(64), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        stamp("created_at"),
        stamp("expires_at"),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name="fk_staff_sessions_staff_id_staff", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("nonce", name="pk_staff_sessions"),
    )
    op.create_index("ix_staff_sessions_staff_id", "staff_sessions", ["staff_id"])
    op.create_index("ix_staff_sessions_expires_at", "staff_sessions", ["expires_at"])

    op.create_table(
        "upload_jobs",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("files", sa.Integer(), nullable=False),
        sa.Column("passages", sa.Integer(), nullable=False),
        sa.Column("done_passages", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("doc_ids", json(), nullable=False),
        sa.Column("flagged", json(), nullable=False),
        stamp("created_at"),
        stamp("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_upload_jobs"),
    )
    op.create_index("ix_upload_jobs_updated_at", "upload_jobs", ["updated_at"])

    op.create_table(
        "rate_hits",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("bucket", sa.String(32), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_rate_hits"),
    )
    op.create_index("ix_rate_hits_bucket_key_at", "rate_hits", ["bucket", "key", "at"])

    op.create_table(
        "leases",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("holder", sa.String(64), nullable=False),
        stamp("expires_at"),
        sa.PrimaryKeyConstraint("name", name="pk_leases"),
    )


def downgrade() -> None:
    for table in ("leases", "rate_hits", "upload_jobs", "staff_sessions"):
        op.drop_table(table)
