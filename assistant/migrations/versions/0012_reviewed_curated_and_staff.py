"""Curated answers are reviewed (draft → approved by an admin, indexed lookup); staff can be disabled,
reset and assigned to service centers.

Revision ID: 0012
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import re
import unicodedata

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0012"
down_revision = "0013a"
branch_labels = None
depends_on = None

# Spelled out here, not imported: a migration must not change when the code does.
_PUNCT = re.compile(r"[\W_]+")


def _key(question: str) -> str:
    return _PUNCT.sub("", unicodedata.normalize("NFKC", question)).lower()[:200]


def json() -> sa.types.TypeEngine:
    return sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")


def stamp(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=True)


def upgrade() -> None:
    with op.batch_alter_table("staff") as b:
        b.add_column(sa.Column("disabled", sa.Boolean(), nullable=False, server_default=sa.text("false")))
        b.add_column(
            sa.Column("own_centers_only", sa.Boolean(), nullable=False, server_default=sa.text("false"))
        )
        b.add_column(stamp("credentials_changed_at"))
    op.create_table(
        "staff_centers",
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("center_id", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name="fk_staff_centers_staff_id_staff", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("staff_id", "center_id", name="pk_staff_centers"),
    )
    # Existing corrections were never reviewed: they become drafts an admin must approve.
    with op.batch_alter_table("curated_answers") as b:
        b.add_column(sa.Column("status", sa.String(16), nullable=False, server_default="draft"))
        b.add_column(sa.Column("question_key", sa.String(200), nullable=False, server_default=""))
        b.add_column(sa.Column("vector", json(), nullable=True))
        b.add_column(sa.Column("author_name", sa.String(100), nullable=True))
        b.add_column(sa.Column("reviewed_by", sa.Integer(), nullable=True))
        b.add_column(sa.Column("reviewer_name", sa.String(100), nullable=True))
        b.add_column(stamp("reviewed_at"))
        b.add_column(stamp("updated_at"))
        b.create_check_constraint(
            "ck_curated_answers_status", sa.text("status IN ('draft', 'approved', 'rejected', 'disabled')")
        )
        b.create_foreign_key(
            "fk_curated_answers_reviewed_by_staff", "staff", ["reviewed_by"], ["id"], ondelete="SET NULL"
        )
        b.create_index("ix_curated_answers_lookup", ["status", "question_key"])
        b.create_index("ix_curated_answers_updated_at", ["updated_at"])
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, question FROM curated_answers")).fetchall()
    for ident, question in rows:
        conn.execute(
            sa.text("UPDATE curated_answers SET question_key = :k WHERE id = :i"),
            {"k": _key(question), "i": ident},
        )


def downgrade() -> None:
    with op.batch_alter_table("curated_answers") as b:
        b.drop_index("ix_curated_answers_updated_at")
        b.drop_index("ix_curated_answers_lookup")
        b.drop_constraint("fk_curated_answers_reviewed_by_staff", type_="foreignkey")
        b.drop_constraint("ck_curated_answers_status", type_="check")
        for col in (
            "updated_at",
            "reviewed_at",
            "reviewer_name",
            "reviewed_by",
            "author_name",
            "vector",
            "question_key",
            "status",
        ):
            b.drop_column(col)
    op.drop_table("staff_centers")
    with op.batch_alter_table("staff") as b:
        for col in ("credentials_changed_at", "own_centers_only", "disabled"):
            b.drop_column(col)
