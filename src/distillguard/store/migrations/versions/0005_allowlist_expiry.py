"""An expiry on allowlisted accounts (a reviewer lets an account alone until a date), and an
index for the console's overview (cases opened and closed per day, from the audit log).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL: for good (a dismissal, and every label written before this revision).
    with op.batch_alter_table("review_labels") as batch:
        batch.add_column(sa.Column("expires_at", sa.Float, nullable=True))
    op.create_index("ix_audit_log_action_at", "audit_log", ["action", "at"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_action_at", table_name="audit_log")
    with op.batch_alter_table("review_labels") as batch:
        batch.drop_column("expires_at")
