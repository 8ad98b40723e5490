"""Account attributes that bear on risk, and the detector state a restarted gateway resumes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(
            sa.Column("verification", sa.String(16), nullable=False, server_default="none")
        )
        batch.add_column(sa.Column("org_type", sa.String(32), nullable=True))
        batch.add_column(
            sa.Column("affiliated_developer", sa.Boolean, nullable=False, server_default=sa.false())
        )
    op.create_table(
        "detector_state",
        sa.Column("account", sa.String(200), primary_key=True),
        sa.Column("state", sa.LargeBinary, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("detector_state")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("affiliated_developer")
        batch.drop_column("org_type")
        batch.drop_column("verification")
