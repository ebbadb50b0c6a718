"""Short ticket numbers founders and staff can say on the phone (e.g. 482913).

Revision ID: 0014
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("handoffs") as batch:
        batch.add_column(sa.Column("number", sa.String(8), nullable=True))
    conn = op.get_bind()
    ids = [row[0] for row in conn.execute(sa.text("SELECT id FROM handoffs ORDER BY created_at"))]
    taken: set[str] = set()
    for handoff_id in ids:  # tickets from before this revision get a number too
        number = str(100000 + secrets.randbelow(900000))
        while number in taken:
            number = str(100000 + secrets.randbelow(900000))
        taken.add(number)
        conn.execute(
            sa.text("UPDATE handoffs SET number = :n WHERE id = :id"), {"n": number, "id": handoff_id}
        )
    op.create_index("uq_handoffs_number", "handoffs", ["number"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_handoffs_number", table_name="handoffs")
    with op.batch_alter_table("handoffs") as batch:
        batch.drop_column("number")
