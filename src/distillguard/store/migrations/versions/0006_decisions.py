"""Policy decisions a detection worker publishes for the gateways: one row per account.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "decisions",
        sa.Column("account", sa.String(200), primary_key=True),
        sa.Column("decision", sa.LargeBinary, nullable=False),
        # A counter across all rows, so a gateway reads what changed since it last looked
        # with one indexed query, whatever the clocks of the workers say.
        sa.Column("version", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_decisions_version", "decisions", ["version"])


def downgrade() -> None:
    op.drop_index("ix_decisions_version", table_name="decisions")
    op.drop_table("decisions")
